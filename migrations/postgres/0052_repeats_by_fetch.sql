-- A fetch's repeats stored as one row (issue 15: at most 200 bytes per stored observation).
-- A probe fetch gives each of its checks one verdict; when its verdicts all repeat (a live
-- deployment's usual case: statuses rarely change), 0032 stored a row of
-- `observation_repeats` for each, and each row was most of what a repeat cost: 92 bytes in
-- its row and 118 in its four indexes, of 350 a stored observation in the 100-round cashier
-- bench (a row per repeat cannot go below about 200). The verdicts of one fetch share their
-- instant, their time of recording, their fetch and their run key, and a batch gives them
-- consecutive ids; only their bases (the rows they repeat, one per check) differ, and those
-- are the same fetch after fetch until a status changes.
--
-- So a fetch's repeats with consecutive ids can be one row of `repeat_fetches`: the first
-- id, the set of bases (`repeat_sets`, each list of bases stored once, its members one row
-- each in `repeat_set_members` by base and by check), and what the repeats share. Repeat
-- number `ord` of the set has id `first_id + ord`. Sets grow with changes, fetch rows with
-- runs: one row and three index entries for a fetch instead of a row and four entries for
-- each verdict. `repeat_fetches` is partitioned by year as `observation_repeats` (0041),
-- partition for partition, the same names after `repeat_fetches_`.
--
-- Every reader that asks for repeats without naming ids reads both forms:
-- `observations_all` gains a third branch (`observation_fetch_repeats_shown`), and the
-- seeks that read `observation_repeats` directly also read the sets' fetches, newest first
-- per set. A repeat is found by id through `hutong_fetch_repeats_of` (the fetch with the
-- greatest first id at or below it, by index): a view's computed id cannot be sought.
-- Anything that changes repeats one by one (unfolding, a late row between a base and its
-- repeats, detaching a year) first writes the fetches of the sets concerned out as rows of
-- `observation_repeats` (`hutong_repeat_sets_explode`), which nothing counts twice (the
-- repeats' upkeep is told `all`); then works on rows as before. Never edit once released:
-- add a file.

create table repeat_sets (
    id bigint generated always as identity primary key,
    -- Its bases in order (`ord` 0, 1, …), and their checks' numbers.
    bases bigint[] not null,
    check_nos bigint[] not null
);
create unique index repeat_sets_by_bases on repeat_sets (bases);

create table repeat_set_members (
    set_id bigint not null references repeat_sets (id),
    ord integer not null,
    repeat_of bigint not null references observations (id),
    check_no bigint not null,
    primary key (set_id, ord)
);
create index repeat_set_members_by_base on repeat_set_members (repeat_of, set_id);
create index repeat_set_members_by_check on repeat_set_members (check_no, set_id);

create table repeat_fetches (
    first_id bigint not null,
    set_id bigint not null,
    observed_at timestamptz not null,
    recorded_at timestamptz not null,
    fetch_id bigint,
    run_key_id bigint
) partition by range (observed_at);

-- A partition for each of the repeats' partitions, with its bounds.
do $$
declare
    p record;
begin
    for p in select c.relname, pg_get_expr(c.relpartbound, c.oid) as bound
             from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'observation_repeats'::regclass loop
        execute format('create table %I partition of repeat_fetches %s',
                       'repeat_fetches_' || substring(p.relname from length('observation_repeats_') + 1),
                       p.bound);
        execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01)',
                       'repeat_fetches_' || substring(p.relname from length('observation_repeats_') + 1));
    end loop;
end $$;

alter table repeat_fetches add constraint repeat_fetches_set_id_fkey
    foreign key (set_id) references repeat_sets (id);
alter table repeat_fetches add constraint repeat_fetches_fetch_id_fkey
    foreign key (fetch_id) references fetches (id);
alter table repeat_fetches add constraint repeat_fetches_run_key_id_fkey
    foreign key (run_key_id) references run_keys (id);
