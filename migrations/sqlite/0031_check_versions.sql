-- Each check's own version (issue 15, session 29): raised by every write to one of the
-- check's observations (inserted, updated in any column, deleted, moved to or from the
-- check), and by nothing else. What pages keep of a set of checks' current state (the
-- overview's real checks) is kept under the sum of their versions instead of the data
-- version, so probes writing other checks (the simulator's, or a bench's) no longer make
-- those pages read and build every state again. A version only ever grows, so any write
-- to any of the checks changes the sum. Never edit once released: add a file.

create table check_versions (
    check_id text primary key,
    version bigint not null
);

insert into check_versions (check_id, version) select id, 0 from checks where true
on conflict (check_id) do nothing;

create trigger observations_check_version_i after insert on observations
begin
    insert into check_versions (check_id, version) values (new.check_id, 1)
    on conflict (check_id) do update set version = version + 1;
end;

create trigger observations_check_version_u after update on observations
begin
    insert into check_versions (check_id, version) values (new.check_id, 1)
    on conflict (check_id) do update set version = version + 1;
    insert into check_versions (check_id, version)
    select old.check_id, 1 where old.check_id <> new.check_id
    on conflict (check_id) do update set version = version + 1;
end;

create trigger observations_check_version_d after delete on observations
begin
    insert into check_versions (check_id, version) values (old.check_id, 1)
    on conflict (check_id) do update set version = version + 1;
end;
