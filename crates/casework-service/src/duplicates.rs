//! Possible duplicates at intake: the check on registration and referral, the worker's
//! decision, and the links it makes.
//!
//! The rules are core's ([`casework_core::young_person::duplicates`]: what makes a candidate,
//! the score and the reasons, who decides where); this module reads and writes them.
//! Why one module of this size: intake (opening a case on a referral included) and the
//! duplicate check it runs are one path, unchecked and checked, tested together.
//!
//! ## A front end cannot miss them
//!
//! - [`Casework::register`] and [`Casework::refer`] (and [`Acting::register`],
//!   [`Acting::refer`]) return the young person's or the case's id *inside* a
//!   [`Registered`] or [`Referred`] that carries the [`PossibleDuplicates`] found; both are
//!   `#[must_use]`, so ignoring the answer is a compiler warning, and getting the id means
//!   holding the candidates.
//! - Whatever the caller does with the answer, the check is recorded: new candidates are
//!   flagged on the young person's stream (in the same append as a registration), and each
//!   flag stays in the service-wide list [`Casework::possible_duplicates_awaiting_decision`]
//!   until a worker records a decision. [`Casework::register_young_person`] and
//!   [`Casework::receive_referral`], which return only the id, run and record the same check.
//!
//! ## One indexed read per check
//!
//! The check reads one listing key: the young person's date of birth in the
//! [`ListingKind::IdentityBlock`] listings, under which everyone born that day is listed, and
//! everyone born on the day with the day and month swapped. It is
//! [`casework_core::store::CaseQueries::listings`] with a key, which every store answers from
//! its `(kind, key)` index; no store method was added for it. The block holds a handful of
//! people even among tens of thousands (`crates/casework-sqlite/tests/duplicate_plans.rs` and
//! its Postgres twin check the plan with 10,000 registered).
//!
//! Two registrations of one person at the very same moment miss each other (neither is
//! listed yet when the other reads); the next referral of either finds the other.
//!
//! ## Linked records
//!
//! [`Casework::cases_of_person`] follows "same person" links ([`Casework::linked_records`]),
//! so either id leads to both records' cases; a referral of either record refuses while the
//! other has an open case and links a re-referral to the latest case of both.
//! [`Casework::cases_of`] stays one record's: retention, erasure and subject access act on the
//! record named, never on a record linked to it.

use crate::acting::Acting;
use crate::casework::{Casework, CommandError, Executed, YoungPersonExecuted};
use crate::error::AccessError;
use crate::queries::PossibleDuplicatesAwaitingDecision;
use casework_core::aggregate::Aggregate;
use casework_core::case::{NewReferral, Received};
use casework_core::kernel::actor::Actor;
use casework_core::kernel::context::CommandContext;
use casework_core::kernel::error::DomainError;
use casework_core::kernel::idempotency::{Idempotency, IdempotentAppend, IdempotentRequest};
use casework_core::kernel::ids::{CaseId, StreamId, YoungPersonId};
use casework_core::kernel::input::Text;
use casework_core::privacy::access::{check, Permission, Relationship};
use casework_core::read::listing::decode_all;
use casework_core::read::rows::{cases_of_order, CaseSummary, ListingKind, ListingQuery};
use casework_core::store::{Store, StoreError};
use casework_core::workshop::Workshop;
use casework_core::young_person::duplicates::{
    decide, decided_on, DuplicateCheck, LinkedRecordRow, PossibleDuplicateRow, PossibleDuplicates,
    Verdict,
};
use casework_core::young_person::{YoungPerson, YoungPersonDetails, YoungPersonRecord};
use serde::{Deserialize, Serialize};

/// A registration: the young person's id and the possible duplicates found.
#[must_use = "a registration may have found possible duplicates of an existing young person (R-26)"]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Registered {
    /// The young person registered.
    pub young_person: YoungPersonId,
    /// Young people already known who may be them, best first; flagged for a worker.
    pub possible_duplicates: PossibleDuplicates,
    /// Whether this is the registration an earlier call with the same idempotency key made,
    /// replayed (the possible duplicates as they stand now); not serialized.
    #[serde(skip)]
    pub replayed: bool,
}

