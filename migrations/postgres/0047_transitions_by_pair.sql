-- A pair's latest transition sought by the pair's own key (issue 15: pages stay fast while
-- probes write). A batch's writer asks each of its pairs for its latest transition,
-- `order by occurred_at desc, id desc limit 1`. The index on (check, source, time) lacked
-- the id, so PostgreSQL walked the check's time index backward, filtering the source: a
-- pair with no transition yet (a new vantage point, a new source of a check) read every
-- transition of its check. On a 10 M `bench seed` (500,000 transitions over 200 checks),
-- 200 such pairs took 236 ms; with the id in the key, 1.3 ms. SQLite's index ends in the
-- row id already. The new index replaces the old one, a prefix of it. Never edit once
-- released: add a file.

create index transitions_by_pair on transitions (check_id, source_key, occurred_at, id);
drop index transitions_by_check;
