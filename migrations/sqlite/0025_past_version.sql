-- The settled past's own version (issue 15). Raised by every write that touches an
-- observation of an instant more than a day before the write (a late probe row, a hand test
-- or a catalog fact of an earlier date, a retraction, a correction, a reclassification), and
-- by a pair of check and source moved or removed; by nothing else. Probes store what they
-- see now, so their writes leave it alone: what pages computed of a date well before
-- yesterday (a matrix at a past date, the overview's "then") is kept under this version
-- while probes write, instead of being computed again after every write. Never edit once
-- released: add a file.

create table past_version (
    id integer primary key check (id = 1),
    value bigint not null
);
insert into past_version (id, value) values (1, 0);

-- Instants are RFC 3339 text with "+00:00": text order is time order, and the cut-off's
-- shorter text sorts before any instant of its own second.
create trigger observations_past_i after insert on observations
when new.observed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;

create trigger observations_past_u after update on observations
when old.observed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
  or new.observed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;

create trigger observations_past_d after delete on observations
when old.observed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;

create trigger check_sources_past_u after update of check_id, source_key on check_sources
begin update past_version set value = value + 1 where id = 1; end;

create trigger check_sources_past_d after delete on check_sources
begin update past_version set value = value + 1 where id = 1; end;
