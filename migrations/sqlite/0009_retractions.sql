-- Retractions (issue 13): a reviewer withdraws a published observation, with a reason.
-- The row is kept, never deleted: these columns are its retraction record. A retracted
-- observation counts nowhere (state, transitions, charts, compliance) but stays on its
-- pages and in exports, flagged. Never edit once released: add a file.
alter table observations add column retracted_at text;
-- The reviewer's account (pages show its public name, never its login).
alter table observations add column retracted_by integer references accounts (id);
alter table observations add column retraction_reason text;
-- The address the retraction came from ("command line" for `hutong observe retract`).
alter table observations add column retracted_from text;

-- The corrections log lists retractions newest first; they are few beside observations.
create index observations_retracted on observations (retracted_at, id)
    where retracted_at is not null;