-- By id (the fetch holding a repeat), by set in time order (a base's or a check's repeats
-- newest first), and in time order (the latest observation at or before a date).
create index repeat_fetches_by_first on repeat_fetches (first_id);
create index repeat_fetches_by_set on repeat_fetches (set_id, observed_at);
create index repeat_fetches_by_time on repeat_fetches (observed_at);

create trigger repeat_sets_kept_forever before delete or truncate on repeat_sets
    for each statement execute function hutong_kept_forever();
create trigger repeat_set_members_kept_forever before delete or truncate on repeat_set_members
    for each statement execute function hutong_kept_forever();
-- The data version, as the repeats' (0032).
create constraint trigger repeat_fetches_version
    after insert or update or delete on repeat_fetches
    deferrable initially deferred
    for each row when (hutong_data_version_queue_once())
    execute function hutong_bump_data_version_once();
create trigger repeat_fetches_version_truncate after truncate on repeat_fetches
    for each statement execute function hutong_bump_data_version();

-- A fetch's repeats, one row each, as `observation_repeats` has them.
create view observation_fetch_repeats (id, repeat_of, check_no, observed_at, recorded_at,
    fetch_id, evidence_fetch, snapshot, run_key_id, run_key) as
select f.first_id + m.ord, m.repeat_of, m.check_no, f.observed_at, f.recorded_at, f.fetch_id,
    null::text, null::text, f.run_key_id, null::text
from repeat_fetches f join repeat_set_members m on m.set_id = f.set_id;

-- As `observation_repeats_shown`, for the repeats of fetches.
create view observation_fetch_repeats_shown (id, check_id, observed_at, precision, status,
    source_kind, source_key, source_id, vantage, quote, note_en, note_zh, evidence, catalog_key,
    recorded_at, pack_id, rule_version, confirmed, failure, snapshot, superseded_by,
    reclassifies, run_key, retracted_at, retracted_by, retraction_reason, retracted_from,
    evidence_id, evidence_fetch, fetch_id, run_key_id, repeat_check_no, repeat_at, repeat_of) as
select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null::text, r.recorded_at,
    b.pack_id, b.rule_version, b.confirmed, b.failure, null::text, null::bigint, b.reclassifies,
    null::text, null::timestamptz, null::bigint, null::text, null::text, b.evidence_id,
    null::text, r.fetch_id, r.run_key_id, r.check_no, r.observed_at, r.repeat_of
from observation_fetch_repeats r join observations b on b.id = r.repeat_of;

-- Every observation, in three forms now.
create or replace view observations_all as
select observations.id, observations.check_id, observations.observed_at,
    observations.precision, observations.status, observations.source_kind,
    observations.source_key, observations.source_id, observations.vantage, observations.quote,
    observations.note_en, observations.note_zh, observations.evidence, observations.catalog_key,
    observations.recorded_at, observations.pack_id, observations.rule_version,
    observations.confirmed, observations.failure, observations.snapshot,
    observations.superseded_by, observations.reclassifies, observations.run_key,
    observations.retracted_at, observations.retracted_by, observations.retraction_reason,
    observations.retracted_from, observations.evidence_id, observations.evidence_fetch,
    observations.fetch_id, observations.run_key_id
from observations
union all
select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null::text,
    r.recorded_at, b.pack_id, b.rule_version, b.confirmed, b.failure, r.snapshot,
    null::bigint, b.reclassifies, r.run_key, null::timestamptz, null::bigint, null::text,
    null::text, b.evidence_id, r.evidence_fetch, r.fetch_id, r.run_key_id
from observation_repeats r join observations b on b.id = r.repeat_of
union all
select id, check_id, observed_at, precision, status, source_kind, source_key, source_id,
    vantage, quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id
from observation_fetch_repeats_shown;

-- The repeats of fetches among `ids`: for each id, the fetch with the greatest first id at
-- or below it (ids are taken from one sequence, a fetch's consecutive, so no other
-- observation's id lies inside a fetch's), and its member `id - first_id` when there is one.
create function hutong_fetch_repeats_of(ids bigint[])
returns table (id bigint, repeat_of bigint, check_no bigint, observed_at timestamptz,
               recorded_at timestamptz, fetch_id bigint, run_key_id bigint)
