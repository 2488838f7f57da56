-- The data version (0004) is raised once per writing transaction, at its commit, instead of
-- by each statement as it runs. Raised by statement, the one data_version row stayed locked
-- from a transaction's first write to its end, so every writer (workers of a fleet storing
-- verdicts side by side) waited for every other: a transaction now holds that lock only
-- for the moment of its commit. Readers see the new number when the data is visible, as
-- before. Truncation (rare, whole tables) keeps its statement trigger. Never edit once
-- released.
create function hutong_bump_data_version_once() returns trigger language plpgsql as $$
begin
    if current_setting('hutong.data_version_raised', true) is distinct from 'yes' then
        perform set_config('hutong.data_version_raised', 'yes', true);
        update data_version set value = value + 1 where id = 1;
    end if;
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['groups', 'platforms', 'payment_methods', 'check_kinds',
        'statuses', 'checks', 'sources', 'milestones', 'requirements', 'observations',
        'check_sources', 'transitions']
    loop
        execute format('drop trigger %I on %I', t || '_version', t);
        execute format('create trigger %I after truncate on %I
            for each statement execute function hutong_bump_data_version()',
            t || '_version_truncate', t);
        execute format('create constraint trigger %I after insert or update or delete on %I
            deferrable initially deferred
            for each row execute function hutong_bump_data_version_once()',
            t || '_version', t);
    end loop;
end
$$;
