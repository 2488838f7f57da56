-- One row per fetch (issue 15, "storage grows with changes, not runs"). A probe fetches a
-- page once and classifies it for every check of the page: each verdict is an observation,
-- but the fetch's own figures (`evidence_fetch`: body size and hash, timings, each hop's
-- elapsed time) and its snapshot's hash are the same for all of them. They are kept once
-- here and each observation names its fetch. Rows written before keep both in their own
-- columns; reads take the observation's own value, else its fetch's. Never edit once
-- released: add a file.

create table fetches (
    id integer primary key,
    -- The fetch's snapshot (its SHA-256 hex), when its body was kept.
    snapshot text,
    -- The fetch's own figures, as JSON (as `observations.evidence_fetch`).
    evidence_fetch text
);

alter table observations add column fetch_id integer references fetches (id);