/// A referral received: the case opened and the possible duplicates of the young person
/// found.
#[must_use = "a referral may have found possible duplicates of the young person (R-26)"]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Referred {
    /// The case opened.
    pub case: CaseId,
    /// Young people already known who may be the young person referred, best first, flagged
    /// now or before and not yet decided.
    pub possible_duplicates: PossibleDuplicates,
    /// Whether this is the case an earlier call with the same idempotency key opened,
    /// replayed (the possible duplicates as they stand now); not serialized.
    #[serde(skip)]
    pub replayed: bool,
}

/// How many links [`Casework::linked_records`] follows at most: far more than one person ever
/// has, so a damaged store cannot make it loop.
const MOST_LINKED: usize = 64;

impl<S: Store> Casework<S> {
    /// Opens a case on a referral (the young person's own, or one a workshop led to): the
    /// open-case check (R-17, across records linked as the same person, R-26), the possible
    /// duplicates found, and the idempotency key's replay.
    pub(crate) async fn open_case(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        referral: NewReferral,
        workshop: Option<&Workshop>,
        idempotency: Option<Idempotency>,
    ) -> Result<Referred, CommandError> {
        // A retry is answered before the open-case check, which the first call's case would
        // now fail.
        if let Some(first) = self.recorded_key(idempotency.as_ref()).await? {
            let key = idempotency.as_ref().expect("a key was looked up");
            return self.replayed_referral(key, &first).await;
        }
        let person = self.young_person(young_person).await?;
        // Records linked as the same person are one person's cases.
        let earlier = self.cases_of_person(young_person).await?;
        if let Some(open) = earlier.iter().find(|c| !c.stage.is_finished()) {
            return Err(DomainError::OpenCaseExists { case: open.case_id }.into());
        }
        let previous = earlier.last().map(|c| c.case_id);
        actor.check().map_err(DomainError::from)?;
        let at = self.now();
        let ctx = CommandContext::new(actor, at, self.profile());
        let id = CaseId::new();
        let (stage, events) = match workshop {
            Some(w) => Received::open_from_workshop(id, &person, referral, previous, w, &ctx)?,
            None => Received::open(id, &person, referral, previous, &ctx)?,
        };
        let case = casework_core::case::Stage::into_case(stage);
        let possible_duplicates = self.check_duplicates(actor, young_person).await?;
        let opened = self
            .open_stream(actor, id, &case, &events, at, idempotency.clone())
            .await
            .map(|_| Referred {
                case: id,
                possible_duplicates,
                replayed: false,
            });
        if let (Some(key), Some(first)) =
            (&idempotency, self.raced_key(&opened, &idempotency).await?)
        {
            return self.replayed_referral(key, &first).await;
        }
        match opened {
            // Another referral for this young person opened a case between the check above and
            // this append; the store refused the second open case. A retry of that very
            // referral (same key) is answered with its case; anyone else is told which case is
            // open.
            Err(CommandError::Rejected(DomainError::OpenCaseExists { case })) => {
                if let Some(first) = self.recorded_key(idempotency.as_ref()).await? {
                    let key = idempotency.as_ref().expect("a key was looked up");
                    return self.replayed_referral(key, &first).await;
                }
                if case != id {
                    // The store named the open case.
                    return Err(DomainError::OpenCaseExists { case }.into());
                }
                let open = self.cases_of_person(young_person).await?;
                let open = open
                    .iter()
                    .find(|c| !c.stage.is_finished() && c.case_id != id);
                Err(DomainError::OpenCaseExists {
                    case: open.map_or(id, |c| c.case_id),
                }
                .into())
            }
            opened => opened,
        }
    }

