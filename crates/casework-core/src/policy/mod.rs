//! Policies as data: the service profile and
//! what it is made of (its time zone and input limits among them), and the parsing of policy documents (TOML or JSON) with errors that
//! name the file and the field.

pub mod documents;
pub mod eligibility;
pub mod limits;
pub mod profile;
pub mod programme;
pub mod risk;
pub mod time_zone;
pub mod topic;

pub use documents::*;
