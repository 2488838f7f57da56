-- Repeats' indexes of a base and of a check without the id, and none by run key (issue 15:
-- 200 bytes per stored observation). Each entry of `observation_repeats_by_base`
-- (repeat_of, observed_at, id) and `observation_repeats_by_check` (check_no, observed_at,
-- id) held the repeat's id only to order repeats of one base, or one check, at the same
-- instant; a base has one repeat at an instant (a fetch gives a pair one verdict), and a
-- check's repeats at one instant are one per source. The readers ask for (observed_at, id)
-- descending: PostgreSQL reads the index in time order and sorts each instant's few
-- entries by id (an incremental sort), stopping at its limit as before. Eight bytes less in
-- every entry of two of the five indexes each repeat had.
--
-- No index of repeats by run key. `observation_repeats_by_run_key` (run_key_id, check_no)
-- answered one question, whether a run stores a check already (a writer asks it for every
-- check of its batch, under the (run, check) advisory lock, 0041), at an entry of every
-- repeat. Each run key now keeps its run's earliest instant (`first_at`, moved back by any
-- batch of the run with an earlier verdict before it writes, under those locks), and the
-- question is asked of the check's repeats from that instant on, by the index of a check's
-- repeats in time order: a check's repeats since its run began, one or none in a run that
-- probes each check once.
--
-- The tables every probe batch updates in place (a check's count, a pair's current state)
-- leave a tenth of their pages free, so an updated row's new version fits beside the old
-- one (a heap-only update, its dead version pruned from the page) instead of growing the
-- table by a page for every few batches. Never edit once released: add a file.

drop index observation_repeats_by_base;
create index observation_repeats_by_base on observation_repeats (repeat_of, observed_at);
drop index observation_repeats_by_check;
create index observation_repeats_by_check on observation_repeats (check_no, observed_at);

alter table current_states set (fillfactor = 90);
alter table check_counts set (fillfactor = 90);

alter table run_keys add column first_at timestamptz;
update run_keys k set first_at = r.first_at
from (select run_key_id, min(observed_at) as first_at from observation_repeats
      where run_key_id is not null group by run_key_id) r
where k.id = r.run_key_id;
drop index observation_repeats_by_run_key;
