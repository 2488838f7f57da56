-- A PostgreSQL role per worker, with what probing needs and no more. Run as the database's
-- owner (the role `hutong serve` migrates with), once per worker, with psql:
--   psql -v worker=worker_cn_bj_unicom -v password="'…'" -f deploy/worker-role.sql hutong
-- The schema must already be migrated by the owner (`hutong serve` or `hutong migrate`).

create role :worker login password :password;
grant connect on database :DBNAME to :worker;
grant usage on schema public to :worker;

-- Reads: the catalog (checks, their ladders and sources), earlier verdicts and runs.
grant select on all tables in schema public to :worker;
revoke select on accounts, sessions, audit_log, api_tokens, submissions,
    submission_screenshots, submission_thread from :worker;

-- Writes: verdicts with their evidence and the transitions they make, runs, missed slots,
-- reclassifications, the vantage point registry, and the data versions the triggers raise
-- (past_version, 0025: when a late row lands more than a day back).
grant insert, update on observations, snapshots, probe_runs, missed_slots, method_changes,
    vantage_points, check_sources to :worker;
-- Evidence bodies, fetches (0026: a fetch's own figures and snapshot, once for all its
-- verdicts) and run keys (0027: a run's part of its verdicts' keys) are written once and
-- never changed.
grant insert on evidence_bodies, fetches, run_keys to :worker;
-- A run key's earliest instant (0051: a run's check is looked for among repeats from it on),
-- moved back by the batch that stores an earlier verdict of the run.
grant update (first_at) on run_keys to :worker;
-- Repeats (0032: a verdict repeating its pair's newest row, stored thin); deleted only
-- when one is written out whole (a transition starting at it).
grant insert, delete on observation_repeats to :worker;
-- A fetch's repeats (0052: one row for a fetch's verdicts that all repeat, naming its set
-- of bases, each set stored once); written out as rows of `observation_repeats` (deleted
-- there) when one of them must be changed alone.
grant insert on repeat_sets, repeat_set_members to :worker;
grant insert, delete on repeat_fetches to :worker;
-- Their yearly partitions (0041) are reached through them and need no grant. Making next
-- year's takes the owner: `serve` makes it; a worker trying logs that it could not.
-- Checks by number (0032: a repeat names its check by it), given once.
grant insert on check_numbers to :worker;
-- What each observation written keeps up to date (0018: the charts' evidence times and
-- the counts per check; 0019: the current state per check and source; 0022: the pairs
-- probes have spoken on; 0031: each check's own version; 0038: probe verdicts counted
-- per day).
grant insert, update, delete on check_evidence, evidence_gaps, check_counts,
    transition_counts, current_states, probed_pairs, probe_days to :worker;
grant insert, update on check_versions to :worker;
grant insert, update, delete on transitions to :worker;
grant update on data_version, past_version to :worker;
grant usage on all sequences in schema public to :worker;
-- The fleet: the worker's registration and heartbeats, the slots it claims (claiming locks
-- rows, which needs UPDATE), and the leases it takes over.
grant insert, update on probe_slots, workers, lease_takeovers to :worker;

-- Nothing else: a worker opens the database without the migrator when the schema is
-- current (it says to run `hutong migrate` with the owner's role otherwise), and loads the
-- catalog only when a check its packs probe is missing (it says to run `hutong catalog
-- load` with the owner's role when that is refused). tests/it/fleet.rs runs a worker with
-- exactly this file.
