//! The real binary: started on `127.0.0.1:0` over a temporary SQLite file (and Postgres when
//! `DATABASE_URL` is set) with the shipped profile and staff file, driven over HTTP, stopped
//! with SIGTERM. Fictional people only.

use casework_testkit::fixtures;
use casework_testkit::postgres_db::TestDatabase;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_casework-server");
/// The published demo token of `examples/config/staff.toml`'s worker.
const WORKER: &str = "demo-worker-token-not-secret";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    /// Starts the binary with the example profile and staff file and `extra` arguments, and
    /// waits for `/readyz`.
    fn start(database: &str, extra: &[&str]) -> Server {
        let mut command = Command::new(BIN);
        if database.starts_with("postgres") {
            // A server's key-encryption key comes from its secret store; without it the
            // binary would make casework.key in the working directory.
            command.env("CASEWORK_KEK", "7a".repeat(32));
        }
        let mut child = command
            .arg("--profile")
            .arg(repo("examples/config/profiles/city-girls.toml"))
            .arg("--staff")
            .arg(repo("examples/config/staff.toml"))
            .args(["--database", database, "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the server did not start: {line:?}")
            })
            .to_owned();
        let server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if server.send("GET", "/readyz", None, None).status == 200 {
                break server;
            }
            assert!(Instant::now() < deadline, "/readyz never answered 200");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Reply {
        self.send_with(method, path, token, &[], body)
    }

    /// As [`Server::send`], with `extra` headers.
    fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(token) = token {
            request.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        for (name, value) in extra {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body.unwrap_or(""));
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        // A server that answers before reading the whole body may reset the connection
        // after its answer: keep what arrived.
        let _ = stream.read_to_end(&mut raw);
        let raw = String::from_utf8(raw).unwrap();
        let (head, text) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Reply {
            status,
            headers,
            body: serde_json::from_str(text).unwrap_or(Value::Null),
            text: text.to_owned(),
        }
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send("POST", path, Some(token), Some(&body.to_string()))
    }

    /// Sends SIGTERM (by the `kill` command: the workspace forbids `unsafe`).
    fn signal_term(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
    }

    /// SIGTERM, then the exit status (within 30 s).
    fn terminate(mut self) -> std::process::ExitStatus {
        self.signal_term();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only after a failed assertion: a passing test has waited for the exit already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Value,
    text: String,
}

fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(
        reply.headers.get("content-type").map(String::as_str),
        Some("application/problem+json"),
        "{reply:?}"
    );
    assert_eq!(reply.body["code"], code, "{}", reply.text);
}

/// The story every store runs: health, an unauthenticated and an authenticated call, a
/// referral, SIGTERM (exit 0), a restart on the same database that still has the case.
fn story(database: &str) {
    let server = Server::start(database, &[]);
    let up = server.send("GET", "/healthz", None, None);
    assert_eq!((up.status, up.body["status"].as_str()), (200, Some("up")));

    assert_problem(
        &server.send("GET", "/queries/waiting_list", None, None),
        401,
        "unauthenticated",
    );
    assert_problem(
        &server.send("GET", "/queries/waiting_list", Some("forged-token"), None),
        401,
        "unauthenticated",
    );
    let list = server.send("GET", "/queries/waiting_list", Some(WORKER), None);
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.body.is_array(), "{}", list.text);

    let registered = server.post(
        "/young-people",
        WORKER,
        &serde_json::to_value(fixtures::girl_in_leeds_area()).unwrap(),
    );
    assert_eq!(registered.status, 201, "{}", registered.text);
    let person = registered.body["young_person"].as_str().unwrap().to_owned();
    let referred = server.post(
        &format!("/young-people/{person}/referrals"),
        WORKER,
        &json!({
            "source": {"source": "self_referral"},
            "concerns": "Fictional concern for a server test",
            "received_at": fixtures::start(),
        }),
    );
    assert_eq!(referred.status, 201, "{}", referred.text);
    let case = referred.body["case"].as_str().unwrap().to_owned();
    let read = server.send("GET", &format!("/cases/{case}"), Some(WORKER), None);
    assert_eq!(read.status, 200, "{}", read.text);
    let etag = read.headers["etag"].clone();

    assert!(server.terminate().success(), "SIGTERM ends it with 0");

    let again = Server::start(database, &[]);
    let read = again.send("GET", &format!("/cases/{case}"), Some(WORKER), None);
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.headers["etag"], etag,
        "the same case at the same version"
    );
    assert!(again.terminate().success());
}

#[test]
fn on_sqlite_the_binary_serves_authenticates_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    story(dir.path().join("casework.db").to_str().unwrap());
    // the key-encryption key was made beside the database, for its owner only.
    let key = dir.path().join("casework.db.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key)
            .expect("a key file beside the database")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn on_postgres_the_binary_serves_authenticates_and_stops_cleanly_on_sigterm() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create("casework-server on Postgres")) else {
        return;
    };
    story(db.url());
    drop(db);
}

#[test]
fn an_oversized_body_is_a_413_problem_and_readyz_needs_no_credential() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("casework.db");
    let server = Server::start(db.to_str().unwrap(), &["--body-limit", "1024"]);
    let ready = server.send("GET", "/readyz", None, None);
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (200, Some("ready"))
    );
    let big = json!({ "name": "x".repeat(4096) });
    let refused = server.post("/young-people", WORKER, &big);
    assert_problem(&refused, 413, "payload_too_large");
    assert_eq!(refused.body["field"], "body");
    assert!(server.terminate().success());
}

