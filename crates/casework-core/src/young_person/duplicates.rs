//! Possible duplicates at intake (R-26): finding the young people already known who may be
//! the person being registered or referred, and recording a worker's decision about each.
//!
//! ## Why
//!
//! The same girl is referred twice, a year apart, by different professionals: once as "Amy
//! McDonald", once as "Aimee MacDonald". Registered twice, her history splits in two, and
//! nobody sees that she was known to the service before, nor what her risk was then. The
//! service cannot tell for sure that two records are one person, so it never merges them
//! itself: it flags the records that may be, with the reasons, and a worker decides.
//!
//! ## What makes a candidate
//!
//! The check compares the person being registered or referred with every young person in
//! one **block**: everyone with the same date of birth, or with the day and month swapped
//! (`2011-05-04` and `2011-04-05`, the most common way a date is misread). The block is one
//! indexed read, whatever the number of people registered: each young person's stream lists
//! itself ([`IdentityRow`], listing kind
//! [`ListingKind::IdentityBlock`]) under its date of birth and, when the swapped date is
//! another real date, under that too, so asking for one date finds both. Within the block,
//! three things are compared:
//!
//! - **the name**, folded first ([`fold_name`]: case, spacing, hyphens, apostrophes and
//!   diacritics; `Mac` and `Mc`), then compared with the Jaro–Winkler similarity
//!   ([`strsim::jaro_winkler`]), the given names and the family names apart (the best pair of
//!   family names, so `Smith-Jones` meets `Jones`), either way round (`Smith Amy`), keeping the
//!   better ([`name_match`]). Amy and Aimee Smith are 84% alike, Emily and Emma Smith 82%,
//!   Amy Smith and Aimee Smyth 79%, Amy and Beth Smith 57%.
//! - **the date of birth**: the same, or the day and month swapped.
//! - **the postcode district**: the same, or a neighbouring one: the same area and a district
//!   number one either side (`LS8`, `LS9`, `LS10`; `EC1A` and `EC1V`). Numbers are a stand-in
//!   for a map: close numbers are mostly close places, and a district further off is no
//!   reason at all.
//!
//! A person in the block is a candidate when the names are at least [`SIMILAR_NAME`]% alike,
//! or the districts are the same or neighbouring: twins (same date of birth and district,
//! different given names) are flagged, and so is a young person giving another name, a known
//! pattern in exploitation. Each candidate carries its reasons ([`DuplicateReason`]) and a
//! score from 0 to 100 ([`DuplicateCandidate::score`]: half the name, three tenths the date of
//! birth, a fifth the district), best first. The score orders; the reasons explain; a worker
//! decides.
//!
//! What the check cannot see: a date of birth wrong in another way than a swap (the wrong
//! year), or a record whose date of birth was never right. Those meet at referral only if the
//! details are corrected; a worker who knows can still record the pair by hand.
//!
//! ## Never silent
//!
//! Registering and referring through the service run the check and hand back what it found
//! with the result (`Registered`, `Referred` in `casework-service`). And they record it: new
//! candidates are flagged on the young person's own stream ([`YoungPersonEvent::PossibleDuplicatesFlagged`], in the same
//! append as the registration), so a flag outlives a front end that dropped the answer. An
//! open flag is listed ([`PossibleDuplicateRow`], kind [`ListingKind::PossibleDuplicate`]) in
//! the service-wide list of possible duplicates awaiting a decision until a worker decides.
//! A pair already flagged on either record is not flagged again; the check still returns it.
//!
//! ## The decision
//!
//! A worker records either
//!
//! - **the same person** ([`Verdict::SamePerson`]): the records are linked
//!   ([`LinkedRecordRow`], kind [`ListingKind::LinkedRecord`], listed under both ids), so
//!   either id leads to the person's cases on both records; nothing is merged, moved or
//!   deleted, and each record keeps its own history; or
//! - **not the same** ([`Verdict::NotTheSame`]): recorded, so the pair is never flagged again.
//!
//! Either way with a reason, attributed like every change (R-18), and only once per pair
//! ([`decide`]). The decision is recorded on the record that holds the pair's flag, so the
//! flag closes with it ([`decided_on`]); a pair never flagged, on the record registered later.
//! Both records' listings say which pairs each has decided, so the check reads every
//! decision from the one block it reads anyway.
//!
//! An anonymised record (R-23) is in no block: its identity listing is not written, so it is
//! never a candidate.
//!
//! ```
//! use casework_core::young_person::duplicates::{fold_name, name_match, swapped};
//! use chrono::NaiveDate;
//!
//! assert_eq!(fold_name("  Zoë  MacDonald-O'Brien "), "zoe mcdonald obrien");
//! assert!(name_match("Amy Smith", "Aimee Smith").similarity >= 80);
//! assert!(name_match("Ruby Ahmed-Clarke", "Ruby Clarke").similarity >= 95);
//! let born = NaiveDate::from_ymd_opt(2011, 5, 4).unwrap();
//! assert_eq!(swapped(born), NaiveDate::from_ymd_opt(2011, 4, 5));
//! ```

