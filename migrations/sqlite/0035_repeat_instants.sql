-- Repeats' instants kept once each (issue 15: storage per observation). 0032 indexed every
-- repeat by its instant (`observation_repeats_by_time`, about 19 bytes a repeat in the
-- 100-round cashier bench) for one question only: the latest observation at or before a
-- date, which past-date pages are kept under (`Store::latest_observation_at`). The verdicts
-- of one fetch share its instant, so a table of the distinct instants answers it from
-- fewer, smaller rows (an instant is its row's key: no index beside it).
--
-- An instant stays when the repeats at it are unfolded or deleted. The answer may then be
-- an instant at which nothing is stored, never later than the date nor earlier than the
-- true latest observation, so no observation lies between it and the date either: the
-- kept state it names is the date's state. Never edit once released: add a file.

create table repeat_instants (
    -- Nanoseconds since 1970, as `observation_repeats.at`.
    at integer primary key
);

insert or ignore into repeat_instants (at) select at from observation_repeats;

create trigger observation_repeats_instant_i after insert on observation_repeats
begin
    insert or ignore into repeat_instants (at) values (new.at);
end;

drop index observation_repeats_by_time;
