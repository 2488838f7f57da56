-- Each check's own version (issue 15, session 29): raised by every write to one of the
-- check's observations (inserted, updated in any column, deleted, moved to or from the
-- check, truncated), and by nothing else. What pages keep of a set of checks' current
-- state (the overview's real checks) is kept under the sum of their versions instead of
-- the data version, so probes writing other checks (the simulator's, or a bench's) no
-- longer make those pages read and build every state again. A version only ever grows,
-- so any committed write to any of the checks changes the sum, whatever the order in
-- which concurrent writers commit. By statement (a batch writes many rows), each check
-- once per statement, taken in the order of their ids so that two writers never wait
-- for each other in a cycle. Never edit once released: add a file.

create table check_versions (
    check_id text primary key,
    version bigint not null
);

insert into check_versions (check_id, version) select id, 0 from checks
on conflict (check_id) do nothing;

create function hutong_check_versions_raise(ids text[]) returns void language sql as $$
    insert into check_versions (check_id, version)
    select distinct u.id, 1 from unnest(ids) as u(id) order by 1
    on conflict (check_id) do update set version = check_versions.version + 1;
$$;

create function hutong_check_versions_inserted() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(select check_id from cv_new_rows));
    return null;
end
$$;

create function hutong_check_versions_updated() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(
        select check_id from cv_new_rows union select check_id from cv_old_rows));
    return null;
end
$$;

create function hutong_check_versions_deleted() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(select check_id from cv_old_rows));
    return null;
end
$$;

create function hutong_check_versions_truncated() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(
        select id from checks union select check_id from check_versions));
    return null;
end
$$;

create trigger observations_check_version_i after insert on observations
referencing new table as cv_new_rows
for each statement execute function hutong_check_versions_inserted();

create trigger observations_check_version_u after update on observations
referencing old table as cv_old_rows new table as cv_new_rows
for each statement execute function hutong_check_versions_updated();

create trigger observations_check_version_d after delete on observations
referencing old table as cv_old_rows
for each statement execute function hutong_check_versions_deleted();

create trigger observations_check_version_truncate after truncate on observations
for each statement execute function hutong_check_versions_truncated();
