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
-- reclassifications, the vantage point registry, and the data version the triggers raise.
grant insert, update on observations, snapshots, probe_runs, missed_slots, method_changes,
    vantage_points, check_sources to :worker;
grant insert, update, delete on transitions to :worker;
grant update on data_version to :worker;
grant usage on all sequences in schema public to :worker;
-- (Issue 14's fleet tables of migration 0011, leases and workers, need insert, update and
-- delete too once they exist: add them here by name.)

-- Start-up, today: `hutong worker` loads the catalog into the database when it starts
-- (writes to groups, platforms, payment_methods, check_kinds, statuses, checks, sources,
-- milestones, requirements and catalog observations) and runs the migrator, which needs
-- CREATE on the schema even when nothing is left to apply ("permission denied for schema
-- public", tried against PostgreSQL 16). Until workers skip both, either grant these, or
-- keep the worker on the owner's role behind TLS:
--   grant insert, update, delete on groups, platforms, payment_methods, check_kinds,
--       statuses, checks, sources, milestones, requirements to :worker;
--   grant create on schema public to :worker;
