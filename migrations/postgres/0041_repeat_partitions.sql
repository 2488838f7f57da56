-- Repeats partitioned by time (issue 15: "observations partitioned by time, old partitions
-- detachable for archive"). A live deployment's observations are almost all repeats (a probe
-- verdict equal to its pair's newest row, 0032): they are what grows with runs, and what
-- leaves for cold storage. `observation_repeats` becomes a table partitioned by range of
-- `observed_at`, a partition per year (years begin at midnight in Asia/Shanghai, the time
-- users read), from the oldest repeat's year, with a first partition for everything before
-- it and a last one from the year after next to MAXVALUE. No DEFAULT partition: with bounds on both ends, the
-- "latest at or before an instant" seek is an ordered Append that stops at the first year
-- holding a row, later years pruned (README, Performance: PostgreSQL partitioning).
-- `hutong_repeat_partitions_ensure(upto)` splits years off the last partition until one
-- begins after `upto` (`serve` and `worker` keep a year ahead); `hutong_repeat_year_detach`
-- detaches a past year for archive and takes its repeats out of what pages count.
--
-- The rows that repeats stand for (`observations`, the changes) stay one table: everything
-- names them (repeats, transitions, current states, corrections, hand tests), a partitioned
-- table cannot be the target of those references, and they grow with changes, not runs.
--
-- Two unique keys become plain indexes: a partitioned table's unique key must hold its
-- partition key, and a key with `observed_at` in it would guard nothing more (the same id or
-- run key at another instant would pass) for 8 bytes more in every entry. Ids still come
-- from the observations' sequence, one each; a check stored twice in one run is refused by
-- the writer, under its advisory lock on the run key, before it inserts (as before 0041).
-- Never edit once released: add a file.

create function hutong_repeat_year_start(y integer) returns timestamptz
language sql immutable as $$
    select make_timestamptz(y, 1, 1, 0, 0, 0, 'Asia/Shanghai')
$$;

-- The views over repeats and its triggers (0032, 0038), as they are now, to be made again
-- over the new table: row triggers reach every partition, statement triggers see the rows
-- of every partition a statement wrote.
create temporary table hutong_0041_views on commit drop as
select 1 as ord, 'observation_repeats_shown' as name,
       pg_get_viewdef('observation_repeats_shown'::regclass) as def
union all
select 2, 'observations_all', pg_get_viewdef('observations_all'::regclass);
create temporary table hutong_0041_triggers on commit drop as
select tgname as name, pg_get_triggerdef(oid) as def
from pg_trigger where tgrelid = 'observation_repeats'::regclass and not tgisinternal;
drop view observations_all;
drop view observation_repeats_shown;

alter table observation_repeats rename to observation_repeats_0041;

create table observation_repeats (
    id bigint not null,
    repeat_of bigint not null,
    check_no bigint not null,
    observed_at timestamptz not null,
    recorded_at timestamptz not null,
    fetch_id bigint,
    evidence_fetch text,
    snapshot text,
    run_key_id bigint,
    run_key text
) partition by range (observed_at);

-- The partitions: one before the first year (the oldest repeat's, or this year's when there
-- is none older: every partition is planned in each statement reading repeats, so a new
-- deployment starts with four), each year from it to next year, and one from the year
-- after on (holding any repeat dated further ahead, which
-- `hutong_repeat_partitions_ensure` moves into its year when that year is made).
do $$
declare
    this_year integer := extract(year from now() at time zone 'Asia/Shanghai')::integer;
    first_year integer := least(this_year, coalesce(
        (select extract(year from min(observed_at) at time zone 'Asia/Shanghai')::integer
         from observation_repeats_0041), this_year));
    last_year integer := this_year + 1;
    y integer;
begin
    execute format('create table %I partition of observation_repeats
                    for values from (minvalue) to (%L)', 'observation_repeats_before_' || first_year,
                   hutong_repeat_year_start(first_year));
    for y in first_year..last_year loop
        execute format('create table %I partition of observation_repeats
                        for values from (%L) to (%L)', 'observation_repeats_' || y,
                       hutong_repeat_year_start(y), hutong_repeat_year_start(y + 1));
    end loop;
    execute format('create table %I partition of observation_repeats
                    for values from (%L) to (maxvalue)', 'observation_repeats_from_' || (last_year + 1),
                   hutong_repeat_year_start(last_year + 1));
end $$;

insert into observation_repeats
select id, repeat_of, check_no, observed_at, recorded_at, fetch_id, evidence_fetch, snapshot,
       run_key_id, run_key
from observation_repeats_0041;
drop table observation_repeats_0041;

-- As 0032's references, under their names (the old table held them until now).
alter table observation_repeats add constraint observation_repeats_repeat_of_fkey
    foreign key (repeat_of) references observations (id);
alter table observation_repeats add constraint observation_repeats_fetch_id_fkey
    foreign key (fetch_id) references fetches (id);
alter table observation_repeats add constraint observation_repeats_run_key_id_fkey
    foreign key (run_key_id) references run_keys (id);

-- As 0032's, on every partition (the first two were its unique keys).
create index observation_repeats_by_id on observation_repeats (id);
create index observation_repeats_by_run_key on observation_repeats (run_key_id, check_no)
    where run_key_id is not null;
create index observation_repeats_by_base on observation_repeats (repeat_of, observed_at, id);
create index observation_repeats_by_check on observation_repeats (check_no, observed_at, id);
create index observation_repeats_by_time on observation_repeats (observed_at);

do $$
declare
    v record;
    p record;
begin
    for v in select name, def from hutong_0041_views order by ord loop
        execute format('create view %I as %s', v.name, v.def);
    end loop;
    for v in select name, def from hutong_0041_triggers order by name loop
        execute v.def;
    end loop;
    -- 0037's setting is a partition's (a partitioned table has no storage of its own).
    for p in select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'observation_repeats'::regclass loop
        execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01)', p.relname);
    end loop;
