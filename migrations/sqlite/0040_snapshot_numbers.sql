-- no-transaction
-- A difference names its base by number (issue 15: storage). Each fetch's snapshot is a
-- difference against its page's base (0017), and named that base by its SHA-256 as 64
-- characters of text: about 9 of the 204 bytes a stored observation took after 100 rounds
-- of the cashier bench. Snapshots now have an integer key `no` (their old rowid, so
-- numbers already taken stay), and a difference names its base by it; the SHA-256 naming a
-- snapshot stays its unique key, which observations, fetches and screenshots name it by.
-- A base named by a number that is no snapshot's fails as before (the reference). SQLite
-- only: PostgreSQL keeps its rows as they are (0017).
--
-- SQLite cannot change a table's columns, so the table is made again and the rows copied;
-- the old table can only be dropped while foreign keys are off (screenshots name it), and
-- that setting cannot change inside a transaction: hence the header above, which runs this
-- file outside the migrator's own transaction, and the transaction of its own below.
-- Never edit once released: add a file.

pragma foreign_keys = off;

begin immediate;

create table snapshots_numbered (
    no integer primary key,
    sha256 text not null unique,
    size integer not null,
    content_type text,
    body blob not null,
    stored_at text not null,
    -- The whole snapshot `body` is a difference against (0017), by its `no`.
    base_no integer references snapshots (no)
);

insert into snapshots_numbered (no, sha256, size, content_type, body, stored_at, base_no)
-- A base missing (only foreign keys off could have let that be stored) stays missing: its
-- difference then reads as an error naming it, never as a whole body.
select s.rowid, s.sha256, s.size, s.content_type, s.body, s.stored_at,
    case when s.base_sha256 is not null then coalesce(b.rowid, -1) end
from snapshots s left join snapshots b on b.sha256 = s.base_sha256;

drop table snapshots;

alter table snapshots_numbered rename to snapshots;

commit;

pragma foreign_keys = on;
