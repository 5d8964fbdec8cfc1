//! The staff file: who the server's API tokens stand for, and how staff relate (teams,
//! external referrers). Read once at start-up, never from a request.
//!
//! ```toml
//! # Each account: the actor its tokens act as. Only token *hashes* are kept here:
//! # `casework-server hash-token --generate` prints a fresh token and its hash.
//! [[staff]]
//! id = "6f1c2f0e-1b1a-4c8e-9a57-3d5f0c9e2a11"   # a uuid, or as displayed: "staff-<uuid>"
//! name = "Robin Fictional"
//! role = "worker"                               # worker, manager, administrator, system, external_referrer, auditor
//! token_sha256 = ["<64 hex characters>"]
//!
//! [[teams]]
//! manager = "…"                                 # a staff id
//! workers = ["…"]
//!
//! [[external_referrers]]
//! account = "…"                                 # the external_referrer's staff id
//! professional = "…"                            # the referring professional's id
//! ```

use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::ids::{ProfessionalId, StaffId};
use casework_http::{ApiTokens, StaffDirectory};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;
use uuid::Uuid;

/// The staff file as written; see the [module docs](self).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffFile {
    /// The accounts.
    #[serde(default)]
    pub staff: Vec<StaffEntry>,
    /// Which manager manages which workers.
    #[serde(default)]
    pub teams: Vec<TeamEntry>,
    /// Which external account is which referring professional.
    #[serde(default)]
    pub external_referrers: Vec<ReferrerEntry>,
}

/// One account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffEntry {
    /// The staff id (a uuid, optionally prefixed `staff-`).
    pub id: String,
    /// The name shown in timelines.
    pub name: String,
    /// The role, by its stable name.
    pub role: String,
    /// SHA-256 (lowercase hex) of each token that acts as this account.
    #[serde(default)]
    pub token_sha256: Vec<String>,
}

/// One team.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamEntry {
    /// The manager's staff id.
    pub manager: String,
    /// The workers' staff ids.
    pub workers: Vec<String>,
}

/// One external referrer account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferrerEntry {
    /// The account's staff id.
    pub account: String,
    /// The referring professional's id (a uuid, optionally prefixed `pro-`).
    pub professional: String,
}

/// What a staff file configures: the authenticator and the directory.
#[derive(Debug)]
pub struct Staff {
    /// The API tokens, by hash.
    pub tokens: ApiTokens,
    /// Teams and external referrers.
    pub directory: StaffDirectory,
    /// How many accounts have at least one token.
    pub accounts_with_tokens: usize,
}

fn uuid_of(text: &str, field: &str) -> Result<Uuid, String> {
    // Accept the displayed form `<prefix>-<uuid>`: a uuid's 36 characters end it.
    let candidate = match text.len().checked_sub(36) {
        Some(start) if start > 0 && text.is_char_boundary(start) => &text[start..],
        _ => text,
    };
    Uuid::parse_str(candidate).map_err(|_| format!("`{field}`: not a uuid"))
}

fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

impl StaffFile {
    /// Parses a staff file's text; `file` names it in errors.
    ///
    /// # Errors
    /// A sentence naming the file and the field at fault (never a token hash).
    pub fn parse(text: &str, file: &str) -> Result<StaffFile, String> {
        toml::from_str(text).map_err(|e| format!("{file}: {}", e.message()))
    }

    /// Reads and parses the staff file at `path`.
    ///
    /// # Errors
    /// The file cannot be read or parsed.
    pub fn load(path: &Path) -> Result<StaffFile, String> {
        let file = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot be read: {e}"))?;
        Self::parse(&text, &file)
    }

