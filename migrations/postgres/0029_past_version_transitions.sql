-- The settled past's version (0025) raised by transitions too (issue 15). A status change
-- counts once enough consecutive observations agree, and is dated at the first of them: a
-- probe confirming now a change it first saw days ago (a pack probing daily and asking
-- for three confirmations) writes a transition dated in the settled past, though every
-- observation it writes is new. What pages keep of the settled past from transitions (the
-- weekly openness points of the overview's charts) must see it. Inserts by statement (a
-- batch writes many), updates and deletes row by row, as 0025. Never edit once released:
-- add a file.

create function hutong_past_transitions_inserted() returns trigger language plpgsql as $$
begin
    if exists (select 1 from past_new_transitions
               where occurred_at < clock_timestamp() - interval '1 day') then
        perform hutong_raise_past_version();
    end if;
    return null;
end
$$;

create trigger transitions_past_i after insert on transitions
referencing new table as past_new_transitions
for each statement execute function hutong_past_transitions_inserted();

create trigger transitions_past_u after update on transitions
for each row
when (old.occurred_at < clock_timestamp() - interval '1 day'
      or new.occurred_at < clock_timestamp() - interval '1 day')
execute function hutong_past_row_changed();

create trigger transitions_past_d after delete on transitions
for each row
when (old.occurred_at < clock_timestamp() - interval '1 day')
execute function hutong_past_row_changed();

create trigger transitions_past_truncate after truncate on transitions
for each statement execute function hutong_past_row_changed();
