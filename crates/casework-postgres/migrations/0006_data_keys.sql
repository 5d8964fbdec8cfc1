-- Casework PostgreSQL schema, version 6: wrapped data keys (R-8, R-23;
-- casework_core::privacy::key_store).
--
-- One row per owner (a young person `yp-…`, an intelligence report, a workshop): the data key
-- that seals their confidential content and identifying details, wrapped by the service's
-- key-encryption key (`kek_id` names which). Destroying a key (erasure, R-23) sets `kek_id`
-- and `wrapped` to NULL and `destroyed_at`: the row stays as a tombstone, so no new key is
-- ever made for that owner. The old row version stays in the heap until vacuumed and in
-- pg_wal until recycled, and in backups and replicas; all of those are wrapped under a
-- key-encryption key that a rotation afterwards retires. Owner names sort bytewise ("C"),
-- as in every store.
CREATE TABLE data_keys (
    owner         text COLLATE "C" PRIMARY KEY,
    kek_id        text,
    wrapped       bytea,
    created_at    timestamptz,
    destroyed_at  timestamptz,
    CHECK ((wrapped IS NULL) = (kek_id IS NULL)),
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);
