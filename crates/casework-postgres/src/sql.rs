//! The SQL this store runs, for a DBA reviewing plans and for the `EXPLAIN` tests.
//!
//! Every value is a bound parameter (`$n`); the only literals are the constant stage and
//! status names that the partial indexes are defined on, so the planner can match them,
//! `'-infinity'`/`'infinity'` standing for an open end of a listing window, and the hash
//! chain's tag and its 32 zero bytes (R-18, `casework_core::kernel::chain::LINK_TAG`).
//! Statements are prepared once per pooled connection and cached.

/// Columns of an event row, in the order [`LOAD_AFTER`] and [`LOAD_LATEST`] return them.
macro_rules! event_columns {
    () => {
        "position, version, event_type, schema_version, payload, event_id, recorded_at, \
         actor_id, actor_name, actor_role, reason"
    };
}

/// The events of a stream after a version, in version order.
///
/// `$1` stream kind, `$2` stream id, `$3` version. Index: `events_stream_version_key`.
pub const LOAD_AFTER: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE stream_kind = $1 AND stream_id = $2 AND version > $3 ORDER BY version"
);

/// A stream's snapshot.
///
/// `$1` stream kind, `$2` stream id. Index: the primary key of `snapshots`.
pub const LOAD_SNAPSHOT: &str = "SELECT version, schema_version, state FROM snapshots \
     WHERE stream_kind = $1 AND stream_id = $2";

/// A stream's snapshot and its events from the snapshot's own last version on (all of them
/// without a snapshot), in one round trip.
///
/// The snapshot, if any, is the row whose `position` is NULL (its `payload` column holds the
/// state); the other rows are the events, in version order. The event at the snapshot's
/// version comes too, so the caller can check the snapshot belongs to the stream.
/// `$1` stream kind, `$2` stream id.
pub const LOAD_LATEST: &str = concat!(
    "WITH snap AS MATERIALIZED (",
    "SELECT version, schema_version, state FROM snapshots ",
    "WHERE stream_kind = $1 AND stream_id = $2) ",
    "SELECT NULL::bigint AS position, version, NULL::text AS event_type, schema_version, ",
    "state AS payload, NULL::uuid AS event_id, NULL::timestamptz AS recorded_at, ",
    "NULL::uuid AS actor_id, NULL::text AS actor_name, NULL::text AS actor_role, ",
    "NULL::text AS reason FROM snap ",
    "UNION ALL (SELECT ",
    event_columns!(),
    " FROM events WHERE stream_kind = $1 AND stream_id = $2 ",
    "AND version >= COALESCE((SELECT version FROM snap), 0) ORDER BY version)"
);

/// The stream's current version (0 for none): the follow-up on the rare paths (an append that
/// lost a race, a rewrite naming a version the stream does not have).
pub const STREAM_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_kind = $1 AND stream_id = $2";

/// The hash chain's tag (`casework_core::kernel::chain::LINK_TAG`, "casework/chain/1") and
/// the predecessor of a stream's first event (32 zero bytes), as `bytea` literals.
macro_rules! link_tag {
    () => {
        "'\\x63617365776f726b2f636861696e2f31'::bytea"
    };
}
macro_rules! no_predecessor {
    () => {
        "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea"
    };
}