    /// Registers a young person and checks for possible duplicates of someone already known
    /// one indexed read; candidates are flagged in the same append as the registration
    /// and returned with the new id.
    ///
    /// # Errors
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`), naming the field, when
    ///   the details break the profile's input limits or hold a year outside the years kept;
    ///   on `date_of_birth` when it is after today (the service's local date) or more than 120
    ///   years before it (`YoungPerson::register`).
    /// - `CommandError::Store` (`store_*`) when reading the identity block or appending the
    ///   registration fails; `store_corrupt` when a listing row does not decode.
    pub async fn register(
        &self,
        actor: &Actor,
        details: YoungPersonDetails,
    ) -> Result<Registered, CommandError> {
        self.register_keyed(actor, details, None).await
    }

    /// [`Casework::register`] with an idempotency key (scoped to `actor`): a retry returns
    /// the young person the first call registered and registers no one
    /// ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`) when the key was already
    ///   used for a different request (another fingerprint, or a stream that is not a young
    ///   person's); a retry of the same request is not an error.
    /// - `CommandError::Store` (`store_*`) when looking the key up fails.
    /// - `CommandError::Load` (`not_found`, `history_unreadable`, `store_*`) when a retry's young
    ///   person cannot be read back for the possible duplicates as they stand.
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`), naming the field, when
    ///   the details break the profile's input limits or hold a year outside the years kept;
    ///   on `date_of_birth` when it is after today (the service's local date) or more than 120
    ///   years before it (`YoungPerson::register`).
    /// - `CommandError::Store` (`store_*`) when reading the identity block or appending the
    ///   registration fails; `store_corrupt` when a listing row does not decode.
    pub async fn register_keyed(
        &self,
        actor: &Actor,
        details: YoungPersonDetails,
        idempotency: Option<Idempotency>,
    ) -> Result<Registered, CommandError> {
        if let Some(first) = self.recorded_key(idempotency.as_ref()).await? {
            let key = idempotency.as_ref().expect("a key was looked up");
            return self.replayed_registration(key, &first).await;
        }
        actor.check().map_err(DomainError::from)?;
        let at = self.now();
        let id = YoungPersonId::new();
        let ctx = CommandContext::new(actor, at, self.profile());
        let event = YoungPerson::register(id, details, &ctx).map_err(DomainError::from)?;
        let mut record =
            YoungPersonRecord::evolve(None, &event).expect("registration opens the record");
        let block = self
            .identity_block(record.person.details.date_of_birth)
            .await?;
        let check = DuplicateCheck::run(&record.person, &record.activity.duplicates, &block);
        let mut events = vec![event];
        if let Some(flag) = check.event(at) {
            record = YoungPersonRecord::evolve(Some(record), &flag)
                .expect("a flag follows the registration");
            events.push(flag);
        }
        let opened = self
            .open_stream(actor, id, &record, &events, at, idempotency.clone())
            .await
            .map(|_| Registered {
                young_person: id,
                possible_duplicates: check.found,
                replayed: false,
            });
        if let (Some(key), Some(first)) =
            (&idempotency, self.raced_key(&opened, &idempotency).await?)
        {
            return self.replayed_registration(key, &first).await;
        }
        opened
    }

    /// The registration the call that recorded `first` made, if this is a retry of it.
    async fn replayed_registration(
        &self,
        key: &Idempotency,
        first: &IdempotentAppend,
    ) -> Result<Registered, CommandError> {
        match first.stream {
            StreamId::YoungPerson(young_person) if first.is_retry_of(&key.fingerprint, None) => {
                Ok(Registered {
                    young_person,
                    possible_duplicates: self.found_duplicates(young_person).await?,
                    replayed: true,
                })
            }
            _ => Err(key.reused().into()),
        }
    }

    /// The case the referral that recorded `first` opened, if this is a retry of it.
    pub(crate) async fn replayed_referral(
        &self,
        key: &Idempotency,
        first: &IdempotentAppend,
    ) -> Result<Referred, CommandError> {
        match first.stream {
            StreamId::Case(case) if first.is_retry_of(&key.fingerprint, None) => {
                let young_person = self.case(case).await?.file().young_person;
                Ok(Referred {
                    case,
                    possible_duplicates: self.found_duplicates(young_person).await?,
                    replayed: true,
                })
            }
            _ => Err(key.reused().into()),
        }
    }

    /// The possible duplicates of a registered young person as they stand, flagging none: what
    /// a replayed registration or referral answers with.
    async fn found_duplicates(
        &self,
        young_person: YoungPersonId,
    ) -> Result<PossibleDuplicates, CommandError> {
        let state = self.load::<YoungPersonRecord>(young_person).await?.state;
        let block = self
            .identity_block(state.person.details.date_of_birth)
            .await?;
        Ok(DuplicateCheck::run(&state.person, &state.activity.duplicates, &block).found)
    }

    /// Checks a registered young person for possible duplicates now: everyone already
    /// known who may be them and is not decided either way, best first. Candidates not yet
    /// flagged on either record are flagged on theirs. A referral runs it; run it after
    /// correcting a date of birth or a name, too.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the young person cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Conflict` (`conflict`, R-18) when new candidates are flagged and another
    ///   writer appended to the young person's stream since it was loaded.
    /// - `CommandError::Store` (`store_*`) when reading the identity block or appending the flag
    ///   fails; `store_corrupt` when a listing row does not decode.
    pub async fn check_duplicates(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
    ) -> Result<PossibleDuplicates, CommandError> {
        let loaded = self.load::<YoungPersonRecord>(young_person).await?;
        let state = &loaded.state;
        let block = self
            .identity_block(state.person.details.date_of_birth)
            .await?;
        let check = DuplicateCheck::run(&state.person, &state.activity.duplicates, &block);
        let at = self.now().max(loaded.last_recorded);
        if let Some(flag) = check.event(at) {
            let before = state.listings(self.profile());
            let next = YoungPersonRecord::evolve(Some(loaded.state), &flag)
                .expect("a flag follows any state");
            self.append_to(
                young_person,
                loaded.version,
                &next,
                &[flag],
                Some(&before),
                actor,
                at,
                None,
                None,
            )
            .await?;
        }
        Ok(check.found)
    }

    /// Receives a referral, as [`Casework::receive_referral`], and returns the case with the
    /// possible duplicates of the young person found.
    ///
    /// # Errors
    ///
    /// - `CommandError::Load` when the young person cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Rejected` with `DomainError::OpenCaseExists` (`open_case_exists`, R-17),
    ///   naming the case, when the young person, or a record linked as the same person, has
    ///   an open case.
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) on `received_at` when it
    ///   is later than now (`Received::open`).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the young
    ///   person's stream while the duplicate check flagged new candidates on it.
    /// - `CommandError::Store` (`store_*`) when reading the young person's cases, their links or
    ///   the identity block, or an append, fails.
    pub async fn refer(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        referral: NewReferral,
    ) -> Result<Referred, CommandError> {
        self.refer_keyed(actor, young_person, referral, None).await
    }

    /// [`Casework::refer`] with an idempotency key (scoped to `actor`): a retry returns the
    /// case the first call opened and opens none ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`) when the key was already
    ///   used for a different request (another fingerprint, or a stream that is not a case); a
    ///   retry of the same request is not an error.
    /// - `CommandError::Store` (`store_*`) when looking the key up fails.
    /// - `CommandError::Load` (`not_found`, `history_unreadable`, `store_*`) when a retry's case or
    ///   young person cannot be read back.
    /// - `CommandError::Load` when the young person cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable` for a history this version cannot read,
    ///   `store_*` when the store fails.
    /// - `CommandError::Rejected` with `DomainError::OpenCaseExists` (`open_case_exists`, R-17),
    ///   naming the case, when the young person, or a record linked as the same person, has
    ///   an open case.
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) on `received_at` when it
    ///   is later than now (`Received::open`).
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the young
    ///   person's stream while the duplicate check flagged new candidates on it.
    /// - `CommandError::Store` (`store_*`) when reading the young person's cases, their links or
    ///   the identity block, or an append, fails.
    pub async fn refer_keyed(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        referral: NewReferral,
        idempotency: Option<Idempotency>,
    ) -> Result<Referred, CommandError> {
        self.open_case(actor, young_person, referral, None, idempotency)
            .await
    }

    /// Records a worker's decision about `young_person` and `other`:
    /// [`Verdict::SamePerson`] links the records, so either id leads to both records' cases
    /// ([`Casework::cases_of_person`]), and nothing is merged or deleted;
    /// [`Verdict::NotTheSame`] keeps the pair from being flagged again. Recorded with `reason`
    /// on the record holding the pair's flag ([`decided_on`]), whose state it returns.
    /// Refused, naming `other`, for a record with itself or a pair already decided.
    ///
    /// # Errors
    ///
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) on `reason` when it is
    ///   over the profile's input limits or holds a NUL, before anything is read.
    /// - `CommandError::Load` when either record cannot be loaded: `not_found` when there is no
    ///   such young person, `history_unreadable`, `store_*`.
    /// - `CommandError::Rejected` with `DomainError::Input` (`bad_input`) on `other` when
    ///   `other` is `young_person`, or a decision about the pair is already recorded on either
    ///   record, either way.
    /// - `CommandError::Conflict` (`conflict`, R-18) when another writer appended to the record
    ///   holding the flag since it was loaded.
    /// - `CommandError::Store` (`store_*`) when the append fails.
    pub async fn record_duplicate_decision(
        &self,
        actor: &Actor,
        young_person: YoungPersonId,
        other: YoungPersonId,
        verdict: Verdict,
        reason: Text,
    ) -> Result<YoungPersonExecuted, CommandError> {
        self.profile()
            .limits
            .check_field("reason", &reason)
            .map_err(DomainError::from)?;
        let (a, b) = (young_person, other);
        let first = self.load::<YoungPersonRecord>(a).await?;
        let second = self.load::<YoungPersonRecord>(b).await?;
        let home = decided_on(
            (&first.state.person, &first.state.activity.duplicates),
            (&second.state.person, &second.state.activity.duplicates),
        );
        let (mine, theirs) = if home == a {
            (first, second)
        } else {
            (second, first)
        };
        let at = self.now().max(mine.last_recorded);
        let event = decide(
            (home, &mine.state.activity.duplicates),
            (theirs.state.person.id, &theirs.state.activity.duplicates),
            verdict,
            reason.clone(),
            at,
        )
        .map_err(DomainError::from)?;
        let before = mine.state.listings(self.profile());
        let next = YoungPersonRecord::evolve(Some(mine.state), &event)
            .expect("a decision follows any state");
        let events = vec![event];
        let version = self
            .append_to(
                home,
                mine.version,
                &next,
                &events,
                Some(&before),
                actor,
                at,
                Some(reason.to_string()),
                None,
            )
            .await?;
        Ok(Executed {
            state: next,
            version,
            events,
            replayed: false,
        })
    }

    /// The records recorded as the same person as `young_person`, directly or through
    /// another, in the order found: one indexed read of the [`ListingKind::LinkedRecord`]
    /// listings per record (one in all for a record linked to none).
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn linked_records(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<YoungPersonId>, StoreError> {
        let mut found = vec![young_person];
        let mut next = 0;
        while next < found.len() && found.len() <= MOST_LINKED {
            let record = found[next];
            let query = ListingQuery::all(ListingKind::LinkedRecord).key(record.to_string());
            let rows: Vec<LinkedRecordRow> = decode_all(&self.store().listings(query).await?)?;
            for row in rows {
                let other = row.other_than(record);
                if !found.contains(&other) {
                    found.push(other);
                }
            }
            next += 1;
        }
        found.remove(0);
        Ok(found)
    }

    /// The cases of `young_person` and of every record recorded as the same person
    /// ([`Casework::linked_records`]), oldest referral first: either id of a linked pair gives
    /// the same list.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn cases_of_person(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let mut cases = self.store().cases_of(young_person).await?;
        let linked = self.linked_records(young_person).await?;
        if linked.is_empty() {
            return Ok(cases);
        }
        for record in linked {
            cases.extend(self.store().cases_of(record).await?);
        }
        cases.sort_by(cases_of_order);
        Ok(cases)
    }

    /// Every possible duplicate awaiting a worker's decision, oldest flag first: one
    /// indexed read.
    ///
    /// # Errors
    ///
    /// `StoreError` (`store_*`) when the store fails; `StoreError::Corrupt` (`store_corrupt`) when
    /// a listing row does not decode.
    pub async fn possible_duplicates_awaiting_decision(
        &self,
    ) -> Result<Vec<PossibleDuplicateRow>, StoreError> {
        self.whole(&PossibleDuplicatesAwaitingDecision {}).await
    }
}

