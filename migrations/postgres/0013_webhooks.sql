-- Webhooks (issue 14): signed deliveries of confirmed changes and alerts, queued here so
-- they survive restarts and never hold up probing or pages. Secrets are never stored: the
-- configuration holds them. Never edit once released: add a file.

create table webhook_deliveries (
    id bigserial primary key,
    -- The receiver's URL as configured (credentials in it redacted).
    webhook text not null,
    event text not null check (event in ('change', 'alert')),
    -- What the delivery is about, once per receiver (a transition's observation, an
    -- alert and when it began).
    about text not null,
    -- The JSON body sent, signed at each attempt.
    payload text not null,
    created_at timestamptz not null,
    attempts integer not null default 0,
    -- When to try next; null once delivered or given up.
    next_attempt_at timestamptz,
    delivered_at timestamptz,
    gave_up_at timestamptz,
    last_status integer,
    last_error text,
    unique (webhook, about)
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at);

-- Each attempt, for the admins' delivery log.
create table webhook_attempts (
    id bigserial primary key,
    delivery_id bigint not null references webhook_deliveries (id),
    attempted_at timestamptz not null,
    -- The receiver's HTTP status; null when no answer came.
    status integer,
    error text
);

create index webhook_attempts_by_delivery on webhook_attempts (delivery_id, id);

-- The last transition looked at for confirmed changes.
create table webhook_cursor (
    id integer primary key check (id = 1),
    last_transition_id bigint not null
);
