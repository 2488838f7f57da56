-- Issue 14, a fleet of workers: runs, run keys and missed slots per vantage point, leases
-- held by workers, the workers themselves and the leases they took over (workers run on
-- PostgreSQL only; the tables exist here so that both schemas stay the same). Never edit
-- once released: add a file.

-- probe_runs gets its vantage point and lease, and is unique per (pack, vantage, slot):
-- SQLite cannot drop a table's unique constraint, so the table is rebuilt. Rows written
-- before vantage points were a dimension came from the one process that probed, whose
-- vantage is on the pack's probe observations ('local', the default, when there are none).
create table probe_runs_fleet (
    id integer primary key autoincrement,
    pack_id text not null,
    vantage text not null,
    slot text not null,
    trigger text not null,
    started_at text not null,
    finished_at text,
    state text not null check (state in ('running', 'finished', 'interrupted')),
    planned integer not null default 0,
    done integer not null default 0,
    failures integer not null default 0,
    detail text,
    worker_id text,
    lease_until text
);
insert into probe_runs_fleet (id, pack_id, vantage, slot, trigger, started_at, finished_at,
    state, planned, done, failures, detail)
select id, pack_id,
    coalesce(
        (select o.vantage from observations o
         where o.pack_id = probe_runs.pack_id and o.run_key is not null
         order by o.id desc limit 1),
        'local'),
    slot, trigger, started_at, finished_at, state, planned, done, failures, detail
from probe_runs;
drop table probe_runs;
alter table probe_runs_fleet rename to probe_runs;
create index probe_runs_by_pack on probe_runs (pack_id, started_at);
create unique index probe_runs_by_vantage_slot on probe_runs (pack_id, vantage, slot);
create index probe_runs_open on probe_runs (vantage, state) where state <> 'finished';

-- Run keys become pack:slot:vantage:check, so that the unique index on run_key stores each
-- (pack, vantage point, slot, check) at most once (they were pack:slot:check; the slot is
-- always the 20 characters 2026-11-22T10:00:00Z).
update observations
set run_key = substr(run_key, 1, length(pack_id) + 22) || vantage || ':'
    || substr(run_key, length(pack_id) + 23)
where run_key is not null and pack_id is not null;

alter table missed_slots add column vantage text not null default 'local';
update missed_slots set vantage = coalesce(
    (select o.vantage from observations o
     where o.pack_id = missed_slots.pack_id and o.run_key is not null
     order by o.id desc limit 1),
    'local');
create index missed_slots_by_vantage on missed_slots (pack_id, vantage, last_slot);

create table probe_slots (
    pack_id text not null,
    vantage text not null,
    last_slot text,
    primary key (pack_id, vantage)
);

create table workers (
    id text primary key,
    host text not null,
    pid integer not null,
    vantage text not null,
    started_at text not null,
    last_heartbeat text not null,
    stopped_at text
);
create index workers_by_vantage on workers (vantage, last_heartbeat);

create table lease_takeovers (
    id integer primary key autoincrement,
    run_id integer not null references probe_runs (id),
    pack_id text not null,
    vantage text not null,
    slot text not null,
    from_worker text,
    to_worker text not null,
    taken_at text not null
);
create index lease_takeovers_by_vantage on lease_takeovers (vantage, taken_at);
