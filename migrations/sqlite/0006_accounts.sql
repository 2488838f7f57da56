-- Accounts, their sessions and the audit log (issue 13). No self-registration: an admin
-- creates accounts. Never edit once released: add a file.

create table accounts (
    id integer primary key autoincrement,
    -- What the person types to sign in; never shown publicly.
    login text not null unique,
    -- What pages show as the author of their hand tests.
    public_name text not null,
    organisation text,
    -- Private: never shown publicly, exported or logged.
    email text,
    role text not null check (role in ('contributor', 'reviewer', 'admin')),
    -- Argon2id, in the PHC string format.
    password_hash text not null,
    disabled_at text,
    created_at text not null,
    password_changed_at text not null
);

-- Server-side sessions (tower-sessions records). The id is kept only as its SHA-256: the
-- table read by someone else gives no usable session.
create table sessions (
    id_hash text primary key,
    account_id integer references accounts (id),
    data text not null,
    expires_at text not null
);

create index sessions_by_account on sessions (account_id);
create index sessions_by_expiry on sessions (expires_at);

-- Every change made through accounts: who, what, when, from which address.
create table audit_log (
    id integer primary key autoincrement,
    occurred_at text not null,
    actor_id integer references accounts (id),
    -- The actor's login at the time, "cli" for the command line, or the login tried.
    actor text not null,
    action text not null,
    subject text,
    detail text,
    address text
);

create index audit_log_by_time on audit_log (occurred_at, id);
