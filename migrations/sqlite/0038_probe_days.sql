-- The check page's windowed verdicts kept by day (issue 15: what pages read kept by every
-- write instead of recomputed). The page shows, per probe source, the share of each status
-- among its confirmed verdicts of the last 30 days; it read every such verdict of the
-- window on every request (28,800 a month for ten vantage points every 15 minutes).
-- `probe_days` counts them per check, source, UTC day (days since 1970, rounded down) and
-- status, so a window is the counts of the days after its first up to its last, plus its
-- first day's verdicts after its start, less its last day's after its end (both read by
-- index; none when it ends now). A verdict counts as `crate::state::windowed` counts it:
-- a probe's (a pack), confirmed, neither retracted nor superseded. As PostgreSQL's 0038.
--
-- Kept by triggers as changes of counts: a row inserted adds its verdict; a row updated
-- takes away what it counted and adds what it counts now; a row deleted takes its own
-- away; repeats (0032: never updated, each counting as its base does, a base with repeats
-- never retracted nor superseded) add and take away theirs. Unfolding a base (its repeats
-- written out whole, then deleted) adds and takes away the same. A count may reach 0 and
-- stay; readers skip those.
--
-- A row's day is that of the first 19 characters of its instant (UTC, as every writer
-- stores it); a repeat's, of its nanoseconds (`at`).
-- Never edit once released: add a file.

create table probe_days (
    check_id text not null,
    source_key text not null,
    day integer not null,
    status text not null,
    verdicts integer not null,
    primary key (check_id, source_key, day, status)
) without rowid;

insert into probe_days (check_id, source_key, day, status, verdicts)
select check_id, source_key, day, status, count(*)
from (select check_id, source_key, status,
             case when unixepoch(substr(observed_at, 1, 19)) >= 0
                  then unixepoch(substr(observed_at, 1, 19)) / 86400
                  else (unixepoch(substr(observed_at, 1, 19)) + 1) / 86400 - 1 end as day
      from observations
      where pack_id is not null and confirmed = 1 and retracted_at is null
        and superseded_by is null
      union all
      select b.check_id, b.source_key, b.status,
             case when r.at >= 0 then r.at / 86400000000000
                  else (r.at + 1) / 86400000000000 - 1 end
      from observation_repeats r join observations b on b.id = r.repeat_of
      where b.pack_id is not null and b.confirmed = 1 and b.retracted_at is null
        and b.superseded_by is null)
group by 1, 2, 3, 4;

create trigger observations_probe_days_i after insert on observations
when new.pack_id is not null and new.confirmed = 1 and new.retracted_at is null
     and new.superseded_by is null
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    values (new.check_id, new.source_key,
            case when unixepoch(substr(new.observed_at, 1, 19)) >= 0
                 then unixepoch(substr(new.observed_at, 1, 19)) / 86400
                 else (unixepoch(substr(new.observed_at, 1, 19)) + 1) / 86400 - 1 end,
            new.status, 1)
    on conflict (check_id, source_key, day, status) do update
    set verdicts = verdicts + 1;
end;

create trigger observations_probe_days_u
after update of check_id, source_key, observed_at, status, pack_id, confirmed, retracted_at,
    superseded_by on observations
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select old.check_id, old.source_key,
           case when unixepoch(substr(old.observed_at, 1, 19)) >= 0
                then unixepoch(substr(old.observed_at, 1, 19)) / 86400
                else (unixepoch(substr(old.observed_at, 1, 19)) + 1) / 86400 - 1 end,
           old.status, -1
    where old.pack_id is not null and old.confirmed = 1 and old.retracted_at is null
      and old.superseded_by is null
    on conflict (check_id, source_key, day, status) do update
    set verdicts = verdicts - 1;
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select new.check_id, new.source_key,
           case when unixepoch(substr(new.observed_at, 1, 19)) >= 0
                then unixepoch(substr(new.observed_at, 1, 19)) / 86400
                else (unixepoch(substr(new.observed_at, 1, 19)) + 1) / 86400 - 1 end,
           new.status, 1
    where new.pack_id is not null and new.confirmed = 1 and new.retracted_at is null
      and new.superseded_by is null
    on conflict (check_id, source_key, day, status) do update
    set verdicts = verdicts + 1;
end;

create trigger observations_probe_days_d after delete on observations
when old.pack_id is not null and old.confirmed = 1 and old.retracted_at is null
     and old.superseded_by is null
begin
    update probe_days set verdicts = verdicts - 1
    where check_id = old.check_id and source_key = old.source_key
      and day = case when unixepoch(substr(old.observed_at, 1, 19)) >= 0
                     then unixepoch(substr(old.observed_at, 1, 19)) / 86400
                     else (unixepoch(substr(old.observed_at, 1, 19)) + 1) / 86400 - 1 end
      and status = old.status;
end;

create trigger observation_repeats_probe_days_i after insert on observation_repeats
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select b.check_id, b.source_key,
           case when new.at >= 0 then new.at / 86400000000000
                else (new.at + 1) / 86400000000000 - 1 end,
           b.status, 1
    from observations b
    where b.id = new.repeat_of and b.pack_id is not null and b.confirmed = 1
      and b.retracted_at is null and b.superseded_by is null
    on conflict (check_id, source_key, day, status) do update
    set verdicts = verdicts + 1;
end;

create trigger observation_repeats_probe_days_d after delete on observation_repeats
begin
    update probe_days set verdicts = verdicts - 1
    where (check_id, source_key, day, status) in (
        select b.check_id, b.source_key,
               case when old.at >= 0 then old.at / 86400000000000
                    else (old.at + 1) / 86400000000000 - 1 end,
               b.status
        from observations b
        where b.id = old.repeat_of and b.pack_id is not null and b.confirmed = 1
          and b.retracted_at is null and b.superseded_by is null);
end;
