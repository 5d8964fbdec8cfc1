-- Casework SQLite schema, version 5: the hash chain of every stream (R-18, ADR 0014).
--
-- Each event records the hash of the event before it in its stream (`prev_hash`, NULL for
-- version 1) and its own (`hash`): SHA-256 over the predecessor's hash and a digest of every
-- column of the row but `position`, as stored (casework_core::kernel::chain says which bytes).
-- The append computes both in its transaction, from the stored predecessor it reads with the
-- version check; a rewrite for anonymisation (R-23) computes them again from its first
-- rewritten version to the stream's end. Both are 32-byte blobs.
--
-- Events written before this version have no hash: the migration hashes them, stream by
-- stream in version order, in the same transaction as these columns (the library does it in
-- Rust right after this file, because SQLite has no SHA-256 of its own). Those links attest
-- the history as it stood at the migration, not as it was first written: a change made
-- before the upgrade is not caught. Nothing else changes; the columns stay NULL-able so a
-- row written without them (by hand, or by an older library on a copy) is reported by
-- `verify` as unhashed rather than refused by the file.
ALTER TABLE events ADD COLUMN prev_hash BLOB;
ALTER TABLE events ADD COLUMN hash BLOB;