language sql stable as $$
    select x.id, m.repeat_of, m.check_no, f.observed_at, f.recorded_at, f.fetch_id,
           f.run_key_id
    from (select distinct u.id from unnest(ids) u(id) where u.id is not null) x
    cross join lateral (select * from repeat_fetches f where f.first_id <= x.id
                        order by f.first_id desc limit 1) f
    join repeat_set_members m on m.set_id = f.set_id and m.ord = x.id - f.first_id
$$;

-- The observations whose ids are `ids`, in any form, as `observations_all` shows them: each
-- form sought by id (the third branch of the view cannot be).
create function hutong_observations_of(ids bigint[]) returns setof observations_all
language sql stable as $$
    select id, check_id, observed_at, precision, status, source_kind, source_key, source_id,
        vantage, quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id,
        rule_version, confirmed, failure, snapshot, superseded_by, reclassifies, run_key,
        retracted_at, retracted_by, retraction_reason, retracted_from, evidence_id,
        evidence_fetch, fetch_id, run_key_id
    from observations where id = any(ids)
    union all
    select id, check_id, observed_at, precision, status, source_kind, source_key, source_id,
        vantage, quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id,
        rule_version, confirmed, failure, snapshot, superseded_by, reclassifies, run_key,
        retracted_at, retracted_by, retraction_reason, retracted_from, evidence_id,
        evidence_fetch, fetch_id, run_key_id
    from observation_repeats_shown where id = any(ids)
    union all
    select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind,
        b.source_key, b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence,
        null::text, r.recorded_at, b.pack_id, b.rule_version, b.confirmed, b.failure,
        null::text, null::bigint, b.reclassifies, null::text, null::timestamptz, null::bigint,
        null::text, null::text, b.evidence_id, null::text, r.fetch_id, r.run_key_id
    from hutong_fetch_repeats_of(ids) r join observations b on b.id = r.repeat_of
$$;

-- Writes out the fetches of every set holding one of `bases` as rows of
-- `observation_repeats` (the same ids, instants, fetches and run keys). Nothing kept changes:
-- the repeats' upkeep is told `all` for that one statement, the setting it had restored
-- after. Returns how many repeats were written out.
create function hutong_repeat_sets_explode(bases bigint[]) returns bigint
language plpgsql as $$
declare
    before text := current_setting('hutong.repeat_upkeep', true);
    n bigint;
begin
    if not exists (select 1 from repeat_set_members m
                   join repeat_fetches f on f.set_id = m.set_id
                   where m.repeat_of = any(bases)) then
        return 0;
    end if;
    perform set_config('hutong.repeat_upkeep', 'all', true);
    with s as (select distinct m.set_id from repeat_set_members m where m.repeat_of = any(bases)),
    gone as (
        delete from repeat_fetches f using s where f.set_id = s.set_id
        returning f.first_id, f.set_id, f.observed_at, f.recorded_at, f.fetch_id, f.run_key_id
    ),
    written as (
        insert into observation_repeats (id, repeat_of, check_no, observed_at, recorded_at,
            fetch_id, evidence_fetch, snapshot, run_key_id, run_key)
        select g.first_id + m.ord, m.repeat_of, m.check_no, g.observed_at, g.recorded_at,
            g.fetch_id, null, null, g.run_key_id, null
        from gone g join repeat_set_members m on m.set_id = g.set_id
        returning 1
    )
    select count(*) into n from written;
    perform set_config('hutong.repeat_upkeep', coalesce(before, ''), true);
    return n;
end
$$;

-- As 0048's, each base's latest repeat sought among its rows and among its sets' fetches.
create or replace function hutong_current_state_seek(c text, k text) returns void
language plpgsql as $$
declare
    i bigint;
    t timestamptz;
    ri bigint;
    rt timestamptz;
