-- Casework on PostgreSQL, schema version 3: idempotency keys.
--
-- A command a client may retry carries a key (scoped to the account acting, e.g.
-- "<staff id>:<client key>") and a fingerprint of the request. The append statement inserts
-- the key's row in the same statement as the events (a keyed twin of each append statement,
-- gated on the same version check), so a key is recorded if and only if its events are, and
-- a retry finds it after a restart. The primary key lets exactly one of two appends with one
-- key insert; the other gets unique_violation (23505) on idempotency_keys_pkey, which the
-- adapter maps to AppendError::KeyTaken, having written nothing, and the service looks the
-- key up and replays the first result.
--
-- A row names what the append wrote: its stream, the versions from first to last, the
-- fingerprint and the first event's recorded_at. No foreign key, as elsewhere (see 0001).
-- Anonymisation (R-23) rewrites events in place and leaves these rows alone: they hold no
-- content of the request, only a digest of it.
CREATE TABLE idempotency_keys (
    key            text COLLATE "C" PRIMARY KEY,
    stream_kind    text        NOT NULL,
    stream_id      uuid        NOT NULL,
    first_version  bigint      NOT NULL CHECK (first_version > 0),
    last_version   bigint      NOT NULL,
    fingerprint    text        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    CHECK (last_version >= first_version)
);
