-- A probe run's whole key kept in `observations.run_key` only by rows written before 0027
-- (and keys not ending in their row's check): every newer row holds null there, yet the
-- unique index of 0002 kept an entry for each of them, written with every observation
-- (issue 15: bytes per observation, writes per second). Only the rows with a key are
-- indexed now; unique as before (nulls never conflicted), and nothing reads it by a null.
-- Never edit once released: add a file.

drop index observations_by_run_key;
create unique index observations_by_run_key on observations (run_key)
    where run_key is not null;