begin
    select o.id, o.observed_at into i, t from observations o
    where (o.check_id, o.source_key, o.observed_at) <= (c, k, 'infinity'::timestamptz)
      and (o.check_id, o.source_key, o.observed_at) >= (c, k, '-infinity'::timestamptz)
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.check_id desc, o.source_key desc, o.observed_at desc, o.id desc
    limit 1;
    if i is not null then
        select l.id, l.t into ri, rt from (
            select * from (select r.id, r.observed_at as t from observation_repeats r
                           where r.repeat_of = i
                           order by r.observed_at desc, r.id desc limit 1) l1
            union all
            select x.id, x.t from repeat_set_members m
            cross join lateral (select f.first_id + m.ord as id, f.observed_at as t
                                from repeat_fetches f where f.set_id = m.set_id
                                order by f.observed_at desc limit 1) x
            where m.repeat_of = i) l
        order by l.t desc, l.id desc
        limit 1;
        if ri is not null and (rt, ri) > (t, i) then
            i := ri;
            t := rt;
        end if;
    end if;
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

-- As 0045's: a row that stops showing what it showed first writes its sets' fetches out as
-- repeats, then its repeats out whole (read by id from the rows' view, which can be).
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
    perform pg_advisory_xact_lock(hashtext('hutong pair'), p.h)
    from (select distinct hashtext(c || ' ' || k) as h
          from (values (old.check_id, old.source_key),
                       (case when tg_op = 'UPDATE' then new.check_id end,
                        case when tg_op = 'UPDATE' then new.source_key end)) v(c, k)
          where c is not null
          order by 1) p;
    perform 1 from check_sources s
    where (s.check_id, s.source_key) in ((old.check_id, old.source_key))
       or (tg_op = 'UPDATE' and (s.check_id, s.source_key) = (new.check_id, new.source_key))
    order by s.check_id, s.source_key
    for update;
    perform hutong_repeat_sets_explode(array[old.id]);
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
    run_key_id from observation_repeats_shown where repeat_of = old.id;
        delete from observation_repeats where repeat_of = old.id;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end
$$;

-- As 0032's: a row written between its pair's previous row and that row's repeats first
-- writes the fetches of the previous row's sets out as rows when any is later than it (a
-- late report among repeats of fetches), then writes the repeats after it out whole, as
-- before. Each new row's previous row sought once for both (a trigger of its own seeking
-- it again made seeding three times slower).
create or replace function hutong_observations_unfold_later_inserted() returns trigger
language plpgsql as $$
declare
    uids bigint[];
    uats timestamptz[];
    pids bigint[];
begin
    select array_agg(u.id), array_agg(u.observed_at), array_agg(p.id) into uids, uats, pids
    from (select * from unfold_new_rows n
          where not exists (select 1 from observation_repeats x where x.id = n.id)) u
    cross join lateral (select p.id from observations p
                        where p.check_id = u.check_id and p.source_key = u.source_key
                          and (p.observed_at, p.id) < (u.observed_at, u.id)
                        order by p.observed_at desc, p.id desc limit 1) p;
    if pids is null then
        return null;
    end if;
    if exists (select 1 from repeat_set_members) then
        perform hutong_repeat_sets_explode(array(
            select x.pid from unnest(pids, uats) x(pid, uat)
            where exists (select 1 from repeat_set_members m
                          cross join lateral (select 1 from repeat_fetches f
                                              where f.set_id = m.set_id
                                                and f.observed_at >= x.uat
                                              limit 1) f
                          where m.repeat_of = x.pid)));
    end if;
    perform hutong_observations_unfold_moved(array(
        select r.id from unnest(uids, uats, pids) x(uid, uat, pid)
        join observation_repeats r
          on r.repeat_of = x.pid and (r.observed_at, r.id) > (x.uat, x.uid)));
    return null;
end
$$;

-- A row moved: as when written, through a trigger of its own (row by row, rare).
create function hutong_observations_explode_later_updated() returns trigger
language plpgsql as $$
begin
    perform hutong_repeat_sets_explode(array(
        select p.id from observations p
        where p.check_id = new.check_id and p.source_key = new.source_key
          and (p.observed_at, p.id) < (new.observed_at, new.id)
        order by p.observed_at desc, p.id desc limit 1));
    return null;
end
$$;

create trigger observations_unfold_explode_u
    after update of check_id, source_key, observed_at on observations
    for each row execute function hutong_observations_explode_later_updated();

