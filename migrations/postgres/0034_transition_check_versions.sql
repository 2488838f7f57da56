-- Each check's own version (0031) is raised by a write to its transitions too (issue 15,
-- session 32): what a check's page keeps of its history, its changes and its vantage
-- points' changes is kept under the check's version, so a transition written, rebuilt or
-- edited without a write to the check's observations (a catalog load moving a source,
-- hand-made SQL) must change it as well. By statement, each check once, in the order of
-- their ids (0031's function); a writer that wrote the check's observations in the same
-- transaction already holds its row. Never edit once released: add a file.

create function hutong_transition_check_versions_inserted() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(select check_id from tcv_new_rows));
    return null;
end
$$;

create function hutong_transition_check_versions_updated() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(
        select check_id from tcv_new_rows union select check_id from tcv_old_rows));
    return null;
end
$$;

create function hutong_transition_check_versions_deleted() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(select check_id from tcv_old_rows));
    return null;
end
$$;

create function hutong_transition_check_versions_truncated() returns trigger language plpgsql as $$
begin
    perform hutong_check_versions_raise(array(
        select id from checks union select check_id from check_versions));
    return null;
end
$$;

create trigger transitions_check_version_i after insert on transitions
referencing new table as tcv_new_rows
for each statement execute function hutong_transition_check_versions_inserted();

create trigger transitions_check_version_u after update on transitions
referencing old table as tcv_old_rows new table as tcv_new_rows
for each statement execute function hutong_transition_check_versions_updated();

create trigger transitions_check_version_d after delete on transitions
referencing old table as tcv_old_rows
for each statement execute function hutong_transition_check_versions_deleted();

create trigger transitions_check_version_truncate after truncate on transitions
for each statement execute function hutong_transition_check_versions_truncated();
