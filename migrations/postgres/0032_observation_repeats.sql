-- Repeats stored thin (issue 15: "storage grows with changes, not runs"); as SQLite's 0032,
-- which says the design. A probe verdict that repeats its pair's newest row (every column
-- equal but its instants, its fetch and its run key, and that row counting) is a row of
-- `observation_repeats` naming the row it repeats, its id from the observations' sequence;
-- `observations_all` is every observation as it was (a repeat with its base's columns, its
-- own corrections none). What the triggers keep is kept for repeats as for the rows they
-- stand for (statement triggers on insert, as 0021; row triggers on delete, which only
-- unfolding does). The seeks of 0018 and 0019 read `observations_all`. A row whose shown
-- columns change, or which is deleted, first unfolds its repeats. Never edit once
-- released: add a file.

-- Checks by a small integer (a repeat names its check by it, and its index orders by it).
create table check_numbers (
    no bigint generated always as identity primary key,
    check_id text not null unique
);

create table observation_repeats (
    id bigint primary key,
    repeat_of bigint not null references observations (id),
    -- Its base's check (`check_numbers`), so a check's repeats are in time order by index.
    check_no bigint not null,
    observed_at timestamptz not null,
    recorded_at timestamptz not null,
    fetch_id bigint references fetches (id),
    evidence_fetch text,
    snapshot text,
    run_key_id bigint references run_keys (id),
    run_key text
);

-- A base's repeats in time order (a pair's latest at or before an instant: its latest row
-- at or before it, or that row's latest repeat at or before it), a check's (its history,
-- its window), all repeats in time order (the latest observation at or before a date), and
-- a run's check once among repeats; as SQLite's 0032.
create index observation_repeats_by_base on observation_repeats (repeat_of, observed_at, id);
create index observation_repeats_by_check on observation_repeats (check_no, observed_at, id);
create index observation_repeats_by_time on observation_repeats (observed_at);
create unique index observation_repeats_by_run_key on observation_repeats (run_key_id, check_no)
    where run_key_id is not null;

create view observations_all (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id) as
select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id
from observations
union all
select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null::text,
    r.recorded_at, b.pack_id, b.rule_version, b.confirmed, b.failure, r.snapshot,
    null::bigint, b.reclassifies, r.run_key, null::timestamptz, null::bigint, null::text,
    null::text, b.evidence_id, r.evidence_fetch, r.fetch_id, r.run_key_id
from observation_repeats r join observations b on b.id = r.repeat_of;

-- The repeats alone, as `observations_all` shows them: a join, which SQLite's planner
-- reads by index inside a join or a correlated subquery (a UNION ALL view there is read
-- whole); readers of one observation by id, or of a pair's latest, read the two forms.
create view observation_repeats_shown (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id, repeat_check_no, repeat_at, repeat_of) as
select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null::text, r.recorded_at,
    b.pack_id, b.rule_version, b.confirmed, b.failure, r.snapshot, null::bigint, b.reclassifies,
    r.run_key, null::timestamptz, null::bigint, null::text, null::text, b.evidence_id, r.evidence_fetch, r.fetch_id,
    r.run_key_id, r.check_no, r.observed_at, r.repeat_of
from observation_repeats r join observations b on b.id = r.repeat_of;

-- The seeks again, reading every observation.
create or replace function hutong_evidence_remove(c text, t timestamptz) returns void
language plpgsql as $$
declare
    p timestamptz;
    n timestamptz;
begin
    perform 1 from check_evidence where check_id = c for update;
    if exists (select 1 from observations_all o where o.check_id = c and o.observed_at = t
               and hutong_is_evidence(o.source_kind, o.failure, o.superseded_by,
                                      o.retracted_at, o.status)) then
        return;
    end if;
    select o.observed_at into p from observations_all o
    where o.check_id = c and o.observed_at < t
      and hutong_is_evidence(o.source_kind, o.failure, o.superseded_by, o.retracted_at, o.status)
    order by o.observed_at desc limit 1;
    select o.observed_at into n from observations_all o
    where o.check_id = c and o.observed_at > t
      and hutong_is_evidence(o.source_kind, o.failure, o.superseded_by, o.retracted_at, o.status)
    order by o.observed_at limit 1;
    delete from evidence_gaps where check_id = c and (before_at = t or after_at = t);
    if p is null and n is null then
        delete from check_evidence where check_id = c;
    elsif p is null then
        update check_evidence set first_at = n where check_id = c;
    elsif n is null then
        update check_evidence set last_at = p where check_id = c;
    elsif n - p > interval '1 day' then
        insert into evidence_gaps values (c, p, n) on conflict do nothing;
    end if;
