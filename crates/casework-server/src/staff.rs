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
//!
//! # Signing in with the charity's identity provider (OIDC)
//!
//! With an `[oidc]` section the server also accepts bearer JWTs from the identity provider
//! ([`casework_http::jwt`]): each `[[staff]]` entry with a `subject` is the person whose
//! token carries that value in the configured claim. The token proves *who* signs in; the
//! role, id, name and teams are still this file's (a `roles` claim in the token is ignored).
//!
//! ```toml
//! [oidc]
//! issuer = "https://login.microsoftonline.com/<tenant id>/v2.0"   # the tokens' `iss`, exactly
//! audience = "<application (client) id>"       # the tokens' `aud`; a string or a list
//! claim = "oid"                                 # sub (default), oid (Microsoft Entra) or email
//! jwks = "oidc-keys.json"                       # the IdP's JWKS document, relative to this file
//! # algorithms = ["RS256", "ES256"]             # the default; HMAC (HS*) is not accepted here
//! # leeway_seconds = 30                         # clock skew allowed on exp/nbf (at most 300)
//!
//! [[staff]]
//! id = "…"
//! name = "Robin Fictional"
//! role = "worker"
//! subject = "<Robin's oid>"                     # the claim's value for this person
//! ```
//!
//! The server reads the JWKS file at start-up and again on **SIGHUP**, so a job that fetches
//! the IdP's keys (they rotate) replaces the file and signals the server. A file that does
//! not read or holds no usable key is reported and the keys in use stay. The server never
//! fetches keys itself: it makes no outbound connection.

use casework_core::kernel::actor::{Actor, Role};
use casework_core::kernel::ids::{ProfessionalId, StaffId};
use casework_http::jwt::{Algorithm, IdentityClaim, JwtAuthenticator, JwtSettings};
use casework_http::{ApiTokens, StaffDirectory};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
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
    /// Sign-in with the identity provider's JWTs; `None`: API tokens only.
    #[serde(default)]
    pub oidc: Option<OidcEntry>,
    /// The directory relative paths (`oidc.jwks`) are read from: the file's own, when it was
    /// [`StaffFile::load`]ed; otherwise the working directory.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// The `[oidc]` section.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcEntry {
    /// The tokens' `iss`, exactly.
    pub issuer: String,
    /// The accepted `aud` values.
    pub audience: Audience,
    /// The identity claim: `sub` (default), `oid` or `email`.
    #[serde(default = "default_claim")]
    pub claim: String,
    /// The JWKS file, relative to the staff file.
    pub jwks: PathBuf,
    /// The accepted algorithms (default `RS256`, `ES256`); public-key ones only.
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds (default 30, at most 300).
    #[serde(default)]
    pub leeway_seconds: Option<u64>,
}

fn default_claim() -> String {
    "sub".to_owned()
}

/// One audience or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `audience = "…"`.
    One(String),
    /// `audience = ["…", "…"]`.
    Many(Vec<String>),
}

impl Audience {
    fn list(&self) -> Vec<String> {
        match self {
            Audience::One(a) => vec![a.clone()],
            Audience::Many(list) => list.clone(),
        }
    }
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
    /// The identity provider's value of the `[oidc]` claim for this person (their `sub`,
    /// `oid` or email); unused without `[oidc]`.
    #[serde(default)]
    pub subject: Option<String>,
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

/// What a staff file configures: the authenticators and the directory.
#[derive(Debug)]
pub struct Staff {
    /// The API tokens, by hash.
    pub tokens: ApiTokens,
    /// Teams and external referrers.
    pub directory: StaffDirectory,
    /// How many accounts have at least one token.
    pub accounts_with_tokens: usize,
    /// JWT sign-in, with an `[oidc]` section.
    pub oidc: Option<Oidc>,
}

/// The `[oidc]` section built: the authenticator and where its keys are read from.
#[derive(Clone, Debug)]
pub struct Oidc {
    /// A handle on the authenticator the router uses (clones share the keys).
    pub authenticator: JwtAuthenticator,
    /// The JWKS file, resolved.
    pub jwks: PathBuf,
}

impl Oidc {
    /// Reads the JWKS file again and replaces the keys (SIGHUP); answers the key ids now in
    /// use.
    ///
    /// # Errors
    /// The file cannot be read or holds no usable key; the keys in use stay.
    pub fn reload(&self) -> Result<Vec<String>, String> {
        let text = read_jwks(&self.jwks)?;
        self.authenticator
            .replace_keys(&text)
            .map_err(|e| format!("{}: {e}", self.jwks.display()))?;
        Ok(self.authenticator.key_ids())
    }
}

fn read_jwks(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot be read: {e}", path.display()))
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
        let mut staff = Self::parse(&text, &file)?;
        staff.base_dir = path.parent().map(Path::to_path_buf);
        Ok(staff)
    }