#[test]
fn sigterm_finishes_the_request_in_flight_before_exiting() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path().join("casework.db").to_str().unwrap(), &[]);
    let body = serde_json::to_string(&fixtures::girl_in_leeds_area()).unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    // The request is in flight: headers sent, half the body still to come.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /young-people HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {WORKER}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        server.addr,
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.signal_term();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "still running while a request is in flight"
    );
    stream.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "exits after the request");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_request_over_the_timeout_is_a_503_problem() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path().join("casework.db").to_str().unwrap(),
        &["--request-timeout", "1"],
    );
    // A body that never finishes arriving: the request cannot be answered in time.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /young-people HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {WORKER}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        server.addr
    )
    .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after"),
        "{answer}"
    );
    assert!(server.terminate().success());
}

#[test]
fn a_bad_staff_file_stops_start_up_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let staff = dir.path().join("staff.toml");
    std::fs::write(
        &staff,
        "[[staff]]\nid = \"staff-00000000-0000-4000-8000-000000000001\"\nname = \"Test Person\"\nrole = \"worker\"\ntoken_sha256 = [\"not-a-hash\"]\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("--staff")
        .arg(&staff)
        .arg("--database")
        .arg(dir.path().join("casework.db"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("staff[0].token_sha256[0]"), "{stderr}");
    assert!(
        !stderr.contains("not-a-hash"),
        "the value is not echoed: {stderr}"
    );
}

#[test]
fn hash_token_makes_the_hashes_the_shipped_staff_file_holds() {
    let mut child = Command::new(BIN)
        .arg("hash-token")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{WORKER}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(hash.len(), 64);
    let shipped = std::fs::read_to_string(repo("examples/config/staff.toml")).unwrap();
    assert!(shipped.contains(&hash), "the demo worker's hash is shipped");
    assert!(
        !shipped.contains(&format!("\"{WORKER}\"]")),
        "never a token as a value"
    );
}

/// A browser's preflight of a keyed command from `origin`.
fn preflight(origin: &str) -> [(&str, &str); 3] {
    [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "authorization,content-type,if-match,idempotency-key",
        ),
    ]
}

#[test]
fn a_server_started_with_cors_origin_answers_its_preflight_and_no_other_origin() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("casework.db");
    let server = Server::start(
        database.to_str().unwrap(),
        &[
            "--cors-origin",
            "https://front.example.invalid",
            "--cors-origin=http://localhost:5173",
            "--text-limit",
            "40",
        ],
    );
    for origin in ["https://front.example.invalid", "http://localhost:5173"] {
        let allowed = server.send_with("OPTIONS", "/young-people", None, &preflight(origin), None);
        assert!(allowed.status < 300, "{allowed:?}");
        assert_eq!(
            allowed
                .headers
                .get("access-control-allow-origin")
                .map(String::as_str),
            Some(origin),
            "{allowed:?}"
        );
        let headers = &allowed.headers["access-control-allow-headers"];
        assert!(headers.contains("idempotency-key"), "{headers}");
    }
    for origin in [
        "https://elsewhere.example.invalid",
        "https://front.example.invalid:8443",
        "http://front.example.invalid",
    ] {
        let refused = server.send_with("OPTIONS", "/young-people", None, &preflight(origin), None);
        assert!(
            !refused.headers.contains_key("access-control-allow-origin"),
            "{origin}: {refused:?}"
        );
    }
    // A call from the origin is answered with the origin allowed and the ETag exposed.
    let read = server.send_with(
        "GET",
        "/queries/waiting_list",
        Some(WORKER),
        &[("Origin", "https://front.example.invalid")],
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.headers["access-control-allow-origin"],
        "https://front.example.invalid"
    );
    assert!(read.headers["access-control-expose-headers"].contains("etag"));

    // `--text-limit 40`: a 41-character name is refused, naming the field.
    let mut details = serde_json::to_value(fixtures::girl_in_leeds_area()).unwrap();
    details["name"] = json!("N".repeat(41));
    let long = server.post("/young-people", WORKER, &details);
    assert_problem(&long, 400, "bad_input");
    assert_eq!(long.body["field"], "name", "{}", long.text);
    details["name"] = json!("N".repeat(40));
    assert_eq!(server.post("/young-people", WORKER, &details).status, 201);
    assert!(server.terminate().success());

    // Without the flag no origin is allowed.
    let plain = Server::start(database.to_str().unwrap(), &[]);
    let refused = plain.send_with(
        "OPTIONS",
        "/young-people",
        None,
        &preflight("https://front.example.invalid"),
        None,
    );
    assert!(
        !refused.headers.contains_key("access-control-allow-origin"),
        "{refused:?}"
    );
    assert!(plain.terminate().success());
}

#[test]
fn a_cors_origin_that_is_not_scheme_host_port_stops_start_up_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "https://front.example.invalid/",
        "front.example.invalid",
        "https://front.example.invalid/app",
    ] {
        let out = Command::new(BIN)
            .args(["--cors-origin", bad])
            .arg("--database")
            .arg(dir.path().join("casework.db"))
            .args(["--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--cors-origin"), "{stderr}");
        assert!(stderr.contains(bad), "{stderr}");
        assert!(out.stdout.is_empty(), "never listened: {bad}");
    }
    let out = Command::new(BIN)
        .args(["--text-limit", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--text-limit"));
}
