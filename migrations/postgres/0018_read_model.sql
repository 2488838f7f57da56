-- What pages read, kept up to date by every write (issue 15). The charts' stale bands ask
-- when each check's evidence was seen: its first and last evidence, and the long gaps
-- between consecutive evidence. Computed from observations, that is a scan of every row
-- after every write; kept here, it is a read of a few rows.
--
-- Evidence is what a check's state rests on: a real observation (not simulated) with a
-- status, neither failed, superseded nor retracted. A trigger keeps both tables exact for
-- every writer (probes, hand tests, corrections, catalog loads, hand-made SQL):
-- - an observation becoming evidence (inserted, or un-retracted) extends the check's span
--   or splits the gap it falls in;
-- - one ceasing to be evidence (retracted, superseded, deleted, moved) joins the gaps on
--   either side of it, unless another piece of evidence shares its instant.
-- Writers of one check take its `check_evidence` row's lock in turn, so two fleet workers
-- storing the same check never compute a gap from each other's half-written state.
-- Gaps of one day or less are not kept: readers asking for shorter ones scan observations.
-- Never edit once released: add a file.

create table check_evidence (
    check_id text primary key,
    first_at timestamptz not null,
    last_at timestamptz not null
);

-- Consecutive evidence of one check more than a day apart.
create table evidence_gaps (
    check_id text not null,
    before_at timestamptz not null,
    after_at timestamptz not null,
    primary key (check_id, before_at, after_at)
);

insert into check_evidence (check_id, first_at, last_at)
select check_id, min(observed_at), max(observed_at)
from observations o
where o.source_kind <> 'simulated' and o.failure is null and o.superseded_by is null
  and o.retracted_at is null and o.status <> 'unknown'
group by check_id;

insert into evidence_gaps (check_id, before_at, after_at)
select distinct g.check_id, g.prev, g.observed_at from (
    select o.check_id, o.observed_at,
           lag(o.observed_at) over (partition by o.check_id order by o.observed_at, o.id) as prev
    from observations o
    where o.source_kind <> 'simulated' and o.failure is null and o.superseded_by is null
      and o.retracted_at is null and o.status <> 'unknown') g
where g.prev is not null and g.observed_at - g.prev > interval '1 day';

-- Whether an observation's row is evidence.
create function hutong_is_evidence(source_kind text, failure text, superseded_by bigint,
                                   retracted_at timestamptz, status text)
returns boolean language sql immutable as $$
    select source_kind <> 'simulated' and failure is null and superseded_by is null
       and retracted_at is null and status <> 'unknown'
$$;

-- Evidence of check `c` seen at `t`.
create function hutong_evidence_add(c text, t timestamptz) returns void
language plpgsql as $$
declare
    f timestamptz;
    l timestamptz;
    b timestamptz;
    a timestamptz;
begin
    insert into check_evidence (check_id, first_at, last_at) values (c, t, t)
    on conflict (check_id) do nothing;
    if found then
        return;
    end if;
    select first_at, last_at into f, l from check_evidence where check_id = c for update;
    if t > l then
        if t - l > interval '1 day' then
            insert into evidence_gaps values (c, l, t) on conflict do nothing;
        end if;
        update check_evidence set last_at = t where check_id = c;
    elsif t < f then
        if f - t > interval '1 day' then
            insert into evidence_gaps values (c, t, f) on conflict do nothing;
        end if;
        update check_evidence set first_at = t where check_id = c;
    else
        select before_at, after_at into b, a from evidence_gaps
        where check_id = c and before_at < t and after_at > t;
        if found then
            delete from evidence_gaps where check_id = c and before_at = b and after_at = a;
            if t - b > interval '1 day' then
                insert into evidence_gaps values (c, b, t) on conflict do nothing;
            end if;
            if a - t > interval '1 day' then
                insert into evidence_gaps values (c, t, a) on conflict do nothing;
            end if;
        end if;
    end if;
end
$$;

