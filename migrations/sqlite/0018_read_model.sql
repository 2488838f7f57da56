-- What pages read, kept up to date by every write (issue 15). The charts' stale bands ask
-- when each check's evidence was seen: its first and last evidence, and the long gaps
-- between consecutive evidence. Computed from observations, that is a scan of every row
-- after every write (seconds at a million rows); kept here, it is a read of a few rows.
--
-- Evidence is what a check's state rests on: a real observation (not simulated) with a
-- status, neither failed, superseded nor retracted. Triggers keep both tables exact for
-- every writer (probes, hand tests, corrections, catalog loads, hand-made SQL):
-- - an observation becoming evidence (inserted, or un-retracted) extends the check's span
--   or splits the gap it falls in;
-- - one ceasing to be evidence (retracted, superseded, deleted, moved) joins the gaps on
--   either side of it, unless another piece of evidence shares its instant.
-- Gaps of one day or less are not kept: readers asking for shorter ones scan observations.
-- Never edit once released: add a file.

create table check_evidence (
    check_id text primary key,
    first_at text not null,
    last_at text not null
);

-- Consecutive evidence of one check more than a day apart.
create table evidence_gaps (
    check_id text not null,
    before_at text not null,
    after_at text not null,
    primary key (check_id, before_at, after_at)
);

insert into check_evidence (check_id, first_at, last_at)
select check_id, min(observed_at), max(observed_at)
from observations o
where o.source_kind <> 'simulated' and o.failure is null and o.superseded_by is null
  and o.retracted_at is null and o.status <> 'unknown'
group by check_id;

insert or ignore into evidence_gaps (check_id, before_at, after_at)
select g.check_id, g.prev, g.observed_at from (
    select o.check_id, o.observed_at,
           lag(o.observed_at) over (partition by o.check_id order by o.observed_at, o.id) as prev
    from observations o
    where o.source_kind <> 'simulated' and o.failure is null and o.superseded_by is null
      and o.retracted_at is null and o.status <> 'unknown') g
where g.prev is not null and julianday(g.observed_at) - julianday(g.prev) > 1;

-- A new piece of evidence.
create trigger observations_evidence_i after insert on observations
when new.source_kind <> 'simulated' and new.failure is null and new.superseded_by is null
     and new.retracted_at is null and new.status <> 'unknown'
begin
    -- After the last: a gap from the last.
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, ce.last_at, new.observed_at from check_evidence ce
    where ce.check_id = new.check_id and new.observed_at > ce.last_at
      and julianday(new.observed_at) - julianday(ce.last_at) > 1;
    -- Before the first: a gap to the first.
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, new.observed_at, ce.first_at from check_evidence ce
    where ce.check_id = new.check_id and new.observed_at < ce.first_at
      and julianday(ce.first_at) - julianday(new.observed_at) > 1;
    -- Inside a gap: the gap splits in two (each kept if still long).
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, g.before_at, new.observed_at from evidence_gaps g
    where g.check_id = new.check_id and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(new.observed_at) - julianday(g.before_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, new.observed_at, g.after_at from evidence_gaps g
    where g.check_id = new.check_id and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(g.after_at) - julianday(new.observed_at) > 1;
    delete from evidence_gaps
    where check_id = new.check_id and before_at < new.observed_at
      and after_at > new.observed_at;
    insert into check_evidence (check_id, first_at, last_at)
    values (new.check_id, new.observed_at, new.observed_at)
    on conflict (check_id) do update
    set first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at);
end;

-- Retracted, superseded, failed, un-retracted or moved: the new place is added first, then
-- the old one removed (its neighbours read from the rows as they now are).
create trigger observations_evidence_u
after update of check_id, observed_at, status, source_kind, failure, superseded_by,
                retracted_at on observations
when (old.source_kind <> 'simulated' and old.failure is null and old.superseded_by is null
      and old.retracted_at is null and old.status <> 'unknown')
  <> (new.source_kind <> 'simulated' and new.failure is null and new.superseded_by is null
      and new.retracted_at is null and new.status <> 'unknown')
  or old.check_id <> new.check_id or old.observed_at <> new.observed_at
