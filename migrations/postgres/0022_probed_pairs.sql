-- Which (check, source) pairs have a probe's observation (one with a pack), and a bound
-- below which none of theirs lies (issue 15). The check page's windowed verdicts need, for
-- each source, its latest probe observation before the window: that seek walks the pair's
-- history back past every observation without a pack (hand tests, catalog rows, synthetic
-- history), all of it when the pair has no probe observation at all. Pairs not listed here
-- have none and are not sought; a pair is sought only when the window starts after
-- `probed_since`.
--
-- Kept by statement triggers for every writer: probe observations inserted, or moved to
-- another instant or pair, or given a pack, list their pairs and lower their bounds.
-- Deleting rows or taking a pack away leaves a bound as it is: still true (nothing
-- earlier), at worst a seek that finds nothing. New pairs are listed first (in one order,
-- doing nothing where another writer got there), then bounds are lowered: a writer that
-- waited for another's new pair then sees it and lowers it, and rows that need no change
-- are not locked.
-- Never edit once released: add a file.

create table probed_pairs (
    check_id text not null,
    source_key text not null,
    probed_since timestamptz not null,
    primary key (check_id, source_key)
);

insert into probed_pairs (check_id, source_key, probed_since)
select check_id, source_key, min(observed_at)
from observations
where pack_id is not null
group by check_id, source_key;

create function observations_probed_pairs() returns trigger
language plpgsql as $$
begin
    insert into probed_pairs (check_id, source_key, probed_since)
    select check_id, source_key, min(observed_at)
    from probed_rows
    where pack_id is not null
    group by check_id, source_key
    order by check_id, source_key
    on conflict (check_id, source_key) do nothing;

    update probed_pairs p set probed_since = f.first
    from (select check_id, source_key, min(observed_at) as first
          from probed_rows
          where pack_id is not null
          group by check_id, source_key) f
    where p.check_id = f.check_id and p.source_key = f.source_key
      and f.first < p.probed_since;
    return null;
end $$;

create trigger observations_probed_pairs_i after insert on observations
referencing new table as probed_rows
for each statement execute function observations_probed_pairs();

create trigger observations_probed_pairs_u after update on observations
referencing new table as probed_rows
for each statement execute function observations_probed_pairs();
