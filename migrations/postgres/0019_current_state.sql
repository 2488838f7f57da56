-- The current state of each (check, source) pair, kept by every write (issue 15): the id
-- and instant of the pair's latest observation that counts (not failed, not superseded,
-- not retracted; latest by observed_at, then id). `state_as_of` reads it for any date at or
-- after that instant, instead of seeking each pair's latest observation again after every
-- write; for earlier dates it still seeks.
--
-- A trigger keeps it exact for every writer (probes, hand tests, corrections, catalog
-- loads, the synthetic bulk path, hand-made SQL):
-- - a row that counts (inserted, or made to count again) replaces the kept one when it is
--   later (out-of-order inserts leave it alone);
-- - when the kept row stops counting, moves to another instant or pair, or is deleted, the
--   pair's latest row that counts now takes its place (none: the pair's row goes).
-- Writers of one pair that replace its kept row take that row's lock first, so the latest
-- row is sought after any other writer of the pair has committed.
-- Never edit once released: add a file.

create table current_states (
    check_id text not null,
    source_key text not null,
    observation_id bigint not null,
    observed_at timestamptz not null,
    primary key (check_id, source_key)
);

insert into current_states (check_id, source_key, observation_id, observed_at)
select distinct on (check_id, source_key) check_id, source_key, id, observed_at
from observations
where failure is null and superseded_by is null and retracted_at is null
order by check_id, source_key, observed_at desc, id desc;

-- The pair's kept row sought again from its observations.
create function hutong_current_state_seek(c text, k text) returns void
language plpgsql as $$
declare
    i bigint;
    t timestamptz;
begin
    select o.id, o.observed_at into i, t from observations o
    where o.check_id = c and o.source_key = k
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.observed_at desc, o.id desc limit 1;
    if i is null then
        delete from current_states where check_id = c and source_key = k;
    else
        insert into current_states (check_id, source_key, observation_id, observed_at)
        values (c, k, i, t)
        on conflict (check_id, source_key) do update
        set observation_id = excluded.observation_id, observed_at = excluded.observed_at;
    end if;
end
$$;

create function hutong_observation_current_state() returns trigger language plpgsql as $$
declare
    was boolean := false;
    is_now boolean := false;
    kept bigint;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        was := old.failure is null and old.superseded_by is null and old.retracted_at is null;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        is_now := new.failure is null and new.superseded_by is null and new.retracted_at is null;
    end if;
    if tg_op = 'UPDATE' and was = is_now and old.check_id = new.check_id
       and old.source_key = new.source_key and old.observed_at = new.observed_at then
        return null;
    end if;
    -- The old place first: when it was the kept row, the latest that counts now (this row
    -- at its new place included) takes over.
    if was then
        select observation_id into kept from current_states
        where check_id = old.check_id and source_key = old.source_key for update;
        if kept = old.id then
            perform hutong_current_state_seek(old.check_id, old.source_key);
        end if;
    end if;
    if is_now then
        insert into current_states (check_id, source_key, observation_id, observed_at)
        values (new.check_id, new.source_key, new.id, new.observed_at)
        on conflict (check_id, source_key) do update
        set observation_id = excluded.observation_id, observed_at = excluded.observed_at
        where (excluded.observed_at, excluded.observation_id)
            > (current_states.observed_at, current_states.observation_id);
    end if;
    return null;
end
$$;

create trigger observations_current_state after insert or delete
    or update of check_id, source_key, observed_at, failure, superseded_by, retracted_at
    on observations
    for each row execute function hutong_observation_current_state();
