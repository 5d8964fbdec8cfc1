//! The topics of sessions and workshops (lifecycle 5; R-11).
//!
//! [`SessionTopic`] is a vocabulary with every topic the seed services name (the grooming
//! process, stages and models, internet safety, sexting, pornography, healthy relationships,
//! risk and keeping safe, being missing, drugs and alcohol, sexual health and contraception,
//! education, training and careers, family and peer relationships) plus the topics a service
//! defines for itself in its programmes (`"housing and independent living"`). A service-defined
//! topic is accepted only where the programme offers it ([`SessionTopic::check_offered`]).
//!
//! In JSON a topic is a string: a vocabulary topic by its key (`"grooming_process"`; the words
//! `"grooming process"` are read as the same topic), anything else as the service's own words.

use crate::kernel::input::{quoted, InputError};
use crate::policy::programme::Programme;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A topic covered in a session or a workshop.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub enum SessionTopic {
    /// Understanding the grooming process.
    GroomingProcess,
    /// The stages of grooming.
    GroomingStages,
    /// Different grooming models.
    GroomingModels,
    /// Internet safety.
    InternetSafety,
    /// Sexting.
    Sexting,
    /// Pornography.
    Pornography,
    /// Equal, consensual and respectful relationships, and how to identify an abusive one.
    HealthyRelationships,
    /// Managing risk and keeping safe.
    RiskAndKeepingSafe,
    /// The dangers of being missing.
    BeingMissing,
    /// Drug and alcohol use.
    DrugsAndAlcohol,
    /// Sexual health and contraception.
    SexualHealthAndContraception,
    /// Education, training and careers.
    EducationTrainingAndCareers,
    /// Relationships with family, peers, home staff and other agencies.
    FamilyAndPeerRelationships,
    /// A topic the service defines in its programmes, in its own words.
    Service(String),
}

impl SessionTopic {
    /// Every vocabulary topic (service-defined topics aside), in the order above.
    pub const VOCABULARY: [SessionTopic; 13] = [
        SessionTopic::GroomingProcess,
        SessionTopic::GroomingStages,
        SessionTopic::GroomingModels,
        SessionTopic::InternetSafety,
        SessionTopic::Sexting,
        SessionTopic::Pornography,
        SessionTopic::HealthyRelationships,
        SessionTopic::RiskAndKeepingSafe,
        SessionTopic::BeingMissing,
        SessionTopic::DrugsAndAlcohol,
        SessionTopic::SexualHealthAndContraception,
        SessionTopic::EducationTrainingAndCareers,
        SessionTopic::FamilyAndPeerRelationships,
    ];

    /// The stable key: `grooming_process`; a service topic's own words.
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            SessionTopic::GroomingProcess => "grooming_process",
            SessionTopic::GroomingStages => "grooming_stages",
            SessionTopic::GroomingModels => "grooming_models",
            SessionTopic::InternetSafety => "internet_safety",
            SessionTopic::Sexting => "sexting",
            SessionTopic::Pornography => "pornography",
            SessionTopic::HealthyRelationships => "healthy_relationships",
            SessionTopic::RiskAndKeepingSafe => "risk_and_keeping_safe",
            SessionTopic::BeingMissing => "being_missing",
            SessionTopic::DrugsAndAlcohol => "drugs_and_alcohol",
            SessionTopic::SexualHealthAndContraception => "sexual_health_and_contraception",
            SessionTopic::EducationTrainingAndCareers => "education_training_and_careers",
            SessionTopic::FamilyAndPeerRelationships => "family_and_peer_relationships",
            SessionTopic::Service(words) => words,
        }
    }

    /// Reads a topic: a vocabulary key or its words in any case and punctuation
    /// (`"Education, training and careers"`), or else a service-defined topic. Refuses empty
    /// text.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `field` when `value` is empty or only white space.
    pub fn parse(field: &str, value: &str) -> Result<SessionTopic, InputError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(InputError::new(field, "must not be empty"));
        }
        let key = normalise(trimmed);
        Ok(SessionTopic::VOCABULARY
            .into_iter()
            .find(|t| t.key() == key)
            .unwrap_or_else(|| SessionTopic::Service(trimmed.to_owned())))
    }

    /// Whether this is one of the vocabulary's topics.
    #[must_use]
    pub fn is_vocabulary(&self) -> bool {
        !matches!(self, SessionTopic::Service(_))
    }

    /// Checks a service-defined topic against the topics offered: the programme's, or, with no
    /// programme, any of the service's programmes'. Vocabulary topics are always accepted.
    ///
    /// # Errors
    ///
    /// [`InputError`] (`bad_input`) on `field` when this is a service-defined topic that no
    /// programme in `offered` lists (compared as keys: case and punctuation ignored),
    /// including when `offered` is empty.
    pub fn check_offered<'a>(
        &self,
        field: &str,
        offered: impl IntoIterator<Item = &'a Programme>,
    ) -> Result<(), InputError> {
        let SessionTopic::Service(words) = self else {
            return Ok(());
        };
        let key = normalise(words);
        let mut names = Vec::new();
        for programme in offered {
            if programme.topics.iter().any(|t| normalise(t) == key) {
                return Ok(());
            }
            names.push(format!("`{}`", programme.key));
        }
        let whose = if names.is_empty() {
            "the service has no programme that defines its own topics".to_owned()
        } else {
            format!("nor among the topics of {}", names.join(", "))
        };
        Err(InputError::new(
            field,
            format!(
                "{} is not in the session topic vocabulary, {whose}",
                quoted(words)
            ),
        ))
    }
}

