-- Hand tests submitted by contributors, waiting for review or reviewed, and their
-- screenshots (issue 13). Screenshot files are kept in `snapshots` by content hash, with
-- the other evidence. Never edit once released: add a file.

create table submissions (
    id integer primary key autoincrement,
    account_id integer not null references accounts (id),
    check_id text not null references checks (id),
    observed_at text not null,
    status text not null,
    -- The vantage: device and OS, app and its version, network and region, the account's
    -- region.
    device text not null,
    os text not null,
    app text not null,
    app_version text not null,
    network text not null,
    network_region text not null,
    account_region text not null,
    steps text not null,
    seen text not null,
    state text not null default 'pending'
        check (state in ('pending', 'approved', 'rejected', 'returned')),
    reviewer_id integer references accounts (id),
    -- The reason of a rejection, or the question of a send-back.
    review_note text,
    reviewed_at text,
    observation_id integer references observations (id),
    submitted_at text not null
);

create index submissions_by_account on submissions (account_id, submitted_at);
create index submissions_by_state on submissions (state, submitted_at);

create table submission_screenshots (
    submission_id integer not null references submissions (id),
    position integer not null,
    -- The name the file had on the contributor's machine (shown to reviewers only).
    file_name text not null,
    image_sha256 text not null references snapshots (sha256),
    thumbnail_sha256 text not null references snapshots (sha256),
    width integer not null,
    height integer not null,
    primary key (submission_id, position)
);
