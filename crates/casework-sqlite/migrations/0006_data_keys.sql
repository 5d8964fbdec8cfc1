-- Casework SQLite schema, version 6: wrapped data keys (R-8, R-23; casework_core::privacy::key_store).
--
-- One row per owner (a young person `yp-…`, an intelligence report, a workshop): the data key
-- that seals their confidential content and identifying details, wrapped by the service's
-- key-encryption key (`kek_id` names which). Destroying a key (erasure, R-23) sets `kek_id`
-- and `wrapped` to NULL and `destroyed_at`: the row stays as a tombstone, so no new key is
-- ever made for that owner. The store overwrites the freed bytes (secure_delete) and
-- checkpoints the write-ahead log; copies older than that (backups, replicas) are wrapped
-- under a key-encryption key that a rotation afterwards retires.
CREATE TABLE data_keys (
    owner            TEXT    NOT NULL PRIMARY KEY,
    kek_id           TEXT,
    wrapped          BLOB,
    created_at       INTEGER,
    created_at_ns    INTEGER,
    destroyed_at     INTEGER,
    destroyed_at_ns  INTEGER,
    CHECK ((wrapped IS NULL) = (kek_id IS NULL)),
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
) WITHOUT ROWID;
