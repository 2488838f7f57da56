-- Hutong's schema on SQLite. Timestamps are UTC, stored as RFC 3339 text with a fixed
-- "+00:00" offset so that text order is time order. Never edit once released: add a file.

create table groups (
    slug text primary key,
    name_zh text not null,
    name_en text not null,
    ecosystem text
);

create table platforms (
    slug text primary key,
    name_zh text not null,
    name_en text not null,
    group_slug text not null references groups (slug),
    kind text not null,
    domains text not null default '[]'
);

create table payment_methods (
    slug text primary key,
    name_zh text not null,
    name_en text not null,
    group_slug text not null references groups (slug),
    aliases text not null default '[]',
    code_prefixes text not null default '[]'
);

create table check_kinds (
    id text primary key,
    name_zh text not null,
    name_en text not null,
    subject text not null,
    object text not null,
    subject_label_zh text not null,
    subject_label_en text not null,
    object_label_zh text not null,
    object_label_en text not null
);

create table statuses (
    kind text not null references check_kinds (id),
    id text not null,
    position integer not null,
    score double precision not null,
    label_zh text not null,
    label_en text not null,
    description_en text not null,
    primary key (kind, id)
);

create table checks (
    id text primary key,
    kind text not null references check_kinds (id),
    subject text not null,
    object text not null,
    unique (kind, subject, object)
);

create table sources (
    id text primary key,
    kind text not null,
    publisher text not null,
    title text not null,
    title_en text,
    published_on text,
    language text not null,
    region text not null,
    url text
);

create table milestones (
    id text primary key,
    occurred_on text not null,
    approximate boolean not null,
    title_zh text not null,
    title_en text not null,
    source_id text not null references sources (id),
    kinds text not null default '[]',
    platforms text not null default '[]'
);

create table requirements (
    id text primary key,
    authority_zh text not null,
    authority_en text not null,
    title_zh text not null,
    title_en text not null,
    issued_on text not null,
    deadline text,
    timezone text not null,
    scope text not null,
    compliant text not null,
    source_id text not null references sources (id)
);

create table observations (
    id integer primary key autoincrement,
    check_id text not null references checks (id),
    observed_at text not null,
    precision text not null,
    status text not null,
    source_kind text not null check (source_kind in ('article', 'manual', 'probe', 'simulated')),
    source_key text not null,
    source_id text references sources (id),
    vantage text not null,
    quote text,
    note_en text,
    note_zh text,
    evidence text,
    catalog_key text unique,
    recorded_at text not null
);

create index observations_by_source on observations (check_id, source_key, observed_at, id);
create index observations_by_time on observations (observed_at);

-- The distinct (check, source) pairs: "latest per source" seeks one index entry per pair.
create table check_sources (
    check_id text not null references checks (id),
    source_key text not null,
    primary key (check_id, source_key)
);

-- Status changes between consecutive observations of one check by one source, kept up to
-- date on every write so the timeline never scans observations.
create table transitions (
    id integer primary key autoincrement,
    check_id text not null references checks (id),
    source_key text not null,
    observation_id integer not null unique references observations (id),
    occurred_at text not null,
    from_status text,
    to_status text not null,
    source_kind text not null
);

create index transitions_by_time on transitions (occurred_at, id);
create index transitions_by_check on transitions (check_id, source_key, occurred_at);