/// The check and the event insert shared by every append statement; `$digests` is the
/// number of the last parameter, the events' content digests (`bytea[]`, R-18).
///
/// `head` reads the stream's last event off the unique key, `cur` its version; every write
/// below runs only when it equals the expected version (`$3`), so an append that expected a
/// version the stream is not at writes nothing and returns the actual version. Two appends
/// racing at the right version both pass the check; the unique key lets exactly one insert.
///
/// `links` chains the new events to the stored head: row 0 is the head's hash, row n
/// the hash of row n-1 and `sha256(tag ‖ that hash, or 32 zero bytes ‖ digest n)`, so the
/// statement links each event to what is stored, in the same snapshot as the version check:
/// no round trip and no predecessor taken from the caller. A rewrite, which re-hashes stored
/// events, locks the table against appends for its transaction, so the head read here is
/// never one it is changing.
macro_rules! append_head {
    ($digests:literal) => {
        concat!(
            "WITH RECURSIVE head AS MATERIALIZED (\
                 SELECT version, hash FROM events \
                 WHERE stream_kind = $1::text AND stream_id = $2::uuid \
                 ORDER BY version DESC LIMIT 1), \
             cur AS MATERIALIZED (SELECT COALESCE((SELECT version FROM head), 0) AS v), \
             ok AS MATERIALIZED (SELECT (SELECT v FROM cur) = $3::bigint AS ok), \
             links (n, prev, hash) AS (\
                 SELECT 0::bigint, NULL::bytea, (SELECT hash FROM head) \
                 UNION ALL \
                 SELECT l.n + 1, l.hash, sha256(",
            link_tag!(),
            " || COALESCE(l.hash, ",
            no_predecessor!(),
            ") || (",
            $digests,
            "::bytea[])[l.n + 1]) FROM links l WHERE l.n < cardinality(",
            $digests,
            "::bytea[])), \
             ins AS (\
                 INSERT INTO events (stream_kind, stream_id, version, event_type, \
                     schema_version, payload, event_id, recorded_at, actor_id, actor_name, \
                     actor_role, reason, prev_hash, hash) \
                 SELECT $1, $2, $3::bigint + e.n, e.event_type, e.schema_version, e.payload, \
                     e.event_id, e.recorded_at, e.actor_id, e.actor_name, e.actor_role, \
                     e.reason, l.prev, l.hash \
                 FROM unnest($4::text[], $5::int4[], $6::text[], $7::uuid[], \
                     $8::timestamptz[], $9::uuid[], $10::text[], $11::text[], $12::text[]) \
                     WITH ORDINALITY AS e(event_type, schema_version, payload, event_id, \
                         recorded_at, actor_id, actor_name, actor_role, reason, n) \
                 JOIN links l ON l.n = e.n \
                 WHERE (SELECT ok FROM ok) \
                 RETURNING 1), \
         snap AS (\
             INSERT INTO snapshots (stream_kind, stream_id, version, schema_version, state) \
             SELECT $13::text, $14::uuid, $15::bigint, $16::int4, $17::text \
             WHERE $15::bigint IS NOT NULL AND (SELECT ok FROM ok) \
             ON CONFLICT (stream_kind, stream_id) DO UPDATE SET version = EXCLUDED.version, \
                 schema_version = EXCLUDED.schema_version, state = EXCLUDED.state \
             WHERE snapshots.version <= EXCLUDED.version)"
        )
    };
}

/// Replaces the stream's listings with the set bound to the four parameters (parallel arrays:
/// kind, key, at, detail), gated on `ok` like every other write, in place and by position:
/// positions 1..n are upserted, and a row whose values did not change is left as it is (not
/// rewritten, no dead tuple); positions past n are deleted. The two sub-statements touch
/// disjoint rows, so running in one snapshot in no promised order is safe. A racing append at
/// the same version that wrote first makes the upsert wait for it and then update its rows,
/// never fail: the loser's error comes from the events' unique key, as a `Conflict`, and takes
/// the whole statement with it.
macro_rules! replace_listings {
    ($kinds:literal, $keys:literal, $ats:literal, $details:literal) => {
        concat!(
            ", listings_set AS (\
                 INSERT INTO listings (stream_kind, stream_id, n, kind, key, at, detail) \
                 SELECT $1::text, $2::uuid, l.n, l.kind, l.key, l.at, l.detail \
                 FROM unnest(",
            $kinds,
            "::text[], ",
            $keys,
            "::text[], ",
            $ats,
            "::timestamptz[], ",
            $details,
            "::text[]) WITH ORDINALITY AS l(kind, key, at, detail, n) \
                 WHERE (SELECT ok FROM ok) \
                 ON CONFLICT (stream_kind, stream_id, n) DO UPDATE SET kind = EXCLUDED.kind, \
                     key = EXCLUDED.key, at = EXCLUDED.at, detail = EXCLUDED.detail \
                 WHERE (listings.kind, listings.key, listings.at, listings.detail) \
                     IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.key, EXCLUDED.at, EXCLUDED.detail)), \
             listings_gone AS (\
                 DELETE FROM listings WHERE stream_kind = $1::text AND stream_id = $2::uuid \
                 AND n > cardinality(",
            $kinds,
            "::text[]) AND (SELECT ok FROM ok))"
        )
    };
}

