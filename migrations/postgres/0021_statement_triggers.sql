-- What every write keeps (0018, 0019) and the data version (0014), kept per INSERT
-- statement instead of per inserted row (issue 15). A batch of a thousand observations
-- ran a thousand PL/pgSQL calls per kept table (a row lock and an update of the same
-- `check_evidence` row per observation); now each kept table takes one statement-level
-- trigger that reads the statement's rows as a transition table and does its upkeep for
-- all of them at once, grouped per check or per (check, source) pair:
-- - `check_counts`: one upsert per check, the statement's rows counted;
-- - `current_states`: one upsert per pair, with the pair's latest counting row of the
--   statement, replacing the kept row only when later (as before);
-- - `check_evidence` and `evidence_gaps`: each check's new evidence instants are placed
--   in the span they fall in (before the first, after the last, or inside a kept gap);
--   each such span is cut at its new instants, the pieces longer than a day kept as gaps
--   and the span's own gap dropped; the first and last move out to the new extremes;
-- - `transition_counts`: one upsert per (check, source kind) of the inserted transitions.
-- Updates and deletes (retraction, supersession, moves, deletion: rare, by hand or by
-- review) keep the row triggers of 0018 and 0019, which no longer fire on insert.
--
-- Locks, as before, in one order for every writer: each statement trigger takes its rows'
-- locks by upserting them sorted (checks by id, pairs by check and source), so two fleet
-- workers storing the same checks wait for each other instead of deadlocking, and the
-- evidence upkeep first locks (or creates) every check's `check_evidence` row, then reads
-- the spans and gaps in a later statement: it sees what any writer before it committed.
--
-- The data version: a deferred row trigger per written row raised it once per transaction
-- at commit (0014), but every row still queued a call run at commit. Now the first row a
-- transaction writes queues it (the trigger's WHEN marks the transaction) and the others
-- do not: the version is still raised once, at commit, by every writer.
--
-- Names are those of 0014, 0018 and 0019 (dropped and made again by name), so this applies
-- to `observations` as a plain or a partitioned table. Never edit once released: add a file.

-- Counts.
create function hutong_observations_inserted_counts() returns trigger language plpgsql as $$
begin
    insert into check_counts (check_id, observations, real_observations)
    select check_id, count(*),
           count(*) filter (where source_kind <> 'simulated' and retracted_at is null)
    from inserted_observations
    group by check_id
    order by check_id
    on conflict (check_id) do update
    set observations = check_counts.observations + excluded.observations,
        real_observations = check_counts.real_observations + excluded.real_observations;
    return null;
end
$$;

drop trigger observations_counts on observations;
create trigger observations_counts after delete or update on observations
    for each row execute function hutong_observation_counts();
create trigger observations_counts_inserted after insert on observations
    referencing new table as inserted_observations
    for each statement execute function hutong_observations_inserted_counts();

-- Current state per (check, source).
create function hutong_observations_inserted_current_state() returns trigger
language plpgsql as $$
begin
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select distinct on (check_id, source_key) check_id, source_key, id, observed_at
    from inserted_observations
    where failure is null and superseded_by is null and retracted_at is null
    order by check_id, source_key, observed_at desc, id desc
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where (excluded.observed_at, excluded.observation_id)
        > (current_states.observed_at, current_states.observation_id);
    return null;
end
$$;

drop trigger observations_current_state on observations;
create trigger observations_current_state after delete
    or update of check_id, source_key, observed_at, failure, superseded_by, retracted_at
    on observations
    for each row execute function hutong_observation_current_state();
create trigger observations_current_state_inserted after insert on observations
    referencing new table as inserted_observations
    for each statement execute function hutong_observations_inserted_current_state();

-- Evidence times.
create function hutong_observations_inserted_evidence() returns trigger
language plpgsql as $$
begin
    -- Every check with new evidence: its row locked, checks in order; a check without one
    -- gets it at its earliest new instant (the later ones then extend it as below).
    insert into check_evidence (check_id, first_at, last_at)
    select o.check_id, min(o.observed_at), min(o.observed_at)
    from inserted_observations o
    where hutong_is_evidence(o.source_kind, o.failure, o.superseded_by, o.retracted_at,
                             o.status)
    group by o.check_id
    order by o.check_id
    on conflict (check_id) do update set first_at = excluded.first_at where false;

    -- A statement of its own, so it reads what the writers before it committed.
    with new_instants as (
        select distinct o.check_id, o.observed_at as t
        from inserted_observations o
        where hutong_is_evidence(o.source_kind, o.failure, o.superseded_by, o.retracted_at,
                                 o.status)
    ),
    -- Each new instant that changes the gaps, with the span it falls in: before the first
    -- (lo null), after the last (hi null), or strictly inside a kept gap. Any other instant
    -- lies between evidence a day or less apart and leaves the gaps as they are.
    placed as (
        select n.check_id, n.t,
               case when n.t < ce.first_at then null
                    when n.t > ce.last_at then ce.last_at
                    else g.before_at end as lo,
               case when n.t < ce.first_at then ce.first_at
                    when n.t > ce.last_at then null
                    else g.after_at end as hi
        from new_instants n
        join check_evidence ce on ce.check_id = n.check_id
        left join evidence_gaps g
            on g.check_id = n.check_id and g.before_at < n.t and g.after_at > n.t
        where n.t < ce.first_at or n.t > ce.last_at or g.check_id is not null
    ),
    -- Each span's points: its new instants and its ends.
    points as (
        select check_id, lo, hi, t from placed
        union
        select check_id, lo, hi, lo from placed where lo is not null
        union
        select check_id, lo, hi, hi from placed where hi is not null
    ),
    pieces as (
        select check_id, lag(t) over (partition by check_id, lo, hi order by t) as before_at,
               t as after_at
        from points
    ),
    split as (
        delete from evidence_gaps g
        using (select distinct check_id, lo, hi from placed
               where lo is not null and hi is not null) s
        where g.check_id = s.check_id and g.before_at = s.lo and g.after_at = s.hi
    ),
    kept as (
        insert into evidence_gaps (check_id, before_at, after_at)
        select check_id, before_at, after_at from pieces
        where before_at is not null and after_at - before_at > interval '1 day'
        on conflict do nothing
    )
    update check_evidence ce
    set first_at = least(ce.first_at, m.first_at), last_at = greatest(ce.last_at, m.last_at)
    from (select check_id, min(t) as first_at, max(t) as last_at
          from new_instants group by check_id) m
    where ce.check_id = m.check_id and (m.first_at < ce.first_at or m.last_at > ce.last_at);
    return null;
end
$$;

drop trigger observations_evidence on observations;
create trigger observations_evidence after delete or update on observations
    for each row execute function hutong_observation_evidence();
create trigger observations_evidence_inserted after insert on observations
    referencing new table as inserted_observations
    for each statement execute function hutong_observations_inserted_evidence();

-- Transition counts.
create function hutong_transitions_inserted_counts() returns trigger language plpgsql as $$
begin
    insert into transition_counts (check_id, source_kind, changes, first_sightings)
    select check_id, source_kind, count(from_status), count(*) - count(from_status)
    from inserted_transitions
    group by check_id, source_kind
    order by check_id, source_kind
    on conflict (check_id, source_kind) do update
    set changes = transition_counts.changes + excluded.changes,
        first_sightings = transition_counts.first_sightings + excluded.first_sightings;
    return null;
end
$$;

drop trigger transitions_counts on transitions;
create trigger transitions_counts after delete or update of check_id, source_kind, from_status
    on transitions
    for each row execute function hutong_transition_counts();
create trigger transitions_counts_inserted after insert on transitions
    referencing new table as inserted_transitions
    for each statement execute function hutong_transitions_inserted_counts();

-- The data version: queued by a transaction's first write only.
create function hutong_data_version_queue_once() returns boolean language sql volatile as $$
    select case when current_setting('hutong.data_version_queued', true)
                     is distinct from 'yes'
                then set_config('hutong.data_version_queued', 'yes', true) = 'yes'
                else false end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['groups', 'platforms', 'payment_methods', 'check_kinds',
        'statuses', 'checks', 'sources', 'milestones', 'requirements', 'observations',
        'check_sources', 'transitions']
    loop
        execute format('drop trigger %I on %I', t || '_version', t);
        execute format('create constraint trigger %I after insert or update or delete on %I
            deferrable initially deferred
            for each row when (hutong_data_version_queue_once())
            execute function hutong_bump_data_version_once()',
            t || '_version', t);
    end loop;
end
$$;
