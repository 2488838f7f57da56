-- Repeats stored thin (issue 15: "storage grows with changes, not runs"). A probe verdict
-- that repeats its pair's newest row (every column equal but its instants, its fetch and its
-- run key, and that row counting: no failure, superseded, retracted or catalog key) is not
-- written as a row of `observations` with its seven index entries: it is a row of
-- `observation_repeats` naming the row it repeats (`repeat_of`, always a row of
-- `observations`) with its own instant, recorded time, fetch and run key. Its id comes from
-- the same numbering as the observations' (the writer takes ids for a batch's rows in
-- order, full rows and repeats alike), so ids stay unique and ordered as before.
--
-- Read in time order (session 30; a first attempt kept no time order and made a pair's
-- history a thousand times slower once most rows were repeats): a repeat keeps its instant
-- as an integer (nanoseconds since 1970) and its check by number (`check_numbers`), and is
-- indexed by base and instant (a pair's latest at or before a date: the pair's latest row
-- at or before it, then that row's latest repeat at or before it) and by check and instant
-- (a check's history newest first, its window). That seek holds because a base's repeats
-- lie between it and its pair's next row: the writer folds only rows not earlier than their
-- pair's newest; a row written or moved among a base's repeats, and a repeat written out
-- whole, write out the repeats after it; and a row with repeats always counts (superseding
-- or retracting it writes its repeats out whole first).
--
-- `observations_all` is every observation as it was: the full rows and each repeat with
-- its base's columns (a repeat's corrections are its own: none; a repeat to be corrected
-- is first written out whole, "unfolded", under its own id). Every reader of individual
-- observations reads it.
--
-- What the triggers keep (counts, current states, evidence times and gaps, probed pairs,
-- the data and past versions) is kept for repeats as for the rows they stand for: a repeat
-- inserted is a row inserted; a repeat deleted (only by unfolding, which writes its row
-- first) a row deleted. The recomputing triggers of 0018 and 0019 read `observations_all`.
-- A row of `observations` whose own columns (those its repeats show) change, or which is
-- deleted, first unfolds its repeats, which keep what they showed. Repeats are never
-- updated. Never edit once released: add a file.

-- Checks by a small integer (a repeat names its check by it, and its index orders by it).
create table check_numbers (
    no integer primary key,
    check_id text not null unique
);

create table observation_repeats (
    id integer primary key,
    repeat_of integer not null references observations (id),
    -- Its base's check (`check_numbers`), so a check's repeats are in time order by index.
    check_no integer not null,
    -- Its instant as nanoseconds since 1970 (the writer stores only instants it can show
    -- back exactly: 1970 to 2262); shown as the RFC 3339 text a row keeps (AutoSi, +00:00).
    at integer not null,
    -- Its recorded time as nanoseconds after its instant.
    recorded_after integer not null,
    -- The repeat's own fetch and run key, in one of the forms a row keeps them (0026, 0027).
    fetch_id integer references fetches (id),
    evidence_fetch text,
    snapshot text,
    run_key_id integer references run_keys (id),
    run_key text
);

-- A base's repeats in time order: a pair's latest at or before an instant is its latest
-- row at or before it, or that row's latest repeat at or before it (a repeat is never
-- earlier than its base nor later than its pair's next row: the writer folds only rows
-- later than their pair's newest, and a row written or moved among a base's repeats
-- unfolds those after it). The id is every index's last column (rowid).
create index observation_repeats_by_base on observation_repeats (repeat_of, at);
-- A check's repeats in time order: its history newest first, its window.
create index observation_repeats_by_check on observation_repeats (check_no, at);
-- Repeats in time order: the latest observation at or before a date (what past-date pages
-- are kept under).
create index observation_repeats_by_time on observation_repeats (at);
-- A run's check once among repeats (rows: 0027's index; across both: the writer).
create unique index observation_repeats_by_run_key on observation_repeats (run_key_id, check_no)
    where run_key_id is not null;