/// The case's row and owed actions (see [`APPEND_CASE`]).
macro_rules! case_rows {
    () => {
        ", write_owed AS MATERIALIZED (\
             SELECT (SELECT ok FROM ok) AND NOT EXISTS (\
                 SELECT 1 FROM case_summaries WHERE case_id = $2 AND owed = $29::text) AS w), \
         summary AS (\
             INSERT INTO case_summaries (case_id, young_person_id, stage, risk_rank, received_at, \
                 next_review_due, version, body, owed) \
             SELECT $2, $18::uuid, $19::text, $20::bigint, $21::timestamptz, \
                 $22::timestamptz, $23::bigint, $24::text, $29::text WHERE (SELECT ok FROM ok) \
             ON CONFLICT (case_id) DO UPDATE SET young_person_id = EXCLUDED.young_person_id, \
                 stage = EXCLUDED.stage, risk_rank = EXCLUDED.risk_rank, \
                 received_at = EXCLUDED.received_at, next_review_due = EXCLUDED.next_review_due, \
                 version = EXCLUDED.version, body = EXCLUDED.body, owed = EXCLUDED.owed \
             WHERE case_summaries.version < EXCLUDED.version), \
         owed_new AS (\
             INSERT INTO owed_actions (action_id, case_id, status, due_at, body) \
             SELECT a.action_id, $2, a.status, a.due_at, a.body \
             FROM unnest($25::uuid[], $26::text[], $27::timestamptz[], $28::text[]) \
                 AS a(action_id, status, due_at, body) \
             WHERE (SELECT w FROM write_owed) \
             ON CONFLICT (action_id) DO NOTHING), \
         owed_changed AS (\
             UPDATE owed_actions o SET status = a.status, due_at = a.due_at, body = a.body \
             FROM unnest($25::uuid[], $26::text[], $27::timestamptz[], $28::text[]) \
                 AS a(action_id, status, due_at, body) \
             WHERE o.action_id = a.action_id AND o.case_id = $2 AND (SELECT w FROM write_owed) \
             AND (o.status, o.due_at, o.body) IS DISTINCT FROM (a.status, a.due_at, a.body)), \
         owed_gone AS (\
             DELETE FROM owed_actions WHERE case_id = $2 AND action_id <> ALL($25::uuid[]) \
             AND (SELECT w FROM write_owed))"
    };
}

/// The young person's row (see [`APPEND_YOUNG_PERSON`]).
macro_rules! person_row {
    () => {
        ", person AS (\
             INSERT INTO young_people (young_person_id, birth_year, postcode_district, \
                 registered_at, version, body) \
             SELECT $2, $18::integer, $19::text, $20::timestamptz, $21::bigint, $22::text \
             WHERE (SELECT ok FROM ok) \
             ON CONFLICT (young_person_id) DO UPDATE SET birth_year = EXCLUDED.birth_year, \
                 postcode_district = EXCLUDED.postcode_district, \
                 registered_at = EXCLUDED.registered_at, version = EXCLUDED.version, \
                 body = EXCLUDED.body \
             WHERE young_people.version < EXCLUDED.version)"
    };
}

