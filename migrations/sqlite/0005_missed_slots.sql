-- Schedule slots the scheduler did not run, with the reason (the previous run was still
-- going, backing off after failures, the database was unavailable, Hutong was not
-- running …). Consecutive slots missed for the same reason share one row: first and last
-- slot, and how many. Never edit once released.
create table missed_slots (
    id integer primary key autoincrement,
    pack_id text not null,
    first_slot text not null,
    last_slot text not null,
    slots integer not null check (slots > 0),
    reason text not null,
    detail text,
    recorded_at text not null
);

create index missed_slots_by_pack on missed_slots (pack_id, last_slot);