use crate::kernel::ids::YoungPersonId;
use crate::kernel::input::{InputError, Text};
use crate::read::listing::ListingRow;
use crate::read::rows::{Listing, ListingKind};
use crate::young_person::{YoungPerson, YoungPersonEvent};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Names at least this alike (a percentage) are a reason on their own.
pub const SIMILAR_NAME: u8 = 75;

// ---------------------------------------------------------------------------------------------
// Names.

/// A name folded for comparison: lower case, diacritics removed (`Zoë` → `zoe`, `Siân` →
/// `sian`, `Łucja` → `lucja`, `Strauß` → `strauss`), apostrophes dropped (`O'Brien` →
/// `obrien`), hyphens, dots and other punctuation read as spaces (so a hyphenated and a
/// double-barrelled surname fold alike), spaces collapsed, and `Mac` at the start of a word
/// read as `Mc` (`MacDonald`, `Mac Donald` and `McDonald` fold alike). Folding a folded name
/// changes nothing.
#[must_use]
pub fn fold_name(name: &str) -> String {
    let mut plain = String::with_capacity(name.len());
    for c in name.nfkd() {
        if is_combining_mark(c) || matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{02BC}') {
            continue;
        }
        match c {
            'ß' => plain.push_str("ss"),
            'æ' | 'Æ' => plain.push_str("ae"),
            'œ' | 'Œ' => plain.push_str("oe"),
            'ø' | 'Ø' => plain.push('o'),
            'ł' | 'Ł' => plain.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => plain.push('d'),
            'þ' | 'Þ' => plain.push_str("th"),
            'ı' => plain.push('i'),
            c if c.is_alphanumeric() => plain.extend(c.to_lowercase()),
            _ => plain.push(' '),
        }
    }
    let mut words: Vec<String> = Vec::new();
    let mut pending_prefix = false;
    for word in plain.split_whitespace() {
        let word = match word.strip_prefix("mac") {
            Some(rest) if rest.chars().count() > 1 => format!("mc{rest}"),
            _ => word.to_owned(),
        };
        if pending_prefix {
            // `Mc Donald`, `Mac Donald`: the prefix written apart.
            words.pop();
            words.push(format!("mc{word}"));
            pending_prefix = false;
            continue;
        }
        pending_prefix = word == "mc" || word == "mac";
        words.push(word);
    }
    words.join(" ")
}

/// How alike two names are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NameMatch {
    /// 0 to 100: 100 for names that fold alike.
    pub similarity: u8,
    /// Whether they fold to the same name.
    pub same: bool,
    /// Whether a family name (any word after the first) is the same in both.
    pub shared_family_name: bool,
}

/// Compares two names (see the module docs): the Jaro–Winkler similarity of the folded given
/// names and of the best pair of family names (any word after the first), averaged; the same
/// with one name's words in reverse order (`Smith Amy`), if higher; or, when either name is a
/// single word, the similarity of the whole folded names run together.
#[must_use]
pub fn name_match(a: &str, b: &str) -> NameMatch {
    let (a, b) = (fold_name(a), fold_name(b));
    if a == b {
        return NameMatch {
            similarity: 100,
            same: true,
            shared_family_name: a.contains(' '),
        };
    }
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let reversed: Vec<&str> = wb.iter().rev().copied().collect();
    let (similarity, family) = match (given_and_family(&wa, &wb), given_and_family(&wa, &reversed))
    {
        (Some((straight, family)), Some((swapped, _))) => (straight.max(swapped), family),
        // One word on either side: the whole names, run together.
        _ => (strsim::jaro_winkler(&wa.concat(), &wb.concat()), 0.0),
    };
    NameMatch {
        similarity: percent(similarity).min(99),
        same: false,
        shared_family_name: family >= 1.0,
    }
}

