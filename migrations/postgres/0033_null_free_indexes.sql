-- Three indexes of `observations` held an entry for every row with a null in their column,
-- written with every observation (issue 15: a seed's INSERT time, bytes per observation):
-- `observations_by_pack` (pack_id: null for every row not written by a pack),
-- `observations_by_run_key` (a run's whole key: null for every row written since 0027)
-- and the unique index of `catalog_key` (null for every row not loaded from the catalog).
-- Each now holds only the rows that have a value. Nothing reads them by a null: every read
-- names a value (`pack_id = $1`, `catalog_key = $1`), which implies the predicate, so the
-- planner still uses them. Uniqueness is as before (nulls never conflicted). SQLite made
-- its run-key index partial in 0028; its other two keep their null entries. Never edit once
-- released: add a file.

drop index observations_by_pack;
create index observations_by_pack on observations (pack_id, id)
    where pack_id is not null;

drop index observations_by_run_key;
create unique index observations_by_run_key on observations (run_key)
    where run_key is not null;

alter table observations drop constraint observations_catalog_key_key;
create unique index observations_by_catalog_key on observations (catalog_key)
    where catalog_key is not null;
