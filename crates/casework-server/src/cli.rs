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
  --key-file FILE         the key-encryption key that seals confidential content at rest,
                          created (0600) on first start; default: beside the SQLite file
                          (casework.db.key), or casework.key for Postgres. The environment
                          variable CASEWORK_KEK (64 hex digits) is used instead when set.
                          Back it up apart from the database: without it nothing opens
  --listen ADDR           address to listen on (default 127.0.0.1:8080; port 0 picks one)
  --staff FILE            staff, teams, API token hashes and optional [oidc] sign-in (see
                          examples/config/staff.toml); without it no account exists and
                          every API call is 401. SIGHUP re-reads the [oidc] JWKS file
  --body-limit BYTES      largest request body (default 1048576); larger is 413
  --request-timeout SECS  longest a request may take (default 30); longer is 503
  --text-limit CHARS      most characters one text value of a request may hold (default:
                          the profile's limits.text_bytes); longer is 400 naming the field
  --cors-origin ORIGIN    a browser front end's origin, scheme://host[:port], that may call
                          the API (CORS); repeat for several. Default: none, no cross-origin
                          calls
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
    /// `--key-file`; `None` for the default beside the database.
    pub key_file: Option<PathBuf>,
    /// `--listen`.
    pub listen: String,
    /// `--staff`.
    pub staff: Option<PathBuf>,
    /// `--body-limit`, `--request-timeout`.
    pub limits: Limits,
    /// `--text-limit` and every `--cors-origin`, for the router.
    pub http: casework_http::Options,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            profile: None,
            database: Database::Sqlite(PathBuf::from("casework.db")),
            key_file: None,
            listen: "127.0.0.1:8080".to_owned(),
            staff: None,
            limits: Limits::default(),
            http: casework_http::Options::default(),
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
            "--key-file" => options.key_file = Some(PathBuf::from(value("--key-file")?)),
            "--text-limit" => {
                let chars: usize = value("--text-limit")?
                    .parse()
                    .map_err(|_| "--text-limit: a whole number of characters".to_owned())?;
                if chars == 0 {
                    return Err("--text-limit: at least 1 character".to_owned());
                }
                options.http.text_limit = Some(chars);
            }
            "--cors-origin" => {
                let origin = parse_origin(&value("--cors-origin")?)
                    .map_err(|problem| format!("--cors-origin: {problem}"))?;
                if !options.http.cors_origins.contains(&origin) {
                    options.http.cors_origins.push(origin);
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Serve(options))
}

/// A `--cors-origin` value as a browser sends its `Origin`: `scheme://host[:port]`, with no
/// path, query, user or trailing slash, lowercased, and without the scheme's default port
/// (`https://app.example:443` is sent as `https://app.example`, so it is kept so), which is
/// the only form a browser's `Origin` header can match.
///
/// # Errors
/// Anything else, in a sentence naming the value.
pub fn parse_origin(value: &str) -> Result<String, String> {
    let bad = |why: &str| {
        Err(format!(
            "`{value}` is not an origin ({why}); write scheme://host[:port], such as https://casework.example.org"
        ))
    };
    let Some((scheme, rest)) = value.split_once("://") else {
        return bad("no scheme://");
    };
    let scheme = scheme.to_ascii_lowercase();
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return bad("the scheme is not letters, digits, `+`, `-` or `.`");
    }
    if rest.contains(['/', '?', '#']) {
        return bad("an origin has no path, query or fragment, not even a trailing `/`");
    }
    if rest.contains('@') {
        return bad("an origin has no user or password");
    }
    let (host, port) = match rest.rsplit_once(':') {
        // An IPv6 literal without a port, `[::1]`, has colons of its own.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let host = host.to_ascii_lowercase();
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    if !host_ok {
        return bad("the host is not a name, an IPv4 address or a bracketed IPv6 address");
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
            _ => return bad("the port is not a number from 1 to 65535"),
        },
    };
    let default = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    Ok(match port.filter(|p| Some(*p) != default) {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
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
    fn text_limit_and_cors_origins_reach_the_router_options() {
        let Ok(Command::Serve(o)) = parse_str(
            "--text-limit 500 --cors-origin https://front.example.invalid --cors-origin=http://localhost:5173 --cors-origin https://front.example.invalid",
        ) else {
            panic!("serve");
        };
        assert_eq!(o.http.text_limit, Some(500));
        assert_eq!(
            o.http.cors_origins,
            ["https://front.example.invalid", "http://localhost:5173"]
        );
        assert_eq!(
            Options::default().http,
            casework_http::Options::default(),
            "no origin and the router's text limit unless asked"
        );
        for bad in ["--text-limit 0", "--text-limit lots", "--text-limit"] {
            let e = parse_str(bad).unwrap_err();
            assert!(e.starts_with("--text-limit"), "{bad}: {e}");
        }
    }

    #[test]
    fn an_origin_is_scheme_host_and_port_only() {
        for (given, kept) in [
            (
                "https://front.example.invalid",
                "https://front.example.invalid",
            ),
            (
                "HTTPS://Front.Example.Invalid",
                "https://front.example.invalid",
            ),
            (
                "https://front.example.invalid:443",
                "https://front.example.invalid",
            ),
            ("http://localhost:80", "http://localhost"),
            ("http://localhost:5173", "http://localhost:5173"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            ("http://[::1]", "http://[::1]"),
        ] {
            assert_eq!(parse_origin(given).as_deref(), Ok(kept), "{given}");
        }
        for bad in [
            "front.example.invalid",
            "https://front.example.invalid/",
            "https://front.example.invalid/app",
            "https://front.example.invalid?x=1",
            "https://user@front.example.invalid",
            "https://",
            "https://front..invalid",
            "https://front.example.invalid:0",
            "https://front.example.invalid:99999",
            "https://front.example.invalid:",
            "https://front example.invalid",
            "*",
            "null",
            "1http://front.example.invalid",
        ] {
            let e = parse_origin(bad).expect_err(bad);
            assert!(e.contains(bad), "{e}");
            let e = parse(["--cors-origin".to_owned(), bad.to_owned()]).expect_err(bad);
            assert!(e.starts_with("--cors-origin: "), "{e}");
        }
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
