-- Evidence stored once (issue 15). A probe's evidence is mostly the same from one fetch to
-- the next (the rule, what it matched, the redirect chain, the options read off a
-- checkout); only the body's size and hash and the timings change with every fetch. The
-- part that repeats is kept once here, named by the SHA-256 of its JSON, and referenced;
-- each observation keeps only its own fetch's figures. Rows written before keep their
-- evidence whole in `observations.evidence`. Never edit once released: add a file.

create table evidence_bodies (
    id integer primary key,
    sha256 text not null unique,
    -- The evidence's JSON without the fetch's own figures.
    body text not null
);

alter table observations add column evidence_id integer references evidence_bodies (id);
-- The fetch's own figures, as JSON: body_bytes, body_sha256 (left out when it is the
-- observation's snapshot), timings and each hop's elapsed_ms.
alter table observations add column evidence_fetch text;
