-- Repeats stored thin (issue 15: "storage grows with changes, not runs"). A probe verdict
-- that repeats its pair's newest row (every column equal but its instants, its fetch and its
-- run key, and that row counting: no failure, superseded, retracted or catalog key) is not
-- written as a row of `observations` with its seven index entries: it is a row of
-- `observation_repeats` naming the row it repeats (`repeat_of`, always a row of
-- `observations`) with its own instant, recorded time, fetch and run key. Its id comes from
-- the same numbering as the observations' (the writer takes ids for a batch's rows in
-- order, full rows and repeats alike), so ids stay unique and ordered as before.
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

create table observation_repeats (
    id integer primary key,
    repeat_of integer not null references observations (id),
    observed_at text not null,
    recorded_at text not null,
    -- The repeat's own fetch and run key, in one of the forms a row keeps them (0026, 0027).
    fetch_id integer references fetches (id),
    evidence_fetch text,
    snapshot text,
    run_key_id integer references run_keys (id),
    run_key text
);

-- A base's repeats (readers of a pair, unfolding), and a run's checks through their bases.
create index observation_repeats_by_base on observation_repeats (repeat_of, run_key_id);

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
select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null, r.recorded_at,
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
    run_key_id) as
select r.id, b.check_id, r.observed_at, b.precision, b.status, b.source_kind, b.source_key,
    b.source_id, b.vantage, b.quote, b.note_en, b.note_zh, b.evidence, null, r.recorded_at,
    b.pack_id, b.rule_version, b.confirmed, b.failure, r.snapshot, null, b.reclassifies,
    r.run_key, null, null, null, null, b.evidence_id, r.evidence_fetch, r.fetch_id,
    r.run_key_id
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

-- A row whose shown columns change, or which goes, first unfolds its repeats.
create trigger observations_unfold_u
before update of check_id, precision, status, source_kind, source_key, source_id, vantage,
    quote, note_en, note_zh, evidence, pack_id, rule_version, confirmed, failure,
    reclassifies, evidence_id on observations
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
when new.observed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
begin update past_version set value = value + 1 where id = 1; end;
create trigger observation_repeats_past_d after delete on observation_repeats
when old.observed_at < strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day')
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
    select b.check_id, b.source_key, new.observed_at from observations b
    where b.id = new.repeat_of and b.pack_id is not null
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;
end;

create trigger observation_repeats_current_state_i after insert on observation_repeats
begin
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select b.check_id, b.source_key, new.id, new.observed_at from observations b
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
    select ce.check_id, ce.last_at, new.observed_at from check_evidence ce
    where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and new.observed_at > ce.last_at
      and julianday(new.observed_at) - julianday(ce.last_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select ce.check_id, new.observed_at, ce.first_at from check_evidence ce
    where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and new.observed_at < ce.first_at
      and julianday(ce.first_at) - julianday(new.observed_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, g.before_at, new.observed_at from evidence_gaps g
    where g.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(new.observed_at) - julianday(g.before_at) > 1;
    insert or ignore into evidence_gaps (check_id, before_at, after_at)
    select g.check_id, new.observed_at, g.after_at from evidence_gaps g
    where g.check_id = (select b.check_id from observations b where b.id = new.repeat_of) and g.before_at < new.observed_at
      and g.after_at > new.observed_at
      and julianday(g.after_at) - julianday(new.observed_at) > 1;
    delete from evidence_gaps
    where check_id = (select b.check_id from observations b where b.id = new.repeat_of) and before_at < new.observed_at
      and after_at > new.observed_at;
    insert into check_evidence (check_id, first_at, last_at)
    select b.check_id, new.observed_at, new.observed_at from observations b
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
                where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at < old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at desc limit 1) as p,
               (select o.observed_at from observations_all o
                where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at > old.observed_at
                  and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown'
                order by o.observed_at limit 1) as n) nb
    where not exists (select 1 from observations_all o
                      where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at = old.observed_at
                        and o.source_kind <> 'simulated' and o.failure is null
                  and o.superseded_by is null and o.retracted_at is null
                  and o.status <> 'unknown')
      and nb.p is not null and nb.n is not null and julianday(nb.n) - julianday(nb.p) > 1;
    delete from evidence_gaps
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of)
      and (before_at = old.observed_at or after_at = old.observed_at)
      and not exists (select 1 from observations_all o
                      where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and o.observed_at = old.observed_at
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
      and (first_at = old.observed_at or last_at = old.observed_at);
end;
