-- Real (not simulated) rows are few beside synthetic and simulator history: partial
-- indexes let the dashboard count and page them without scanning the simulated ones.
create index observations_real on observations (check_id) where source_kind <> 'simulated';
create index transitions_real on transitions (occurred_at, id) where source_kind <> 'simulated';
-- A check's history, newest first, one page at a time (the check page).
create index observations_by_check_time on observations (check_id, observed_at, id);
-- The timeline filtered by source kind (simulated rows, say): counted and paged in the index.
create index transitions_by_source_kind on transitions (source_kind, occurred_at, id);
