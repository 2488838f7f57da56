-- A row corrected (retracted, superseded, or its shown columns changed by hand) waits for
-- its pair's writers first, as a row deleted by hand has since 0044. A probe's batch reads
-- its pairs' newest rows, then stores each verdict equal to one as a repeat of it. A
-- retraction committed in between left a repeat of a retracted row: the state pages keep
-- showed the verdict, while a pair's latest sought at any date (through its latest row that
-- counts, then that row's repeats, 0032) passed over it, and the verdict went missing from
-- every matrix at a past date. Waiting, the correction sees the batch's repeats and writes
-- them out whole before the row stops counting (0032), or the batch, waiting, reads the row
-- as corrected and stores its verdict whole. The locks are the writers' own, taken in their
-- order: the pair's advisory lock (batches of hand tests and imports), then its
-- `check_sources` row (probes' batches). A row moved to another pair waits for both pairs'
-- writers, the locks taken in the order writers take them. Never edit once released: add a
-- file.

create or replace function hutong_observation_unfold() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE'
       and (old.check_id, old.observed_at, old.precision, old.status, old.source_kind, old.source_key,
            old.source_id, old.vantage, old.quote, old.note_en, old.note_zh,
            old.evidence::text, old.pack_id, old.rule_version, old.confirmed, old.failure,
            old.reclassifies, old.evidence_id, old.superseded_by, old.retracted_at)
           is not distinct from
           (new.check_id, new.observed_at, new.precision, new.status, new.source_kind, new.source_key,
            new.source_id, new.vantage, new.quote, new.note_en, new.note_zh,
            new.evidence::text, new.pack_id, new.rule_version, new.confirmed, new.failure,
            new.reclassifies, new.evidence_id, new.superseded_by, new.retracted_at) then
        return new;
    end if;
    -- The pair's writers first (both pairs' when the row moves), as they lock: advisory
    -- locks by hash, then `check_sources` rows by check and source.
    perform pg_advisory_xact_lock(hashtext('hutong pair'), p.h)
    from (select distinct hashtext(c || ' ' || k) as h
          from (values (old.check_id, old.source_key),
                       (case when tg_op = 'UPDATE' then new.check_id end,
                        case when tg_op = 'UPDATE' then new.source_key end)) v(c, k)
          where c is not null
          order by 1) p;
    perform 1 from check_sources s
    where (s.check_id, s.source_key) in ((old.check_id, old.source_key))
       or (tg_op = 'UPDATE' and (s.check_id, s.source_key) = (new.check_id, new.source_key))
    order by s.check_id, s.source_key
    for update;
    if exists (select 1 from observation_repeats where repeat_of = old.id) then
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
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end
$$;