/// Records the command's idempotency key (the two parameters: key, fingerprint), gated on
/// `ok` like every other write: the versions written (`$3 + 1` to `$3` plus the number of
/// events) and the first event's `recorded_at`. The primary key makes an append whose key is
/// already recorded (or being recorded by a racing append) fail whole with
/// `unique_violation` on `idempotency_keys_pkey`.
macro_rules! record_key {
    ($key:literal, $fingerprint:literal) => {
        concat!(
            ", keyed AS (\
                 INSERT INTO idempotency_keys (key, stream_kind, stream_id, first_version, \
                     last_version, fingerprint, recorded_at) \
                 SELECT ",
            $key,
            "::text, $1::text, $2::uuid, $3::bigint + 1, \
                     $3::bigint + cardinality($4::text[]), ",
            $fingerprint,
            "::text, ($8::timestamptz[])[1] \
                 WHERE (SELECT ok FROM ok))"
        )
    };
}

/// What every append statement returns: the stream's version before it.
macro_rules! append_result {
    () => {
        " SELECT v FROM cur"
    };
}

/// Appends a case's events with its read-model rows and snapshot: ONE statement, so one
/// round trip and (in autocommit) one transaction. The stream's listings are left as they are.
///
/// `$1` stream kind, `$2` stream id (the case), `$3` expected version, `$4`–`$12` the events
/// as parallel arrays (type, schema version, payload, event id, recorded at, actor id, actor
/// name, actor role, reason), `$13`–`$17` the snapshot (stream kind, stream id, version or
/// NULL for none, schema version, state), `$18` young person, `$19` stage, `$20` risk rank,
/// `$21` received at, `$22` next review due, `$23` new version, `$24` summary body (without
/// its owed actions), `$25`–`$28` owed actions as parallel arrays (id, status, due at, body),
/// `$29` the owed actions as one JSON array. Returns the stream's version before the append:
/// equal to `$3` when the append happened, the actual version when not.
///
/// Most commands leave a case's owed actions as they were: the case's row keeps them as one
/// JSON array (`owed`), and the `owed_actions` rows are only written when it differs.
pub const APPEND_CASE: &str = concat!(append_head!("$30"), case_rows!(), append_result!());

/// [`APPEND_CASE`] that also replaces the stream's listings, in the same statement: `$30`–`$33`
/// the listings as parallel arrays (kind, key, at, detail).
pub const APPEND_CASE_LISTINGS: &str = concat!(
    append_head!("$34"),
    case_rows!(),
    replace_listings!("$30", "$31", "$32", "$33"),
    append_result!()
);

/// Appends a young person's events with their read-model row: one statement, as
/// [`APPEND_CASE`].
///
/// `$1`–`$17` as [`APPEND_CASE`]; `$18` year of birth, `$19` postcode district, `$20`
/// registered at, `$21` new version, `$22` body.
pub const APPEND_YOUNG_PERSON: &str = concat!(append_head!("$23"), person_row!(), append_result!());

/// [`APPEND_YOUNG_PERSON`] that also replaces the stream's listings: `$23`–`$26` (kind, key,
/// at, detail).
pub const APPEND_YOUNG_PERSON_LISTINGS: &str = concat!(
    append_head!("$27"),
    person_row!(),
    replace_listings!("$23", "$24", "$25", "$26"),
    append_result!()
);

/// Appends to a stream with no read-model row of its own
/// ([`ReadModelUpdate::None`](casework_core::read::rows::ReadModelUpdate::None)): the events
/// and the snapshot. `$1`–`$17` as [`APPEND_CASE`].
pub const APPEND_STREAM: &str = concat!(append_head!("$18"), append_result!());

/// [`APPEND_STREAM`] that also replaces the stream's listings: `$18`–`$21` (kind, key, at,
/// detail).
pub const APPEND_STREAM_LISTINGS: &str = concat!(
    append_head!("$22"),
    replace_listings!("$18", "$19", "$20", "$21"),
    append_result!()
);

/// The waiting list in R-7 order. Index: `case_summaries_waiting_list`.
pub const WAITING_LIST: &str =
    "SELECT body, owed FROM case_summaries WHERE stage = 'waiting_list' \
     ORDER BY risk_rank DESC, received_at, case_id";

