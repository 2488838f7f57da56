-- Probes: verdict columns on observations, content-addressed snapshots, probe runs, and
-- method changes (reclassification under new rules). Never edit once released.

-- Groups whose platforms exist only in the simulator: never part of real figures.
alter table groups add column simulated boolean not null default false;

alter table observations add column pack_id text;
-- The pack's rule version that produced the verdict.
alter table observations add column rule_version integer;
-- true: a rule recognising a known page of the platform matched; false: an anomaly.
alter table observations add column confirmed boolean;
-- Set when the status is unknown because nothing could be observed.
alter table observations add column failure text;
-- SHA-256 of the body in `snapshots`.
alter table observations add column snapshot text;
-- A reclassification under newer rules replaced this verdict (kept, never deleted).
alter table observations add column superseded_by integer references observations (id);
-- The verdict this one re-derives from the same snapshot under newer rules.
alter table observations add column reclassifies integer references observations (id);
-- pack:slot:check — a run resumed after a restart never stores a check twice.
alter table observations add column run_key text;
create unique index observations_by_run_key on observations (run_key);
create index observations_by_pack on observations (pack_id, id);

-- How many consecutive consistent observations a status change needs (per source).
alter table check_sources add column confirmations integer not null default 1;

create table snapshots (
    sha256 text primary key,
    size integer not null,
    content_type text,
    body blob not null,
    stored_at text not null
);

create table probe_runs (
    id integer primary key autoincrement,
    pack_id text not null,
    slot text not null,
    trigger text not null,
    started_at text not null,
    finished_at text,
    state text not null check (state in ('running', 'finished', 'interrupted')),
    planned integer not null default 0,
    done integer not null default 0,
    failures integer not null default 0,
    detail text,
    unique (pack_id, slot)
);

create index probe_runs_by_pack on probe_runs (pack_id, started_at);

create table method_changes (
    id integer primary key autoincrement,
    pack_id text not null,
    from_version integer,
    to_version integer not null,
    happened_at text not null,
    checked integer not null,
    changed integer not null
);