/// The given names' similarity and the best family names', averaged, with the family names'
/// alone; `None` unless both names have a given name and a family name.
fn given_and_family(a: &[&str], b: &[&str]) -> Option<(f64, f64)> {
    let ((given_a, family_a), (given_b, family_b)) = (a.split_first()?, b.split_first()?);
    if family_a.is_empty() || family_b.is_empty() {
        return None;
    }
    let family = family_a
        .iter()
        .flat_map(|x| family_b.iter().map(move |y| strsim::jaro_winkler(x, y)))
        .fold(0.0, f64::max);
    Some((
        (strsim::jaro_winkler(given_a, given_b) + family) / 2.0,
        family,
    ))
}

fn percent(x: f64) -> u8 {
    // Jaro–Winkler is within [0, 1], so the cast cannot truncate.
    (x.clamp(0.0, 1.0) * 100.0).round() as u8
}

// ---------------------------------------------------------------------------------------------
// Dates of birth and districts.

/// The date with its day and month swapped, when that is another real date (the day is 12
/// or less and differs from the month): the misreading of `04/05` as `05/04`.
#[must_use]
pub fn swapped(date: NaiveDate) -> Option<NaiveDate> {
    if date.day() > 12 || date.day() == date.month() {
        return None;
    }
    NaiveDate::from_ymd_opt(date.year(), date.day(), date.month())
}

/// The block key of a date of birth, the key of the [`ListingKind::IdentityBlock`] listings
/// the check reads: a blind index of the date (`dob-` and 32 hex digits) when the service's
/// index key is in scope ([`crate::kernel::sealing::indexing_with`]), so a store's copy does
/// not show anyone's date of birth; otherwise, in a service that seals nothing, the date
/// itself (`YYYY-MM-DD`, [`plain_block_key`]).
#[must_use]
pub fn block_key(date: NaiveDate) -> String {
    let plain = plain_block_key(date);
    match crate::kernel::sealing::blind_index_in_scope("date_of_birth", &plain) {
        Some(index) => format!("dob-{index}"),
        None => plain,
    }
}

/// The block key a service that seals nothing writes, and a store written before sealing
/// holds: the date, `YYYY-MM-DD`.
#[must_use]
pub fn plain_block_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// How near two postcode districts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Nearness {
    /// The same district.
    Same,
    /// The same area and a district number one either side (`LS8`, `LS9`, `LS10`), or the same
    /// number with another sub-district letter (`EC1A`, `EC1V`).
    Neighbouring,
}

/// How near districts `a` and `b` are (`LS9`, `WF10`): `None` when neither the same nor
/// neighbouring.
#[must_use]
pub fn district_nearness(a: &str, b: &str) -> Option<Nearness> {
    if a.eq_ignore_ascii_case(b) {
        return Some(Nearness::Same);
    }
    let (area_a, n_a) = split_district(a)?;
    let (area_b, n_b) = split_district(b)?;
    (area_a.eq_ignore_ascii_case(area_b) && n_a.abs_diff(n_b) <= 1)
        .then_some(Nearness::Neighbouring)
}

/// `LS10` → (`LS`, 10); `EC1A` → (`EC`, 1).
fn split_district(district: &str) -> Option<(&str, u32)> {
    let digits = district.find(|c: char| c.is_ascii_digit())?;
    let (area, rest) = district.split_at(digits);
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    Some((area, rest[..end].parse().ok()?))
}

// ---------------------------------------------------------------------------------------------
// Candidates.

/// Why a young person already known may be the person checked. Stored in events: the names
/// and fields are stable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum DuplicateReason {
    /// The names fold to the same name.
    SameName,
    /// The names are at least [`SIMILAR_NAME`]% alike.
    SimilarName {
        /// How alike, 0 to 100.
        similarity: u8,
    },
    /// The names are not alike, but a family name is the same (siblings, twins).
    SameFamilyName,
    /// The same date of birth.
    SameDateOfBirth,
    /// The date of birth with its day and month swapped.
    DayAndMonthSwapped,
    /// The same postcode district.
    SamePostcodeDistrict {
        /// The district.
        district: String,
    },
    /// A neighbouring postcode district ([`Nearness::Neighbouring`]).
    NeighbouringPostcodeDistrict {
        /// The candidate's district.
        district: String,
    },
}

