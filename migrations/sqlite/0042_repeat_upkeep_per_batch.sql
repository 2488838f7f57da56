-- A batch of repeats keeps what pages read with a statement per table, not ten triggers a
-- row (issue 15: writes, SQLite). Each repeat inserted ran ten row triggers, each looking its
-- base up again and several turning its instant into text: about two thirds of the time of
-- `bench writes`' INSERT of a batch's repeats. The batch writer (src/storage/batch_write.rs)
-- now sets `repeat_upkeep.deferred` inside its transaction, inserts the repeats whose
-- upkeep it can do per batch, keeps the same tables from their ids with one statement each
-- (the counts, current states, probed pairs, probe days, check versions, instants, the data
-- and past versions, and the evidence times where only a check's last instant moves), and
-- clears it again before anything else is written. Every other writer never sets it, so
-- for them the triggers run as before; no other connection ever sees it set (SQLite writes
-- one transaction at a time and readers see only what is committed). The triggers below are
-- 0032's, 0035's, 0038's and 0039's as they were, each with that condition first.
-- SQLite only: PostgreSQL keeps these per statement (0021, 0032). Never edit once released:
-- add a file.

create table repeat_upkeep (
    id integer primary key check (id = 1),
    deferred integer not null check (deferred in (0, 1))
);
insert into repeat_upkeep (id, deferred) values (1, 0);

drop trigger observation_repeats_version_i;
create trigger observation_repeats_version_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin update data_version set value = value + 1 where id = 1; end;

drop trigger observation_repeats_past_i;
create trigger observation_repeats_past_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
     and new.at < (unixepoch('now') - 86400) * 1000000000
begin update past_version set value = value + 1 where id = 1; end;

drop trigger observation_repeats_counts_i;
create trigger observation_repeats_counts_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin
    insert into check_counts (check_id, observations, real_observations)
    select b.check_id, 1, b.source_kind <> 'simulated' from observations b
    where b.id = new.repeat_of
    on conflict (check_id) do update
    set observations = observations + 1,
        real_observations = real_observations + excluded.real_observations;
end;

drop trigger observation_repeats_probed_pairs_i;
create trigger observation_repeats_probed_pairs_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin
    insert into probed_pairs (check_id, source_key, probed_since)
    select b.check_id, b.source_key, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from observations b
    where b.id = new.repeat_of and b.pack_id is not null
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;
end;

drop trigger observation_repeats_current_state_i;
create trigger observation_repeats_current_state_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
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

drop trigger observation_repeats_check_version_i;
create trigger observation_repeats_check_version_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin
    insert into check_versions (check_id, version)
    select check_id, 1 from check_numbers where no = new.check_no
    on conflict (check_id) do update set version = version + 1;
end;

drop trigger observation_repeats_instant_i;
create trigger observation_repeats_instant_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin
    insert or ignore into repeat_instants (at) values (new.at);
end;

drop trigger observation_repeats_probe_days_i;
create trigger observation_repeats_probe_days_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin
    insert into probe_days (check_id, source_key, day, status, verdicts)
    select b.check_id, b.source_key,
           case when new.at >= 0 then new.at / 86400000000000
                else (new.at + 1) / 86400000000000 - 1 end,
           b.status, 1
    from observations b
    where b.id = new.repeat_of and b.pack_id is not null and b.confirmed = 1
      and b.retracted_at is null and b.superseded_by is null
    on conflict (check_id, source_key, day, status) do update
    set verdicts = verdicts + 1;
end;

drop trigger observation_repeats_evidence_now_i;
create trigger observation_repeats_evidence_now_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
     and (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = new.repeat_of)
     and exists (select 1 from check_evidence ce
            where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of)
              and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') >= ce.last_at
              and julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) - julianday(ce.last_at) <= 1)
begin
    update check_evidence set last_at = (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
    where check_id = (select b.check_id from observations b where b.id = new.repeat_of)
      and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') > last_at;
end;

drop trigger observation_repeats_evidence_i;
create trigger observation_repeats_evidence_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
     and (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = new.repeat_of)
     and not exists (select 1 from check_evidence ce
            where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of)
              and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') >= ce.last_at
              and julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) - julianday(ce.last_at) <= 1)
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
