-- Each check's own version (0031) is raised by a write to its transitions too (issue 15,
-- session 32): what a check's page keeps of its history, its changes and its vantage
-- points' changes is kept under the check's version, so a transition written, rebuilt or
-- edited without a write to the check's observations (a catalog load moving a source,
-- hand-made SQL) must change it as well. Never edit once released: add a file.

create trigger transitions_check_version_i after insert on transitions
begin
    insert into check_versions (check_id, version) values (new.check_id, 1)
    on conflict (check_id) do update set version = version + 1;
end;

create trigger transitions_check_version_u after update on transitions
begin
    insert into check_versions (check_id, version) values (new.check_id, 1)
    on conflict (check_id) do update set version = version + 1;
    insert into check_versions (check_id, version)
    select old.check_id, 1 where old.check_id <> new.check_id
    on conflict (check_id) do update set version = version + 1;
end;

create trigger transitions_check_version_d after delete on transitions
begin
    insert into check_versions (check_id, version) values (old.check_id, 1)
    on conflict (check_id) do update set version = version + 1;
end;