impl<'a, S: Store> Acting<'a, S> {
    /// Intake: `change_case` as on a new, unallocated case.
    fn intake(&self) -> Result<(), AccessError> {
        Ok(check(
            self.actor,
            Relationship::Unallocated,
            Permission::ChangeCase,
            None,
        )?)
    }

    /// Registers a young person (`change_case`, intake), with the possible duplicates found
    /// (R-26, [`Casework::register`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `change_case` on a new, unallocated case (intake); nothing is read or written.
    /// - Then as [`Casework::register`], its `CommandError::Rejected` as `ActingError::Refused`
    ///   (`bad_input` on `date_of_birth`) and the rest as `ActingError::Failed` (`store_*`).
    pub async fn register(&self, details: YoungPersonDetails) -> Result<Registered, AccessError> {
        self.register_with(details, None).await
    }

    /// [`Acting::register`] with an idempotency key: a retry after a timeout returns the
    /// young person the first call registered and registers no one; the key is this person's
    /// own, checked after the permission ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `change_case` on a new, unallocated case (intake); nothing is read or written.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request; a
    ///   retry of the same request is not an error.
    /// - Then as [`Casework::register_keyed`], its `CommandError::Rejected` as
    ///   `ActingError::Refused` (`bad_input` on `date_of_birth`) and the rest as
    ///   `ActingError::Failed` (`store_*`; `not_found` or `history_unreadable` reading a retry's
    ///   young person back).
    pub async fn register_with(
        &self,
        details: YoungPersonDetails,
        idempotency: Option<IdempotentRequest>,
    ) -> Result<Registered, AccessError> {
        self.intake()?;
        let key = idempotency.map(|k| k.scoped_to(self.actor.id));
        Ok(self
            .casework
            .register_keyed(self.actor, details, key)
            .await?)
    }