create view observations_all (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id) as
select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id
from observations
union all
select r.id, b.check_id, (strftime('%Y-%m-%dT%H:%M:%S', r.at / 1000000000, 'unixepoch') || case when r.at % 1000000000 = 0 then '' when r.at % 1000000 = 0 then printf('.%03d', r.at % 1000000000 / 1000000) when r.at % 1000 = 0 then printf('.%06d', r.at % 1000000000 / 1000) else printf('.%09d', r.at % 1000000000) end || '+00:00'), b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null, (strftime('%Y-%m-%dT%H:%M:%S', (r.at + r.recorded_after) / 1000000000, 'unixepoch') || case when (r.at + r.recorded_after) % 1000000000 = 0 then '' when (r.at + r.recorded_after) % 1000000 = 0 then printf('.%03d', (r.at + r.recorded_after) % 1000000000 / 1000000) when (r.at + r.recorded_after) % 1000 = 0 then printf('.%06d', (r.at + r.recorded_after) % 1000000000 / 1000) else printf('.%09d', (r.at + r.recorded_after) % 1000000000) end || '+00:00'),
    b.pack_id, b.rule_version, b.confirmed, b.failure, r.snapshot, null, b.reclassifies,
    r.run_key, null, null, null, null, b.evidence_id, r.evidence_fetch, r.fetch_id,
    r.run_key_id
from observation_repeats r join observations b on b.id = r.repeat_of;

-- The repeats alone, as `observations_all` shows them: a join, which SQLite's planner
-- reads by index inside a join or a correlated subquery (a UNION ALL view there is read
-- whole); readers of one observation by id, or of a pair's latest, read the two forms.
create view observation_repeats_shown (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id, repeat_check_no, repeat_at, repeat_of) as
select r.id, b.check_id, (strftime('%Y-%m-%dT%H:%M:%S', r.at / 1000000000, 'unixepoch') || case when r.at % 1000000000 = 0 then '' when r.at % 1000000 = 0 then printf('.%03d', r.at % 1000000000 / 1000000) when r.at % 1000 = 0 then printf('.%06d', r.at % 1000000000 / 1000) else printf('.%09d', r.at % 1000000000) end || '+00:00'), b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null, (strftime('%Y-%m-%dT%H:%M:%S', (r.at + r.recorded_after) / 1000000000, 'unixepoch') || case when (r.at + r.recorded_after) % 1000000000 = 0 then '' when (r.at + r.recorded_after) % 1000000 = 0 then printf('.%03d', (r.at + r.recorded_after) % 1000000000 / 1000000) when (r.at + r.recorded_after) % 1000 = 0 then printf('.%06d', (r.at + r.recorded_after) % 1000000000 / 1000) else printf('.%09d', (r.at + r.recorded_after) % 1000000000) end || '+00:00'),
    b.pack_id, b.rule_version, b.confirmed, b.failure, r.snapshot, null, b.reclassifies,
    r.run_key, null, null, null, null, b.evidence_id, r.evidence_fetch, r.fetch_id,
    r.run_key_id, r.check_no, r.at, r.repeat_of
from observation_repeats r join observations b on b.id = r.repeat_of;

-- The recomputing triggers again, reading every observation.
drop trigger observations_evidence_u;
drop trigger observations_evidence_d;
drop trigger observations_current_state_u;
drop trigger observations_current_state_d;

create trigger observations_evidence_u
after update of check_id, observed_at, status, source_kind, failure, superseded_by,
                retracted_at on observations
when (old.source_kind <> 'simulated' and old.failure is null and old.superseded_by is null
      and old.retracted_at is null and old.status <> 'unknown')
  <> (new.source_kind <> 'simulated' and new.failure is null and new.superseded_by is null
      and new.retracted_at is null and new.status <> 'unknown')
  or old.check_id <> new.check_id or old.observed_at <> new.observed_at
