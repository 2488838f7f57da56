-- A pair's current state sought in two index seeks instead of a sort of all its repeats
-- (as PostgreSQL's 0048). When the observation a pair's current state names stops counting or
-- goes (it is retracted or superseded, a reclassification supersedes it, a repeat is written
-- out whole), three triggers (0032) sought the pair's latest counting observation in
-- `observations_all`, whose repeats are a join SQLite cannot read in time order: it read every
-- repeat of the pair and made each one's instant into text to sort them (about 105 ms for a
-- pair with 50,000 repeats, growing with its history; a reclassification pays it for each
-- verdict it supersedes).
--
-- Now, as `latest_of_pair` reads it: the pair's latest counting row by the pair's index, then
-- that row's latest repeat by the index of each base's repeats in time order, the later of the
-- two. A base's repeats lie between it and its pair's next row, and a row with repeats always
-- counts (a row that stops counting writes its repeats out whole first), so no earlier row has
-- a later repeat. The instants are compared as the text a row keeps (as `latest_of_pair`
-- does): one format, so text order is time order. SQLite only. Never edit once released: add a
-- file.

drop trigger observations_current_state_u;
drop trigger observations_current_state_d;
drop trigger observation_repeats_current_state_d;

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
    select old.check_id, old.source_key, s.id, s.observed_at from (
    select * from (
            select * from (select l.id, l.observed_at from observations l
                           where l.check_id = old.check_id and l.source_key = old.source_key
                             and l.failure is null and l.superseded_by is null and l.retracted_at is null
                           order by l.observed_at desc, l.id desc limit 1)
            union all
            select * from (select r.id, (strftime('%Y-%m-%dT%H:%M:%S', r.at / 1000000000, 'unixepoch') || case when r.at % 1000000000 = 0 then '' when r.at % 1000000 = 0 then printf('.%03d', r.at % 1000000000 / 1000000) when r.at % 1000 = 0 then printf('.%06d', r.at % 1000000000 / 1000) else printf('.%09d', r.at % 1000000000) end || '+00:00') as observed_at
                           from observation_repeats r
                           where r.repeat_of = (select l.id from observations l
                                           where l.check_id = old.check_id and l.source_key = old.source_key
                                             and l.failure is null and l.superseded_by is null and l.retracted_at is null
                                           order by l.observed_at desc, l.id desc limit 1)
                           order by r.at desc, r.id desc limit 1))
        order by observed_at desc, id desc limit 1) s
    where old.failure is null and old.superseded_by is null and old.retracted_at is null
      and not exists (select 1 from current_states
                      where check_id = old.check_id and source_key = old.source_key);
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
    select old.check_id, old.source_key, s.id, s.observed_at from (
    select * from (
            select * from (select l.id, l.observed_at from observations l
                           where l.check_id = old.check_id and l.source_key = old.source_key
                             and l.failure is null and l.superseded_by is null and l.retracted_at is null
                           order by l.observed_at desc, l.id desc limit 1)
            union all
            select * from (select r.id, (strftime('%Y-%m-%dT%H:%M:%S', r.at / 1000000000, 'unixepoch') || case when r.at % 1000000000 = 0 then '' when r.at % 1000000 = 0 then printf('.%03d', r.at % 1000000000 / 1000000) when r.at % 1000 = 0 then printf('.%06d', r.at % 1000000000 / 1000) else printf('.%09d', r.at % 1000000000) end || '+00:00') as observed_at
                           from observation_repeats r
                           where r.repeat_of = (select l.id from observations l
                                           where l.check_id = old.check_id and l.source_key = old.source_key
                                             and l.failure is null and l.superseded_by is null and l.retracted_at is null
                                           order by l.observed_at desc, l.id desc limit 1)
                           order by r.at desc, r.id desc limit 1))
        order by observed_at desc, id desc limit 1) s
    where not exists (select 1 from current_states
                      where check_id = old.check_id and source_key = old.source_key);
end;

create trigger observation_repeats_current_state_d after delete on observation_repeats
begin
    delete from current_states
    where check_id = (select b.check_id from observations b where b.id = old.repeat_of) and source_key = (select b.source_key from observations b where b.id = old.repeat_of) and observation_id = old.id;
    insert into current_states (check_id, source_key, observation_id, observed_at)
    select (select b.check_id from observations b where b.id = old.repeat_of), (select b.source_key from observations b where b.id = old.repeat_of), s.id, s.observed_at from (
    select * from (
            select * from (select l.id, l.observed_at from observations l
                           where l.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and l.source_key = (select b.source_key from observations b where b.id = old.repeat_of)
                             and l.failure is null and l.superseded_by is null and l.retracted_at is null
                           order by l.observed_at desc, l.id desc limit 1)
            union all
            select * from (select r.id, (strftime('%Y-%m-%dT%H:%M:%S', r.at / 1000000000, 'unixepoch') || case when r.at % 1000000000 = 0 then '' when r.at % 1000000 = 0 then printf('.%03d', r.at % 1000000000 / 1000000) when r.at % 1000 = 0 then printf('.%06d', r.at % 1000000000 / 1000) else printf('.%09d', r.at % 1000000000) end || '+00:00') as observed_at
                           from observation_repeats r
                           where r.repeat_of = (select l.id from observations l
                                           where l.check_id = (select b.check_id from observations b where b.id = old.repeat_of) and l.source_key = (select b.source_key from observations b where b.id = old.repeat_of)
                                             and l.failure is null and l.superseded_by is null and l.retracted_at is null
                                           order by l.observed_at desc, l.id desc limit 1)
                           order by r.at desc, r.id desc limit 1))
        order by observed_at desc, id desc limit 1) s
    where not exists (select 1 from current_states
                      where check_id = (select b.check_id from observations b where b.id = old.repeat_of) and source_key = (select b.source_key from observations b where b.id = old.repeat_of));
end;