/// Lower case, runs of anything but letters and digits as one `_`: `"Grooming process"` and
/// `"grooming_process"` are the same key.
fn normalise(words: &str) -> String {
    let mut key = String::with_capacity(words.len());
    for c in words.chars() {
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    while key.ends_with('_') {
        key.pop();
    }
    key
}

/// Checks every topic of `topics` against what is offered, naming `field[i]` of the first
/// that is not.
///
/// # Errors
///
/// [`InputError`] (`bad_input`) on `field[i]` for the first topic `i` that
/// [`SessionTopic::check_offered`] refuses.
pub fn check_topics<'a>(
    field: &str,
    topics: &[SessionTopic],
    offered: impl IntoIterator<Item = &'a Programme> + Clone,
) -> Result<(), InputError> {
    for (i, topic) in topics.iter().enumerate() {
        topic.check_offered(&format!("{field}[{i}]"), offered.clone())?;
    }
    Ok(())
}

impl TryFrom<String> for SessionTopic {
    /// A plain message: serde adds the field's path around it.
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SessionTopic::parse("topic", &value).map_err(|e| e.problem)
    }
}

impl From<SessionTopic> for String {
    fn from(topic: SessionTopic) -> String {
        topic.key().to_owned()
    }
}

impl fmt::Display for SessionTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionTopic::Service(words) => f.write_str(words),
            SessionTopic::EducationTrainingAndCareers => {
                f.write_str("education, training and careers")
            }
            other => f.write_str(&other.key().replace('_', " ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_keys_read_as_the_same_vocabulary_topic() {
        for topic in SessionTopic::VOCABULARY {
            assert_eq!(SessionTopic::parse("t", topic.key()).unwrap(), topic);
            assert_eq!(SessionTopic::parse("t", &topic.to_string()).unwrap(), topic);
        }
        assert_eq!(
            SessionTopic::parse("t", "  Grooming Process ").unwrap(),
            SessionTopic::GroomingProcess
        );
    }

    #[test]
    fn anything_else_is_a_service_topic_and_empty_is_refused() {
        assert_eq!(
            SessionTopic::parse("t", "Housing and independent living").unwrap(),
            SessionTopic::Service("Housing and independent living".into())
        );
        assert_eq!(SessionTopic::parse("t", "  ").unwrap_err().field, "t");
    }

    #[test]
    fn json_is_the_key() {
        let json = serde_json::to_string(&SessionTopic::InternetSafety).unwrap();
        assert_eq!(json, "\"internet_safety\"");
        let back: SessionTopic = serde_json::from_str("\"internet safety\"").unwrap();
        assert_eq!(back, SessionTopic::InternetSafety);
        assert!(serde_json::from_str::<SessionTopic>("\"\"").is_err());
    }
}
