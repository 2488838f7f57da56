-- What a batch of repeats keeps, in fewer steps (issue 15: probes at 2,000 pages per
-- second). The repeats' statement triggers (0032, 0038) joined a statement's repeats to
-- their bases six times; `perf` put about half of the server's time in a PostgreSQL cashier
-- run in the after-statement triggers, foreign-key checks included. As SQLite's 0042 and
-- 0043 did for its row triggers:
--
-- - The check counts, current states and probe days are kept by one statement reading the
--   join once. The evidence times keep their own statement (it reads what writers before it
--   committed), which joins again.
-- - Repeats no longer raise their checks' versions (0031): the count of observations
--   they raise is the other half of a check's version, read with it (`CheckVersion`).
-- - No `probed_pairs` upsert and no `check_evidence` insert for repeats. Neither could
--   change a row. A repeat shows its base's pack, status, source kind and failure, and a
--   base with repeats is never superseded nor retracted (0032), so:
--   - its base listed the pair in `probed_pairs` from its own instant when it was written
--     (0022), a repeat is never earlier than its base, a bound there is only ever lowered
--     and nothing deletes a pair;
--   - a repeat that is evidence has a base that is, which gave its check a row of
--     `check_evidence` when it was written (0015); that row goes only when the check has no
--     evidence left, which cannot be while the base stands.
-- - Repeats name their base, fetch and run key without foreign keys. Each reference took
--   a statement per repeat, and the base's a row lock too (a WAL record and a dirtied page
--   of `observations` per repeat, every run; `perf` put the checks alone at about a tenth
--   of the server's time in a cashier run). What they guarded is kept otherwise:
--   - fetches and run keys are never deleted: a statement that tries is refused below;
--   - a base deleted by hand first writes out its repeats whole (0032), and now first waits
--     for the writers of its pair as a writer does (the pair's advisory lock that batches
--     take, then its `check_sources` row, which probes' batches lock first), so no batch
--     can add a repeat of it that the delete does not see.
-- Never edit once released: add a file.

create or replace function hutong_observation_repeats_inserted() returns trigger
language plpgsql as $$
begin
    -- The statement's repeats with what their bases show, read once.
    with j as materialized (
        select r.id, r.observed_at, b.check_id, b.source_key, b.status, b.source_kind,
               b.failure, b.pack_id, b.confirmed, b.retracted_at, b.superseded_by
        from repeats_new r join observations b on b.id = r.repeat_of
    ),
    counts as (
        insert into check_counts (check_id, observations, real_observations)
        select check_id, count(*), count(*) filter (where source_kind <> 'simulated')
        from j
        group by check_id
        order by check_id
        on conflict (check_id) do update
        set observations = check_counts.observations + excluded.observations,
            real_observations = check_counts.real_observations + excluded.real_observations
    ),
    states as (
        insert into current_states (check_id, source_key, observation_id, observed_at)
        select distinct on (check_id, source_key) check_id, source_key, id, observed_at
        from j
        where failure is null
        order by check_id, source_key, observed_at desc, id desc
        on conflict (check_id, source_key) do update
        set observation_id = excluded.observation_id, observed_at = excluded.observed_at
        where (excluded.observed_at, excluded.observation_id)
            > (current_states.observed_at, current_states.observation_id)
    )
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select check_id, source_key, hutong_probe_day(observed_at), status, count(*)
    from j
    where pack_id is not null and confirmed is true and retracted_at is null
      and superseded_by is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (check_id, source_key, day, status) do update
    set verdicts = probe_days.verdicts + excluded.verdicts;

    if exists (select 1 from repeats_new
               where observed_at < clock_timestamp() - interval '1 day') then
        perform hutong_raise_past_version();
    end if;

    -- A statement of its own, so it reads what the writers before it committed. Every check
    -- here has its row of `check_evidence` (see above).
    with new_instants as (
        select distinct b.check_id, r.observed_at as t
        from repeats_new r join observations b on b.id = r.repeat_of
        where hutong_is_evidence(b.source_kind, b.failure, null::bigint, null::timestamptz,
                                 b.status)
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

-- Its probe days are kept above now.
drop trigger observation_repeats_probe_days_i on observation_repeats;
drop function hutong_probe_days_repeats_inserted();

alter table observation_repeats drop constraint observation_repeats_repeat_of_fkey;
alter table observation_repeats drop constraint observation_repeats_fetch_id_fkey;
alter table observation_repeats drop constraint observation_repeats_run_key_id_fkey;

-- As 0032's, a row deleted first waiting for its pair's writers (above).
create or replace function hutong_observation_unfold() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE'
       and (old.check_id, old.observed_at, old.precision, old.status, old.source_kind, old.source_key,
            old.source_id, old.vantage, old.quote, old.note_en, old.note_zh,
            old.evidence::text, old.pack_id, old.rule_version, old.confirmed, old.failure,
            old.reclassifies, old.evidence_id, old.superseded_by, old.retracted_at)
           is not distinct from
           (new.check_id, new.observed_at, new.precision, new.status, new.source_kind, new.source_key,
            new.source_id, new.vantage, new.quote, new.note_en, new.note_zh,
            new.evidence::text, new.pack_id, new.rule_version, new.confirmed, new.failure,
            new.reclassifies, new.evidence_id, new.superseded_by, new.retracted_at) then
        return new;
    end if;
    if tg_op = 'DELETE' then
        perform pg_advisory_xact_lock(hashtext('hutong pair'),
                                      hashtext(old.check_id || ' ' || old.source_key));
        perform 1 from check_sources
        where check_id = old.check_id and source_key = old.source_key
        for update;
    end if;
    if exists (select 1 from observation_repeats where repeat_of = old.id) then
        insert into observations (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id)
        select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id from observations_all
        where id in (select id from observation_repeats where repeat_of = old.id);
        delete from observation_repeats where repeat_of = old.id;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end
$$;


create function hutong_kept_forever() returns trigger language plpgsql as $$
begin
    raise exception 'the rows of % are kept forever (observations and their repeats name them): none is deleted',
        tg_table_name;
end
$$;

create trigger fetches_kept_forever before delete or truncate on fetches
    for each statement execute function hutong_kept_forever();
create trigger run_keys_kept_forever before delete or truncate on run_keys
    for each statement execute function hutong_kept_forever();
