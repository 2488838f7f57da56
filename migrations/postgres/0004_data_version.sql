-- One number that changes whenever anything the dashboard reads is written: pages keep
-- what they computed (reference data, states at a date, chart series) while it holds.
-- Maintained by triggers, so every writer counts: this server, `hutong` commands in other
-- processes, hand-made SQL. Never edit once released.
create table data_version (
    id integer primary key check (id = 1),
    value bigint not null
);
insert into data_version (id, value) values (1, 0);

create function hutong_bump_data_version() returns trigger language plpgsql as $$
begin
    update data_version set value = value + 1 where id = 1;
    return null;
end
$$;
create trigger groups_version after insert or update or delete or truncate on groups
    for each statement execute function hutong_bump_data_version();
create trigger platforms_version after insert or update or delete or truncate on platforms
    for each statement execute function hutong_bump_data_version();
create trigger payment_methods_version after insert or update or delete or truncate on payment_methods
    for each statement execute function hutong_bump_data_version();
create trigger check_kinds_version after insert or update or delete or truncate on check_kinds
    for each statement execute function hutong_bump_data_version();
create trigger statuses_version after insert or update or delete or truncate on statuses
    for each statement execute function hutong_bump_data_version();
create trigger checks_version after insert or update or delete or truncate on checks
    for each statement execute function hutong_bump_data_version();
create trigger sources_version after insert or update or delete or truncate on sources
    for each statement execute function hutong_bump_data_version();
create trigger milestones_version after insert or update or delete or truncate on milestones
    for each statement execute function hutong_bump_data_version();
create trigger requirements_version after insert or update or delete or truncate on requirements
    for each statement execute function hutong_bump_data_version();
create trigger observations_version after insert or update or delete or truncate on observations
    for each statement execute function hutong_bump_data_version();
create trigger check_sources_version after insert or update or delete or truncate on check_sources
    for each statement execute function hutong_bump_data_version();
create trigger transitions_version after insert or update or delete or truncate on transitions
    for each statement execute function hutong_bump_data_version();