/// Owed actions not yet discharged, soonest due first. Index: `owed_actions_outstanding`.
pub const OUTSTANDING_ACTIONS: &str =
    "SELECT body FROM owed_actions WHERE status = 'owed' ORDER BY due_at, action_id";

/// A young person's cases, oldest referral first. `$1` young person.
/// Index: `case_summaries_young_person`.
pub const CASES_OF: &str = "SELECT body, owed FROM case_summaries WHERE young_person_id = $1 \
     ORDER BY received_at, case_id";

/// Cases whose review was due before `$1`, longest overdue first.
/// Index: `case_summaries_review_due`.
pub const OVERDUE_REVIEWS: &str = "SELECT body, owed FROM case_summaries \
     WHERE next_review_due IS NOT NULL AND next_review_due < $1 \
     ORDER BY next_review_due, case_id";

/// One case's row. `$1` case. Index: the primary key of `case_summaries`.
pub const CASE_SUMMARY: &str = "SELECT body, owed FROM case_summaries WHERE case_id = $1";

/// The columns of a listing row, selected by kind (`$1`).
macro_rules! listing_select {
    () => {
        "SELECT stream_kind, stream_id, key, at, detail FROM listings WHERE kind = $1::text"
    };
}

/// `read_model::listing_order`: time (none last: the default for an ascending column), then
/// stream kind, stream id, key and detail, the text columns in byte order (`COLLATE "C"`).
macro_rules! listing_order {
    () => {
        " ORDER BY at, stream_kind, stream_id, key, detail"
    };
}

/// Every listing of a kind (`$1`), in listing order. Index: `listings_by_kind`.
pub const LISTINGS: &str = concat!(listing_select!(), listing_order!());

/// The listings of a kind (`$1`) with `at` in `[$2, $3)`; a NULL bound is open, and a listing
/// without a time never matches. Index: `listings_by_kind`, read as a range.
pub const LISTINGS_IN_WINDOW: &str = concat!(
    listing_select!(),
    " AND at >= COALESCE($2::timestamptz, '-infinity') \
     AND at < COALESCE($3::timestamptz, 'infinity')",
    listing_order!()
);

/// The listings of a kind (`$1`) with one key (`$2`), in listing order.
/// Index: `listings_by_key`.
pub const LISTINGS_BY_KEY: &str =
    concat!(listing_select!(), " AND key = $2::text", listing_order!());

/// The listings of a kind (`$1`) with one key (`$2`) and `at` in `[$3, $4)`, as
/// [`LISTINGS_IN_WINDOW`]. Index: `listings_by_key`, read as a range.
pub const LISTINGS_BY_KEY_IN_WINDOW: &str = concat!(
    listing_select!(),
    " AND key = $2::text AND at >= COALESCE($3::timestamptz, '-infinity') \
     AND at < COALESCE($4::timestamptz, 'infinity')",
    listing_order!()
);

/// Where a page of listings starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// At the start of the list.
    None,
    /// After a listing with a time: the timed listings after it.
    Timed,
    /// After a listing without one: the untimed listings after it (they come last).
    Untimed,
}

/// The shape of a page's statement ([`listing_page`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageShape {
    /// One key only.
    pub key: bool,
    /// A time window (`from`, `to`; a NULL bound is open, as [`LISTINGS_IN_WINDOW`]).
    pub window: bool,
    /// Where the page starts.
    pub after: After,
    /// Whether the position has a detail (else it is after every listing tied with it on
    /// time, stream and key, and the detail is neither compared nor a parameter).
    pub after_detail: bool,
    /// Only the listings without a time (the second part of a page after a timed one).
    pub untimed_only: bool,
    /// With a `LIMIT`.
    pub limit: bool,
}