/// A young person already known who may be the person checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DuplicateCandidate {
    /// The young person already known.
    pub young_person: YoungPersonId,
    /// 0 to 100: half the name's similarity, three tenths the date of birth (the same counts
    /// in full, swapped 70%), a fifth the district (the same in full, neighbouring half).
    pub score: u8,
    /// How alike the names are, 0 to 100.
    pub name_similarity: u8,
    /// Why, in the order: name, date of birth, district.
    pub reasons: Vec<DuplicateReason>,
}

impl DuplicateCandidate {
    /// Compares `person` with one row of the block; `None` when the row is not a candidate
    /// (another date of birth, or names not alike and districts far apart).
    #[must_use]
    pub fn compare(person: &YoungPerson, row: &IdentityRow) -> Option<Self> {
        let details = &person.details;
        let dob = if row.date_of_birth == details.date_of_birth {
            (DuplicateReason::SameDateOfBirth, 1.0)
        } else if swapped(row.date_of_birth) == Some(details.date_of_birth) {
            (DuplicateReason::DayAndMonthSwapped, 0.7)
        } else {
            return None;
        };
        let name = name_match(details.name.as_str(), &row.name);
        let place = district_nearness(details.postcode.district(), &row.district);
        let similar = name.similarity >= SIMILAR_NAME;
        if !similar && place.is_none() {
            return None;
        }
        let mut reasons = Vec::with_capacity(3);
        if name.same {
            reasons.push(DuplicateReason::SameName);
        } else if similar {
            reasons.push(DuplicateReason::SimilarName {
                similarity: name.similarity,
            });
        } else if name.shared_family_name {
            reasons.push(DuplicateReason::SameFamilyName);
        }
        reasons.push(dob.0);
        let near = match place {
            Some(Nearness::Same) => {
                reasons.push(DuplicateReason::SamePostcodeDistrict {
                    district: row.district.clone(),
                });
                1.0
            }
            Some(Nearness::Neighbouring) => {
                reasons.push(DuplicateReason::NeighbouringPostcodeDistrict {
                    district: row.district.clone(),
                });
                0.5
            }
            None => 0.0,
        };
        let score = 0.5 * f64::from(name.similarity) / 100.0 + 0.3 * dob.1 + 0.2 * near;
        Some(DuplicateCandidate {
            young_person: row.young_person_id,
            score: percent(score),
            name_similarity: name.similarity,
            reasons,
        })
    }
}

/// Candidates, best first: by score, then by id so every store gives the same order.
#[must_use]
pub fn candidate_order(a: &DuplicateCandidate, b: &DuplicateCandidate) -> Ordering {
    b.score
        .cmp(&a.score)
        .then(a.young_person.cmp(&b.young_person))
}

/// What a check found about one young person: every young person already known who may be
/// them and is not yet decided either way, best first. Empty when there are none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PossibleDuplicates {
    /// The young person checked.
    pub young_person: YoungPersonId,
    /// The candidates, best first ([`candidate_order`]), flagged now or before.
    pub candidates: Vec<DuplicateCandidate>,
}

impl PossibleDuplicates {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }
}

/// A check's result: what it found, and which of them are flagged now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateCheck {
    /// Everything found.
    pub found: PossibleDuplicates,
    /// The candidates not flagged before on either record: flagged by [`DuplicateCheck::event`].
    pub new_flags: Vec<DuplicateCandidate>,
}

impl DuplicateCheck {
    /// Checks `person` (with what their record has flagged and decided) against `block`, the
    /// [`IdentityRow`]s listed under their date of birth: see the module docs. Leaves out the
    /// person themself and every pair decided, on either record.
    #[must_use]
    pub fn run(person: &YoungPerson, record: &DuplicateRecord, block: &[IdentityRow]) -> Self {
        let mut candidates = Vec::new();
        let mut new_flags = Vec::new();
        for row in block {
            let other = row.young_person_id;
            if other == person.id
                || record.decision_about(other).is_some()
                || row.decided.contains(&person.id)
            {
                continue;
            }
            let Some(candidate) = DuplicateCandidate::compare(person, row) else {
                continue;
            };
            if !record.is_flagged(other) && !row.flagged.contains(&person.id) {
                new_flags.push(candidate.clone());
            }
            candidates.push(candidate);
        }
        candidates.sort_by(candidate_order);
        new_flags.sort_by(candidate_order);
        DuplicateCheck {
            found: PossibleDuplicates {
                young_person: person.id,
                candidates,
            },
            new_flags,
        }
    }

