//! Checking the stored history against its hash chain, and one case's history
//! exported with its links for a serious case review.
//!
//! [`Casework::verify_stream`] and [`Casework::verify_store`] read the stored events with
//! their links ([`EventLoad::load_linked_after`], [`EventLoad::linked_page`]) and check them
//! with [`casework_core::kernel::chain::verify_stream`], reporting the first broken link of
//! every stream that has one: which stream, which version, and what is wrong there (edited,
//! missing, reordered, inserted, relinked, unhashed, truncated). A case's stream is also held
//! to the version its read-model row and its snapshot record, which catches events removed
//! from its end. [`Casework::verify_store`] also holds every stream an erasure rewrote to the
//! head its retention stream recorded (`records_anonymised`'s `rechained`, R-23): the
//! erasure's own re-linking passes, a later change that recomputes the links does not.
//! Nothing else is decoded: the check is over the stored bytes, so it works the same
//! on encrypted content and after a person's key is destroyed.
//!
//! For people: [`Acting::verify_history`] needs `read_audit_logs` (administrators,
//! auditors and managers; the report holds ids, versions and hashes, no content), and
//! [`Acting::review_export`] reads the stored bytes of a case, so it is a read of its
//! confidential record: `read_confidential` on the case, with a purpose, recorded in the
//! access log first.
//!
//! [`EventLoad::load_linked_after`]: casework_core::store::EventLoad::load_linked_after
//! [`EventLoad::linked_page`]: casework_core::store::EventLoad::linked_page

use crate::acting::Acting;
use crate::casework::Casework;
use crate::error::AccessError;
use casework_core::kernel::chain::{
    check_pin, verify_stream, ChainBreak, ChainExport, ExportedEvent, ExportedStream, Linked,
    StreamHead,
};
use casework_core::kernel::error::DomainError;
use casework_core::kernel::ids::{CaseId, StreamId};
use casework_core::kernel::input::Text;
use casework_core::privacy::access::{check, Permission, Relationship};
use casework_core::privacy::access_log::AccessSubject;
use casework_core::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// How many stored events [`Casework::verify_store`] reads per page.
const PAGE: usize = 2_000;

/// What a check of the chain found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Streams checked.
    pub streams: u64,
    /// Events checked.
    pub events: u64,
    /// The first broken link of each stream that has one, in the order checked (stream kind,
    /// stream id). Empty when the whole history holds.
    pub broken: Vec<ChainBreak>,
}

impl ChainReport {
    /// Whether every link checked holds.
    #[must_use]
    pub fn holds(&self) -> bool {
        self.broken.is_empty()
    }

    /// The first broken link found, if any.
    #[must_use]
    pub fn first_break(&self) -> Option<&ChainBreak> {
        self.broken.first()
    }
}

impl<S: Store> Casework<S> {
    /// Checks one stream's chain, unchecked: for trusted code (a scheduled check, the
    /// command line) and for [`Acting::verify_history`].
    ///
    /// # Errors
    ///
    /// [`StoreError`] (`store_*`) when the store cannot be read, or keeps no chain
    /// (`store_failed`); a broken link is not an error but the report's finding.
    pub async fn verify_stream(&self, stream: StreamId) -> Result<ChainReport, StoreError> {
        let events = self.store().load_linked_after(stream, 0).await?;
        let mut report = ChainReport::default();
        self.check_stream(stream, &events, &mut report).await?;
        Ok(report)
    }

