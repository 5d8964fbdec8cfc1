//! Tamper-evident history (R-18): every stored event is linked to the one before it by hash.
//!
//! Each event a store keeps carries two hashes (a [`Link`]): its predecessor's in the same
//! stream (none for version 1) and its own, SHA-256 over its predecessor's hash and the
//! event's **stored** bytes:
//!
//! ```text
//! hash   = SHA-256("casework/chain/1" ‖ predecessor's hash, or 32 zero bytes ‖ digest)
//! digest = SHA-256("casework/event/1" ‖ kind ‖ stream uuid ‖ version ‖ event type
//!                  ‖ schema version ‖ payload ‖ event id ‖ recorded at ‖ actor id
//!                  ‖ actor name ‖ actor role ‖ reason)
//! ```
//!
//! Texts are their UTF-8 bytes after a big-endian `u64` length; uuids their 16 bytes; the
//! version a big-endian `u64`, the schema version a `u32`; the time the microseconds since the
//! Unix epoch (`i64`) then the nanoseconds beyond the microsecond (`u32`, 0 on PostgreSQL,
//! which keeps microseconds); the reason a `0` byte when there is none, else `1` and the text.
//! Everything a store keeps of an event is covered except its global position (R-28's order
//! across streams, assigned by the database). The payload and the reason are hashed as they are
//! stored, so encrypted content is hashed as ciphertext: destroying a person's key (R-23)
//! leaves every link intact, and nothing here ever needs the plain text.
//!
//! A change to any covered byte changes the event's hash, and so the predecessor every later
//! event records: [`verify_stream`] walks a stream in version order and names the first link
//! that does not hold ([`ChainBreak`]: edited, missing, reordered, inserted, relinked,
//! unhashed, or truncated against a version something else recorded), and [`check_pin`]
//! checks that a stream still has a hash someone wrote down (a head in an export for a
//! serious case review, a rewrite recorded on a retention stream). Someone with write access
//! to the database who also recomputes every later hash is caught only by such a pin kept
//! elsewhere: the chain itself is unkeyed, so anyone may check it without a secret.
//!
//! The split of the hash into a digest and a link is what lets a store compute the
//! expensive part (the digest of a payload) before its transaction, and chain it to the
//! stored predecessor inside it with one small hash per event; PostgreSQL does that part in
//! the append statement itself (`sha256` of 80 bytes), so the chain costs no round trip.
//! [`ChainExport`] carries one case's stored events with their links, checkable by
//! [`verify_export`] without the database. See ADR 0014.
//!
//! Why one module of this size: the bytes hashed, the links and the checks that name a break
//! are one definition, read and changed together; the tests of every kind of break are about
//! half of it.

use crate::kernel::actor::Actor;
use crate::kernel::event::{NewEvent, RecordedEvent};
use crate::kernel::ids::{EventId, StaffId, StreamId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use thiserror::Error;

/// What an event's digest starts with: the encoding's name and version.
pub const DIGEST_TAG: &[u8] = b"casework/event/1";

/// What a link's hash starts with (the PostgreSQL append statement uses the same bytes).
pub const LINK_TAG: &[u8] = b"casework/chain/1";

/// A SHA-256 hash in the chain: an event's own, or the one it records for its predecessor.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventHash([u8; 32]);

impl EventHash {
    /// Wraps 32 bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From stored bytes; `None` unless exactly 32.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The 32 bytes, as stored.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From 64 hexadecimal digits (either case); `None` for anything else.
    #[must_use]
    pub fn parse_hex(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in text.chunks(2).enumerate() {
            let digit = |c: u8| char::from(c).to_digit(16);
            bytes[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for EventHash {
    /// 64 lowercase hexadecimal digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventHash({self})")
    }
}

impl Serialize for EventHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("an event hash is 64 hexadecimal digits"))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for EventHash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventHash".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256, 64 lowercase hexadecimal digits"
        })
    }
}

/// An event's digest: SHA-256 of its stored content, without its predecessor.
pub type ContentDigest = [u8; 32];