-- As 0041's, each year split off the repeats' last partition split off the fetches' too.
create or replace function hutong_repeat_partitions_ensure(upto timestamptz) returns integer
language plpgsql as $$
declare
    tail text;
    y integer;
    made integer := 0;
    t text;
begin
    perform pg_advisory_xact_lock(hashtext('hutong repeat partitions'));
    loop
        select c.relname into tail
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'observation_repeats'::regclass
          and c.relname ~ '^observation_repeats_from_[0-9]{4}$';
        if tail is null then
            raise exception 'observation_repeats has no last partition (observation_repeats_from_YYYY)';
        end if;
        y := substring(tail from '[0-9]{4}$')::integer;
        exit when hutong_repeat_year_start(y) > upto;
        foreach t in array array['observation_repeats', 'repeat_fetches'] loop
            execute format('alter table %I detach partition %I', t, t || '_from_' || y);
            execute format('create table %I (like %I)', t || '_' || y, t);
            execute format('create table %I (like %I)', t || '_from_' || (y + 1), t);
            execute format('insert into %I select * from %I where observed_at < %L',
                           t || '_' || y, t || '_from_' || y, hutong_repeat_year_start(y + 1));
            execute format('insert into %I select * from %I where observed_at >= %L',
                           t || '_from_' || (y + 1), t || '_from_' || y,
                           hutong_repeat_year_start(y + 1));
            execute format('drop table %I', t || '_from_' || y);
            execute format('alter table %I attach partition %I for values from (%L) to (%L)',
                           t, t || '_' || y, hutong_repeat_year_start(y),
                           hutong_repeat_year_start(y + 1));
            execute format('alter table %I attach partition %I for values from (%L) to (maxvalue)',
                           t, t || '_from_' || (y + 1), hutong_repeat_year_start(y + 1));
            execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01)',
                           t || '_' || y);
            execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01)',
                           t || '_from_' || (y + 1));
        end loop;
        made := made + 1;
    end loop;
    return made;
end
$$;

-- Detaching a year (0041) first writes the year's fetches out as repeats (into that year's
-- partition), then detaches the repeats as before, and drops the fetches' partition of the
-- year, then empty.
alter function hutong_repeat_year_detach(integer, timestamptz)
    rename to hutong_repeat_year_detach_rows;

create function hutong_repeat_year_detach(y integer, now_at timestamptz) returns bigint
language plpgsql as $$
declare
    part text := 'repeat_fetches_' || y;
    n bigint;
begin
    perform pg_advisory_xact_lock(hashtext('hutong repeat partitions'));
    if hutong_repeat_year_start(y + 1)
       > hutong_repeat_year_start(extract(year from now_at at time zone 'Asia/Shanghai')::integer) then
        raise exception 'year % has not ended before this one began: only past years are detached', y;
    end if;
    if to_regclass(part) is not null then
        -- The year's fetches written out as its repeats (kept as they were: `all`).
        perform set_config('hutong.repeat_upkeep', 'all', true);
        execute format(
            'with gone as (delete from %I returning *)
             insert into observation_repeats (id, repeat_of, check_no, observed_at, recorded_at,
                 fetch_id, evidence_fetch, snapshot, run_key_id, run_key)
             select g.first_id + m.ord, m.repeat_of, m.check_no, g.observed_at, g.recorded_at,
                 g.fetch_id, null, null, g.run_key_id, null
             from gone g join repeat_set_members m on m.set_id = g.set_id', part);
        perform set_config('hutong.repeat_upkeep', '', true);
        -- Its data version raised now, not at commit: a table with events pending is not
        -- dropped.
        set constraints repeat_fetches_version immediate;
        set constraints repeat_fetches_version deferred;
    end if;
    n := hutong_repeat_year_detach_rows(y, now_at);
    if exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
               where i.inhparent = 'repeat_fetches'::regclass and c.relname = part) then
        execute format('alter table repeat_fetches detach partition %I', part);
        execute format('drop table %I', part);
    end if;
    return n;
end
$$;
