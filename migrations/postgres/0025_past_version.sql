-- The settled past's own version (issue 15). Raised by every write that touches an
-- observation of an instant more than a day before the write (a late probe row, a hand test
-- or a catalog fact of an earlier date, a retraction, a correction, a reclassification), and
-- by a pair of check and source moved or removed; by nothing else. Probes store what they
-- see now, so their writes leave it alone: what pages computed of a date well before
-- yesterday (a matrix at a past date, the overview's "then") is kept under this version
-- while probes write, instead of being computed again after every write. The cut-off is
-- the statement's own clock (clock_timestamp), not the transaction's start. Raised once per
-- transaction, at the first such write (its row stays locked until the commit: such writes
-- are rare). Never edit once released: add a file.

create table past_version (
    id integer primary key check (id = 1),
    value bigint not null
);
insert into past_version (id, value) values (1, 0);

create function hutong_raise_past_version() returns void language plpgsql as $$
begin
    if current_setting('hutong.past_version_raised', true) is distinct from 'yes' then
        perform set_config('hutong.past_version_raised', 'yes', true);
        update past_version set value = value + 1 where id = 1;
    end if;
end
$$;

-- Inserts: one look at the statement's rows.
create function hutong_past_observations_inserted() returns trigger language plpgsql as $$
begin
    if exists (select 1 from past_new
               where observed_at < clock_timestamp() - interval '1 day') then
        perform hutong_raise_past_version();
    end if;
    return null;
end
$$;

create trigger observations_past_i after insert on observations
referencing new table as past_new
for each statement execute function hutong_past_observations_inserted();

-- Updates and deletes (retractions, corrections, moves) are rare: row by row.
create function hutong_past_row_changed() returns trigger language plpgsql as $$
begin
    perform hutong_raise_past_version();
    return null;
end
$$;

create trigger observations_past_u after update on observations
for each row
when (old.observed_at < clock_timestamp() - interval '1 day'
      or new.observed_at < clock_timestamp() - interval '1 day')
execute function hutong_past_row_changed();

create trigger observations_past_d after delete on observations
for each row
when (old.observed_at < clock_timestamp() - interval '1 day')
execute function hutong_past_row_changed();

create trigger check_sources_past_u after update of check_id, source_key on check_sources
for each row execute function hutong_past_row_changed();

create trigger check_sources_past_d after delete on check_sources
for each row execute function hutong_past_row_changed();

-- Truncation (whole tables): the same function, by statement.
create trigger observations_past_truncate after truncate on observations
for each statement execute function hutong_past_row_changed();

create trigger check_sources_past_truncate after truncate on check_sources
for each statement execute function hutong_past_row_changed();
