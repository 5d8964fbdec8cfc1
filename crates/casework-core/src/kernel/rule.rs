//! The rule ids of `DOMAIN.md`.
//!
//! Every refusal names the rule that refused it, so a worker reading an error, and a developer
//! reading a test, can find where the rule is written down.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A rule of DOMAIN.md, R-1 … R-29.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Rule(u8);

impl Rule {
    /// a referral by anyone else needs the young person's permission.
    pub const R1: Rule = Rule(1);
    /// eligibility is the service profile's.
    pub const R2: Rule = Rule(2);
    /// an ineligible referral is declined or signposted, never dropped.
    pub const R3: Rule = Rule(3);
    /// every referral is assessed before an outcome; the outcome is communicated.
    pub const R4: Rule = Rule(4);
    /// owed notifications and referrals; never deleted, only discharged or explained.
    pub const R5: Rule = Rule(5);
    /// the service is voluntary; never a statutory-plan requirement.
    pub const R6: Rule = Rule(6);
    /// waiting-list order.
    pub const R7: Rule = Rule(7);
    /// session content is confidential; others see what consent allows.
    pub const R8: Rule = Rule(8);
    /// without consent, only on an immediate safeguarding concern, recorded.
    pub const R9: Rule = Rule(9);
    /// parents and carers are told only if the young person agrees.
    pub const R10: Rule = Rule(10);
    /// sessions on the programme's cadence; a change of cadence is recorded with its reason.
    pub const R11: Rule = Rule(11);
    /// reviews record a new risk assessment.
    pub const R12: Rule = Rule(12);
    /// regular contact with the referring professional; multi-agency meetings recorded.
    pub const R13: Rule = Rule(13);
    /// no time limit.
    pub const R14: Rule = Rule(14);
    /// a case closes with a typed reason.
    pub const R15: Rule = Rule(15);
    /// closing for reduced risk needs everyone's agreement.
    pub const R16: Rule = Rule(16);
    /// a closed case is never edited; re-referral opens a new linked case.
    pub const R17: Rule = Rule(17);
    /// every change is attributed and kept.
    pub const R18: Rule = Rule(18);
    /// intelligence about possible perpetrators, passed to police, kept apart.
    pub const R19: Rule = Rule(19);
    /// former service users at low or no risk may join the alumni group.
    pub const R20: Rule = Rule(20);
    /// risk indicator tools; overrides need a reason.
    pub const R21: Rule = Rule(21);
    /// missing episodes, return interviews within 72 hours, repeated episodes flagged.
    pub const R22: Rule = Rule(22);
    /// retention schedule, legal holds, recorded erasure, subject access.
    pub const R23: Rule = Rule(23);
    /// some steps need a manager's approval.
    pub const R24: Rule = Rule(24);
    /// cases move between workers with the full history kept; caseloads are known.
    pub const R25: Rule = Rule(25);
    /// possible duplicates at intake are flagged for a worker; never merged silently.
    pub const R26: Rule = Rule(26);
    /// who may read or change what; reading confidential records is recorded.
    pub const R27: Rule = Rule(27);
    /// other systems follow every change in order from a checkpoint.
    pub const R28: Rule = Rule(28);
    /// the figures funders and partnerships ask for are queries.
    pub const R29: Rule = Rule(29);

    /// Every rule, R-1 … R-29, in order.
    pub const ALL: [Rule; 29] = {
        let mut all = [Rule(0); 29];
        let mut i = 0;
        while i < 29 {
            all[i] = Rule(i as u8 + 1);
            i += 1;
        }
        all
    };

    /// The rule's number.
    #[must_use]
    pub fn number(&self) -> u8 {
        self.0
    }
}

/// A rule equals its id as written, `"R-8"`.
impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        other.strip_prefix("R-").and_then(|n| n.parse::<u8>().ok()) == Some(self.0)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "R-{}", self.0)
    }
}
