-- Repeats written now cost less to keep the charts' evidence times for (issue 15: writes).
-- 0032's trigger keeping `check_evidence` and `evidence_gaps` for an inserted repeat ran six
-- statements a repeat, each turning the repeat's instant into text again (a quarter of
-- `bench writes`' time on SQLite). A probe writing now nearly always stores evidence at or
-- after its check's last, within a day of it: then no gap opens, none is split and the
-- first instant stays, so only the last instant moves. That case is now a trigger of its
-- own doing just that; every other case runs 0032's statements as before (the trigger
-- re-created with the fast case left out of its condition). SQLite only: PostgreSQL keeps
-- these per statement (0021, 0032). Never edit once released: add a file.

drop trigger observation_repeats_evidence_i;

create trigger observation_repeats_evidence_now_i after insert on observation_repeats
when (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = new.repeat_of)
     and exists (select 1 from check_evidence ce
            where ce.check_id = (select b.check_id from observations b where b.id = new.repeat_of)
              and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') >= ce.last_at
              and julianday((strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')) - julianday(ce.last_at) <= 1)
begin
    update check_evidence set last_at = (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00')
    where check_id = (select b.check_id from observations b where b.id = new.repeat_of)
      and (strftime('%Y-%m-%dT%H:%M:%S', new.at / 1000000000, 'unixepoch') || case when new.at % 1000000000 = 0 then '' when new.at % 1000000 = 0 then printf('.%03d', new.at % 1000000000 / 1000000) when new.at % 1000 = 0 then printf('.%06d', new.at % 1000000000 / 1000) else printf('.%09d', new.at % 1000000000) end || '+00:00') > last_at;
end;

create trigger observation_repeats_evidence_i after insert on observation_repeats
when (select b.source_kind <> 'simulated' and b.failure is null and b.status <> 'unknown' from observations b where b.id = new.repeat_of)
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
