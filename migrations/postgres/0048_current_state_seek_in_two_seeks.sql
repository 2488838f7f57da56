-- A pair's current state sought in two index seeks instead of a sort of all its repeats.
-- `hutong_current_state_seek` (0019, over every observation since 0032) runs when the
-- observation a pair's current state names stops counting or goes: it is retracted or
-- superseded, a repeat is written out whole, a year of repeats is detached. It asked
-- `observations_all` for the pair's latest counting observation; the repeats' branch of that
-- view is a join, which PostgreSQL cannot read in time order, so it read and sorted every
-- repeat of the pair (17–19 ms for a pair with 50,000 repeats, growing with its history;
-- detaching a year seeks once per pair).
--
-- As `latest_of_pair` reads a pair's latest observation (README, Storage): the pair's latest
-- counting row, by the pair's own index (the row comparisons bound the walk to the pair, so
-- no plan takes the check's index by time and filters by source), then that row's latest
-- repeat, by the index of each base's repeats in time order. A base's repeats lie between it
-- and its pair's next row, and a row with repeats always counts (a row that stops counting
-- writes its repeats out whole first, 0032), so no earlier row has a later repeat. Never edit
-- once released: add a file.

create or replace function hutong_current_state_seek(c text, k text) returns void
language plpgsql as $$
declare
    i bigint;
    t timestamptz;
    ri bigint;
    rt timestamptz;
begin
    select o.id, o.observed_at into i, t from observations o
    where (o.check_id, o.source_key, o.observed_at) <= (c, k, 'infinity'::timestamptz)
      and (o.check_id, o.source_key, o.observed_at) >= (c, k, '-infinity'::timestamptz)
      and o.failure is null and o.superseded_by is null and o.retracted_at is null
    order by o.check_id desc, o.source_key desc, o.observed_at desc, o.id desc
    limit 1;
    if i is not null then
        select r.id, r.observed_at into ri, rt from observation_repeats r
        where r.repeat_of = i
        order by r.observed_at desc, r.id desc
        limit 1;
        if ri is not null and (rt, ri) > (t, i) then
            i := ri;
            t := rt;
        end if;
    end if;
    if i is null then
        delete from current_states where check_id = c and source_key = k;
    else
        insert into current_states (check_id, source_key, observation_id, observed_at)
        values (c, k, i, t)
        on conflict (check_id, source_key) do update
        set observation_id = excluded.observation_id, observed_at = excluded.observed_at;
    end if;
end
$$;