/// A page of a kind's listings, in listing order: the parameters, numbered in this order,
/// are the kind, the key (when [`PageShape::key`]), `from` and `to` (when
/// [`PageShape::window`]), the position (its time when [`After::Timed`], then its stream kind,
/// stream id, key and, when [`PageShape::after_detail`], detail) and the limit. The position is a row comparison over the
/// index's columns (then detail), read as a range of `listings_by_kind` or `listings_by_key`.
#[must_use]
pub fn listing_page(shape: PageShape) -> String {
    let mut n = 1;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut sql = String::from(listing_select!());
    if shape.key {
        sql.push_str(&format!(" AND key = {}::text", next()));
    }
    if shape.window {
        let (from, to) = (next(), next());
        sql.push_str(&format!(
            " AND at >= COALESCE({from}::timestamptz, '-infinity') \
             AND at < COALESCE({to}::timestamptz, 'infinity')"
        ));
    }
    if shape.untimed_only {
        sql.push_str(" AND at IS NULL");
    }
    let tie = |next: &mut dyn FnMut() -> String| {
        let (kind, id, key) = (next(), next(), next());
        if shape.after_detail {
            let detail = next();
            (
                "stream_kind, stream_id, key, detail",
                format!("{kind}::text, {id}::uuid, {key}::text, {detail}::text"),
            )
        } else {
            (
                "stream_kind, stream_id, key",
                format!("{kind}::text, {id}::uuid, {key}::text"),
            )
        }
    };
    match shape.after {
        After::None => {}
        After::Timed => {
            let at = next();
            let (columns, values) = tie(&mut next);
            sql.push_str(&format!(
                " AND (at, {columns}) > ({at}::timestamptz, {values})"
            ));
        }
        After::Untimed => {
            let (columns, values) = tie(&mut next);
            sql.push_str(&format!(" AND at IS NULL AND ({columns}) > ({values})"));
        }
    }
    sql.push_str(listing_order!());
    if shape.limit {
        sql.push_str(&format!(" LIMIT {}::bigint", next()));
    }
    sql
}

/// The stream's current version (`$1` kind, `$2` id), for the rows a rewrite writes: the
/// next append's rows, at a higher version, replace them.
macro_rules! current_version {
    () => {
        "(SELECT COALESCE(MAX(version), 0) FROM events \
          WHERE stream_kind = $1::text AND stream_id = $2::uuid)"
    };
}

/// The part every rewrite statement shares: checks that every version named exists, and only
/// then rewrites those events' payload and reason, deletes the stream's snapshot and replaces
/// its listings.
///
/// `$1` stream kind, `$2` stream id, `$3`–`$5` the rewritten events as parallel arrays
/// (version, payload, reason; each version once), `$6`–`$9` the listings as parallel arrays
/// (kind, key, at, detail). Events are never deleted, so the check cannot be overtaken.
macro_rules! rewrite_head {
    () => {
        concat!(
            "WITH ok AS MATERIALIZED (\
                 SELECT count(*) = cardinality($3::int8[]) AS ok FROM events \
                 WHERE stream_kind = $1::text AND stream_id = $2::uuid \
                 AND version = ANY($3::int8[])), \
             rewritten AS (\
                 UPDATE events e SET payload = r.payload, reason = r.reason \
                 FROM unnest($3::int8[], $4::text[], $5::text[]) AS r(version, payload, reason) \
                 WHERE e.stream_kind = $1::text AND e.stream_id = $2::uuid \
                 AND e.version = r.version AND (SELECT ok FROM ok)), \
             snap AS (\
                 DELETE FROM snapshots WHERE stream_kind = $1::text AND stream_id = $2::uuid \
                 AND (SELECT ok FROM ok))",
            replace_listings!("$6", "$7", "$8", "$9")
        )
    };
}

/// What every rewrite statement returns: whether every version it named existed (when not,
/// it wrote nothing).
macro_rules! rewrite_result {
    () => {
        " SELECT ok FROM ok"
    };
}

/// Rewrites history for anonymisation, for a stream without a row of its own: ONE
/// statement, so one round trip and (in autocommit) one transaction. See `rewrite_head!` for
/// `$1`–`$9`. Returns false, having written nothing, when a version named does not exist.
/// Index: `events_stream_version_key` (the check and the update), the primary keys of
/// `snapshots` and `listings`.
pub const REWRITE_STREAM: &str = concat!(rewrite_head!(), rewrite_result!());

