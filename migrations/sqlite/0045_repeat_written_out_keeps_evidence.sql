-- A repeat written out whole leaves the evidence times alone at once. Writing a row's
-- repeats out (0032: the row is retracted or superseded, a transition starts at one of them,
-- a late report lands among them) inserts each as a row, then deletes the repeat; the
-- repeat's delete trigger then looked for the evidence before and after its instant, and
-- whether any other observation is at it, through `observations_all`, whose repeats SQLite
-- reads whole (each one's instant made into text to compare): for each repeat, every repeat
-- of the check. Retracting a row with 400 repeats took 1.7 s, 1,000 repeats 263 s beside
-- 50,000 repeats of another check, a year of repeats every 15 minutes hours, the database
-- locked all along.
--
-- A repeat whose instant still has a row of its check that is evidence (always so when it
-- was written out: the row shows what it showed, at its instant) changes nothing the trigger
-- keeps: no gap starts or ends there, the check keeps evidence, and its first and last
-- instants stay. Its `when` now says so, by the index of a check's rows in time order, and
-- the trigger does nothing; a repeat deleted any other way is kept as before. The body is
-- 0032's. SQLite only. Never edit once released: add a file.

drop trigger observation_repeats_evidence_d;

create trigger observation_repeats_evidence_d after delete on observation_repeats
when (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = old.repeat_of)
 and not exists (select 1 from observations o
                 where o.check_id = (select b.check_id from observations b where b.id = old.repeat_of)
                   and o.observed_at = (strftime('%Y-%m-%dT%H:%M:%S', old.at / 1000000000, 'unixepoch') || case when old.at % 1000000000 = 0 then '' when old.at % 1000000 = 0 then printf('.%03d', old.at % 1000000000 / 1000000) when old.at % 1000 = 0 then printf('.%06d', old.at % 1000000000 / 1000) else printf('.%09d', old.at % 1000000000) end || '+00:00')
                   and o.source_kind <> 'simulated' and o.failure is null
                   and o.superseded_by is null and o.retracted_at is null
                   and o.status <> 'unknown')
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
