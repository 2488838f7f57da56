-- Issue 14, a fleet of workers: runs, run keys and missed slots per vantage point, leases
-- held by workers, the workers themselves and the leases they took over. Never edit once
-- released: add a file.

-- Rows written before vantage points were a dimension came from the one process that
-- probed, whose vantage is on the pack's probe observations ('local', the default,
-- when there are none).
alter table probe_runs add column vantage text;
update probe_runs set vantage = coalesce(
    (select o.vantage from observations o
     where o.pack_id = probe_runs.pack_id and o.run_key is not null
     order by o.id desc limit 1),
    'local');
alter table probe_runs alter column vantage set not null;
alter table probe_runs drop constraint probe_runs_pack_id_slot_key;
create unique index probe_runs_by_vantage_slot on probe_runs (pack_id, vantage, slot);
-- The worker holding the run and until when (renewed by its heartbeats); null for runs of
-- `serve`'s own scheduler and `probe run`.
alter table probe_runs add column worker_id text;
alter table probe_runs add column lease_until timestamptz;
create index probe_runs_open on probe_runs (vantage, state) where state <> 'finished';

-- Run keys become pack:slot:vantage:check, so that the unique index on run_key stores each
-- (pack, vantage point, slot, check) at most once (they were pack:slot:check; the slot is
-- always the 20 characters 2026-11-22T10:00:00Z).
update observations
set run_key = substr(run_key, 1, length(pack_id) + 22) || vantage || ':'
    || substr(run_key, length(pack_id) + 23)
where run_key is not null and pack_id is not null;

alter table missed_slots add column vantage text;
update missed_slots set vantage = coalesce(
    (select o.vantage from observations o
     where o.pack_id = missed_slots.pack_id and o.run_key is not null
     order by o.id desc limit 1),
    'local');
alter table missed_slots alter column vantage set not null;
create index missed_slots_by_vantage on missed_slots (pack_id, vantage, last_slot);

-- Which slot of a pack each vantage point has accounted for (run or recorded missed): the
-- row a worker locks to claim the next slot, so that a slot is claimed or recorded missed
-- exactly once whatever number of workers race for it.
create table probe_slots (
    pack_id text not null,
    vantage text not null,
    last_slot timestamptz,
    primary key (pack_id, vantage)
);

-- Workers (`hutong worker`), registered when they start and kept alive by heartbeats.
create table workers (
    id text primary key,
    host text not null,
    pid bigint not null,
    vantage text not null,
    started_at timestamptz not null,
    last_heartbeat timestamptz not null,
    stopped_at timestamptz
);
create index workers_by_vantage on workers (vantage, last_heartbeat);

-- A run whose lease expired (its worker killed, its machine gone) taken over by another
-- worker of the same vantage point.
create table lease_takeovers (
    id bigserial primary key,
    run_id bigint not null references probe_runs (id),
    pack_id text not null,
    vantage text not null,
    slot timestamptz not null,
    from_worker text,
    to_worker text not null,
    taken_at timestamptz not null
);
create index lease_takeovers_by_vantage on lease_takeovers (vantage, taken_at);