    /// The event flagging the new candidates, when there are any.
    #[must_use]
    pub fn event(&self, at: DateTime<Utc>) -> Option<YoungPersonEvent> {
        (!self.new_flags.is_empty()).then(|| YoungPersonEvent::PossibleDuplicatesFlagged {
            candidates: self.new_flags.clone(),
            at,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// What a record holds.

/// A worker's decision about a pair of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// They are the same person: the records are linked.
    SamePerson,
    /// They are not: the pair is not flagged again.
    NotTheSame,
}

impl Verdict {
    /// `the same person` / `not the same person`, for messages.
    #[must_use]
    pub fn describe(&self) -> &'static str {
        match self {
            Verdict::SamePerson => "the same person",
            Verdict::NotTheSame => "not the same person",
        }
    }
}

/// A flag not yet decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OpenFlag {
    /// The candidate as found.
    pub candidate: DuplicateCandidate,
    /// When flagged.
    pub flagged_at: DateTime<Utc>,
}

/// A decision recorded on this record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Decision {
    /// The other record.
    pub other: YoungPersonId,
    /// What was decided.
    pub verdict: Verdict,
    /// Why, in the worker's words.
    pub reason: Text,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a young person's record says about possible duplicates: the flags awaiting a decision
/// and the decisions recorded on it. The fold of its events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DuplicateRecord {
    /// Flags not yet decided, in the order raised.
    pub open: Vec<OpenFlag>,
    /// Decisions, in the order recorded.
    pub decisions: Vec<Decision>,
}

impl DuplicateRecord {
    /// Applies one event (others change nothing).
    pub fn apply(&mut self, event: &YoungPersonEvent) {
        let (other, verdict, reason, at) = match event {
            YoungPersonEvent::PossibleDuplicatesFlagged { candidates, at } => {
                for candidate in candidates {
                    let id = candidate.young_person;
                    if !self.is_flagged(id) && self.decision_about(id).is_none() {
                        self.open.push(OpenFlag {
                            candidate: candidate.clone(),
                            flagged_at: *at,
                        });
                    }
                }
                return;
            }
            YoungPersonEvent::SamePersonRecorded { other, reason, at } => {
                (*other, Verdict::SamePerson, reason, at)
            }
            YoungPersonEvent::NotSamePersonRecorded { other, reason, at } => {
                (*other, Verdict::NotTheSame, reason, at)
            }
            _ => return,
        };
        self.open.retain(|f| f.candidate.young_person != other);
        self.decisions.push(Decision {
            other,
            verdict,
            reason: reason.clone(),
            at: *at,
        });
    }

    /// Whether a flag about `other` awaits a decision here.
    #[must_use]
    pub fn is_flagged(&self, other: YoungPersonId) -> bool {
        self.open.iter().any(|f| f.candidate.young_person == other)
    }

    /// The decision about `other` recorded here, if any.
    #[must_use]
    pub fn decision_about(&self, other: YoungPersonId) -> Option<&Decision> {
        self.decisions.iter().find(|d| d.other == other)
    }

    /// The records recorded here as the same person.
    pub fn same_person(&self) -> impl Iterator<Item = YoungPersonId> + '_ {
        self.decisions
            .iter()
            .filter(|d| d.verdict == Verdict::SamePerson)
            .map(|d| d.other)
    }

    /// This record's listings: its identity under its date of birth and the swapped date
    /// (none once anonymised, R-23), each flag awaiting a decision, and each link, under both
    /// ids.
    #[must_use]
    pub fn listings(&self, person: &YoungPerson) -> Vec<Listing> {
        let mut listings = Vec::new();
        if person.details.name.as_str() != crate::privacy::anonymise::ANONYMISED {
            let row = IdentityRow {
                young_person_id: person.id,
                name: fold_name(person.details.name.as_str()),
                date_of_birth: person.details.date_of_birth,
                district: person.details.postcode.district().to_owned(),
                registered_at: person.registered_at,
                decided: self.decisions.iter().map(|d| d.other).collect(),
                flagged: self.open.iter().map(|f| f.candidate.young_person).collect(),
            };
            let listing = row.to_listing();
            if let Some(other) = swapped(row.date_of_birth) {
                listings.push(Listing {
                    key: block_key(other),
                    ..listing.clone()
                });
            }
            listings.insert(0, listing);
        }
        listings.extend(self.open.iter().map(|f| {
            PossibleDuplicateRow {
                young_person_id: person.id,
                candidate: f.candidate.clone(),
                flagged_at: f.flagged_at,
            }
            .to_listing()
        }));
        for d in self
            .decisions
            .iter()
            .filter(|d| d.verdict == Verdict::SamePerson)
        {
            let listing = LinkedRecordRow {
                young_person_id: person.id,
                same_person_as: d.other,
                recorded_at: d.at,
            }
            .to_listing();
            listings.push(Listing {
                key: d.other.to_string(),
                ..listing.clone()
            });
            listings.push(listing);
        }
        listings
    }
}

