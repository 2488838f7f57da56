-- Which (check, source) pairs have a probe's observation (one with a pack), and a bound
-- below which none of theirs lies (issue 15). The check page's windowed verdicts need, for
-- each source, its latest probe observation before the window: that seek walks the pair's
-- history back past every observation without a pack (hand tests, catalog rows, synthetic
-- history), all of it when the pair has no probe observation at all. Pairs not listed here
-- have none and are not sought; a pair is sought only when the window starts after
-- `probed_since`.
--
-- Kept by triggers for every writer: a probe observation inserted, or moved to another
-- instant or pair, or given a pack, lists its pair and lowers its bound. Deleting rows or
-- taking a pack away leaves the bound as it is: still true (nothing earlier), at worst a
-- seek that finds nothing.
-- Never edit once released: add a file.

create table probed_pairs (
    check_id text not null,
    source_key text not null,
    probed_since text not null,
    primary key (check_id, source_key)
);

insert into probed_pairs (check_id, source_key, probed_since)
select check_id, source_key, min(observed_at)
from observations
where pack_id is not null
group by check_id, source_key;

create trigger observations_probed_pairs_i after insert on observations
when new.pack_id is not null
begin
    insert into probed_pairs (check_id, source_key, probed_since)
    values (new.check_id, new.source_key, new.observed_at)
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;
end;

create trigger observations_probed_pairs_u
after update of check_id, source_key, observed_at, pack_id on observations
when new.pack_id is not null
begin
    insert into probed_pairs (check_id, source_key, probed_since)
    values (new.check_id, new.source_key, new.observed_at)
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;
end;
