-- Casework on PostgreSQL, schema version 2: listings.
--
-- A listing is one entry of a service-wide list ("what is due when": reviews due, return
-- interviews, partner referrals, disclosures, access records...), written by the append of
-- the stream it describes. Each append that carries listings replaces ALL of its stream's
-- listings, in the same statement as its events; queries select by kind, optionally by key
-- and by a time window, in `casework_core::read_model::listing_order`:
--   at ascending (no time last), stream kind, stream id, key, detail.
--
-- * The text columns the order compares are COLLATE "C" (byte order, which for UTF-8 is
--   code point order, the order of Rust's `str`), whatever the database's collation.
-- * `detail` is JSON text kept byte for byte (text, not jsonb; see 0001) and is not indexed:
--   it may be long, and it only breaks ties between listings equal in everything else (the
--   query sorts on it after the index).
-- * No foreign keys, no sequence: distributable by `stream_id` like `events`.
--
-- A stream's set is written in place, by position: the append upserts positions 1..n (a row
-- whose values did not change is not rewritten) and deletes positions past n, in the same
-- statement as the events. Most replacements change a listing's detail or time, not its
-- kind or key; with the free space of fillfactor 70 a detail-only change stays on its page
-- as a heap-only tuple and touches no index.
CREATE TABLE listings (
    stream_kind  text COLLATE "C" NOT NULL,
    stream_id    uuid             NOT NULL,
    -- Position in the stream's set as the application gave it (1-based).
    n            bigint           NOT NULL,
    kind         text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    at           timestamptz,
    detail       text COLLATE "C" NOT NULL,
    -- Also how an append or a rewrite finds the stream's listings to replace them.
    PRIMARY KEY (stream_kind, stream_id, n)
) WITH (fillfactor = 70);

-- listings(kind [, from, to]): the kind's listings in listing order (at NULLS LAST is the
-- default for an ascending column), a time window read as a range of the index.
CREATE INDEX listings_by_kind ON listings (kind, at, stream_kind, stream_id, key);

-- listings(kind, key [, from, to]): one key's listings of a kind (a case's disclosures, a
-- young person's legal holds), in the same order: the key is fixed, so the order is again
-- the index's. Keys are short (ids, statuses): a key must fit a btree entry (~2.7 KB).
CREATE INDEX listings_by_key ON listings (kind, key, at, stream_kind, stream_id);