begin
    -- Adding the new place (as on insert), when it is evidence.
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, ce.last_at, new.observed_at from check_evidence ce
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and ce.check_id = new.check_id and new.observed_at > ce.last_at
      and julianday(new.observed_at) - julianday(ce.last_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, new.observed_at, ce.first_at from check_evidence ce
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and ce.check_id = new.check_id and new.observed_at < ce.first_at
      and julianday(ce.first_at) - julianday(new.observed_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, g.before_at, new.observed_at from evidence_gaps g
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and g.check_id = new.check_id and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(new.observed_at) - julianday(g.before_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, new.observed_at, g.after_at from evidence_gaps g
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and g.check_id = new.check_id and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(g.after_at) - julianday(new.observed_at) > 1;
    delete from evidence_gaps
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and check_id = new.check_id and before_at < new.observed_at
      and after_at > new.observed_at;
    insert into check_evidence (check_id, first_at, last_at)
    select new.check_id, new.observed_at, new.observed_at
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
    on conflict (check_id) do update
    set first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at);

    -- Removing the old place, when it was evidence and nothing else is at its instant.
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select old.check_id, nb.p, nb.n from (
        select (select o.observed_at from observations o
                where o.check_id = old.check_id and o.observed_at < old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at desc limit 1) as p,
               (select o.observed_at from observations o
                where o.check_id = old.check_id and o.observed_at > old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at limit 1) as n) nb
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and not exists (select 1 from observations o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown')
      and nb.p is not null and nb.n is not null and julianday(nb.n) - julianday(nb.p) > 1;
    delete from evidence_gaps
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and check_id = old.check_id
      and (before_at = old.observed_at or after_at = old.observed_at)
      and not exists (select 1 from observations o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    delete from check_evidence
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and check_id = old.check_id
      and not exists (select 1 from observations o
                      where o.check_id = old.check_id
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    update check_evidence
    set first_at = (select o.observed_at from observations o
                    where o.check_id = old.check_id
                      and o.source_kind <> 'simulated' and o.failure is null
                      and o.superseded_by is null and o.retracted_at is null
                      and o.status <> 'unknown'
                    order by o.observed_at limit 1),
        last_at = (select o.observed_at from observations o
                   where o.check_id = old.check_id
                     and o.source_kind <> 'simulated' and o.failure is null
                     and o.superseded_by is null and o.retracted_at is null
                     and o.status <> 'unknown'
                   order by o.observed_at desc limit 1)
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and check_id = old.check_id
      and (first_at = old.observed_at or last_at = old.observed_at);
end;

-- A deleted piece of evidence: removed as above.
create trigger observations_evidence_d after delete on observations
when old.source_kind <> 'simulated' and old.failure is null and old.superseded_by is null
     and old.retracted_at is null and old.status <> 'unknown'
begin
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select old.check_id, nb.p, nb.n from (
        select (select o.observed_at from observations o
                where o.check_id = old.check_id and o.observed_at < old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at desc limit 1) as p,
               (select o.observed_at from observations o
                where o.check_id = old.check_id and o.observed_at > old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at limit 1) as n) nb
    where not exists (select 1 from observations o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown')
      and nb.p is not null and nb.n is not null and julianday(nb.n) - julianday(nb.p) > 1;
    delete from evidence_gaps
    where check_id = old.check_id
      and (before_at = old.observed_at or after_at = old.observed_at)
      and not exists (select 1 from observations o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    delete from check_evidence
    where check_id = old.check_id
      and not exists (select 1 from observations o
                      where o.check_id = old.check_id
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    update check_evidence
    set first_at = (select o.observed_at from observations o
                    where o.check_id = old.check_id
                      and o.source_kind <> 'simulated' and o.failure is null
                      and o.superseded_by is null and o.retracted_at is null
                      and o.status <> 'unknown'
                    order by o.observed_at limit 1),
        last_at = (select o.observed_at from observations o
                   where o.check_id = old.check_id
                     and o.source_kind <> 'simulated' and o.failure is null
                     and o.superseded_by is null and o.retracted_at is null
                     and o.status <> 'unknown'
                   order by o.observed_at desc limit 1)
    where check_id = old.check_id
      and (first_at = old.observed_at or last_at = old.observed_at);
end;

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
       sum(case when source_kind <> 'simulated' and retracted_at is null then 1 else 0 end)
from observations group by check_id;

create trigger observations_counts_i after insert on observations
begin
    insert into check_counts (check_id, observations, real_observations)
    values (new.check_id, 1, new.source_kind <> 'simulated' and new.retracted_at is null)
    on conflict (check_id) do update
    set observations = observations + 1,
        real_observations = real_observations + excluded.real_observations;
end;

create trigger observations_counts_u after update of check_id, source_kind, retracted_at
on observations
when old.check_id <> new.check_id
  or (old.source_kind <> 'simulated' and old.retracted_at is null)
  <> (new.source_kind <> 'simulated' and new.retracted_at is null)
begin
    update check_counts
    set observations = observations - 1,
        real_observations = real_observations
            - (old.source_kind <> 'simulated' and old.retracted_at is null)
    where check_id = old.check_id;
    insert into check_counts (check_id, observations, real_observations)
    values (new.check_id, 1, new.source_kind <> 'simulated' and new.retracted_at is null)
    on conflict (check_id) do update
    set observations = observations + 1,
        real_observations = real_observations + excluded.real_observations;
end;

create trigger observations_counts_d after delete on observations
begin
    update check_counts
    set observations = observations - 1,
        real_observations = real_observations
            - (old.source_kind <> 'simulated' and old.retracted_at is null)
    where check_id = old.check_id;
end;

-- The catalog's own version: raised by every write to the catalog tables (as the data
-- version is, 0004), and by nothing else. The reference data pages keep is read again when
-- the catalog changes, no longer after every probe write.
create table catalog_version (
    id integer primary key check (id = 1),
    value bigint not null
);
insert into catalog_version (id, value) values (1, 0);
create trigger groups_catalog_i after insert on groups
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger groups_catalog_u after update on groups
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger groups_catalog_d after delete on groups
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger platforms_catalog_i after insert on platforms
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger platforms_catalog_u after update on platforms
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger platforms_catalog_d after delete on platforms
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger payment_methods_catalog_i after insert on payment_methods
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger payment_methods_catalog_u after update on payment_methods
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger payment_methods_catalog_d after delete on payment_methods
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger check_kinds_catalog_i after insert on check_kinds
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger check_kinds_catalog_u after update on check_kinds
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger check_kinds_catalog_d after delete on check_kinds
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger statuses_catalog_i after insert on statuses
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger statuses_catalog_u after update on statuses
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger statuses_catalog_d after delete on statuses
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger checks_catalog_i after insert on checks
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger checks_catalog_u after update on checks
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger checks_catalog_d after delete on checks
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger sources_catalog_i after insert on sources
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger sources_catalog_u after update on sources
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger sources_catalog_d after delete on sources
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger milestones_catalog_i after insert on milestones
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger milestones_catalog_u after update on milestones
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger milestones_catalog_d after delete on milestones
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger requirements_catalog_i after insert on requirements
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger requirements_catalog_u after update on requirements
begin update catalog_version set value = value + 1 where id = 1; end;
create trigger requirements_catalog_d after delete on requirements
begin update catalog_version set value = value + 1 where id = 1; end;
