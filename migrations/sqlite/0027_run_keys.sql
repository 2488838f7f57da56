-- A run's key kept once (issue 15). A probe verdict's run key is its run's part (pack, slot,
-- vantage point: `pack:2026-11-22T10:00:00Z:vantage:`) followed by its check, which the row
-- already holds: the run's part is kept once here and each verdict names it, unique with
-- its check as the whole key was. Rows written before, and keys that do not end in their
-- row's check, keep the whole key in `observations.run_key` (a run resumed across this
-- migration reads both forms, so it never writes a check it has). Never edit once
-- released: add a file.

create table run_keys (
    id integer primary key,
    prefix text not null unique
);

alter table observations add column run_key_id integer references run_keys (id);
create unique index observations_by_run_key_id on observations (run_key_id, check_id)
    where run_key_id is not null;