/// What of a stored event the chain covers: every column but the global position, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored<'a> {
    /// Its stream.
    pub stream: StreamId,
    /// Its version in the stream.
    pub version: u64,
    /// Its type name.
    pub event_type: &'a str,
    /// Its payload's schema version.
    pub schema_version: u32,
    /// Its payload, as stored (ciphertext, where the content is encrypted).
    pub payload: &'a str,
    /// Its id.
    pub event_id: EventId,
    /// When it was recorded, at the precision the store keeps.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub actor_id: StaffId,
    /// Their name, as stored.
    pub actor_name: &'a str,
    /// Their role, as stored (`worker`, `manager`, …).
    pub actor_role: &'a str,
    /// The stated reason, as stored.
    pub reason: Option<&'a str>,
}

impl<'a> Stored<'a> {
    /// What a loaded event covers.
    #[must_use]
    pub fn recorded(event: &'a RecordedEvent) -> Self {
        Self::of(
            event.stream,
            event.version,
            event.event_type.as_str(),
            event,
        )
    }

    /// What `event` will cover once stored at `version` of `stream`. A store keeping times at
    /// a coarser precision sets [`Stored::recorded_at`] to the time it stores.
    #[must_use]
    pub fn new(stream: StreamId, version: u64, event: &'a NewEvent) -> Self {
        Self {
            stream,
            version,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            payload: &event.payload,
            event_id: event.meta.event_id,
            recorded_at: event.meta.recorded_at,
            actor_id: event.meta.actor.id,
            actor_name: &event.meta.actor.name,
            actor_role: event.meta.actor.role.as_str(),
            reason: event.meta.reason.as_deref(),
        }
    }

    fn of(stream: StreamId, version: u64, event_type: &'a str, e: &'a RecordedEvent) -> Self {
        let actor: &'a Actor = &e.meta.actor;
        Self {
            stream,
            version,
            event_type,
            schema_version: e.schema_version,
            payload: &e.payload,
            event_id: e.meta.event_id,
            recorded_at: e.meta.recorded_at,
            actor_id: actor.id,
            actor_name: &actor.name,
            actor_role: actor.role.as_str(),
            reason: e.meta.reason.as_deref(),
        }
    }

    /// SHA-256 over the covered bytes, in the order the module docs give.
    #[must_use]
    pub fn digest(&self) -> ContentDigest {
        let mut h = Sha256::new();
        let text = |h: &mut Sha256, s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        h.update(DIGEST_TAG);
        text(&mut h, self.stream.kind());
        h.update(self.stream.uuid().as_bytes());
        h.update(self.version.to_be_bytes());
        text(&mut h, self.event_type);
        h.update(self.schema_version.to_be_bytes());
        text(&mut h, self.payload);
        h.update(self.event_id.as_uuid().as_bytes());
        h.update(self.recorded_at.timestamp_micros().to_be_bytes());
        h.update((self.recorded_at.timestamp_subsec_nanos() % 1_000).to_be_bytes());
        h.update(self.actor_id.as_uuid().as_bytes());
        text(&mut h, self.actor_name);
        text(&mut h, self.actor_role);
        match self.reason {
            None => h.update([0u8]),
            Some(reason) => {
                h.update([1u8]);
                text(&mut h, reason);
            }
        }
        h.finalize().into()
    }
}

/// An event's hash: SHA-256 over [`LINK_TAG`], its predecessor's hash (32 zero bytes for the
/// first event of a stream) and its digest.
#[must_use]
pub fn link(prev: Option<&EventHash>, digest: &ContentDigest) -> EventHash {
    let mut h = Sha256::new();
    h.update(LINK_TAG);
    h.update(prev.map_or(&[0u8; 32], EventHash::as_bytes));
    h.update(digest);
    EventHash(h.finalize().into())
}

/// The links of consecutive events whose digests are `digests`, the first following an event
/// whose hash is `prev` (`None`: the first follows nothing, it is version 1). What an append
/// records, and what a rewrite records again from its first rewritten version on.
#[must_use]
pub fn chain(
    prev: Option<EventHash>,
    digests: impl IntoIterator<Item = ContentDigest>,
) -> Vec<Link> {
    let mut prev = prev;
    digests
        .into_iter()
        .map(|d| {
            let hash = link(prev.as_ref(), &d);
            let l = Link {
                prev,
                hash: Some(hash),
            };
            prev = Some(hash);
            l
        })
        .collect()
}

/// The two hashes a stored event carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The hash it records for its predecessor in the stream; `None` for version 1.
    pub prev: Option<EventHash>,
    /// Its own hash; `None` only for a row no store of this library wrote (the migration
    /// that added the chain hashed every event before it).
    pub hash: Option<EventHash>,
}

