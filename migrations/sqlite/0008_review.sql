-- Review of hand tests (issue 13): the thread between a reviewer and a contributor (a
-- send-back's question, the contributor's answer, a rejection's reason), kept whole so a
-- reviewer sees what was asked and answered. Never edit once released: add a file.

create table submission_thread (
    id integer primary key autoincrement,
    submission_id integer not null references submissions (id),
    kind text not null check (kind in ('question', 'answer', 'rejection')),
    account_id integer not null references accounts (id),
    body text not null,
    written_at text not null
);

create index submission_thread_by_submission on submission_thread (submission_id, id);
create index submissions_by_observation on submissions (observation_id);