    /// Receives a referral (`change_case` on a new, unallocated case), with the possible
    /// duplicates of the young person found (R-26, [`Casework::refer`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `change_case` on a new, unallocated case (intake); nothing is read or written.
    /// - Then as [`Casework::refer`], its `CommandError::Rejected` as `ActingError::Refused`
    ///   (`open_case_exists`, R-17; `bad_input` on `received_at`) and the rest as
    ///   `ActingError::Failed` (`not_found` when there is no such young person,
    ///   `history_unreadable`, `conflict`, `store_*`).
    pub async fn refer(
        &self,
        young_person: YoungPersonId,
        referral: NewReferral,
    ) -> Result<Referred, AccessError> {
        self.refer_with(young_person, referral, None).await
    }

    /// [`Acting::refer`] with an idempotency key: a retry after a timeout returns the case
    /// the first call opened and opens no second one; the key is this person's own, checked
    /// after the permission ([`casework_core::kernel::idempotency`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role does not permit
    ///   `change_case` on a new, unallocated case (intake); nothing is read or written.
    /// - `ActingError::Failed` with `CommandError::IdempotencyKeyReused` (`idempotency_key_reused`)
    ///   when the key, after the check, was already used by this person for a different request; a
    ///   retry of the same request is not an error.
    /// - Then as [`Casework::refer_keyed`], its `CommandError::Rejected` as `ActingError::Refused`
    ///   (`open_case_exists`, R-17; `bad_input` on `received_at`) and the rest as
    ///   `ActingError::Failed` (`not_found` when there is no such young person,
    ///   `history_unreadable`, `conflict`, `store_*`).
    pub async fn refer_with(
        &self,
        young_person: YoungPersonId,
        referral: NewReferral,
        idempotency: Option<IdempotentRequest>,
    ) -> Result<Referred, AccessError> {
        self.intake()?;
        let key = idempotency.map(|k| k.scoped_to(self.actor.id));
        Ok(self
            .casework
            .refer_keyed(self.actor, young_person, referral, key)
            .await?)
    }