begin
    -- Adding the new place (as on insert), when it is evidence.
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, ce.last_at, new.observed_at from check_evidence ce
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and ce.check_id = new.check_id and new.observed_at > ce.last_at
      and julianday(new.observed_at) - julianday(ce.last_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, new.observed_at, ce.first_at from check_evidence ce
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and ce.check_id = new.check_id and new.observed_at < ce.first_at
      and julianday(ce.first_at) - julianday(new.observed_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, g.before_at, new.observed_at from evidence_gaps g
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and g.check_id = new.check_id and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(new.observed_at) - julianday(g.before_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, new.observed_at, g.after_at from evidence_gaps g
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and g.check_id = new.check_id and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(g.after_at) - julianday(new.observed_at) > 1;
    delete from evidence_gaps
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
      and check_id = new.check_id and before_at < new.observed_at
      and after_at > new.observed_at;
    insert into check_evidence (check_id, first_at, last_at)
    select new.check_id, new.observed_at, new.observed_at
    where new.source_kind <> 'simulated' and new.failure is null
      and new.superseded_by is null and new.retracted_at is null and new.status <> 'unknown'
    on conflict (check_id) do update
    set first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at);

    -- Removing the old place, when it was evidence and nothing else is at its instant.
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select old.check_id, nb.p, nb.n from (
        select (select o.observed_at from observations_all o
                where o.check_id = old.check_id and o.observed_at < old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at desc limit 1) as p,
               (select o.observed_at from observations_all o
                where o.check_id = old.check_id and o.observed_at > old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at limit 1) as n) nb
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and not exists (select 1 from observations_all o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown')
      and nb.p is not null and nb.n is not null and julianday(nb.n) - julianday(nb.p) > 1;
    delete from evidence_gaps
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and check_id = old.check_id
      and (before_at = old.observed_at or after_at = old.observed_at)
      and not exists (select 1 from observations_all o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    delete from check_evidence
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and check_id = old.check_id
      and not exists (select 1 from observations_all o
                      where o.check_id = old.check_id
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    update check_evidence
    set first_at = (select o.observed_at from observations_all o
                    where o.check_id = old.check_id
                      and o.source_kind <> 'simulated' and o.failure is null
                      and o.superseded_by is null and o.retracted_at is null
                      and o.status <> 'unknown'
                    order by o.observed_at limit 1),
        last_at = (select o.observed_at from observations_all o
                   where o.check_id = old.check_id
                     and o.source_kind <> 'simulated' and o.failure is null
                     and o.superseded_by is null and o.retracted_at is null
                     and o.status <> 'unknown'
                   order by o.observed_at desc limit 1)
    where old.source_kind <> 'simulated' and old.failure is null
      and old.superseded_by is null and old.retracted_at is null and old.status <> 'unknown'
      and check_id = old.check_id
      and (first_at = old.observed_at or last_at = old.observed_at);
end;

create trigger observations_evidence_d after delete on observations
when old.source_kind <> 'simulated' and old.failure is null and old.superseded_by is null
     and old.retracted_at is null and old.status <> 'unknown'
begin
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select old.check_id, nb.p, nb.n from (
        select (select o.observed_at from observations_all o
                where o.check_id = old.check_id and o.observed_at < old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at desc limit 1) as p,
               (select o.observed_at from observations_all o
                where o.check_id = old.check_id and o.observed_at > old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at limit 1) as n) nb
    where not exists (select 1 from observations_all o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown')
      and nb.p is not null and nb.n is not null and julianday(nb.n) - julianday(nb.p) > 1;
    delete from evidence_gaps
    where check_id = old.check_id
      and (before_at = old.observed_at or after_at = old.observed_at)
      and not exists (select 1 from observations_all o
                      where o.check_id = old.check_id and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    delete from check_evidence
    where check_id = old.check_id
      and not exists (select 1 from observations_all o
                      where o.check_id = old.check_id
                        and o.source_kind <> 'simulated' and o.failure is null
                        and o.superseded_by is null and o.retracted_at is null
                        and o.status <> 'unknown');
    update check_evidence
    set first_at = (select o.observed_at from observations_all o
                    where o.check_id = old.check_id
                      and o.source_kind <> 'simulated' and o.failure is null
                      and o.superseded_by is null and o.retracted_at is null
                      and o.status <> 'unknown'
                    order by o.observed_at limit 1),
        last_at = (select o.observed_at from observations_all o
                   where o.check_id = old.check_id
                     and o.source_kind <> 'simulated' and o.failure is null
                     and o.superseded_by is null and o.retracted_at is null
                     and o.status <> 'unknown'
                   order by o.observed_at desc limit 1)
    where check_id = old.check_id
      and (first_at = old.observed_at or last_at = old.observed_at);
end;

create trigger observations_current_state_u
after update of check_id, source_key, observed_at, failure, superseded_by, retracted_at
on observations
when (old.failure is null and old.superseded_by is null and old.retracted_at is null)
  <> (new.failure is null and new.superseded_by is null and new.retracted_at is null)
  or old.check_id <> new.check_id or old.source_key <> new.source_key
  or old.observed_at <> new.observed_at
begin
    delete from current_states
    where old.failure is null and old.superseded_by is null and old.retracted_at is null
      and check_id = old.check_id and source_key = old.source_key
      and observation_id = old.id;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select o.check_id, o.source_key, o.id, o.observed_at from observations_all o
    where old.failure is null and old.superseded_by is null and old.retracted_at is null
      and not exists (select 1 from current_states
                      where check_id = old.check_id and source_key = old.source_key)
      and o.check_id = old.check_id and o.source_key = old.source_key
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.observed_at desc, o.id desc limit 1;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select new.check_id, new.source_key, new.id, new.observed_at
    where new.failure is null and new.superseded_by is null and new.retracted_at is null
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where excluded.observed_at > current_states.observed_at
       or (excluded.observed_at = current_states.observed_at
           and excluded.observation_id > current_states.observation_id);
end;

create trigger observations_current_state_d after delete on observations
when old.failure is null and old.superseded_by is null and old.retracted_at is null
begin
    delete from current_states
    where check_id = old.check_id and source_key = old.source_key
      and observation_id = old.id;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select o.check_id, o.source_key, o.id, o.observed_at from observations_all o
    where not exists (select 1 from current_states
                      where check_id = old.check_id and source_key = old.source_key)
      and o.check_id = old.check_id and o.source_key = old.source_key
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.observed_at desc, o.id desc limit 1;
end;

-- A row whose shown columns change (or its instant), which is superseded or retracted
-- (a row with repeats always counts: readers seek a pair's latest repeat through its latest
-- counting row), or which goes, first unfolds its repeats.
create trigger observations_unfold_u
before update of check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, pack_id, rule_version, confirmed, failure,
    reclassifies, evidence_id, superseded_by, retracted_at on observations
when exists (select 1 from observation_repeats where repeat_of = old.id)
begin
    insert into observations (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id)
    select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id from observations_all
    where id in (select id from observation_repeats where repeat_of = old.id);
    delete from observation_repeats where repeat_of = old.id;
end;

create trigger observations_unfold_d before delete on observations
when exists (select 1 from observation_repeats where repeat_of = old.id)
begin
    insert into observations (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id)
    select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id from observations_all
    where id in (select id from observation_repeats where repeat_of = old.id);
    delete from observation_repeats where repeat_of = old.id;
end;

create trigger observation_repeats_no_update before update on observation_repeats
begin
    select raise(abort, 'observation repeats are not updated: unfold the repeat first');
end;

-- A repeat inserted: what its row inserted would keep.
create trigger observation_repeats_version_i after insert on observation_repeats
begin update data_version set value = value + 1 where id = 1; end;
create trigger observation_repeats_version_d after delete on observation_repeats
begin update data_version set value = value + 1 where id = 1; end;

create trigger observation_repeats_past_i after insert on observation_repeats
when new.at < (unixepoch('now') - 86400) * 1000000000
begin update past_version set value = value + 1 where id = 1; end;
create trigger observation_repeats_past_d after delete on observation_repeats
when old.at < (unixepoch('now') - 86400) * 1000000000
begin update past_version set value = value + 1 where id = 1; end;

create trigger observation_repeats_counts_i after insert on observation_repeats
begin
    insert into check_counts (check_id, observations, real_observations)
    select b.check_id, 1, b.source_kind <> 'simulated' from observations b
    where b.id = new.repeat_of
    on conflict (check_id) do update
    set observations = observations + 1,
        real_observations = real_observations + excluded.real_observations;
end;

create trigger observation_repeats_counts_d after delete on observation_repeats
begin
    update check_counts
    set observations = observations - 1,
        real_observations = real_observations - (select b.source_kind <> 'simulated' from observations b where b.id = old.repeat_of)
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of);
end;

create trigger observation_repeats_probed_pairs_i after insert on observation_repeats
begin
    insert into probed_pairs (check_id, source_key, probed_since)
    select b.check_id, b.source_key, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from observations b
    where b.id = new.repeat_of and b.pack_id is not null
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;
end;

create trigger observation_repeats_current_state_i after insert on observation_repeats
begin
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select b.check_id, b.source_key, new.id, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from observations b
    where b.id = new.repeat_of and b.failure is null
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where excluded.observed_at > current_states.observed_at
       or (excluded.observed_at = current_states.observed_at
           and excluded.observation_id > current_states.observation_id);
end;

create trigger observation_repeats_current_state_d after delete on observation_repeats
begin
    delete from current_states
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of) and source_key = (select b.source_key from observations b where b.id = old.repeat_of) and observation_id = old.id;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select o.check_id, o.source_key, o.id, o.observed_at from observations_all o
    where not exists (select 1 from current_states
                      where check_id = (select b.check_id from observations b where b.id = old.repeat_of) and source_key = (select b.source_key from observations b where b.id = old.repeat_of))
      and o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.source_key = (select b.source_key from observations b where b.id = old.repeat_of)
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.observed_at desc, o.id desc limit 1;
end;

create trigger observation_repeats_evidence_i after insert on observation_repeats
when (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = new.repeat_of)
begin
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, ce.last_at, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from check_evidence ce
    where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') > ce.last_at
      and julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) - julianday(ce.last_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00'), ce.first_at from check_evidence ce
    where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') < ce.first_at
      and julianday(ce.first_at) - julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, g.before_at, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from evidence_gaps g
    where g.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and g.before_at < (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
      and g.after_at > (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
      and julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) - julianday(g.before_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00'), g.after_at from evidence_gaps g
    where g.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and g.before_at < (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
      and g.after_at > (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
      and julianday(g.after_at) - julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) > 1;
    delete from evidence_gaps
    where check_id = (select b.check_id from observations b where b.id = new.repeat_of) and before_at < (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
      and after_at > (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00');
    insert into check_evidence (check_id, first_at, last_at)
    select b.check_id, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00'), (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from observations b
    where b.id = new.repeat_of
    on conflict (check_id) do update
    set first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at);
end;

create trigger observation_repeats_evidence_d after delete on observation_repeats
when (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = old.repeat_of)
begin
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select (select b.check_id from observations b where b.id = old.repeat_of), nb.p, nb.n from (
        select (select o.observed_at from observations_all o
                where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at < (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00')
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at desc limit 1) as p,
               (select o.observed_at from observations_all o
                where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at > (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00')
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at limit 1) as n) nb
    where not exists (select 1 from observations_all o
                      where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00')
                        and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown')
      and nb.p is not null and nb.n is not null and julianday(nb.n) - julianday(nb.p) > 1;
    delete from evidence_gaps
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of)
      and (before_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00') or after_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00'))
      and not exists (select 1 from observations_all o
                      where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00')
                        and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown');
    delete from check_evidence
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of)
      and not exists (select 1 from observations_all o
                      where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown');
    update check_evidence
    set first_at = (select o.observed_at from observations_all o
                    where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                    order by o.observed_at limit 1),
        last_at = (select o.observed_at from observations_all o
                   where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                   order by o.observed_at desc limit 1)
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of)
      and (first_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00') or last_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00'));
end;

-- A row written (a late report) or moved among the repeats of its pair's previous row:
-- the repeats after it are written out whole (they keep what they show), so a base's
-- repeats stay between it and its pair's next row. Not for a repeat being written out
-- whole itself (its id still a repeat's): unfolding writes out a base's repeats from one
-- on, all of them at once.
create trigger observations_unfold_later_i after insert on observations
when not exists (select 1 from observation_repeats x where x.id = new.id)
 and exists (select 1 from observation_repeats r
             where r.repeat_of = (select p.id from observations p
                  where p.check_id = new.check_id and p.source_key = new.source_key
                    and (p.observed_at < new.observed_at
                         or (p.observed_at = new.observed_at and p.id < new.id))
                  order by p.observed_at desc, p.id desc limit 1)
               and (r.at > (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) or (r.at = (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) and r.id > new.id)))
begin
    insert into observations (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id)
    select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage, quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version, confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at, retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id, run_key_id from observation_repeats_shown v
    where v.repeat_of = (select p.id from observations p
                  where p.check_id = new.check_id and p.source_key = new.source_key
                    and (p.observed_at < new.observed_at
                         or (p.observed_at = new.observed_at and p.id < new.id))
                  order by p.observed_at desc, p.id desc limit 1)
      and (v.repeat_at > (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) or (v.repeat_at = (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) and v.id > new.id));
    delete from observation_repeats
    where id in (select r.id from observation_repeats r
                 where r.repeat_of = (select p.id from observations p
                  where p.check_id = new.check_id and p.source_key = new.source_key
                    and (p.observed_at < new.observed_at
                         or (p.observed_at = new.observed_at and p.id < new.id))
                  order by p.observed_at desc, p.id desc limit 1)
                   and (r.at > (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) or (r.at = (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) and r.id > new.id)));
end;

create trigger observations_unfold_later_u after update of check_id, source_key, observed_at on observations
when not exists (select 1 from observation_repeats x where x.id = new.id)
 and exists (select 1 from observation_repeats r
             where r.repeat_of = (select p.id from observations p
                  where p.check_id = new.check_id and p.source_key = new.source_key
                    and (p.observed_at < new.observed_at
                         or (p.observed_at = new.observed_at and p.id < new.id))
                  order by p.observed_at desc, p.id desc limit 1)
               and (r.at > (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) or (r.at = (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) and r.id > new.id)))
begin
    insert into observations (id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version,
    confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at,
    retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id,
    run_key_id)
    select id, check_id, observed_at, precision, status, source_kind, source_key, source_id, vantage, quote, note_en, note_zh, evidence, catalog_key, recorded_at, pack_id, rule_version, confirmed, failure, snapshot, superseded_by, reclassifies, run_key, retracted_at, retracted_by, retraction_reason, retracted_from, evidence_id, evidence_fetch, fetch_id, run_key_id from observation_repeats_shown v
    where v.repeat_of = (select p.id from observations p
                  where p.check_id = new.check_id and p.source_key = new.source_key
                    and (p.observed_at < new.observed_at
                         or (p.observed_at = new.observed_at and p.id < new.id))
                  order by p.observed_at desc, p.id desc limit 1)
      and (v.repeat_at > (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) or (v.repeat_at = (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) and v.id > new.id));
    delete from observation_repeats
    where id in (select r.id from observation_repeats r
                 where r.repeat_of = (select p.id from observations p
                  where p.check_id = new.check_id and p.source_key = new.source_key
                    and (p.observed_at < new.observed_at
                         or (p.observed_at = new.observed_at and p.id < new.id))
                  order by p.observed_at desc, p.id desc limit 1)
                   and (r.at > (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) or (r.at = (unixepoch(substr(new.observed_at, 1, 19)) * 1000000000 + case when substr(new.observed_at, 20, 1) = '.' then cast(substr(replace(replace(substr(new.observed_at, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end) and r.id > new.id)));
end;

-- A repeat raises its check's version (0031) as its row would.
create trigger observation_repeats_check_version_i after insert on observation_repeats
begin
    insert into check_versions (check_id, version)
    select check_id, 1 from check_numbers where no = new.check_no
    on conflict (check_id) do update set version = version + 1;
end;

create trigger observation_repeats_check_version_d after delete on observation_repeats
begin
    insert into check_versions (check_id, version)
    select check_id, 1 from check_numbers where no = old.check_no
    on conflict (check_id) do update set version = version + 1;
end;