/// A stored event with its link, as a store reads it back for checking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    /// The event.
    pub event: RecordedEvent,
    /// Its hashes.
    pub link: Link,
}

/// The last link of a stream: its version and hash. Written down (in an export, on a
/// retention stream, anywhere outside the database), it pins everything before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamHead {
    /// The stream.
    pub stream: StreamId,
    /// Its last version.
    pub version: u64,
    /// That event's hash.
    pub hash: EventHash,
}

/// What is wrong at the first broken link.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Break {
    /// The event's stored content (its type, payload, time, actor, reason or version) no
    /// longer hashes to its recorded hash: edited after it was written, or written outside a
    /// store.
    #[error("its stored content no longer matches its hash: edited after it was written")]
    Edited,
    /// Events are gone before this one: the event found where this version should be was
    /// written as version `found` (the stream jumps there, or later events were renumbered).
    #[error("events are missing: the event here was written as version {found}")]
    Missing {
        /// The version the event found here was written as.
        found: u64,
    },
    /// The event records as its predecessor an event that now comes after it.
    #[error("order changed: it records version {predecessor_now_at} as its predecessor")]
    Reordered {
        /// Where its recorded predecessor is now.
        predecessor_now_at: u64,
    },
    /// The event was put in: the event after it records the event before it as its
    /// predecessor.
    #[error("inserted: the event after it links to the event before it")]
    Inserted,
    /// The event records a predecessor that is not the event before it (that one was
    /// changed and re-hashed on its own, or this one comes from elsewhere).
    #[error("its recorded predecessor is not the event before it")]
    Relinked,
    /// The event has no hash.
    #[error("it has no hash: not written by a store of this library")]
    Unhashed,
    /// The stream ends before a version that something else recorded it reached (its
    /// read-model row, its snapshot): events were removed from its end.
    #[error("the stream ends at version {last}, but it is recorded as reaching {recorded}")]
    Truncated {
        /// The stream's last version.
        last: u64,
        /// The version recorded elsewhere.
        recorded: u64,
    },
    /// The event's hash is not the one written down for it (`pinned`): the stream was
    /// changed and re-hashed since.
    #[error("its hash is not the {pinned} recorded for it: changed and re-hashed since")]
    NotAsPinned {
        /// The hash written down.
        pinned: EventHash,
    },
}

/// The first link of a stream that does not hold (R-18).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("broken chain in {stream} at version {version}: {problem}")]
pub struct ChainBreak {
    /// The stream.
    pub stream: StreamId,
    /// The version where it breaks.
    pub version: u64,
    /// What is wrong there.
    pub problem: Break,
}

/// Checks one stream's links, `events` in the order the store keeps them (by version), and
/// returns its head (`None` for an empty stream). `recorded` is the highest version that
/// something else records the stream reached (its read-model row, its snapshot; 0 for none),
/// which catches events removed from the end.
///
/// # Errors
///
/// The first [`ChainBreak`] in version order: [`Break::Missing`] at a version the stream
/// skips; at the first event whose recorded predecessor is not the previous event's hash,
/// [`Break::Reordered`] when it names a later event, [`Break::Inserted`] when the event after
/// it names the previous one, [`Break::Unhashed`] when it has no hash, [`Break::Edited`] when
/// its content does not hash to its own hash either, [`Break::Relinked`] otherwise; at an
/// event whose predecessor holds, [`Break::Unhashed`] or [`Break::Edited`] for its own hash;
/// then [`Break::Truncated`] when `recorded` is past the last version.
pub fn verify_stream(
    stream: StreamId,
    events: &[Linked],
    recorded: u64,
) -> Result<Option<StreamHead>, ChainBreak> {
    let fail = |version, problem| {
        Err(ChainBreak {
            stream,
            version,
            problem,
        })
    };
    let mut prev: Option<EventHash> = None;
    let mut head = None;
    for (i, linked) in events.iter().enumerate() {
        let expected = i as u64 + 1;
        let version = linked.event.version;
        if version != expected {
            return if version > expected {
                fail(expected, Break::Missing { found: version })
            } else {
                fail(version, Break::Inserted)
            };
        }
        let own = linked.link;
        let recomputed = link(own.prev.as_ref(), &Stored::recorded(&linked.event).digest());
        if own.prev != prev {
            let later = events[i + 1..]
                .iter()
                .find(|e| e.link.hash.is_some() && e.link.hash == own.prev);
            let problem = if let Some(later) = later {
                Break::Reordered {
                    predecessor_now_at: later.event.version,
                }
            } else if events.get(i + 1).is_some_and(|next| next.link.prev == prev) {
                Break::Inserted
            } else if own.hash.is_none() {
                Break::Unhashed
            } else if let Some(written_as) = written_as(linked, events.len() as u64) {
                if written_as > version {
                    Break::Missing { found: written_as }
                } else {
                    Break::Inserted
                }
            } else if own.hash != Some(recomputed) {
                Break::Edited
            } else {
                Break::Relinked
            };
            return fail(version, problem);
        }
        match own.hash {
            None => return fail(version, Break::Unhashed),
            Some(hash) if hash != recomputed => return fail(version, Break::Edited),
            Some(hash) => {
                prev = Some(hash);
                head = Some(StreamHead {
                    stream,
                    version,
                    hash,
                });
            }
        }
    }
    let last = head.map_or(0, |h| h.version);
    if recorded > last {
        return fail(last + 1, Break::Truncated { last, recorded });
    }
    Ok(head)
}

