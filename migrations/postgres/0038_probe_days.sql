-- The check page's windowed verdicts kept by day (issue 15: what pages read kept by every
-- write instead of recomputed). The page shows, per probe source, the share of each status
-- among its confirmed verdicts of the last 30 days; it read every such verdict of the
-- window on every request (28,800 a month for ten vantage points every 15 minutes).
-- `probe_days` counts them per check, source, UTC day (days since 1970) and status, so a
-- window is the counts of the days after its first up to its last, plus its first day's
-- verdicts after its start, less its last day's after its end (both read by index; none
-- when it ends now). A verdict counts as `crate::state::windowed` counts it: a probe's
-- (a pack), confirmed, neither retracted nor superseded. As SQLite's 0038.
--
-- Kept by statement triggers as changes of counts, never recomputed, so writers side by
-- side add up: rows inserted add theirs; rows updated take away what they counted and add
-- what they count now; rows deleted take theirs away; repeats (0032: never updated, each
-- counting as its base does, a base with repeats never retracted nor superseded) add and
-- take away theirs. Unfolding a base (its repeats written out whole, then deleted) adds
-- and takes away the same. A count may reach 0 and stay; readers skip those.
-- Never edit once released: add a file.

create table probe_days (
    check_id text not null,
    source_key text not null,
    day integer not null,
    status text not null,
    verdicts bigint not null,
    primary key (check_id, source_key, day, status)
);

create function hutong_probe_day(t timestamptz) returns integer
language sql immutable as $$
    select floor(extract(epoch from t) / 86400)::integer
$$;

insert into probe_days (check_id, source_key, day, status, verdicts)
select check_id, source_key, hutong_probe_day(observed_at), status, count(*)
from observations_all
where pack_id is not null and confirmed is true and retracted_at is null
  and superseded_by is null
group by 1, 2, 3, 4;

-- Each trigger adds its statement's change of each count, keys in one order (writers of
-- one key wait for each other; keys they do not share they never lock).
create function hutong_probe_days_inserted() returns trigger
language plpgsql as $$
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select check_id, source_key, hutong_probe_day(observed_at), status, count(*)
    from probe_days_new
    where pack_id is not null and confirmed is true and retracted_at is null
      and superseded_by is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (check_id, source_key, day, status) do update
    set verdicts = probe_days.verdicts + excluded.verdicts;
    return null;
end $$;

create trigger observations_probe_days_i after insert on observations
referencing new table as probe_days_new
for each statement execute function hutong_probe_days_inserted();

create function hutong_probe_days_updated() returns trigger
language plpgsql as $$
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select check_id, source_key, day, status, sum(n)
    from (select check_id, source_key, hutong_probe_day(observed_at) as day, status, 1 as n
          from probe_days_new
          where pack_id is not null and confirmed is true and retracted_at is null
            and superseded_by is null
          union all
          select check_id, source_key, hutong_probe_day(observed_at), status, -1
          from probe_days_old
          where pack_id is not null and confirmed is true and retracted_at is null
            and superseded_by is null) d
    group by 1, 2, 3, 4
    having sum(n) <> 0
    order by 1, 2, 3, 4
    on conflict (check_id, source_key, day, status) do update
    set verdicts = probe_days.verdicts + excluded.verdicts;
    return null;
end $$;

create trigger observations_probe_days_u after update on observations
referencing old table as probe_days_old new table as probe_days_new
for each statement execute function hutong_probe_days_updated();

create function hutong_probe_days_deleted() returns trigger
language plpgsql as $$
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select check_id, source_key, hutong_probe_day(observed_at), status, -count(*)
    from probe_days_old
    where pack_id is not null and confirmed is true and retracted_at is null
      and superseded_by is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (check_id, source_key, day, status) do update
    set verdicts = probe_days.verdicts + excluded.verdicts;
    return null;
end $$;

create trigger observations_probe_days_d after delete on observations
referencing old table as probe_days_old
for each statement execute function hutong_probe_days_deleted();

create function hutong_probe_days_repeats_inserted() returns trigger
language plpgsql as $$
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select b.check_id, b.source_key, hutong_probe_day(r.observed_at), b.status, count(*)
    from probe_days_new r join observations b on b.id = r.repeat_of
    where b.pack_id is not null and b.confirmed is true and b.retracted_at is null
      and b.superseded_by is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (check_id, source_key, day, status) do update
    set verdicts = probe_days.verdicts + excluded.verdicts;
    return null;
end $$;

create trigger observation_repeats_probe_days_i after insert on observation_repeats
referencing new table as probe_days_new
for each statement execute function hutong_probe_days_repeats_inserted();

create function hutong_probe_days_repeats_deleted() returns trigger
language plpgsql as $$
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select b.check_id, b.source_key, hutong_probe_day(r.observed_at), b.status, -count(*)
    from probe_days_old r join observations b on b.id = r.repeat_of
    where b.pack_id is not null and b.confirmed is true and b.retracted_at is null
      and b.superseded_by is null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (check_id, source_key, day, status) do update
    set verdicts = probe_days.verdicts + excluded.verdicts;
    return null;
end $$;

create trigger observation_repeats_probe_days_d after delete on observation_repeats
referencing old table as probe_days_old
for each statement execute function hutong_probe_days_repeats_deleted();