end $$;

-- Years split off the last partition until one begins after `upto`; returns how many were
-- made. The last partition is detached and its rows (repeats dated in the future, which a
-- sane clock never writes) copied into the new tables before they are attached, so no
-- trigger counts them twice.
create function hutong_repeat_partitions_ensure(upto timestamptz) returns integer
language plpgsql as $$
declare
    tail text;
    y integer;
    made integer := 0;
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
        execute format('alter table observation_repeats detach partition %I', tail);
        execute format('create table %I (like observation_repeats)', 'observation_repeats_' || y);
        execute format('create table %I (like observation_repeats)',
                       'observation_repeats_from_' || (y + 1));
        execute format('insert into %I select * from %I where observed_at < %L',
                       'observation_repeats_' || y, tail, hutong_repeat_year_start(y + 1));
        execute format('insert into %I select * from %I where observed_at >= %L',
                       'observation_repeats_from_' || (y + 1), tail, hutong_repeat_year_start(y + 1));
        execute format('drop table %I', tail);
        execute format('alter table observation_repeats attach partition %I for values from (%L) to (%L)',
                       'observation_repeats_' || y, hutong_repeat_year_start(y),
                       hutong_repeat_year_start(y + 1));
        execute format('alter table observation_repeats attach partition %I for values from (%L) to (maxvalue)',
                       'observation_repeats_from_' || (y + 1), hutong_repeat_year_start(y + 1));
        execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01)',
                       'observation_repeats_' || y);
        execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01)',
                       'observation_repeats_from_' || (y + 1));
        made := made + 1;
    end loop;
    return made;
end
$$;

-- Detaches the year `y` for archive: it must have ended before `now_at` began its year.
-- The detached table keeps its rows (pg_dump it, then drop it). What pages keep of those
-- repeats stays (probe days, evidence spans, transitions, which name the rows they repeat);
-- the check counts lose them, a pair whose current state was one of them seeks it again,
-- and every page's kept results are renewed. Returns the number of repeats detached.
create function hutong_repeat_year_detach(y integer, now_at timestamptz) returns bigint
language plpgsql as $$
declare
    part text := 'observation_repeats_' || y;
    n bigint;
    checks text[];
    pair record;
begin
    perform pg_advisory_xact_lock(hashtext('hutong repeat partitions'));
    if hutong_repeat_year_start(y + 1)
       > hutong_repeat_year_start(extract(year from now_at at time zone 'Asia/Shanghai')::integer) then
        raise exception 'year % has not ended before this one began: only past years are detached', y;
    end if;
    if not exists (select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
                   where i.inhparent = 'observation_repeats'::regclass and c.relname = part) then
        raise exception 'no partition % is attached (hutong partitions list shows them)', part;
    end if;
    lock table observation_repeats in access exclusive mode;
    -- The year's repeats per check, read once: taken off the counts, and which checks.
    execute format(
        'with d as (
             select b.check_id, count(*) as n,
                    count(*) filter (where b.source_kind <> %L) as r
             from %I x join observations b on b.id = x.repeat_of
             group by b.check_id),
         kept as (
             update check_counts c
             set observations = c.observations - d.n,
                 real_observations = c.real_observations - d.r
             from d where c.check_id = d.check_id)
         select coalesce(sum(n), 0)::bigint,
                coalesce(array_agg(check_id), array[]::text[]) from d', 'simulated', part)
        into n, checks;
    execute format('alter table observation_repeats detach partition %I', part);
    for pair in execute format(
        'select s.check_id, s.source_key from current_states s join %I x on x.id = s.observation_id',
        part) loop
        perform hutong_current_state_seek(pair.check_id, pair.source_key);
    end loop;
    perform hutong_check_versions_raise(checks);
    perform hutong_raise_past_version();
    perform hutong_raise_data_version_slot();
    return n;
end
$$;