/// The other version (up to `max` past the stream's length) at which `linked` hashes to its
/// recorded hash: it was renumbered. Only looked for at a break, so the cost does not matter.
fn written_as(linked: &Linked, max: u64) -> Option<u64> {
    let hash = linked.link.hash?;
    let stored = Stored::recorded(&linked.event);
    (1..=linked.event.version + max)
        .filter(|v| *v != linked.event.version)
        .find(|v| {
            let at = Stored {
                version: *v,
                ..stored
            };
            link(linked.link.prev.as_ref(), &at.digest()) == hash
        })
}

/// Checks that the stream whose events are `events` still has the hash `pin` records at its
/// version (call after [`verify_stream`] accepted them).
///
/// # Errors
///
/// [`ChainBreak`] at the pin's version: [`Break::Truncated`] when the stream no longer
/// reaches it, [`Break::NotAsPinned`] when the event there has another hash (or none).
pub fn check_pin(events: &[Linked], pin: &StreamHead) -> Result<(), ChainBreak> {
    let fail = |problem| ChainBreak {
        stream: pin.stream,
        version: pin.version,
        problem,
    };
    let at = events.iter().find(|e| e.event.version == pin.version);
    match at {
        None => Err(fail(Break::Truncated {
            last: events.last().map_or(0, |e| e.event.version),
            recorded: pin.version,
        })),
        Some(e) if e.link.hash != Some(pin.hash) => {
            Err(fail(Break::NotAsPinned { pinned: pin.hash }))
        }
        Some(_) => Ok(()),
    }
}

/// One stored event in a [`ChainExport`]: every covered column as stored, with its link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEvent {
    /// Its version in the stream.
    pub version: u64,
    /// Its global position (not covered by the chain: R-28's order across streams).
    pub position: u64,
    /// Its type name.
    pub event_type: String,
    /// Its payload's schema version.
    pub schema_version: u32,
    /// Its payload as stored: JSON text, or ciphertext where the content is encrypted.
    pub payload: String,
    /// Its id.
    pub event_id: EventId,
    /// When it was recorded, as stored.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub actor_id: StaffId,
    /// Their name, as stored.
    pub actor_name: String,
    /// Their role, as stored.
    pub actor_role: String,
    /// The stated reason, as stored.
    pub reason: Option<String>,
    /// The hash it records for its predecessor.
    pub prev: Option<EventHash>,
    /// Its own hash.
    pub hash: Option<EventHash>,
}

impl ExportedEvent {
    /// A stored event and its link, as exported.
    #[must_use]
    pub fn of(linked: &Linked) -> Self {
        let e = &linked.event;
        Self {
            version: e.version,
            position: e.position,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            payload: e.payload.clone(),
            event_id: e.meta.event_id,
            recorded_at: e.meta.recorded_at,
            actor_id: e.meta.actor.id,
            actor_name: e.meta.actor.name.clone(),
            actor_role: e.meta.actor.role.as_str().to_owned(),
            reason: e.meta.reason.clone(),
            prev: linked.link.prev,
            hash: linked.link.hash,
        }
    }

