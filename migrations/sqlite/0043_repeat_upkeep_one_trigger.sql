-- One row trigger keeps what eight did for a repeat inserted outside the batch writer's
-- deferred upkeep (issue 15: writes, SQLite). SQLite runs every trigger of a row as its own
-- program, each asking its own `when` even while `repeat_upkeep.deferred` is set: inserting
-- 30,000 repeats with the upkeep deferred took 177–204 ms under 0042's ten triggers and
-- 132–140 ms with these eight folded into one, as fast as with no trigger at all (five
-- alternated runs in the sqlite3 shell on copies of one `bench seed` database). The
-- statements are 0042's, in its order, the past version's condition moved into its UPDATE;
-- none reads a table another of them writes, so their order does not matter. The two
-- evidence triggers (0042, from 0039) stay: each condition guards several statements.
-- SQLite only. Never edit once released: add a file.

drop trigger observation_repeats_version_i;
drop trigger observation_repeats_past_i;
drop trigger observation_repeats_counts_i;
drop trigger observation_repeats_probed_pairs_i;
drop trigger observation_repeats_current_state_i;
drop trigger observation_repeats_check_version_i;
drop trigger observation_repeats_instant_i;
drop trigger observation_repeats_probe_days_i;

create trigger observation_repeats_upkeep_i after insert on observation_repeats
when (select deferred from repeat_upkeep) = 0
begin
    update data_version set value = value + 1 where id = 1;
    update past_version set value = value + 1
    where id = 1 and new.at < (unixepoch('now') - 86400) * 1000000000;
    insert into check_counts (check_id, observations, real_observations)
    select b.check_id, 1, b.source_kind <> 'simulated' from observations b
    where b.id = new.repeat_of
    on conflict (check_id) do update
    set observations = observations + 1,
        real_observations = real_observations + excluded.real_observations;
    insert into probed_pairs (check_id, source_key, probed_since)
    select b.check_id, b.source_key, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from observations b
    where b.id = new.repeat_of and b.pack_id is not null
    on conflict (check_id, source_key) do update set probed_since = excluded.probed_since
    where excluded.probed_since < probed_pairs.probed_since;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select b.check_id, b.source_key, new.id, (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') from observations b
    where b.id = new.repeat_of and b.failure is null
    on conflict (check_id, source_key) do update
    set observation_id = excluded.observation_id, observed_at = excluded.observed_at
    where excluded.observed_at > current_states.observed_at
       or (excluded.observed_at = current_states.observed_at
           and excluded.observation_id > current_states.observation_id);
    insert into check_versions (check_id, version)
    select check_id, 1 from check_numbers where no = new.check_no
    on conflict (check_id) do update set version = version + 1;
    insert or ignore into repeat_instants (at) values (new.at);
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
