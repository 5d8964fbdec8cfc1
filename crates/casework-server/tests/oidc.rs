//! The real binary with an `[oidc]` staff file: JWTs signed by casework-http's test-only keys
//! (published in `crates/casework-http/tests/fixtures`: never trust them anywhere) sign staff
//! in alongside an API token, the staff file's role wins over the token's claims, and SIGHUP
//! reloads the JWKS file. Fictional people and an `example.invalid` issuer only.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_casework-server");
const ISSUER: &str = "https://login.example.invalid/fictional-tenant/v2.0";
const AUDIENCE: &str = "api://casework-fictional";
const WORKER_OID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const MANAGER_OID: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const ROBOT_TOKEN: &str = "fictional-robot-token";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../casework-http/tests/fixtures")
        .join(name)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token for `oid` signed with the test-only RSA key `key_file` under `kid`.
fn token(kid: &str, key_file: &str, oid: &str, extra: Value) -> String {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "per-application-subject",
        "oid": oid,
        "nbf": now() - 5,
        "exp": now() + 600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = std::fs::read(fixture(key_file)).unwrap();
    encode(&header, &claims, &EncodingKey::from_rsa_pem(&key).unwrap()).unwrap()
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(BIN)
            .arg("--staff")
            .arg(dir.join("staff.toml"))
            .arg("--database")
            .arg(dir.join("casework.db"))
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = match line.trim().strip_prefix("listening on http://") {
            Some(addr) => addr.to_owned(),
            None => {
                let _ = child.kill();
                panic!("the server did not start: {line:?}");
            }
        };
        let server = Server { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/readyz", None).0 != 200 {
            assert!(Instant::now() < deadline, "/readyz never answered 200");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(token) = token {
            request.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        request.push_str("\r\n");
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = String::new();
        let _ = stream.read_to_string(&mut raw);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name} {pid}");
    }
}

fn staff_file(dir: &Path) {
    std::fs::copy(fixture("test-only-jwks.json"), dir.join("keys.json")).unwrap();
    let robot_hash = casework_http::ApiTokens::hash(ROBOT_TOKEN);
    let text = format!(
        r#"
[oidc]
issuer = "{ISSUER}"
audience = "{AUDIENCE}"
claim = "oid"
jwks = "keys.json"

[[staff]]
id = "staff-5b0c7a52-1f0e-4d3b-9c1a-0e6f2d9a7b11"
name = "Robin Fictional"
role = "worker"
subject = "{WORKER_OID}"

[[staff]]
id = "staff-8e2d4c61-7a3b-4f5e-8d2c-1b9a0f3e6c22"
name = "Morgan Example"
role = "manager"
subject = "{MANAGER_OID}"

[[staff]]
id = "staff-c3f19b7e-2d4a-4e6b-a8f0-5c7d1e2b9a33"
name = "Intake Robot"
role = "system"
token_sha256 = ["{robot_hash}"]

[[teams]]
manager = "staff-8e2d4c61-7a3b-4f5e-8d2c-1b9a0f3e6c22"
workers = ["staff-5b0c7a52-1f0e-4d3b-9c1a-0e6f2d9a7b11"]
"#
    );
    std::fs::write(dir.join("staff.toml"), text).unwrap();
}

#[test]
fn with_an_oidc_staff_file_jwts_sign_staff_in_the_file_sets_the_role_and_sighup_reloads_keys() {
    let dir = tempfile::tempdir().unwrap();
    staff_file(dir.path());
    let server = Server::start(dir.path());
    let rsa_1 =
        |oid: &str, extra: Value| token("test-rsa-1", "test-only-rsa-1.key.pem", oid, extra);

    // A staff JWT and a service account's API token both sign in.
    let (status, body) = server.get("/queries/waiting_list", Some(&rsa_1(WORKER_OID, json!({}))));
    assert_eq!(status, 200, "{body}");
    assert!(body.is_array(), "{body}");
    let (status, body) = server.get("/queries/waiting_list", Some(ROBOT_TOKEN));
    assert_eq!(status, 200, "{body}");
    // The manager may read intelligence; the worker may not, whatever the token claims.
    let manager_only = "/queries/intelligence_awaiting_police";
    let (status, body) = server.get(manager_only, Some(&rsa_1(MANAGER_OID, json!({}))));
    assert_eq!(status, 200, "{body}");
    let pretending = rsa_1(
        WORKER_OID,
        json!({"roles": ["manager"], "role": "manager", "sub": MANAGER_OID,
               "staff_id": "staff-8e2d4c61-7a3b-4f5e-8d2c-1b9a0f3e6c22"}),
    );
    let (status, body) = server.get(manager_only, Some(&pretending));
    assert_eq!(
        (status, &body["code"]),
        (403, &json!("access_denied")),
        "{body}"
    );
    // Someone the file does not name, and the wrong issuer, are 401.
    let stranger = rsa_1("aaaaaaaa-0000-4000-8000-00000000ffff", json!({}));
    assert_eq!(server.get(manager_only, Some(&stranger)).0, 401);
    let elsewhere = rsa_1(MANAGER_OID, json!({"iss": "https://other.example.invalid"}));
    assert_eq!(server.get(manager_only, Some(&elsewhere)).0, 401);

    // The IdP rotates to `test-rsa-2`: unknown until the file is replaced and SIGHUP sent.
    let rotated = token(
        "test-rsa-2",
        "test-only-rsa-2.key.pem",
        WORKER_OID,
        json!({}),
    );
    assert_eq!(server.get("/queries/waiting_list", Some(&rotated)).0, 401);
    // A broken file first: reported, and the old keys stay.
    std::fs::write(dir.path().join("keys.json"), "{\"keys\": []}").unwrap();
    server.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = server.get("/queries/waiting_list", Some(&rsa_1(WORKER_OID, json!({}))));
    assert_eq!(status, 200, "the old keys stay after a bad reload: {body}");
    std::fs::copy(
        fixture("test-only-jwks-rotated.json"),
        dir.path().join("keys.json"),
    )
    .unwrap();
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get("/queries/waiting_list", Some(&rotated)).0 != 200 {
        assert!(
            Instant::now() < deadline,
            "SIGHUP never loaded the rotated key"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let old = rsa_1(WORKER_OID, json!({}));
    assert_eq!(server.get("/queries/waiting_list", Some(&old)).0, 401);
    assert_eq!(
        server.get("/queries/waiting_list", Some(ROBOT_TOKEN)).0,
        200
    );

    // SIGHUP did not stop it; SIGTERM does, cleanly.
    server.signal("TERM");
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