/// Which record a decision about a pair is recorded on: the one whose flag about the other
/// awaits a decision, so the flag closes with it; otherwise (neither has one, or both) the
/// record registered later, the one that may duplicate the other (the greater id on a tie).
/// The choice depends on the pair alone, never on the order they are named in, so two
/// workers deciding the same pair at once write to one stream and one of them conflicts.
#[must_use]
pub fn decided_on(
    a: (&YoungPerson, &DuplicateRecord),
    b: (&YoungPerson, &DuplicateRecord),
) -> YoungPersonId {
    let ((a, a_record), (b, b_record)) = (a, b);
    match (a_record.is_flagged(b.id), b_record.is_flagged(a.id)) {
        (true, false) => a.id,
        (false, true) => b.id,
        _ => (a.registered_at, a.id).max((b.registered_at, b.id)).1,
    }
}

/// Decides a worker's verdict about `me` and `other`, to be recorded on `me`'s record (see
/// [`decided_on`]). Refused, naming the field `other`, for a record with itself, and for a
/// pair already decided on either record (R-26: once, either way).
///
/// # Errors
///
/// [`InputError`] (`bad_input`) on `other` (R-26) when `other` is `me`, or when a decision about
/// the pair is already recorded on either record, either way.
pub fn decide(
    me: (YoungPersonId, &DuplicateRecord),
    other: (YoungPersonId, &DuplicateRecord),
    verdict: Verdict,
    reason: Text,
    at: DateTime<Utc>,
) -> Result<YoungPersonEvent, InputError> {
    let ((me, mine), (other, theirs)) = (me, other);
    if me == other {
        return Err(InputError::new(
            "other",
            format!("{other} is the record itself: name another young person (R-26)"),
        ));
    }
    let earlier = mine
        .decision_about(other)
        .or_else(|| theirs.decision_about(me));
    if let Some(d) = earlier {
        return Err(InputError::new(
            "other",
            format!(
                "{me} and {other} were already recorded as {} on {} (R-26: a pair is decided once)",
                d.verdict.describe(),
                d.at.format("%Y-%m-%d")
            ),
        ));
    }
    Ok(match verdict {
        Verdict::SamePerson => YoungPersonEvent::SamePersonRecorded { other, reason, at },
        Verdict::NotTheSame => YoungPersonEvent::NotSamePersonRecorded { other, reason, at },
    })
}

// ---------------------------------------------------------------------------------------------
// Listings.

/// A young person as the duplicate check reads them (R-26): listed under their date of birth
/// and, when it is another real date, under the day and month swapped. The name is folded
/// ([`fold_name`]), never the name as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IdentityRow {
    /// The young person.
    pub young_person_id: YoungPersonId,
    /// Their name, folded (sealed at rest, [`crate::kernel::sealing`]).
    #[serde(with = "crate::kernel::sealing::identifying")]
    #[cfg_attr(feature = "schema", schemars(with = "String", extend("x-sealed-at-rest" = "identifying")))]
    pub name: String,
    /// Their date of birth: the key ([`block_key`]), and the swapped date the second key
    /// (sealed at rest).
    #[serde(with = "crate::kernel::sealing::identifying")]
    #[cfg_attr(feature = "schema", schemars(with = "NaiveDate", extend("x-sealed-at-rest" = "identifying")))]
    pub date_of_birth: NaiveDate,
    /// Their postcode district (kept as it is: a coarsened value, [`crate::kernel::sealing`]).
    pub district: String,
    /// When registered: `at`.
    pub registered_at: DateTime<Utc>,
    /// The records a decision about which is recorded on this one, either way.
    pub decided: Vec<YoungPersonId>,
    /// The records this one has a flag about awaiting a decision.
    pub flagged: Vec<YoungPersonId>,
}

