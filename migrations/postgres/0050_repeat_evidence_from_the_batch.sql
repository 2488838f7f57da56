-- A probe batch's repeats keep their evidence times and the past version from what the batch
-- already holds, as their counts since 0046 (issue 15: probes at 2,000 pages per second). The
-- repeats' statement trigger read every repeat's base again to learn whether it was
-- evidence, then kept the evidence spans of those that were: about a tenth of the server's
-- time in a PostgreSQL cashier run (`pg_stat_statements`), and all of it spent for nothing
-- when no repeat is evidence (a simulated pack's). The batch writer knows each repeat's
-- check, instant, kind, failure and status (its base's), so it now sends the checks and
-- instants of the repeats that are evidence as two arrays to `hutong_repeat_evidence_add`,
-- one statement after its repeats, and none when there are none; the earliest instant goes
-- with its counts, which raise the past version when it is more than a day old. It sets
-- `hutong.repeat_upkeep` to `all` for the repeats' statement: the trigger then keeps
-- nothing for it and clears the setting. `kept` (0046) still means the counts, current
-- states and probe days only. A repeat inserted any other way sets nothing and is kept here
-- as before, its evidence through the same function. Never edit once released: add a file.

-- The evidence spans of `checks[i]` seen at `instants[i]` (each pair evidence). Every check
-- named has its row of `check_evidence` (a repeat's base is evidence when it is, and made
-- it). A statement of its own, so it reads what the writers before it committed.
create function hutong_repeat_evidence_add(checks text[], instants timestamptz[])
returns void language plpgsql as $$
begin
    with new_instants as (
        select distinct n.check_id, n.t from unnest(checks, instants) as n(check_id, t)
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
end
$$;

create or replace function hutong_observation_repeats_inserted() returns trigger
language plpgsql as $$
declare
    upkeep text := current_setting('hutong.repeat_upkeep', true);
    checks text[];
    instants timestamptz[];
begin
    -- A batch that kept everything of these repeats itself (`all`), or their check counts,
    -- current states and probe days (`kept`, 0046), says so for this one statement; the
    -- setting is spent here.
    if upkeep in ('all', 'kept') then
        perform set_config('hutong.repeat_upkeep', '', true);
        if upkeep = 'all' then
            return null;
        end if;
    else
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
    end if;

    if exists (select 1 from repeats_new
               where observed_at < clock_timestamp() - interval '1 day') then
        perform hutong_raise_past_version();
    end if;

    select array_agg(b.check_id), array_agg(r.observed_at) into checks, instants
    from repeats_new r join observations b on b.id = r.repeat_of
    where hutong_is_evidence(b.source_kind, b.failure, null::bigint, null::timestamptz,
                             b.status);
    if checks is not null then
        perform hutong_repeat_evidence_add(checks, instants);
    end if;
    return null;
end
$$;
