-- A check's transitions newest first, across its sources (issue 15): the check page's step
-- chart reads its latest periods from the end of this index instead of sorting every
-- transition of the check (thousands for a check that flaps).
-- Never edit once released: add a file.

create index transitions_by_check_time on transitions (check_id, occurred_at, id);
