-- Casework SQLite schema, version 3: idempotency keys.
--
-- A command a client may retry carries a key (scoped to the account acting, e.g.
-- "<staff id>:<client key>") and a fingerprint of the request; the append writes the key's
-- row in the same transaction as its events (inside the command's savepoint in a group
-- commit), so a key is recorded if and only if its events are, and a retry finds it after a
-- restart. The primary key makes the second of two appends with one key fail: nothing of it
-- is written, and the service looks the key up and replays the first result.
--
-- A row names what the append wrote: its stream, the versions from first to last, the
-- fingerprint, and the first event's recorded-at (microseconds since the epoch plus the
-- nanoseconds beyond them, as elsewhere). The foreign key ties the row to the last event it
-- names: a key never outlives, or precedes, its events. Anonymisation (R-23) rewrites
-- events in place and leaves these rows alone; they hold no content of the request, only a
-- digest of it.
CREATE TABLE idempotency_keys (
    key             TEXT    NOT NULL PRIMARY KEY,
    stream_kind     TEXT    NOT NULL,
    stream_id       TEXT    NOT NULL,
    first_version   INTEGER NOT NULL CHECK (first_version >= 1),
    last_version    INTEGER NOT NULL,
    fingerprint     TEXT    NOT NULL,
    recorded_at     INTEGER NOT NULL,
    recorded_at_ns  INTEGER NOT NULL,
    CHECK (last_version >= first_version),
    FOREIGN KEY (stream_kind, stream_id, last_version)
        REFERENCES events (stream_kind, stream_id, version)
) WITHOUT ROWID;
