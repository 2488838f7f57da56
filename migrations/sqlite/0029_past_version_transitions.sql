-- The settled past's version (0025) raised by transitions too (issue 15). A status change
-- counts once enough consecutive observations agree, and is dated at the first of them: a
-- probe confirming now a change it first saw days ago (a pack probing daily and asking
-- for three confirmations) writes a transition dated in the settled past, though every
-- observation it writes is new. What pages keep of the settled past from transitions (the
-- weekly openness points of the overview's charts) must see it. Never edit once released:
-- add a file.

create trigger transitions_past_i after insert on transitions
when new.occurred_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;

create trigger transitions_past_u after update on transitions
when old.occurred_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
  or new.occurred_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;

create trigger transitions_past_d after delete on transitions
when old.occurred_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;
