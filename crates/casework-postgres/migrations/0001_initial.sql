-- Casework on PostgreSQL, schema version 1.
--
-- Applied by `PostgresStore::migrate()` inside one transaction, under an advisory lock, and
-- recorded in casework_schema_migrations. Objects are created unqualified, so they land in
-- the first schema of the connection's search_path (normally `public`).
--
-- Design notes (see the crate docs for the reasons and the scale-out notes):
-- * No foreign keys: every table can be distributed by its own key on a sharded engine.
-- * Payloads, snapshots and read-model bodies are `text`, not `jsonb`: the library hands the
--   store JSON text and expects the same bytes back (jsonb reorders keys, drops duplicates,
--   rewrites numbers and refuses \u0000), and text skips jsonb's parse on every insert.
-- * Timestamps are timestamptz (microseconds, the precision the core records at).

-- Every event of every stream. The unique key is the optimistic-concurrency guard: of two
-- appends at the same version exactly one inserts; the other gets unique_violation (23505)
-- on events_stream_version_key, which the adapter maps to AppendError::Conflict.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_kind     text        NOT NULL,
    stream_id       uuid        NOT NULL,
    version         bigint      NOT NULL CHECK (version > 0),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    payload         text        NOT NULL,
    event_id        uuid        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    actor_id        uuid        NOT NULL,
    actor_name      text        NOT NULL,
    actor_role      text        NOT NULL,
    reason          text,
    -- The writing transaction: positions come from a sequence, so they are handed out in
    -- insert order, not commit order. A follower of the global feed (R-28) that reads
    -- `transaction_id < pg_snapshot_xmin(pg_current_snapshot())` never skips an event that
    -- commits late with a lower position. Kept from the first version so the feed needs no
    -- rewrite of a large table.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version_key UNIQUE (stream_kind, stream_id, version)
);

-- The latest snapshot of a stream (a case folded up to `version`), replaced in the same
-- statement as the events it folds.
CREATE TABLE snapshots (
    stream_kind     text    NOT NULL,
    stream_id       uuid    NOT NULL,
    version         bigint  NOT NULL,
    schema_version  integer NOT NULL,
    state           text    NOT NULL,
    PRIMARY KEY (stream_kind, stream_id)
);

-- One row per case: the columns the queries filter and sort on, the CaseSummary as JSON text
-- in `body` (with its owed actions left out) and its owed actions as a JSON array in `owed`.
-- Most commands leave the owed actions as they were; the append compares `owed` and only
-- writes owed_actions rows when it changed.
CREATE TABLE case_summaries (
    case_id          uuid        PRIMARY KEY,
    young_person_id  uuid        NOT NULL,
    stage            text        NOT NULL,
    risk_rank        bigint      NOT NULL,
    received_at      timestamptz NOT NULL,
    next_review_due  timestamptz,
    version          bigint      NOT NULL,
    body             text        NOT NULL,
    owed             text        NOT NULL
) WITH (fillfactor = 70);
-- Every command rewrites its case's row; the free space lets the new version go on the same
-- page as a heap-only tuple (HOT), so the indexes are not touched unless an indexed column
-- (stage, risk, dates) changed.

-- waiting_list(): R-7 order, read straight off a partial index (no sort).
CREATE INDEX case_summaries_waiting_list
    ON case_summaries (risk_rank DESC, received_at, case_id)
    WHERE stage = 'waiting_list';

-- cases_of(): a young person's cases, oldest referral first.
CREATE INDEX case_summaries_young_person
    ON case_summaries (young_person_id, received_at, case_id);

-- overdue_reviews(): cases with a review due, soonest first.
CREATE INDEX case_summaries_review_due
    ON case_summaries (next_review_due, case_id)
    WHERE next_review_due IS NOT NULL;

-- One row per owed action (R-5), replaced with its case's row.
CREATE TABLE owed_actions (
    action_id  uuid        PRIMARY KEY,
    case_id    uuid        NOT NULL,
    status     text        NOT NULL,
    due_at     timestamptz NOT NULL,
    body       text        NOT NULL
) WITH (fillfactor = 70);

-- Replacing a case's actions finds them by case.
CREATE INDEX owed_actions_case ON owed_actions (case_id);

-- outstanding_actions(): soonest due first, only the ones still owed.
CREATE INDEX owed_actions_outstanding
    ON owed_actions (due_at, action_id)
    WHERE status = 'owed';

-- One row per young person.
CREATE TABLE young_people (
    young_person_id    uuid        PRIMARY KEY,
    date_of_birth      date        NOT NULL,
    postcode_district  text        NOT NULL,
    registered_at      timestamptz NOT NULL,
    version            bigint      NOT NULL,
    body               text        NOT NULL
);