    /// Checks every stream of the store, reading it in pages of stored events, one
    /// stream after another, then the heads erasures pinned: a stream whose own links
    /// hold but whose event at a pinned version has another hash is reported
    /// (`Break::NotAsPinned`). Unchecked, as [`Casework::verify_stream`].
    ///
    /// # Errors
    ///
    /// As [`Casework::verify_stream`].
    pub async fn verify_store(&self) -> Result<ChainReport, StoreError> {
        let mut report = ChainReport::default();
        let mut current: Vec<Linked> = Vec::new();
        let mut pins = Vec::new();
        let mut after = None;
        loop {
            let page = self.store().linked_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.event.stream, last.event.version));
            for linked in page {
                if current
                    .first()
                    .is_some_and(|l| l.event.stream != linked.event.stream)
                {
                    let stream = current[0].event.stream;
                    self.check_stream(stream, &current, &mut report).await?;
                    pins.extend(pinned(&current));
                    current.clear();
                }
                current.push(linked);
            }
        }
        if let Some(first) = current.first() {
            let stream = first.event.stream;
            self.check_stream(stream, &current, &mut report).await?;
            pins.extend(pinned(&current));
        }
        for pin in pins {
            if report.broken.iter().any(|b| b.stream == pin.stream) {
                continue;
            }
            let from = pin.version.saturating_sub(1);
            let events = self.store().load_linked_after(pin.stream, from).await?;
            if let Err(b) = check_pin(&events, &pin) {
                report.broken.push(b);
            }
        }
        Ok(report)
    }

    /// Checks one stream's events, held to what its case row and snapshot record.
    async fn check_stream(
        &self,
        stream: StreamId,
        events: &[Linked],
        report: &mut ChainReport,
    ) -> Result<(), StoreError> {
        let recorded = match stream {
            StreamId::Case(case) => {
                let row = self
                    .store()
                    .case_summary(case)
                    .await?
                    .map_or(0, |r| r.version);
                let snapshot = self.store().load_snapshot(stream).await?;
                row.max(snapshot.map_or(0, |s| s.version))
            }
            _ => 0,
        };
        report.streams += 1;
        report.events += events.len() as u64;
        if let Err(b) = verify_stream(stream, events, recorded) {
            report.broken.push(b);
        }
        Ok(())
    }

    /// One case's stored history with its links, unchecked: the case's stream, then its
    /// disclosures, each with its head, checkable without the database by
    /// [`casework_core::kernel::chain::verify_export`].
    ///
    /// # Errors
    ///
    /// [`StoreError`] (`store_*`) when the store cannot be read or keeps no chain.
    pub async fn chain_export(&self, case: CaseId) -> Result<ChainExport, StoreError> {
        let mut streams = Vec::new();
        for stream in [StreamId::Case(case), StreamId::Disclosures(case)] {
            let events = self.store().load_linked_after(stream, 0).await?;
            let head = self.store().chain_head(stream).await?;
            streams.push(ExportedStream {
                stream,
                events: events.iter().map(ExportedEvent::of).collect(),
                head,
            });
        }
        Ok(ChainExport {
            streams,
            exported_at: self.now(),
        })
    }
}

/// The heads the erasures recorded on a retention stream pinned: `records_anonymised`'s
/// `rechained`, read from the stored payload alone (the rest of the event is not needed).
fn pinned(events: &[Linked]) -> Vec<StreamHead> {
    #[derive(Deserialize)]
    struct Pins {
        #[serde(default)]
        rechained: Vec<StreamHead>,
    }
    if !matches!(
        events.first().map(|l| l.event.stream),
        Some(StreamId::Retention(_))
    ) {
        return Vec::new();
    }
    events
        .iter()
        .filter(|l| l.event.event_type == "records_anonymised")
        .filter_map(|l| serde_json::from_str::<Pins>(&l.event.payload).ok())
        .flat_map(|p| p.rechained)
        .collect()
}

impl<S: Store> Acting<'_, S> {
    /// Checks the stored history against its hash chain: one stream, or the whole
    /// store when `stream` is `None`. Needs `read_audit_logs`; the report names
    /// streams, versions and hashes, never content.
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `read_audit_logs`; nothing is read.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when the store cannot be
    ///   read or keeps no chain. A broken link is the report's finding, not an error.
    pub async fn verify_history(
        &self,
        stream: Option<StreamId>,
    ) -> Result<ChainReport, AccessError> {
        check(
            self.actor,
            Relationship::None,
            Permission::ReadAuditLogs,
            None,
        )?;
        Ok(match stream {
            Some(stream) => self.casework.verify_stream(stream).await?,
            None => self.casework.verify_store().await?,
        })
    }

    /// One case's stored history with its links, for a serious case review: see
    /// [`Casework::chain_export`]. The stored bytes hold the case's confidential content
    /// (ciphertext once it is encrypted at rest), so this is a read of the confidential
    /// record: `read_confidential` on the case, with a stated purpose, recorded in the
    /// access log before anything is exported.
    ///
    /// # Errors
    ///
    /// - `ActingError::Refused` with `DomainError::Input` (`bad_input`) on `purpose` when it is
    ///   empty or shows nothing, before anything else.
    /// - `ActingError::Failed` with `CommandError::Load` when the case cannot be loaded, before the
    ///   check: `not_found` when there is no such case, `history_unreadable`, `store_*`.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the case do not permit `read_confidential`; nothing is recorded or exported.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when recording the read or
    ///   reading the links fails.
    pub async fn review_export(
        &self,
        case: CaseId,
        purpose: &str,
    ) -> Result<ChainExport, AccessError> {
        let purpose = Text::parse("purpose", purpose).map_err(DomainError::from)?;
        let (state, relationship) = self
            .checked_case(case, Permission::ReadConfidential)
            .await?;
        let subject = AccessSubject::Case {
            case,
            young_person: state.file().young_person,
        };
        self.record_read(relationship, subject, purpose).await?;
        Ok(self.casework.chain_export(case).await?)
    }
}
