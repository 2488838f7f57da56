-- API tokens (issue 13): a program submits hand tests on behalf of an account. Only the
-- token's SHA-256 is kept: the table read by someone else gives no usable token. Never edit
-- once released: add a file.

create table api_tokens (
    id bigserial primary key,
    account_id bigint not null references accounts (id),
    -- The owner's name for it ("lab phone script").
    name text not null,
    -- What it may do: only submitting hand tests.
    scope text not null check (scope in ('submit')),
    token_sha256 text not null unique,
    created_at timestamptz not null,
    last_used_at timestamptz,
    revoked_at timestamptz
);

create index api_tokens_by_account on api_tokens (account_id);