-- Evidence of check `c` at `t` gone (the row no longer counts, or is elsewhere).
create function hutong_evidence_remove(c text, t timestamptz) returns void
language plpgsql as $$
declare
    p timestamptz;
    n timestamptz;
begin
    perform 1 from check_evidence where check_id = c for update;
    if exists (select 1 from observations o where o.check_id = c and o.observed_at = t
               and hutong_is_evidence(o.source_kind, o.failure, o.superseded_by,
                                      o.retracted_at, o.status)) then
        return;
    end if;
    select o.observed_at into p from observations o
    where o.check_id = c and o.observed_at < t
      and hutong_is_evidence(o.source_kind, o.failure, o.superseded_by, o.retracted_at, o.status)
    order by o.observed_at desc limit 1;
    select o.observed_at into n from observations o
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

create function hutong_observation_evidence() returns trigger language plpgsql as $$
declare
    was boolean := false;
    is_now boolean := false;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        was := hutong_is_evidence(old.source_kind, old.failure, old.superseded_by,
                                  old.retracted_at, old.status);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        is_now := hutong_is_evidence(new.source_kind, new.failure, new.superseded_by,
                                     new.retracted_at, new.status);
    end if;
    if tg_op = 'UPDATE' and was = is_now and old.check_id = new.check_id
       and old.observed_at = new.observed_at then
        return null;
    end if;
    -- The new place first, then the old one removed (its neighbours read from the rows as
    -- they now are).
    if is_now then
        perform hutong_evidence_add(new.check_id, new.observed_at);
    end if;
    if was then
        perform hutong_evidence_remove(old.check_id, old.observed_at);
    end if;
    return null;
end
$$;

create trigger observations_evidence after insert or update or delete on observations
    for each row execute function hutong_observation_evidence();

-- Observations counted per check: all of them (a check's history pages), and the real ones
-- (not simulated, not retracted; whether the check involves a simulated platform is the
-- reader's join). Kept by the same writes, so no page counts millions of rows.
create table check_counts (
    check_id text primary key,
    observations bigint not null,
    real_observations bigint not null
);

insert into check_counts (check_id, observations, real_observations)
select check_id, count(*),
       count(*) filter (where source_kind <> 'simulated' and retracted_at is null)
from observations group by check_id;

create function hutong_observation_counts() returns trigger language plpgsql as $$
declare
    was_real integer := 0;
    is_real integer := 0;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        was_real := (old.source_kind <> 'simulated' and old.retracted_at is null)::integer;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        is_real := (new.source_kind <> 'simulated' and new.retracted_at is null)::integer;
    end if;
    if tg_op = 'UPDATE' and old.check_id = new.check_id and was_real = is_real then
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        update check_counts
        set observations = observations - 1, real_observations = real_observations - was_real
        where check_id = old.check_id;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into check_counts (check_id, observations, real_observations)
        values (new.check_id, 1, is_real)
        on conflict (check_id) do update
        set observations = check_counts.observations + 1,
            real_observations = check_counts.real_observations + excluded.real_observations;
    end if;
    return null;
end
$$;

create trigger observations_counts after insert or update or delete on observations
    for each row execute function hutong_observation_counts();

-- The catalog's own version: raised by every write to the catalog tables (as the data
-- version is, 0004), and by nothing else. The reference data pages keep is read again when
-- the catalog changes, no longer after every probe write.
create table catalog_version (
    id integer primary key check (id = 1),
    value bigint not null
);
insert into catalog_version (id, value) values (1, 0);

create function hutong_bump_catalog_version() returns trigger language plpgsql as $$
begin
    update catalog_version set value = value + 1 where id = 1;
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['groups', 'platforms', 'payment_methods', 'check_kinds',
        'statuses', 'checks', 'sources', 'milestones', 'requirements']
    loop
        execute format('create trigger %I after insert or update or delete or truncate on %I
            for each statement execute function hutong_bump_catalog_version()',
            t || '_catalog_version', t);
    end loop;
end
$$;
