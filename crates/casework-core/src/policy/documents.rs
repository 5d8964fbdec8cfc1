//! Policies as data: service profiles, programmes and risk tools from TOML or JSON (R-2, R-21).
//!
//! Parsing is pure: these functions take a document's text and a name for it (its path), and
//! either return a validated value or a [`ConfigError`] that names the file, the field and what
//! was expected. Reading files is the facade's (`casework::config`). Unknown keys are refused,
//! so a misspelt rule never silently falls back to a default.
//!
//! A profile document names its risk tool and programmes by path, relative to itself:
//!
//! ```toml
//! name = "Riverside Girls' Project (fictional)"
//! risk_tool = "../risk-tools/scored.toml"
//! programmes = ["../programmes/one-to-one.toml"]
//! time_zone = "Europe/London"
//! # eligibility, signposting, owed_actions, reviews, approvals, retention, limits: as in
//! # `ServiceProfile`
//! ```

use crate::kernel::input::InputError;
use crate::policy::eligibility::Eligibility;
use crate::policy::limits::InputLimits;
use crate::policy::profile::{
    Approvals, OwedActionRules, RetentionSchedule, ReviewCadence, ServiceProfile, SignpostRule,
};
use crate::policy::programme::Programme;
use crate::policy::risk::RiskTool;
use crate::policy::time_zone::ServiceTimeZone;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A configuration document was not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{file}: {}{problem}", if .field.is_empty() { String::new() } else { format!("`{}`: ", .field) })]
pub struct ConfigError {
    /// The document (its path).
    pub file: String,
    /// The field, as a path (`levels[1].from`); empty for a syntax error.
    pub field: String,
    /// What is wrong and what was expected.
    pub problem: String,
}

impl ConfigError {
    /// An error about `file`, from an input error.
    #[must_use]
    pub fn in_file(file: &str, e: InputError) -> Self {
        ConfigError {
            file: file.to_owned(),
            field: e.field,
            problem: e.problem,
        }
    }
}

/// A document's format, from its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The format a file name's extension names; TOML unless it ends in `.json`.
    #[must_use]
    pub fn of(file: &str) -> Format {
        if file.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// Decodes `src` (named `file`) into `T`, naming the field of the first problem.
///
/// # Errors
///
/// [`ConfigError`] naming `file`: with an empty field when `src` is not well-formed JSON (a `file`
/// ending in `.json`) or TOML (any other); otherwise with the field of the first problem when the
/// document does not decode into `T` (an unknown key, a missing field, a wrong type, a value its
/// own checks refuse).
pub fn decode<T: DeserializeOwned>(src: &str, file: &str) -> Result<T, ConfigError> {
    let fail = |field: String, problem: String| ConfigError {
        file: file.to_owned(),
        field,
        problem,
    };
    let value: serde_json::Value = match Format::of(file) {
        Format::Json => {
            serde_json::from_str(src).map_err(|e| fail(String::new(), e.to_string()))?
        }
        Format::Toml => {
            let doc: toml::Value = toml::from_str(src)
                .map_err(|e| fail(String::new(), e.to_string().trim().to_owned()))?;
            serde_json::to_value(doc).map_err(|e| fail(String::new(), e.to_string()))?
        }
    };
    crate::kernel::input::decode_value(value).map_err(|e| ConfigError::in_file(file, e))
}

/// Parses and validates a risk indicator tool (R-21).
///
/// # Errors
///
/// [`ConfigError`] naming `file`: as [`decode`] when the document is malformed or does not decode
/// into a [`RiskTool`]; with the field [`RiskTool::validate`] names when the tool is not valid.
pub fn parse_risk_tool(src: &str, file: &str) -> Result<RiskTool, ConfigError> {
    let tool: RiskTool = decode(src, file)?;
    tool.validate().map_err(|e| ConfigError::in_file(file, e))?;
    Ok(tool)
}

/// Parses and validates a programme.
///
/// # Errors
///
/// [`ConfigError`] naming `file`: as [`decode`] when the document is malformed or does not decode
/// into a [`Programme`]; with the field [`Programme::validate`] names when the programme is not
/// valid.
pub fn parse_programme(src: &str, file: &str) -> Result<Programme, ConfigError> {
    let programme: Programme = decode(src, file)?;
    programme
        .validate()
        .map_err(|e| ConfigError::in_file(file, e))?;
    Ok(programme)
}

/// A service profile document: a [`ServiceProfile`] that names its risk tool and programmes
/// by path instead of holding them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileDocument {
    /// The service's name.
    pub name: String,
    /// Path of the risk tool document, relative to this one.
    pub risk_tool: String,
    /// Paths of the programme documents, relative to this one.
    #[serde(default)]
    pub programmes: Vec<String>,
    /// Who the service is for (R-2).
    pub eligibility: Eligibility,
    /// Where ineligible referrals go (R-3).
    #[serde(default)]
    pub signposting: Vec<SignpostRule>,
    /// Owed actions (R-4, R-5).
    pub owed_actions: OwedActionRules,
    /// Review cadence (R-12).
    pub reviews: ReviewCadence,
    /// Steps that need a manager's approval (R-24).
    #[serde(default)]
    pub approvals: Approvals,
    /// How long records are kept (R-23); the defaults of [`RetentionSchedule`] when absent.
    #[serde(default)]
    pub retention: RetentionSchedule,
    /// The service's time zone (R-2); `Europe/London` when absent.
    #[serde(default)]
    pub time_zone: ServiceTimeZone,
    /// How much one request may hold; the defaults of [`InputLimits`] when absent.
    #[serde(default)]
    pub limits: InputLimits,
}

/// Parses a profile document (its tool and programmes are resolved by [`ProfileDocument::assemble`]).
///
/// # Errors
///
/// [`ConfigError`] naming `file`, as [`decode`]: when the document is malformed or does not decode
/// into a [`ProfileDocument`]. Nothing beyond the decoding is checked here;
/// [`ProfileDocument::assemble`] validates.
pub fn parse_profile(src: &str, file: &str) -> Result<ProfileDocument, ConfigError> {
    decode(src, file)
}

impl ProfileDocument {
    /// The profile with its risk tool and programmes, validated as a whole.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming `file`, with the field [`ServiceProfile::validate`] names, when the
    /// assembled profile is not valid (including its risk tool and programmes).
    pub fn assemble(
        self,
        file: &str,
        risk_tool: RiskTool,
        programmes: Vec<Programme>,
    ) -> Result<ServiceProfile, ConfigError> {
        let profile = ServiceProfile {
            name: self.name,
            eligibility: self.eligibility,
            signposting: self.signposting,
            risk_tool,
            owed_actions: self.owed_actions,
            reviews: self.reviews,
            programmes,
            approvals: self.approvals,
            retention: self.retention,
            time_zone: self.time_zone,
            limits: self.limits,
        };
        profile
            .validate()
            .map_err(|e| ConfigError::in_file(file, e))?;
        Ok(profile)
    }
}