    /// Checks the file and builds the authenticators and directory (reading the `[oidc]`
    /// JWKS file).
    ///
    /// # Errors
    /// A bad id, role or hash, a token hash or subject given to two accounts, a team or
    /// referrer naming an unknown account, or an `[oidc]` section that cannot be used (its
    /// JWKS file unreadable or without a usable key); the message names the entry or field.
    pub fn build(&self) -> Result<Staff, String> {
        let mut subjects = Vec::new();
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
            if let Some(subject) = &entry.subject {
                if subject.trim().is_empty() {
                    return Err(format!("`{}`: empty", at("subject")));
                }
                subjects.push((at("subject"), subject.clone(), actor.clone()));
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
        let oidc = match &self.oidc {
            Some(section) => Some(self.oidc(section, subjects)?),
            None => None,
        };
        Ok(Staff {
            tokens,
            directory,
            accounts_with_tokens,
            oidc,
        })
    }

    fn oidc(
        &self,
        section: &OidcEntry,
        subjects: Vec<(String, String, Actor)>,
    ) -> Result<Oidc, String> {
        let claim = IdentityClaim::parse(&section.claim)
            .ok_or_else(|| "`oidc.claim`: one of sub, oid, email".to_owned())?;
        let mut settings = JwtSettings::new(section.issuer.clone(), section.audience.list())
            .identity_claim(claim)
            .leeway(Duration::from_secs(section.leeway_seconds.unwrap_or(30)));
        if let Some(names) = &section.algorithms {
            let algorithms = names
                .iter()
                .enumerate()
                .map(|(i, name)| match name.parse::<Algorithm>() {
                    Ok(a) if !name.starts_with("HS") => Ok(a),
                    _ => Err(format!(
                        "`oidc.algorithms[{i}]`: a public-key algorithm (RS256, ES256, PS256, ...; HMAC is not accepted)"
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            settings = settings.algorithms(&algorithms);
        }
        // Subjects compare as the authenticator will (emails without case): find the
        // duplicate here, where its entry can be named.
        let mut seen = BTreeSet::new();
        for (field, subject, actor) in subjects {
            let key = if claim == IdentityClaim::Email {
                subject.trim().to_ascii_lowercase()
            } else {
                subject.clone()
            };
            if !seen.insert(key) {
                return Err(format!(
                    "`{field}`: the same subject is given to two accounts"
                ));
            }
            settings = settings.subject(subject, actor);
        }
        let jwks = match &self.base_dir {
            Some(dir) if section.jwks.is_relative() => dir.join(&section.jwks),
            _ => section.jwks.clone(),
        };
        let text = read_jwks(&jwks).map_err(|e| format!("`oidc.jwks`: {e}"))?;
        let authenticator = JwtAuthenticator::from_jwks_json(settings, &text)
            .map_err(|e| format!("`oidc` ({}): {e}", jwks.display()))?;
        Ok(Oidc {
            authenticator,
            jwks,
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

    /// The test-only JWKS document of casework-http's tests (published keys: never trust).
    const TEST_JWKS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../casework-http/tests/fixtures/test-only-jwks.json"
    );

    fn with_oidc(oidc: &str, second_subject: &str) -> Result<Staff, String> {
        let text = format!(
            r#"
            [oidc]
            {oidc}

            [[staff]]
            id = "staff-00000000-0000-4000-8000-000000000001"
            name = "Test Worker"
            role = "worker"
            subject = "Worker@Example.invalid"

            [[staff]]
            id = "staff-00000000-0000-4000-8000-000000000002"
            name = "Test Manager"
            role = "manager"
            subject = "{second_subject}"
            "#
        );
        StaffFile::parse(&text, "f")?.build()
    }

    #[test]
    fn an_oidc_section_builds_a_jwt_authenticator_and_bad_ones_are_refused_by_field() {
        let jwks = format!("jwks = {TEST_JWKS:?}");
        let base = format!(
            "issuer = \"https://idp.example.invalid\"\naudience = [\"casework\", \"other\"]\n{jwks}"
        );
        let staff = with_oidc(&base, "manager@example.invalid").unwrap();
        let oidc = staff.oidc.expect("[oidc] configured");
        assert_eq!(oidc.authenticator.key_ids(), ["test-ec-1", "test-rsa-1"]);
        assert_eq!(oidc.authenticator.subjects(), 2);
        assert_eq!(oidc.authenticator.identity_claim(), IdentityClaim::Subject);
        assert_eq!(oidc.reload().unwrap().len(), 2);
        // Emails compare without case: the same address twice is refused, naming the entry.
        let email = format!("{base}\nclaim = \"email\"");
        let e = with_oidc(&email, "worker@example.invalid").unwrap_err();
        assert!(e.contains("staff[1].subject"), "{e}");
        assert!(with_oidc(&base, "worker@example.invalid").is_ok());
        let e = with_oidc(&format!("{base}\nclaim = \"roles\""), "m").unwrap_err();
        assert!(e.contains("oidc.claim"), "{e}");
        let e = with_oidc(&format!("{base}\nalgorithms = [\"HS256\"]"), "m").unwrap_err();
        assert!(e.contains("oidc.algorithms[0]"), "{e}");
        let e = with_oidc(&format!("{base}\nleeway_seconds = 3600"), "m").unwrap_err();
        assert!(e.contains("leeway"), "{e}");
        let missing = base.replace("test-only-jwks.json", "no-such-file.json");
        let e = with_oidc(&missing, "m").unwrap_err();
        assert!(e.contains("oidc.jwks"), "{e}");
        // Without [oidc] a subject configures nothing.
        assert!(StaffFile::parse(SHIPPED, "f")
            .unwrap()
            .build()
            .unwrap()
            .oidc
            .is_none());
    }
}