    /// Checks a young person for possible duplicates now, flagging new ones (`change_case` on
    /// their records; R-26, [`Casework::check_duplicates`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `change_case`.
    /// - Then as [`Casework::check_duplicates`], which refuses nothing: its errors as
    ///   `ActingError::Failed` (`not_found` when there is no such young person,
    ///   `history_unreadable`, `conflict`, `store_*`).
    pub async fn check_duplicates(
        &self,
        young_person: YoungPersonId,
    ) -> Result<PossibleDuplicates, AccessError> {
        self.check_young_person(young_person, Permission::ChangeCase)
            .await?;
        Ok(self
            .casework
            .check_duplicates(self.actor, young_person)
            .await?)
    }

    /// Records a worker's decision about two records (R-26, [`Casework::record_duplicate_decision`]):
    /// `change_case` on both, since the decision changes what both say.
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading either young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   either young person's records (`young_person` first, then `other`; by their latest
    ///   case, see `Acting::relationship_to_young_person`) do not permit `change_case`.
    /// - Then as [`Casework::record_duplicate_decision`], its `CommandError::Rejected` as
    ///   `ActingError::Refused` (`bad_input` on `other`, R-26, for a record with itself or a pair
    ///   already decided) and the rest as `ActingError::Failed` (`not_found` when either record
    ///   does not exist, `history_unreadable`, `conflict`, `store_*`).
    pub async fn record_duplicate_decision(
        &self,
        young_person: YoungPersonId,
        other: YoungPersonId,
        verdict: Verdict,
        reason: Text,
    ) -> Result<YoungPersonExecuted, AccessError> {
        self.check_young_person(young_person, Permission::ChangeCase)
            .await?;
        self.check_young_person(other, Permission::ChangeCase)
            .await?;
        Ok(self
            .casework
            .record_duplicate_decision(self.actor, young_person, other, verdict, reason)
            .await?)
    }

    /// The records recorded as the same person as `young_person` (`read_case` on their
    /// records; R-26, [`Casework::linked_records`]).
    ///
    /// # Errors
    ///
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`) when reading the young
    ///   person's cases, which decide the relationship, fails.
    /// - `ActingError::Denied` (`access_denied`, R-27) when the person's role and relationship to
    ///   the young person's records (by their latest case, see
    ///   `Acting::relationship_to_young_person`) do not permit `read_case`.
    /// - `ActingError::Failed` with `CommandError::Store` (`store_*`, `store_corrupt` for a listing
    ///   row that does not decode) when reading the links fails.
    pub async fn linked_records(
        &self,
        young_person: YoungPersonId,
    ) -> Result<Vec<YoungPersonId>, AccessError> {
        self.check_young_person(young_person, Permission::ReadCase)
            .await?;
        Ok(self.casework.linked_records(young_person).await?)
    }
}