    fn stored(&self, stream: StreamId) -> Stored<'_> {
        Stored {
            stream,
            version: self.version,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            payload: &self.payload,
            event_id: self.event_id,
            recorded_at: self.recorded_at,
            actor_id: self.actor_id,
            actor_name: &self.actor_name,
            actor_role: &self.actor_role,
            reason: self.reason.as_deref(),
        }
    }
}

/// One stream of a [`ChainExport`]: all its stored events, in version order, and its head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedStream {
    /// The stream.
    pub stream: StreamId,
    /// Its events.
    pub events: Vec<ExportedEvent>,
    /// Its head when exported (`None` for an empty stream): the pin a reviewer keeps.
    pub head: Option<StreamHead>,
}

/// One case's stored history with its links, for a serious case review: checkable by
/// [`verify_export`] (or a few lines of any language, from the module docs) without the
/// database, and pinned by the heads, which a reviewer can compare with a later export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainExport {
    /// The case's streams: the case itself, then its disclosures.
    pub streams: Vec<ExportedStream>,
    /// When it was exported.
    pub exported_at: DateTime<Utc>,
}

/// Checks an export on its own: every stream's links, and that each stream ends at the head
/// it names.
///
/// # Errors
///
/// The first [`ChainBreak`] of the first stream that does not hold, as [`verify_stream`]
/// finds it (an event that does not decode as a stored event counts as
/// [`Break::Edited`]); or [`Break::NotAsPinned`] / [`Break::Truncated`] when a stream's last
/// event is not the head the export names.
pub fn verify_export(export: &ChainExport) -> Result<Vec<StreamHead>, ChainBreak> {
    let mut heads = Vec::new();
    for s in &export.streams {
        let mut prev: Option<EventHash> = None;
        let mut head = None;
        for (i, e) in s.events.iter().enumerate() {
            let fail = |version, problem| ChainBreak {
                stream: s.stream,
                version,
                problem,
            };
            let expected = i as u64 + 1;
            if e.version != expected {
                return Err(fail(expected, Break::Missing { found: e.version }));
            }
            if e.prev != prev {
                return Err(fail(e.version, Break::Relinked));
            }
            let recomputed = link(e.prev.as_ref(), &e.stored(s.stream).digest());
            if e.hash != Some(recomputed) {
                return Err(fail(e.version, Break::Edited));
            }
            prev = e.hash;
            head = Some(StreamHead {
                stream: s.stream,
                version: e.version,
                hash: recomputed,
            });
        }
        if head != s.head {
            let version = s.head.map_or(0, |h| h.version);
            let last = head.map_or(0, |h| h.version);
            return Err(ChainBreak {
                stream: s.stream,
                version,
                problem: match s.head {
                    Some(pin) if last >= pin.version => Break::NotAsPinned { pinned: pin.hash },
                    _ => Break::Truncated {
                        last,
                        recorded: version,
                    },
                },
            });
        }
        heads.extend(head);
    }
    Ok(heads)
}

impl crate::kernel::code::ErrorCode for ChainBreak {
    fn code(&self) -> &'static str {
        "history_tampered"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::event::EventMeta;
    use crate::kernel::ids::CaseId;
    use chrono::TimeZone;

    fn stream() -> StreamId {
        StreamId::Case(CaseId::from_uuid(uuid::Uuid::from_u128(7)))
    }