/// [`REWRITE_STREAM`] for a case: also replaces its row and owed actions, whatever their
/// version, tagging the row with the stream's current version. `$10` young person, `$11`
/// stage, `$12` risk rank, `$13` received at, `$14` next review due, `$15` body (without the
/// owed actions), `$16` owed actions as JSON, `$17`–`$20` owed actions as parallel arrays (id,
/// status, due at, body).
pub const REWRITE_CASE: &str = concat!(
    rewrite_head!(),
    ", summary AS (\
         INSERT INTO case_summaries (case_id, young_person_id, stage, risk_rank, received_at, \
             next_review_due, version, body, owed) \
         SELECT $2, $10::uuid, $11::text, $12::bigint, $13::timestamptz, $14::timestamptz, ",
    current_version!(),
    ", $15::text, $16::text WHERE (SELECT ok FROM ok) \
         ON CONFLICT (case_id) DO UPDATE SET young_person_id = EXCLUDED.young_person_id, \
             stage = EXCLUDED.stage, risk_rank = EXCLUDED.risk_rank, \
             received_at = EXCLUDED.received_at, next_review_due = EXCLUDED.next_review_due, \
             version = EXCLUDED.version, body = EXCLUDED.body, owed = EXCLUDED.owed), \
     owed_set AS (\
         INSERT INTO owed_actions (action_id, case_id, status, due_at, body) \
         SELECT a.action_id, $2, a.status, a.due_at, a.body \
         FROM unnest($17::uuid[], $18::text[], $19::timestamptz[], $20::text[]) \
             AS a(action_id, status, due_at, body) \
         WHERE (SELECT ok FROM ok) \
         ON CONFLICT (action_id) DO UPDATE SET status = EXCLUDED.status, \
             due_at = EXCLUDED.due_at, body = EXCLUDED.body \
         WHERE owed_actions.case_id = EXCLUDED.case_id), \
     owed_gone AS (\
         DELETE FROM owed_actions WHERE case_id = $2 AND action_id <> ALL($17::uuid[]) \
         AND (SELECT ok FROM ok))",
    rewrite_result!()
);

/// [`REWRITE_STREAM`] for a young person: also replaces the row, tagged with the stream's
/// current version. `$10` year of birth, `$11` postcode district, `$12` registered at, `$13`
/// body.
pub const REWRITE_YOUNG_PERSON: &str = concat!(
    rewrite_head!(),
    ", person AS (\
         INSERT INTO young_people (young_person_id, birth_year, postcode_district, \
             registered_at, version, body) \
         SELECT $2, $10::integer, $11::text, $12::timestamptz, ",
    current_version!(),
    ", $13::text WHERE (SELECT ok FROM ok) \
         ON CONFLICT (young_person_id) DO UPDATE SET birth_year = EXCLUDED.birth_year, \
             postcode_district = EXCLUDED.postcode_district, \
             registered_at = EXCLUDED.registered_at, version = EXCLUDED.version, \
             body = EXCLUDED.body)",
    rewrite_result!()
);

/// [`APPEND_CASE`] that also records the command's idempotency key: `$30` key, `$31`
/// fingerprint (see `record_key!`).
pub const APPEND_CASE_KEYED: &str = concat!(
    append_head!("$32"),
    case_rows!(),
    record_key!("$30", "$31"),
    append_result!()
);

/// [`APPEND_CASE_LISTINGS`] that also records the key: `$34` key, `$35` fingerprint.
pub const APPEND_CASE_LISTINGS_KEYED: &str = concat!(
    append_head!("$36"),
    case_rows!(),
    replace_listings!("$30", "$31", "$32", "$33"),
    record_key!("$34", "$35"),
    append_result!()
);

