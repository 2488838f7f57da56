-- Writers on one PostgreSQL (the fleet's workers, a seed's writers) no longer wait for each
-- other on the one row of `data_version` (0004, raised at commit: 0014) or `past_version`
-- (0025, raised at a transaction's first write of the settled past and locked until its
-- commit, so two such writers ran one after the other). Each table now holds 64 slots; a
-- transaction raises the first slot no other transaction holds (`for update skip locked`),
-- and waits only when all 64 are held. A version is the sum of its slots: every slot only
-- grows, so the sum grows with every committed raise, and a reader sees it grow exactly
-- when it sees the data that raised it, as before. Never edit once released: add a file.

alter table data_version drop constraint data_version_id_check;
alter table data_version add constraint data_version_slot check (id between 1 and 64);
insert into data_version (id, value) select g, 0 from generate_series(2, 64) g;

alter table past_version drop constraint past_version_id_check;
alter table past_version add constraint past_version_slot check (id between 1 and 64);
insert into past_version (id, value) select g, 0 from generate_series(2, 64) g;

-- Raises the data version by one in a slot no other transaction holds (the slot stays
-- locked until this transaction ends, as the one row was).
create function hutong_raise_data_version_slot() returns void language plpgsql as $$
declare
    slot integer;
begin
    select id into slot from data_version order by id for update skip locked limit 1;
    update data_version set value = value + 1 where id = coalesce(slot, 1);
end
$$;

-- Truncation, by statement (0004).
create or replace function hutong_bump_data_version() returns trigger language plpgsql as $$
begin
    perform hutong_raise_data_version_slot();
    return null;
end
$$;

-- Once per writing transaction, at its commit (0014, 0021).
create or replace function hutong_bump_data_version_once() returns trigger language plpgsql as $$
begin
    if current_setting('hutong.data_version_raised', true) is distinct from 'yes' then
        perform set_config('hutong.data_version_raised', 'yes', true);
        perform hutong_raise_data_version_slot();
    end if;
    return null;
end
$$;

-- Once per transaction that writes the settled past (0025, 0029, 0032).
create or replace function hutong_raise_past_version() returns void language plpgsql as $$
declare
    slot integer;
begin
    if current_setting('hutong.past_version_raised', true) is distinct from 'yes' then
        perform set_config('hutong.past_version_raised', 'yes', true);
        select id into slot from past_version order by id for update skip locked limit 1;
        update past_version set value = value + 1 where id = coalesce(slot, 1);
    end if;
end
$$;
