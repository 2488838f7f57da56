-- One number that changes whenever anything the dashboard reads is written: pages keep
-- what they computed (reference data, states at a date, chart series) while it holds.
-- Maintained by triggers, so every writer counts: this server, `hutong` commands in other
-- processes, hand-made SQL. Never edit once released.
create table data_version (
    id integer primary key check (id = 1),
    value bigint not null
);
insert into data_version (id, value) values (1, 0);
create trigger groups_version_i after insert on groups
begin update data_version set value = value + 1 where id = 1; end;
create trigger groups_version_u after update on groups
begin update data_version set value = value + 1 where id = 1; end;
create trigger groups_version_d after delete on groups
begin update data_version set value = value + 1 where id = 1; end;
create trigger platforms_version_i after insert on platforms
begin update data_version set value = value + 1 where id = 1; end;
create trigger platforms_version_u after update on platforms
begin update data_version set value = value + 1 where id = 1; end;
create trigger platforms_version_d after delete on platforms
begin update data_version set value = value + 1 where id = 1; end;
create trigger payment_methods_version_i after insert on payment_methods
begin update data_version set value = value + 1 where id = 1; end;
create trigger payment_methods_version_u after update on payment_methods
begin update data_version set value = value + 1 where id = 1; end;
create trigger payment_methods_version_d after delete on payment_methods
begin update data_version set value = value + 1 where id = 1; end;
create trigger check_kinds_version_i after insert on check_kinds
begin update data_version set value = value + 1 where id = 1; end;
create trigger check_kinds_version_u after update on check_kinds
begin update data_version set value = value + 1 where id = 1; end;
create trigger check_kinds_version_d after delete on check_kinds
begin update data_version set value = value + 1 where id = 1; end;
create trigger statuses_version_i after insert on statuses
begin update data_version set value = value + 1 where id = 1; end;
create trigger statuses_version_u after update on statuses
begin update data_version set value = value + 1 where id = 1; end;
create trigger statuses_version_d after delete on statuses
begin update data_version set value = value + 1 where id = 1; end;
create trigger checks_version_i after insert on checks
begin update data_version set value = value + 1 where id = 1; end;
create trigger checks_version_u after update on checks
begin update data_version set value = value + 1 where id = 1; end;
create trigger checks_version_d after delete on checks
begin update data_version set value = value + 1 where id = 1; end;
create trigger sources_version_i after insert on sources
begin update data_version set value = value + 1 where id = 1; end;
create trigger sources_version_u after update on sources
begin update data_version set value = value + 1 where id = 1; end;
create trigger sources_version_d after delete on sources
begin update data_version set value = value + 1 where id = 1; end;
create trigger milestones_version_i after insert on milestones
begin update data_version set value = value + 1 where id = 1; end;
create trigger milestones_version_u after update on milestones
begin update data_version set value = value + 1 where id = 1; end;
create trigger milestones_version_d after delete on milestones
begin update data_version set value = value + 1 where id = 1; end;
create trigger requirements_version_i after insert on requirements
begin update data_version set value = value + 1 where id = 1; end;
create trigger requirements_version_u after update on requirements
begin update data_version set value = value + 1 where id = 1; end;
create trigger requirements_version_d after delete on requirements
begin update data_version set value = value + 1 where id = 1; end;
create trigger observations_version_i after insert on observations
begin update data_version set value = value + 1 where id = 1; end;
create trigger observations_version_u after update on observations
begin update data_version set value = value + 1 where id = 1; end;
create trigger observations_version_d after delete on observations
begin update data_version set value = value + 1 where id = 1; end;
create trigger check_sources_version_i after insert on check_sources
begin update data_version set value = value + 1 where id = 1; end;
create trigger check_sources_version_u after update on check_sources
begin update data_version set value = value + 1 where id = 1; end;
create trigger check_sources_version_d after delete on check_sources
begin update data_version set value = value + 1 where id = 1; end;
create trigger transitions_version_i after insert on transitions
begin update data_version set value = value + 1 where id = 1; end;
create trigger transitions_version_u after update on transitions
begin update data_version set value = value + 1 where id = 1; end;
create trigger transitions_version_d after delete on transitions
begin update data_version set value = value + 1 where id = 1; end;