/// [`APPEND_YOUNG_PERSON`] that also records the key: `$23` key, `$24` fingerprint.
pub const APPEND_YOUNG_PERSON_KEYED: &str = concat!(
    append_head!("$25"),
    person_row!(),
    record_key!("$23", "$24"),
    append_result!()
);

/// [`APPEND_YOUNG_PERSON_LISTINGS`] that also records the key: `$27` key, `$28` fingerprint.
pub const APPEND_YOUNG_PERSON_LISTINGS_KEYED: &str = concat!(
    append_head!("$29"),
    person_row!(),
    replace_listings!("$23", "$24", "$25", "$26"),
    record_key!("$27", "$28"),
    append_result!()
);

/// [`APPEND_STREAM`] that also records the key: `$18` key, `$19` fingerprint.
pub const APPEND_STREAM_KEYED: &str = concat!(
    append_head!("$20"),
    record_key!("$18", "$19"),
    append_result!()
);

/// [`APPEND_STREAM_LISTINGS`] that also records the key: `$22` key, `$23` fingerprint.
pub const APPEND_STREAM_LISTINGS_KEYED: &str = concat!(
    append_head!("$24"),
    replace_listings!("$18", "$19", "$20", "$21"),
    record_key!("$22", "$23"),
    append_result!()
);

/// The append recorded under an idempotency key (`$1`). Index: `idempotency_keys_pkey`.
pub const IDEMPOTENT_APPEND: &str = "SELECT stream_kind, stream_id, first_version, \
     last_version, fingerprint, recorded_at FROM idempotency_keys WHERE key = $1";

/// Columns of an event row with its links: [`LOAD_AFTER`]'s, then `prev_hash`, `hash`,
/// `stream_kind` and `stream_id`.
macro_rules! linked_columns {
    () => {
        concat!(
            "SELECT ",
            event_columns!(),
            ", prev_hash, hash, stream_kind, stream_id FROM events"
        )
    };
}

/// A stream's events after a version with their links, in version order.
///
/// `$1` stream kind, `$2` stream id, `$3` version. Index: `events_stream_version_key`.
pub const LOAD_LINKED: &str = concat!(
    linked_columns!(),
    " WHERE stream_kind = $1 AND stream_id = $2 AND version > $3 ORDER BY version"
);

/// The first `$1` events of the store with their links, by stream kind, stream id and
/// version. Index: `events_stream_version_key`.
pub const LINKED_FIRST_PAGE: &str = concat!(
    linked_columns!(),
    " ORDER BY stream_kind, stream_id, version LIMIT $1"
);

/// The next `$4` events after (`$1` stream kind, `$2` stream id, `$3` version), as
/// [`LINKED_FIRST_PAGE`]: a range of `events_stream_version_key`.
pub const LINKED_PAGE: &str = concat!(
    linked_columns!(),
    " WHERE (stream_kind, stream_id, version) > ($1::text, $2::uuid, $3::bigint) \
     ORDER BY stream_kind, stream_id, version LIMIT $4"
);

/// A stream's last version and hash. `$1` stream kind, `$2` stream id.
pub const CHAIN_HEAD: &str = "SELECT version, hash FROM events \
     WHERE stream_kind = $1 AND stream_id = $2 ORDER BY version DESC LIMIT 1";

/// Holds appends (which take `ROW EXCLUSIVE`) off the table for a rewrite's transaction, so
/// no append links to a hash the rewrite is replacing; reads go on.
pub const LOCK_FOR_REWRITE: &str = "LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE";

/// Records the links of a stream's events again (after a rewrite, or for the events written
/// before the chain): `$1` stream kind, `$2` stream id, `$3`–`$5` parallel arrays of
/// version, predecessor's hash and hash.
pub const SET_LINKS: &str = "UPDATE events e SET prev_hash = l.prev, hash = l.hash \
     FROM unnest($3::int8[], $4::bytea[], $5::bytea[]) AS l(version, prev, hash) \
     WHERE e.stream_kind = $1::text AND e.stream_id = $2::uuid AND e.version = l.version";
