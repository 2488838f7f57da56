-- PostgreSQL analyses a table again after a tenth of its rows have changed: at 10 M
-- observations, after a million. A kind of row new to a large table (probes' verdicts
-- after years of seeded or hand-made history) then stays unknown to the planner for a
-- long time, and it plans as if there were none: a check page that read its 978 probe
-- verdicts of the month in 10 ms once analysed took 122 ms by walking every probe row of
-- every check. The two tables of observations are analysed after 1% of their rows change
-- instead (at 10 M rows, 100,000: under a minute of probes writing 2,000 a second; an
-- analysis samples 30,000 rows, about half a second). Never edit once released.
alter table observations set (autovacuum_analyze_scale_factor = 0.01);
alter table observation_repeats set (autovacuum_analyze_scale_factor = 0.01);
