-- What deleted repeats took away, kept once per statement instead of once per repeat.
-- Repeats are deleted when a row's repeats are written out whole (0032): the row is
-- retracted or superseded (a reviewer, a reclassification), a transition starts at one of
-- them, or a late report lands among them. The delete trigger of 0032 ran for each repeat and
-- updated the same rows each time (the check's count, its version): PostgreSQL keeps every
-- version of a row a transaction updates until it ends, and each update walks past the
-- versions before it, so writing out a row's repeats took time in the square of their number
-- (4,000 repeats 2.65 s, 8,000 repeats 8.35 s; a year of repeats every 15 minutes, about
-- 35,000, some minutes, holding its pair's writers all along).
--
-- Now one statement trigger over the deleted repeats, joined to their bases once: each
-- check's count taken down by its sum (rows locked in check order, as writers lock them),
-- each pair whose current state was one of them sought again, each instant that was evidence
-- and has no row of its check at it any more taken out of the evidence times (an instant a
-- row was written out at stays evidence: nothing to do), the past version raised once, and
-- the checks' versions raised once. Never edit once released: add a file.

drop trigger observation_repeats_deleted on observation_repeats;
drop function hutong_observation_repeat_deleted();

create function hutong_observation_repeats_deleted() returns trigger
language plpgsql as $$
declare
    checks text[];
    pair record;
    gone record;
begin
    select coalesce(array_agg(distinct b.check_id order by b.check_id), array[]::text[])
    into checks
    from repeats_old r join observations b on b.id = r.repeat_of;
    if cardinality(checks) = 0 then
        return null;
    end if;
    perform 1 from check_counts where check_id = any(checks) order by check_id for update;
    update check_counts c
    set observations = c.observations - d.n,
        real_observations = c.real_observations - d.r
    from (select b.check_id, count(*) as n,
                 count(*) filter (where b.source_kind <> 'simulated') as r
          from repeats_old x join observations b on b.id = x.repeat_of
          group by b.check_id) d
    where c.check_id = d.check_id;
    for pair in
        select distinct s.check_id, s.source_key
        from current_states s join repeats_old x on x.id = s.observation_id
        order by 1, 2
    loop
        perform 1 from current_states
        where check_id = pair.check_id and source_key = pair.source_key for update;
        perform hutong_current_state_seek(pair.check_id, pair.source_key);
    end loop;
    for gone in
        select distinct b.check_id, x.observed_at
        from repeats_old x join observations b on b.id = x.repeat_of
        where hutong_is_evidence(b.source_kind, b.failure, null::bigint, null::timestamptz,
                                 b.status)
          and not exists (select 1 from observations o
                          where o.check_id = b.check_id and o.observed_at = x.observed_at
                            and hutong_is_evidence(o.source_kind, o.failure, o.superseded_by,
                                                   o.retracted_at, o.status))
        order by 1, 2
    loop
        perform hutong_evidence_remove(gone.check_id, gone.observed_at);
    end loop;
    if exists (select 1 from repeats_old
               where observed_at < clock_timestamp() - interval '1 day') then
        perform hutong_raise_past_version();
    end if;
    perform hutong_check_versions_raise(checks);
    return null;
end
$$;

create trigger observation_repeats_deleted after delete on observation_repeats
    referencing old table as repeats_old
    for each statement execute function hutong_observation_repeats_deleted();