end
$$;

create or replace function hutong_current_state_seek(c text, k text) returns void
language plpgsql as $$
declare
    i bigint;
    t timestamptz;
begin
    select o.id, o.observed_at into i, t from observations_all o
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

-- A row whose shown columns change (or its instant), which is superseded or retracted
-- (a row with repeats always counts: readers seek a pair's latest repeat through its latest
-- counting row), or which goes, first unfolds its repeats.
create function hutong_observation_unfold() returns trigger language plpgsql as $$
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

create trigger observations_unfold before update or delete on observations
    for each row execute function hutong_observation_unfold();

create function hutong_observation_repeats_no_update() returns trigger language plpgsql as $$
begin
    raise exception 'observation repeats are not updated: unfold the repeat first';
end
$$;

create trigger observation_repeats_no_update before update on observation_repeats
    for each row execute function hutong_observation_repeats_no_update();

-- Repeats inserted: what their rows inserted would keep.
create function hutong_observation_repeats_inserted() returns trigger language plpgsql as $$
begin
    insert into check_counts (check_id, observations, real_observations)
    select b.check_id, count(*), count(*) filter (where b.source_kind <> 'simulated')
    from repeats_new r join observations b on b.id = r.repeat_of
    group by b.check_id
    order by b.check_id
    on conflict (check_id) do update
    set observations = check_counts.observations + excluded.observations,
        real_observations = check_counts.real_observations + excluded.real_observations;

    insert into current_states (check_id, source_key, observation_id, observed_at)
    select distinct on (b.check_id, b.source_key) b.check_id, b.source_key, r.id, r.observed_at
    from repeats_new r join observations b on b.id = r.repeat_of
    where b.failure is null
    order by b.check_id, b.source_key, r.observed_at desc, r.id desc
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where (excluded.observed_at, excluded.observation_id)
        > (current_states.observed_at, current_states.observation_id);

    insert into probed_pairs (check_id, source_key, probed_since)
    select b.check_id, b.source_key, min(r.observed_at)
    from repeats_new r join observations b on b.id = r.repeat_of
    where b.pack_id is not null
    group by b.check_id, b.source_key
    order by b.check_id, b.source_key
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;

    perform hutong_check_versions_raise(array(
        select n.check_id from check_numbers n
        where n.no in (select distinct check_no from repeats_new)));

    if exists (select 1 from repeats_new
               where observed_at < clock_timestamp() - interval '1 day') then
        perform hutong_raise_past_version();
    end if;

    -- Every check with new evidence: its row locked, checks in order; a check without one
    -- gets it at its earliest new instant (the later ones then extend it as below).
    insert into check_evidence (check_id, first_at, last_at)
    select o.check_id, min(o.observed_at), min(o.observed_at)
    from (select b.check_id, r.observed_at, b.source_kind, b.failure,
                   null::bigint as superseded_by, null::timestamptz as retracted_at, b.status
            from repeats_new r join observations b on b.id = r.repeat_of) o
    where hutong_is_evidence(o.source_kind, o.failure, o.superseded_by, o.retracted_at,
                             o.status)
    group by o.check_id
    order by o.check_id
    on conflict (check_id) do update set first_at = excluded.first_at where false;

    -- A statement of its own, so it reads what the writers before it committed.
    with new_instants as (
        select distinct o.check_id, o.observed_at as t
        from (select b.check_id, r.observed_at, b.source_kind, b.failure,
                   null::bigint as superseded_by, null::timestamptz as retracted_at, b.status
            from repeats_new r join observations b on b.id = r.repeat_of) o
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

create trigger observation_repeats_inserted after insert on observation_repeats
    referencing new table as repeats_new
    for each statement execute function hutong_observation_repeats_inserted();

-- A repeat deleted (unfolding): what its row deleted would keep.
create function hutong_observation_repeat_deleted() returns trigger language plpgsql as $$
declare
    b observations%rowtype;
    kept bigint;
begin
    select * into b from observations where id = old.repeat_of;
    update check_counts
    set observations = observations - 1,
        real_observations = real_observations - (b.source_kind <> 'simulated')::int
    where check_id = b.check_id;
    if b.failure is null then
        select observation_id into kept from current_states
        where check_id = b.check_id and source_key = b.source_key for update;
        if kept = old.id then
            perform hutong_current_state_seek(b.check_id, b.source_key);
        end if;
    end if;
    if hutong_is_evidence(b.source_kind, b.failure, null, null, b.status) then
        perform hutong_evidence_remove(b.check_id, old.observed_at);
    end if;
    if old.observed_at < clock_timestamp() - interval '1 day' then
        perform hutong_raise_past_version();
    end if;
    perform hutong_check_versions_raise(array[b.check_id]);
    return null;
end
$$;

create trigger observation_repeats_deleted after delete on observation_repeats
    for each row execute function hutong_observation_repeat_deleted();

-- The data version, as every other table's (0014, 0021).
create trigger observation_repeats_version_truncate after truncate on observation_repeats
    for each statement execute function hutong_bump_data_version();
create constraint trigger observation_repeats_version
    after insert or update or delete on observation_repeats
    deferrable initially deferred
    for each row when (hutong_data_version_queue_once())
    execute function hutong_bump_data_version_once();

-- A row written (a late report) or moved among the repeats of its pair's previous row:
-- the repeats after it are written out whole (they keep what they show), so a base's
-- repeats stay between it and its pair's next row. Not for a repeat being written out
-- whole itself (its id still a repeat's): unfolding writes out a base's repeats from one
-- on, all of them at once.
create function hutong_observations_unfold_moved(moved bigint[]) returns void
language plpgsql as $$
begin
    if cardinality(moved) > 0 then
        insert into observations (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
        quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
        confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
        retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
        run_key_id)
        select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
        quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
        confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
        retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
        run_key_id from observation_repeats_shown where id = any(moved);
        delete from observation_repeats where id = any(moved);
    end if;
end
$$;

create function hutong_observations_unfold_later_inserted() returns trigger
language plpgsql as $$
begin
    perform hutong_observations_unfold_moved(array(
        select r.id
        from (select * from unfold_new_rows n
              where not exists (select 1 from observation_repeats x where x.id = n.id)) u
        cross join lateral (select p.id from observations p
                            where p.check_id = u.check_id and p.source_key = u.source_key
                              and (p.observed_at, p.id) < (u.observed_at, u.id)
                            order by p.observed_at desc, p.id desc limit 1) p
        join observation_repeats r
          on r.repeat_of = p.id and (r.observed_at, r.id) > (u.observed_at, u.id)));
    return null;
end
$$;

create trigger observations_unfold_later_i after insert on observations
    referencing new table as unfold_new_rows
    for each statement execute function hutong_observations_unfold_later_inserted();

create function hutong_observations_unfold_later_updated() returns trigger
language plpgsql as $$
begin
    perform hutong_observations_unfold_moved(array(
        select r.id from observation_repeats r
        where r.repeat_of = (select p.id from observations p
                             where p.check_id = new.check_id and p.source_key = new.source_key
                               and (p.observed_at, p.id) < (new.observed_at, new.id)
                             order by p.observed_at desc, p.id desc limit 1)
          and (r.observed_at, r.id) > (new.observed_at, new.id)));
    return null;
end
$$;

create trigger observations_unfold_later_u
    after update of check_id, source_key, observed_at on observations
    for each row execute function hutong_observations_unfold_later_updated();
