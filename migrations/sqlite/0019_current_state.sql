-- The current state of each (check, source) pair, kept by every write (issue 15): the id
-- and instant of the pair's latest observation that counts (not failed, not superseded,
-- not retracted; latest by observed_at, then id). `state_as_of` reads it for any date at or
-- after that instant, instead of seeking each pair's latest observation again after every
-- write; for earlier dates it still seeks.
--
-- Triggers keep it exact for every writer (probes, hand tests, corrections, catalog loads,
-- the synthetic bulk path, hand-made SQL):
-- - a row that counts (inserted, or made to count again) replaces the kept one when it is
--   later (out-of-order inserts leave it alone);
-- - when the kept row stops counting, moves to another instant or pair, or is deleted, the
--   pair's latest row that counts now takes its place (none: the pair's row goes).
-- Never edit once released: add a file.

create table current_states (
    check_id text not null,
    source_key text not null,
    observation_id integer not null,
    observed_at text not null,
    primary key (check_id, source_key)
);

insert into current_states (check_id, source_key, observation_id, observed_at)
select check_id, source_key, id, observed_at from (
    select check_id, source_key, id, observed_at,
           row_number() over (partition by check_id, source_key
                              order by observed_at desc, id desc) as n
    from observations
    where failure is null and superseded_by is null and retracted_at is null)
where n = 1;

-- A row that counts: kept when it is the pair's latest.
create trigger observations_current_state_i after insert on observations
when new.failure is null and new.superseded_by is null and new.retracted_at is null
begin
    insert into current_states (check_id, source_key, observation_id, observed_at)
    values (new.check_id, new.source_key, new.id, new.observed_at)
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where excluded.observed_at > current_states.observed_at
       or (excluded.observed_at = current_states.observed_at
           and excluded.observation_id > current_states.observation_id);
end;

-- Retracted, un-retracted, superseded, failed, moved to another instant or pair: the old
-- place first (when it was the kept row, the latest that counts now, this row at its new
-- place included, takes over), then the new place as on insert.
create trigger observations_current_state_u
after update of check_id, source_key, observed_at, failure, superseded_by, retracted_at
on observations
when (old.failure is null and old.superseded_by is null and old.retracted_at is null)
  <> (new.failure is null and new.superseded_by is null and new.retracted_at is null)
  or old.check_id <> new.check_id or old.source_key <> new.source_key
  or old.observed_at <> new.observed_at
begin
    delete from current_states
    where old.failure is null and old.superseded_by is null and old.retracted_at is null
      and check_id = old.check_id and source_key = old.source_key
      and observation_id = old.id;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select o.check_id, o.source_key, o.id, o.observed_at from observations o
    where old.failure is null and old.superseded_by is null and old.retracted_at is null
      and not exists (select 1 from current_states
                      where check_id = old.check_id and source_key = old.source_key)
      and o.check_id = old.check_id and o.source_key = old.source_key
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.observed_at desc, o.id desc limit 1;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select new.check_id, new.source_key, new.id, new.observed_at
    where new.failure is null and new.superseded_by is null and new.retracted_at is null
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where excluded.observed_at > current_states.observed_at
       or (excluded.observed_at = current_states.observed_at
           and excluded.observation_id > current_states.observation_id);
end;

-- A deleted row: when it was the kept one, the pair's latest that counts takes over.
create trigger observations_current_state_d after delete on observations
when old.failure is null and old.superseded_by is null and old.retracted_at is null
begin
    delete from current_states
    where check_id = old.check_id and source_key = old.source_key
      and observation_id = old.id;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select o.check_id, o.source_key, o.id, o.observed_at from observations o
    where not exists (select 1 from current_states
                      where check_id = old.check_id and source_key = old.source_key)
      and o.check_id = old.check_id and o.source_key = old.source_key
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.observed_at desc, o.id desc limit 1;
end;
