-- Casework SQLite schema, version 2: listings, the one generic read model for service-wide
-- lists ("what is due when"), written by streams with or without a row of their own.
--
-- A stream's listings are replaced as a whole by each append that carries them, so a
-- listing has no identity of its own: rows are addressed by their stream. `kind` is the
-- listing kind's stable name; `key`, `at` and `detail` are opaque to the store. `at` is an
-- instant as elsewhere (microseconds since the epoch plus the nanoseconds beyond them), both
-- NULL when the listing has no time; `detail` is JSON text kept byte for byte.
CREATE TABLE listings (
    stream_kind TEXT    NOT NULL,
    stream_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    at          INTEGER,
    at_ns       INTEGER,
    detail      TEXT    NOT NULL,
    CHECK ((at IS NULL) = (at_ns IS NULL))
);

-- Replacing a stream's listings.
CREATE INDEX listings_by_stream
    ON listings (stream_kind, stream_id);
-- One kind in a time window, in listing order (time, stream kind, stream id, key; only
-- exact ties are sorted further, by detail). Listings without a time come last: SQLite
-- reads `at NULLS LAST` from this ascending index in two passes, timed rows first.
CREATE INDEX listings_by_kind_and_time
    ON listings (kind, at, at_ns, stream_kind, stream_id, key);
-- The same for one key of a kind.
CREATE INDEX listings_by_kind_key_and_time
    ON listings (kind, key, at, at_ns, stream_kind, stream_id);