    /// A well-chained stream of `n` fictional events.
    fn chained(n: u64) -> Vec<Linked> {
        let mut prev = None;
        (1..=n)
            .map(|version| {
                let event = RecordedEvent {
                    stream: stream(),
                    version,
                    position: version * 10,
                    event_type: "session_held".into(),
                    schema_version: 1,
                    payload: format!(r#"{{"n":{version},"note":"Fictional note ✓"}}"#),
                    meta: EventMeta {
                        event_id: EventId::from_uuid(uuid::Uuid::from_u128(u128::from(version))),
                        recorded_at: Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap(),
                        actor: Actor::worker("Fictional Worker"),
                        reason: (version % 2 == 0).then(|| "a stated reason".into()),
                    },
                };
                let hash = link(prev.as_ref(), &Stored::recorded(&event).digest());
                let l = Link {
                    prev,
                    hash: Some(hash),
                };
                prev = Some(hash);
                Linked { event, link: l }
            })
            .collect()
    }

    fn broken(events: &[Linked]) -> (u64, Break) {
        let b = verify_stream(stream(), events, 0).unwrap_err();
        (b.version, b.problem)
    }

    #[test]
    fn a_stream_written_by_chain_verifies_and_names_its_head() {
        let events = chained(5);
        let head = verify_stream(stream(), &events, 5).unwrap().unwrap();
        assert_eq!((head.version, Some(head.hash)), (5, events[4].link.hash));
        assert_eq!(verify_stream(stream(), &[], 0).unwrap(), None);
        // What an append records is what the stream's own links are.
        let digests = events.iter().map(|e| Stored::recorded(&e.event).digest());
        let links: Vec<Link> = events.iter().map(|e| e.link).collect();
        assert_eq!(chain(None, digests), links);
    }

    #[test]
    fn every_covered_field_changes_the_hash() {
        let base = chained(1).remove(0).event;
        let digest = |e: &RecordedEvent| Stored::recorded(e).digest();
        type Edit = Box<dyn Fn(&mut RecordedEvent)>;
        let edits: Vec<Edit> = vec![
            Box::new(|e| {
                e.stream = StreamId::Disclosures(CaseId::from_uuid(uuid::Uuid::from_u128(7)))
            }),
            Box::new(|e| e.version = 2),
            Box::new(|e| e.event_type = "session_cancelled".into()),
            Box::new(|e| e.schema_version = 2),
            Box::new(|e| e.payload.push(' ')),
            Box::new(|e| e.meta.event_id = EventId::new()),
            Box::new(|e| e.meta.recorded_at += chrono::Duration::microseconds(1)),
            Box::new(|e| e.meta.recorded_at += chrono::Duration::nanoseconds(1)),
            Box::new(|e| e.meta.actor.id = StaffId::new()),
            Box::new(|e| e.meta.actor.name.push('s')),
            Box::new(|e| e.meta.actor.role = crate::kernel::actor::Role::Manager),
            Box::new(|e| e.meta.reason = Some(String::new())),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(digest(&changed), digest(&base), "edit {i} went unnoticed");
        }
        // The global position is not covered: it is the database's, assigned at commit.
        let mut moved = base.clone();
        moved.position += 1;
        assert_eq!(digest(&moved), digest(&base));
        // Lengths are framed: moving a byte between two texts is a change.
        let mut a = base.clone();
        a.meta.actor.name = "ab".into();
        a.meta.reason = Some("c".into());
        let mut b = base;
        b.meta.actor.name = "a".into();
        b.meta.reason = Some("bc".into());
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn an_edited_payload_is_named_at_its_version() {
        let mut events = chained(5);
        events[2].event.payload = r#"{"n":3,"note":"changed"}"#.into();
        assert_eq!(broken(&events), (3, Break::Edited));
    }

    #[test]
    fn a_deleted_event_is_missing() {
        let mut events = chained(5);
        events.remove(2);
        assert_eq!(broken(&events), (3, Break::Missing { found: 4 }));
        // Renumbered to hide the gap: the event now at 3 hashes as the version 4 it was.
        for e in &mut events[2..] {
            e.event.version -= 1;
        }
        assert_eq!(broken(&events), (3, Break::Missing { found: 4 }));
    }

    #[test]
    fn swapped_events_are_reordered() {
        let mut events = chained(5);
        events.swap(1, 2);
        events[1].event.version = 2;
        events[2].event.version = 3;
        assert_eq!(
            broken(&events),
            (
                2,
                Break::Reordered {
                    predecessor_now_at: 3
                }
            )
        );
    }

    #[test]
    fn a_row_put_in_is_inserted() {
        let mut events = chained(5);
        let mut extra = events[1].clone();
        extra.event.payload = r#"{"n":99}"#.into();
        extra.link = Link::default();
        events.insert(2, extra);
        for (i, e) in events.iter_mut().enumerate() {
            e.event.version = i as u64 + 1;
        }
        assert_eq!(broken(&events), (3, Break::Inserted));
        // At the end, with no hash: unhashed.
        let mut events = chained(3);
        let mut extra = events[2].clone();
        extra.event.version = 4;
        extra.link = Link {
            prev: extra.link.hash,
            hash: None,
        };
        events.push(extra);
        assert_eq!(broken(&events), (4, Break::Unhashed));
    }

    #[test]
    fn an_event_rehashed_alone_breaks_the_next_link() {
        let mut events = chained(5);
        events[2].event.payload = r#"{"n":3,"note":"changed"}"#.into();
        let hash = link(
            events[2].link.prev.as_ref(),
            &Stored::recorded(&events[2].event).digest(),
        );
        events[2].link.hash = Some(hash);
        assert_eq!(broken(&events), (4, Break::Relinked));
    }

    #[test]
    fn a_removed_end_is_caught_by_what_else_recorded_the_stream() {
        let mut events = chained(5);
        events.pop();
        assert!(
            verify_stream(stream(), &events, 0).is_ok(),
            "the chain alone cannot tell"
        );
        let b = verify_stream(stream(), &events, 5).unwrap_err();
        assert_eq!(
            (b.version, b.problem),
            (
                5,
                Break::Truncated {
                    last: 4,
                    recorded: 5
                }
            )
        );
    }

    #[test]
    fn a_rehashed_stream_fails_its_pin() {
        let events = chained(4);
        let pin = verify_stream(stream(), &events, 0).unwrap().unwrap();
        check_pin(&events, &pin).unwrap();
        // Rewritten at version 2 and every later link recomputed: a valid chain, another head.
        let mut rehashed = events.clone();
        rehashed[1].event.payload = r#"{"n":2,"note":"changed"}"#.into();
        let digests: Vec<_> = rehashed[1..]
            .iter()
            .map(|e| Stored::recorded(&e.event).digest())
            .collect();
        let links = chain(rehashed[0].link.hash, digests);
        for (e, l) in rehashed[1..].iter_mut().zip(links) {
            e.link = l;
        }
        assert!(verify_stream(stream(), &rehashed, 0).is_ok());
        let b = check_pin(&rehashed, &pin).unwrap_err();
        assert_eq!(b.problem, Break::NotAsPinned { pinned: pin.hash });
        let b = check_pin(&rehashed[..2], &pin).unwrap_err();
        assert_eq!(
            b.problem,
            Break::Truncated {
                last: 2,
                recorded: 4
            }
        );
    }

    #[test]
    fn an_export_checks_without_the_database_and_through_json() {
        let events = chained(3);
        let head = verify_stream(stream(), &events, 0).unwrap();
        let export = ChainExport {
            streams: vec![ExportedStream {
                stream: stream(),
                events: events.iter().map(ExportedEvent::of).collect(),
                head,
            }],
            exported_at: Utc.timestamp_opt(1_800_000_100, 0).unwrap(),
        };
        let json = serde_json::to_string(&export).unwrap();
        let read: ChainExport = serde_json::from_str(&json).unwrap();
        assert_eq!(verify_export(&read).unwrap(), vec![head.unwrap()]);

        let mut edited = read.clone();
        edited.streams[0].events[1].reason = Some("changed".into());
        let b = verify_export(&edited).unwrap_err();
        assert_eq!((b.version, b.problem), (2, Break::Edited));

        let mut cut = read.clone();
        cut.streams[0].events.pop();
        let b = verify_export(&cut).unwrap_err();
        assert_eq!(
            b.problem,
            Break::Truncated {
                last: 2,
                recorded: 3
            }
        );

        let mut gap = read;
        gap.streams[0].events.remove(0);
        let b = verify_export(&gap).unwrap_err();
        assert_eq!((b.version, b.problem), (1, Break::Missing { found: 2 }));
    }

    #[test]
    fn hashes_read_back_from_hex() {
        let h = chained(1)[0].link.hash.unwrap();
        assert_eq!(EventHash::parse_hex(&h.to_string()), Some(h));
        assert_eq!(EventHash::parse_hex(&h.to_string().to_uppercase()), Some(h));
        assert_eq!(EventHash::parse_hex("00"), None);
        assert_eq!(EventHash::parse_hex(&"g".repeat(64)), None);
        assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{h}\""));
        assert!(serde_json::from_str::<EventHash>("\"xyz\"").is_err());
        assert_eq!(EventHash::from_slice(h.as_bytes()), Some(h));
        assert_eq!(EventHash::from_slice(&[0; 31]), None);
    }
}
