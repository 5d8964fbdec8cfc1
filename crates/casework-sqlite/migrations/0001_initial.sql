-- Casework SQLite schema, version 1: the event log, snapshots and the read models.
--
-- Ids are uuids stored as hyphenated lowercase text, so text order is uuid order.
-- Instants are two integers: microseconds since the Unix epoch (UTC), readable with
-- datetime(x / 1000000, 'unixepoch'), and the nanoseconds beyond the microsecond (0-999),
-- so every chrono value round-trips exactly and sorts correctly.

-- Every event of every stream. `position` is the global order (R-28): the rowid, assigned as
-- one more than the largest so far by the single writer, so positions increase in commit
-- order. Events are never deleted (corrections and erasure are new entries or in-place
-- anonymisation), so a position is never reused. The unique key on
-- (stream_kind, stream_id, version) enforces optimistic concurrency: of two writers at one
-- version, one insert fails.
CREATE TABLE events (
    position        INTEGER PRIMARY KEY,
    stream_kind     TEXT    NOT NULL,
    stream_id       TEXT    NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    event_id        TEXT    NOT NULL,
    recorded_at     INTEGER NOT NULL,
    recorded_at_ns  INTEGER NOT NULL DEFAULT 0,
    actor_id        TEXT    NOT NULL,
    actor_name      TEXT    NOT NULL,
    actor_role      TEXT    NOT NULL,
    reason          TEXT,
    UNIQUE (stream_kind, stream_id, version)
);

-- One snapshot per stream, replaced by each newer one.
CREATE TABLE snapshots (
    stream_kind     TEXT    NOT NULL,
    stream_id       TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    schema_version  INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    PRIMARY KEY (stream_kind, stream_id)
) WITHOUT ROWID;

-- One row per case; `body` is the CaseSummary as JSON, the other columns are what queries
-- filter and sort on.
CREATE TABLE case_summaries (
    case_id             TEXT    NOT NULL PRIMARY KEY,
    young_person_id     TEXT    NOT NULL,
    stage               TEXT    NOT NULL,
    risk_rank           INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    received_at_ns      INTEGER NOT NULL,
    next_review_due     INTEGER,
    next_review_due_ns  INTEGER,
    version             INTEGER NOT NULL,
    body                TEXT    NOT NULL
) WITHOUT ROWID;

-- The waiting list (R-7): one stage, High first, then earliest referral, then case id.
CREATE INDEX case_summaries_by_stage
    ON case_summaries (stage, risk_rank DESC, received_at, received_at_ns, case_id);
-- A young person's cases (R-17), oldest referral first.
CREATE INDEX case_summaries_by_young_person
    ON case_summaries (young_person_id, received_at, received_at_ns, case_id);
-- Overdue reviews (R-12), longest overdue first; only cases with a review due.
CREATE INDEX case_summaries_by_review_due
    ON case_summaries (next_review_due, next_review_due_ns, case_id)
    WHERE next_review_due IS NOT NULL;

-- One row per owed action (R-5), kept with its case; `body` is the OwedActionSummary.
CREATE TABLE owed_actions (
    case_id     TEXT    NOT NULL,
    action_id   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    due_at_ns   INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (case_id, action_id)
) WITHOUT ROWID;

-- Outstanding actions, soonest due first.
CREATE INDEX owed_actions_by_status
    ON owed_actions (status, due_at, due_at_ns, action_id);

-- One row per young person; `body` is the YoungPersonSummary. Indexed for duplicate
-- checks at intake (R-26).
CREATE TABLE young_people (
    young_person_id     TEXT    NOT NULL PRIMARY KEY,
    date_of_birth       TEXT    NOT NULL,
    postcode_district   TEXT    NOT NULL,
    registered_at       INTEGER NOT NULL,
    registered_at_ns    INTEGER NOT NULL,
    version             INTEGER NOT NULL,
    body                TEXT    NOT NULL
) WITHOUT ROWID;

CREATE INDEX young_people_by_birth_and_district
    ON young_people (date_of_birth, postcode_district);