    /// Checks the file and builds the authenticator and directory.
    ///
    /// # Errors
    /// A bad id, role or hash, a token hash given to two accounts, or a team or referrer
    /// naming an unknown account; the message names the entry by index.
    pub fn build(&self) -> Result<Staff, String> {
        let mut tokens = ApiTokens::new();
        let mut seen_hashes = BTreeSet::new();
        let mut ids = BTreeSet::new();
        let mut accounts_with_tokens = 0;
        for (i, entry) in self.staff.iter().enumerate() {
            let at = |f: &str| format!("staff[{i}].{f}");
            let id = StaffId::from_uuid(uuid_of(&entry.id, &at("id"))?);
            if !ids.insert(id) {
                return Err(format!("`{}`: the id is given twice", at("id")));
            }
            let role = Role::parse(&entry.role).ok_or_else(|| {
                format!(
                    "`{}`: not a role (one of worker, manager, administrator, system, external_referrer, auditor)",
                    at("role")
                )
            })?;
            if entry.name.trim().is_empty() {
                return Err(format!("`{}`: empty", at("name")));
            }
            let actor = Actor {
                id,
                name: entry.name.clone(),
                role,
            };
            for (j, hash) in entry.token_sha256.iter().enumerate() {
                let field = at(&format!("token_sha256[{j}]"));
                let hash = hash.to_ascii_lowercase();
                if !is_sha256_hex(&hash) {
                    return Err(format!(
                        "`{field}`: a token hash is 64 hex characters (SHA-256; make one with `casework-server hash-token`)"
                    ));
                }
                if !seen_hashes.insert(hash.clone()) {
                    return Err(format!("`{field}`: the same token hash is given twice"));
                }
                tokens = tokens.with_hash(&hash, actor.clone());
            }
            if !entry.token_sha256.is_empty() {
                accounts_with_tokens += 1;
            }
        }
        let known = |text: &str, field: &str| -> Result<StaffId, String> {
            let id = StaffId::from_uuid(uuid_of(text, field)?);
            if ids.contains(&id) {
                Ok(id)
            } else {
                Err(format!("`{field}`: no account in `staff` has this id"))
            }
        };
        let mut directory = StaffDirectory::new();
        for (i, team) in self.teams.iter().enumerate() {
            let manager = known(&team.manager, &format!("teams[{i}].manager"))?;
            let workers = team
                .workers
                .iter()
                .enumerate()
                .map(|(j, w)| known(w, &format!("teams[{i}].workers[{j}]")))
                .collect::<Result<Vec<_>, _>>()?;
            directory = directory.team(manager, workers);
        }
        for (i, r) in self.external_referrers.iter().enumerate() {
            let account = known(&r.account, &format!("external_referrers[{i}].account"))?;
            let professional = ProfessionalId::from_uuid(uuid_of(
                &r.professional,
                &format!("external_referrers[{i}].professional"),
            )?);
            directory = directory.external_referrer(account, professional);
        }
        Ok(Staff {
            tokens,
            directory,
            accounts_with_tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../examples/config/staff.toml");

    #[test]
    fn the_shipped_staff_file_builds() {
        let staff = StaffFile::parse(SHIPPED, "staff.toml")
            .unwrap()
            .build()
            .unwrap();
        assert!(staff.accounts_with_tokens >= 2);
    }

    #[test]
    fn a_bad_hash_an_unknown_role_and_an_unknown_team_member_are_refused_by_field() {
        let base = r#"
            [[staff]]
            id = "staff-00000000-0000-4000-8000-000000000001"
            name = "Test Worker"
            role = "ROLE"
            token_sha256 = ["HASH"]
        "#;
        let good_hash = ApiTokens::hash("t");
        let with = |role: &str, hash: &str| {
            StaffFile::parse(&base.replace("ROLE", role).replace("HASH", hash), "f")
                .unwrap()
                .build()
        };
        assert!(with("worker", &good_hash).is_ok());
        let e = with("boss", &good_hash).unwrap_err();
        assert!(e.contains("staff[0].role"), "{e}");
        let e = with("worker", "abc").unwrap_err();
        assert!(e.contains("staff[0].token_sha256[0]"), "{e}");
        let team = format!(
            "{}\n[[teams]]\nmanager = \"00000000-0000-4000-8000-000000000002\"\nworkers = []\n",
            base.replace("ROLE", "worker").replace("HASH", &good_hash)
        );
        let e = StaffFile::parse(&team, "f").unwrap().build().unwrap_err();
        assert!(e.contains("teams[0].manager"), "{e}");
        assert!(StaffFile::parse("[[staff]]\nid = 1\n", "f").is_err());
    }
}
