//! The command line, parsed by hand (a few flags and one subcommand; see the crate docs).

use crate::Limits;
use casework_http::ApiTokens;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

/// `casework-server --help`.
pub const USAGE: &str = "\
usage: casework-server [serve] [OPTIONS]
       casework-server hash-token [--generate]

Serves Casework's HTTP/JSON API.

options:
  --profile FILE          service profile (.toml/.json); default: the shipped city-girls profile
  --database FILE|URL     SQLite file (default casework.db) or postgres://user@host/db
  --listen ADDR           address to listen on (default 127.0.0.1:8080; port 0 picks one)
  --staff FILE            staff, teams, API token hashes and optional [oidc] sign-in (see
                          examples/config/staff.toml); without it no account exists and
                          every API call is 401. SIGHUP re-reads the [oidc] JWKS file
  --body-limit BYTES      largest request body (default 1048576); larger is 413
  --request-timeout SECS  longest a request may take (default 30); longer is 503
  -h, --help, -V, --version

hash-token: reads a token on standard input and prints its SHA-256 hash for the staff file;
  with --generate, makes a fresh random token and prints the token and its hash.";

/// Where the events are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created and migrated if new.
    Sqlite(PathBuf),
    /// A Postgres URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            // A URL may carry a password.
            Database::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

impl Database {
    /// A `--database` value: a Postgres URL, or else a file path (`sqlite:` prefix optional).
    #[must_use]
    pub fn parse(value: &str) -> Database {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Database::Postgres(value.to_owned())
        } else {
            Database::Sqlite(PathBuf::from(
                value.strip_prefix("sqlite:").unwrap_or(value),
            ))
        }
    }
}

/// What `serve` runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `--profile`; `None` for the shipped city-girls profile.
    pub profile: Option<PathBuf>,
    /// `--database`.
    pub database: Database,
    /// `--listen`.
    pub listen: String,
    /// `--staff`.
    pub staff: Option<PathBuf>,
    /// `--body-limit`, `--request-timeout`.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            profile: None,
            database: Database::Sqlite(PathBuf::from("casework.db")),
            listen: "127.0.0.1:8080".to_owned(),
            staff: None,
            limits: Limits::default(),
        }
    }
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Serve the API.
    Serve(Options),
    /// Print a token's hash (`generate`: of a fresh token).
    HashToken {
        /// Make a fresh token rather than reading one.
        generate: bool,
    },
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// Parses the arguments after the program name.
///
/// # Errors
/// An unknown argument, a missing value or a value that does not parse, in a sentence.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    match args.peek().map(String::as_str) {
        Some("hash-token") => {
            args.next();
            let mut generate = false;
            for a in args {
                match a.as_str() {
                    "--generate" => generate = true,
                    other => return Err(format!("hash-token: unknown argument `{other}`")),
                }
            }
            return Ok(Command::HashToken { generate });
        }
        Some("serve") => {
            args.next();
        }
        _ => {}
    }
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--profile" => options.profile = Some(PathBuf::from(value("--profile")?)),
            "--database" => options.database = Database::parse(&value("--database")?),
            "--listen" => options.listen = value("--listen")?,
            "--staff" => options.staff = Some(PathBuf::from(value("--staff")?)),
            "--body-limit" => {
                options.limits.body_bytes = value("--body-limit")?
                    .parse()
                    .map_err(|_| "--body-limit: a number of bytes".to_owned())?;
            }
            "--request-timeout" => {
                let secs: u64 = value("--request-timeout")?
                    .parse()
                    .map_err(|_| "--request-timeout: a whole number of seconds".to_owned())?;
                if secs == 0 {
                    return Err("--request-timeout: at least 1 second".to_owned());
                }
                options.limits.request_timeout = Duration::from_secs(secs);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Serve(options))
}

/// `hash-token`: the output for a token read from `input` (its first line), or for a fresh
/// random token (`generate`: two v4 uuids, 244 random bits).
///
/// # Errors
/// No token on the input, or the input cannot be read.
pub fn hash_token(generate: bool, mut input: impl BufRead) -> Result<String, String> {
    if generate {
        let token = format!(
            "cw_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        return Ok(format!(
            "token:  {token}\nsha256: {}\n(give the token to its owner once; put only the sha256 in the staff file)\n",
            ApiTokens::hash(&token)
        ));
    }
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the token: {e}"))?;
    let token = line.trim_end_matches(['\r', '\n']);
    if token.trim().is_empty() {
        return Err("no token on standard input (or use --generate)".to_owned());
    }
    Ok(format!("{}\n", ApiTokens::hash(token.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn defaults_flags_and_subcommands() {
        assert_eq!(parse_str(""), Ok(Command::Serve(Options::default())));
        let Ok(Command::Serve(o)) = parse_str(
            "serve --profile p.toml --database=postgres://u@h/db --listen 0.0.0.0:9 --staff s.toml --body-limit 10 --request-timeout 5",
        ) else {
            panic!("serve");
        };
        assert_eq!(o.profile, Some(PathBuf::from("p.toml")));
        assert_eq!(o.database, Database::Postgres("postgres://u@h/db".into()));
        assert_eq!(format!("{:?}", o.database), "Postgres(..)");
        assert_eq!(o.listen, "0.0.0.0:9");
        assert_eq!(o.limits.body_bytes, 10);
        assert_eq!(o.limits.request_timeout, Duration::from_secs(5));
        assert_eq!(
            Database::parse("sqlite:x.db"),
            Database::Sqlite(PathBuf::from("x.db"))
        );
        assert_eq!(
            parse_str("hash-token --generate"),
            Ok(Command::HashToken { generate: true })
        );
        assert_eq!(parse_str("--help"), Ok(Command::Help));
        assert!(parse_str("--listen").is_err());
        assert!(parse_str("--frobnicate").is_err());
        assert!(parse_str("--request-timeout 0").is_err());
    }

    #[test]
    fn hash_token_hashes_the_first_line_and_generates_distinct_tokens() {
        let out = hash_token(false, "fictional-token\n".as_bytes()).unwrap();
        assert_eq!(out.trim(), ApiTokens::hash("fictional-token"));
        assert!(hash_token(false, "\n".as_bytes()).is_err());
        let a = hash_token(true, "".as_bytes()).unwrap();
        let b = hash_token(true, "".as_bytes()).unwrap();
        assert_ne!(a, b);
        let token = a
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("token:")
            .trim();
        assert!(a.contains(&ApiTokens::hash(token)));
    }
}
