-- The changes partitioned too, so that a past year of them detaches for archive (issue 15:
-- "observations partitioned by time (native declarative partitioning), old partitions
-- detachable for archive"). Since 0041 the repeats (a verdict equal to its pair's newest
-- row: almost every row a live deployment writes) are partitioned by year observed and a
-- past year of them detaches; `observations`, the changes they repeat, stayed one table.
-- It becomes a table partitioned by list of `archive_year`: the year a change was filed
-- under for archive, 0 while pages read it. `observations_live` holds every change with 0;
-- `hutong_year_detach` files the leaving changes of a past year into `observations_YYYY`
-- and detaches it with the year's repeats.
--
-- Not by the instant observed or recorded (measured, README: PostgreSQL partitioning): a
-- range partition per year is planned in every statement reading changes (about 0.4 ms
-- a partition a statement, six references in the check page's windowed verdicts), and in a
-- year's partition the planner seeks a pair through the check's time index, filtering
-- every row of the check that year (the writer's pairs lookup took 950 ms instead of 5 on
-- a database with five past years). With every change pages read in one partition, no
-- statement plans more than one, and no row moves in normal writing (`observed_at` is
-- corrected by catalog edits and by hand; a row whose partition key changes moves as a
-- DELETE and an INSERT, past the triggers that keep what pages read).
--
-- A year of changes cannot simply leave whole: a pair unchanged since 2021 stands on its
-- 2021 change (the base of every repeat since, often its current state). What leaves are
-- the changes observed in the year that no later answer stands on; what stays (each
-- pair's rows from its last row observed before the year's end that its state could be
-- on, and every row something staying names) stays live. Every answer about a date after
-- the year stays as it was.
--
-- What a partitioned table cannot keep is kept otherwise: its unique key must hold its
-- partition key, so the ids, run keys and catalog keys are plain indexes. Ids come from the
-- sequence; a check stored twice in one run is refused by the writer under its lock on the
-- run key (as for the repeats, 0041); a whole run key or a catalog key stored twice is
-- refused by a trigger, under a lock on the key. Nothing can reference `observations` by
-- a foreign key: the five that did (transitions, hand tests, sets of repeats, a row's
-- reclassification and the row superseding it) are written by the code that reads what
-- they name.
-- Never edit once released: add a file.

-- The views over `observations`, to be bound to the new table (their text names it); and
-- its triggers, indexes and references to other tables, to be made again on it.
create temporary table hutong_0053_views on commit drop as
select 1 as ord, 'observation_repeats_shown' as name,
       pg_get_viewdef('observation_repeats_shown'::regclass) as def
union all
select 2, 'observation_fetch_repeats_shown',
       pg_get_viewdef('observation_fetch_repeats_shown'::regclass)
union all
select 3, 'observations_all', pg_get_viewdef('observations_all'::regclass);
create temporary table hutong_0053_triggers on commit drop as
select tgname as name, pg_get_triggerdef(oid) as def
from pg_trigger where tgrelid = 'observations'::regclass and not tgisinternal;
create temporary table hutong_0053_references on commit drop as
select conname as name, pg_get_constraintdef(oid) as def
from pg_constraint
where conrelid = 'observations'::regclass and contype = 'f'
  and confrelid <> 'observations'::regclass;

alter table observations rename to observations_0053;
alter sequence observations_id_seq owned by none;

create table observations (like observations_0053 including defaults including constraints,
                           archive_year integer not null default 0)
    partition by list (archive_year);
create table observations_live partition of observations for values in (0);
alter table observations_live set (autovacuum_analyze_scale_factor = 0.01);

insert into observations select *, 0 from observations_0053;

-- Nothing references a partitioned table without its partition key.
alter table transitions drop constraint transitions_observation_id_fkey;
alter table submissions drop constraint submissions_observation_id_fkey;
alter table repeat_set_members drop constraint repeat_set_members_repeat_of_fkey;

do $$
declare
    v record;
begin
    for v in select name, def from hutong_0053_views order by ord loop
        execute format('create or replace view %I as %s', v.name, v.def);
    end loop;
end $$;

drop table observations_0053;
alter sequence observations_id_seq owned by observations.id;

-- As before, the unique ones as plain indexes (`observations_pkey` now `observations_by_id`).
create index observations_by_id on observations (id);
create index observations_by_source on observations (check_id, source_key, observed_at, id);
create index observations_by_time on observations (observed_at);
create index observations_real on observations (check_id) where source_kind <> 'simulated';
create index observations_by_check_time on observations (check_id, observed_at, id);
create index observations_retracted on observations (retracted_at, id)
    where retracted_at is not null;
create index observations_by_run_key_id on observations (run_key_id, check_id)
    where run_key_id is not null;
create index observations_by_pack on observations (pack_id, id) where pack_id is not null;
create index observations_by_run_key on observations (run_key) where run_key is not null;
create index observations_by_catalog_key on observations (catalog_key)
    where catalog_key is not null;

do $$
declare
    v record;
begin
    for v in select name, def from hutong_0053_references order by name loop
        execute format('alter table observations add constraint %I %s', v.name, v.def);
    end loop;
    for v in select name, def from hutong_0053_triggers order by name loop
        execute v.def;
    end loop;
end $$;

-- Detaches the changes observed in year `y` that no later answer stands on (after the
-- year's repeats: `hutong_year_detach`). What stays live: for each pair, its rows of the
-- year from its last row observed before the year's end that its state could be on (not a
-- failure, not superseded, not retracted), on which every later date's answer stands; every
-- row a repeat or a set of repeats of a fetch that stays names, a current state, a hand
-- test; and every row a reclassification or a superseding row that stays names, until none
-- is added. The rest are filed under the year (`archive_year`, moved into the new partition
-- `observations_Y` with the triggers off: they are the same rows) and detached: `pg_dump -t
-- observations_Y`, then drop it. The check counts lose them, the transitions they begin are
-- deleted (they name them; the archive holds the rows they were read from), and every
-- page's kept results are renewed. Returns how many changes left (none: no table is made).
create function hutong_change_year_detach(y integer) returns bigint
language plpgsql as $$
declare
    part text := 'observations_' || y;
    y_from timestamptz := hutong_repeat_year_start(y);
    y_to timestamptz := hutong_repeat_year_start(y + 1);
    n bigint;
    added bigint;
    checks text[];
begin
    if to_regclass(part) is not null then
        raise exception 'the changes of year % were detached already: the table % is still there (archive it with pg_dump and drop it first)', y, part;
    end if;
    lock table observations in access exclusive mode;
    create temporary table hutong_year_changes on commit drop as
    select id, check_id, source_key, observed_at, source_kind, retracted_at
    from observations where observed_at >= y_from and observed_at < y_to;
    create temporary table hutong_kept_changes (id bigint primary key) on commit drop;
    insert into hutong_kept_changes
    select o.id from hutong_year_changes o
    join (select p.check_id, p.source_key, l.observed_at, l.id
          from (select distinct check_id, source_key from hutong_year_changes) p
          cross join lateral (
              select x.observed_at, x.id from observations x
              where (x.check_id, x.source_key, x.observed_at)
                        >= (p.check_id, p.source_key, '-infinity'::timestamptz)
                and (x.check_id, x.source_key, x.observed_at) < (p.check_id, p.source_key, y_to)
                and x.failure is null and x.superseded_by is null and x.retracted_at is null
              order by x.check_id desc, x.source_key desc, x.observed_at desc, x.id desc
              limit 1) l) l
      on l.check_id = o.check_id and l.source_key = o.source_key
     and (o.observed_at, o.id) >= (l.observed_at, l.id)
    union
    select o.id from hutong_year_changes o
    where exists (select 1 from observation_repeats r where r.repeat_of = o.id)
       or exists (select 1 from repeat_set_members m
                  where m.repeat_of = o.id
                    and exists (select 1 from repeat_fetches f where f.set_id = m.set_id))
       or exists (select 1 from current_states s where s.observation_id = o.id)
       or exists (select 1 from submissions s where s.observation_id = o.id)
    union
    select x.named from (
        select superseded_by as named from observations
        where superseded_by is not null and not (observed_at >= y_from and observed_at < y_to)
        union
        select reclassifies from observations
        where reclassifies is not null and not (observed_at >= y_from and observed_at < y_to)) x
    join hutong_year_changes o on o.id = x.named;
    loop
        insert into hutong_kept_changes
        select distinct x.named from (
            select b.superseded_by as named from observations b
            join hutong_kept_changes k on k.id = b.id
            union
            select b.reclassifies from observations b join hutong_kept_changes k on k.id = b.id) x
        join hutong_year_changes o on o.id = x.named
        on conflict (id) do nothing;
        get diagnostics added = row_count;
        exit when added = 0;
    end loop;
    delete from hutong_year_changes o using hutong_kept_changes k where k.id = o.id;
    -- The transitions the leaving rows begin, and the counts of their checks.
    delete from transitions t using hutong_year_changes o where t.observation_id = o.id;
    with d as (
        select o.check_id, count(*) as n,
               count(*) filter (where o.source_kind <> 'simulated' and o.retracted_at is null) as r
        from hutong_year_changes o group by o.check_id),
    kept as (
        update check_counts c
        set observations = c.observations - d.n, real_observations = c.real_observations - d.r
        from d where c.check_id = d.check_id)
    select coalesce(sum(d.n), 0)::bigint, coalesce(array_agg(d.check_id), array[]::text[])
    into n, checks from d;
    if n = 0 then
        return 0;
    end if;
    execute format('create table %I partition of observations for values in (%s)', part, y);
    alter table observations disable trigger user;
    update observations o set archive_year = y
    from hutong_year_changes l where o.id = l.id and o.archive_year = 0;
    alter table observations enable trigger user;
    execute format('alter table observations detach partition %I', part);
    perform hutong_check_versions_raise(checks);
    perform hutong_raise_past_version();
    perform hutong_raise_data_version_slot();
    return n;
end
$$;

-- A past year detached for archive: its repeats (0041, 0052; `repeats` null when the year
-- has no partition of them) and its changes. Refused for a year not ended before
-- `now_at`'s began, or one with nothing left to detach.
create function hutong_year_detach(y integer, now_at timestamptz)
returns table (repeats bigint, changes bigint)
language plpgsql as $$
declare
    r bigint;
    c bigint;
begin
    perform pg_advisory_xact_lock(hashtext('hutong repeat partitions'));
    if hutong_repeat_year_start(y + 1)
       > hutong_repeat_year_start(extract(year from now_at at time zone 'Asia/Shanghai')::integer) then
        raise exception 'year % has not ended before this one began: only past years are detached', y;
    end if;
    if exists (select 1 from pg_inherits i join pg_class p on p.oid = i.inhrelid
               where i.inhparent = 'observation_repeats'::regclass
                 and p.relname = 'observation_repeats_' || y) then
        r := hutong_repeat_year_detach(y, now_at);
        c := hutong_change_year_detach(y);
    else
        c := hutong_change_year_detach(y);
        if c = 0 then
            raise exception 'nothing of year % is attached: no partition of its repeats, no change of it that no later answer stands on (hutong partitions list shows the partitions)', y;
        end if;
    end if;
    repeats := r;
    changes := c;
    return next;
end
$$;

-- A change's archive year is set by `hutong_change_year_detach` alone (with the triggers
-- off); a whole run key or a catalog key names one row (the unique indexes a partitioned
-- table cannot have), checked under a lock on the key so two writers cannot both pass.
create function hutong_observation_keys() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and new.archive_year is distinct from old.archive_year then
        raise exception 'observation %: its archive year is set by partitions detach alone', old.id
            using errcode = '55000';
    end if;
    if new.run_key is not null
       and (tg_op = 'INSERT' or new.run_key is distinct from old.run_key) then
        perform pg_advisory_xact_lock(hashtext('hutong whole run key'), hashtext(new.run_key));
        if exists (select 1 from observations o where o.run_key = new.run_key and o.id <> new.id) then
            raise exception 'run key % is stored already (a run key names one observation)', new.run_key
                using errcode = '23505';
        end if;
    end if;
    if new.catalog_key is not null
       and (tg_op = 'INSERT' or new.catalog_key is distinct from old.catalog_key) then
        perform pg_advisory_xact_lock(hashtext('hutong catalog key'), hashtext(new.catalog_key));
        if exists (select 1 from observations o
                   where o.catalog_key = new.catalog_key and o.id <> new.id) then
            raise exception 'catalog key % is stored already (a catalog key names one observation)',
                new.catalog_key using errcode = '23505';
        end if;
    end if;
    return new;
end
$$;

create trigger observations_keys_i before insert on observations
    for each row when (new.run_key is not null or new.catalog_key is not null)
    execute function hutong_observation_keys();
create trigger observations_keys_u before update of archive_year, run_key, catalog_key
    on observations for each row execute function hutong_observation_keys();
