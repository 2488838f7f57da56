-- Vantage points (issue 14): where probes run from, as each worker's configuration
-- describes it, so that every process reading this database (the web server on another
-- machine) can say what a vantage point's name stands for. Upserted by name when a worker
-- or `serve` starts. Never edit once released: add a file.

create table vantage_points (
    name text primary key,
    description text,
    network text,
    region text,
    account_region text,
    device text,
    first_registered_at text not null,
    registered_at text not null
);