impl ListingRow for IdentityRow {
    const KIND: ListingKind = ListingKind::IdentityBlock;
    fn key(&self) -> String {
        block_key(self.date_of_birth)
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.registered_at)
    }
}

/// A possible duplicate awaiting a worker's decision (R-26).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PossibleDuplicateRow {
    /// The record flagged: the key.
    pub young_person_id: YoungPersonId,
    /// The young person already known who may be them.
    pub candidate: DuplicateCandidate,
    /// When flagged: `at`.
    pub flagged_at: DateTime<Utc>,
}

impl ListingRow for PossibleDuplicateRow {
    const KIND: ListingKind = ListingKind::PossibleDuplicate;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.flagged_at)
    }
}

/// Two records recorded as the same person (R-26), listed under each id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LinkedRecordRow {
    /// The record the decision is recorded on: a key.
    pub young_person_id: YoungPersonId,
    /// The other record: the other key.
    pub same_person_as: YoungPersonId,
    /// When recorded: `at`.
    pub recorded_at: DateTime<Utc>,
}

impl ListingRow for LinkedRecordRow {
    const KIND: ListingKind = ListingKind::LinkedRecord;
    fn key(&self) -> String {
        self.young_person_id.to_string()
    }
    fn at(&self) -> Option<DateTime<Utc>> {
        Some(self.recorded_at)
    }
}

impl LinkedRecordRow {
    /// The record linked to `young_person` by this row.
    #[must_use]
    pub fn other_than(&self, young_person: YoungPersonId) -> YoungPersonId {
        if self.young_person_id == young_person {
            self.same_person_as
        } else {
            self.young_person_id
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_is_idempotent_and_folds_what_people_write_differently() {
        for (a, b) in [
            ("Zoë Brontë", "zoe bronte"),
            ("SIÂN  o'neill", "sian oneill"),
            ("Mary-Jane  Smith-Jones", "mary jane smith jones"),
            ("Ellie MacDonald", "ellie mcdonald"),
            ("Ellie Mc Donald", "ellie mcdonald"),
            ("Ellie Mac Donald", "ellie mcdonald"),
            ("Łucja Strauß", "lucja strauss"),
            ("Mack Macy", "mack macy"),
        ] {
            assert_eq!(fold_name(a), b, "{a}");
            assert_eq!(fold_name(b), b, "folding {b} again");
        }
    }

    #[test]
    fn districts_near_by_number_within_one_area() {
        assert_eq!(district_nearness("LS9", "LS9"), Some(Nearness::Same));
        assert_eq!(
            district_nearness("LS9", "LS10"),
            Some(Nearness::Neighbouring)
        );
        assert_eq!(
            district_nearness("EC1A", "EC1V"),
            Some(Nearness::Neighbouring)
        );
        assert_eq!(district_nearness("LS9", "LS11"), None);
        assert_eq!(district_nearness("LS9", "WF9"), None);
        assert_eq!(district_nearness("LS9", "L9"), None);
    }

    #[test]
    fn only_real_other_dates_swap() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(swapped(d(2011, 5, 4)), Some(d(2011, 4, 5)));
        assert_eq!(swapped(d(2011, 5, 13)), None, "no 13th month");
        assert_eq!(swapped(d(2011, 5, 5)), None, "the same date");
        assert_eq!(swapped(d(2012, 2, 12)), Some(d(2012, 12, 2)));
    }

    #[test]
    fn names_score_as_the_module_docs_say() {
        let m = |a, b| name_match(a, b).similarity;
        assert_eq!(m("Amy Smith", "Aimee Smith"), 84);
        assert_eq!(m("Emily Smith", "Emma Smith"), 82);
        assert_eq!(m("Amy Smith", "Aimee Smyth"), 79, "two misspellings");
        assert_eq!(m("Amy Smith", "Smith Amy"), 99, "the order of the words");
        assert_eq!(m("Amy Smith", "Beth Smith"), 57);
        assert!(name_match("Amy Smith", "Beth Smith").shared_family_name);
        assert!(m("Chloe Brown", "Jade Wilson") < 60);
        assert_eq!(m("Ruby Ahmed-Clarke", "Ruby Clarke"), 99);
        assert!(name_match("Ellie McDonald", "Ellie MacDonald").same);
    }
}
