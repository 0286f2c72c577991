//! The `kiosk-server` binary: migrate, the admin commands, and `serve`
//! with no configuration (the demo on SQLite).

use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiosk-server"));
    c.env_remove("KIOSK_SERVER_CONFIG")
        .env_remove("KIOSK_SERVER_DATABASE")
        .env("RUST_LOG", "warn");
    c
}

fn run(db: &str, args: &[&str]) -> (bool, String) {
    let o = bin().arg("--database").arg(db).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn admin_commands_on_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("s.db").display());
    let (ok, out) = run(&db, &["migrate"]);
    assert!(ok, "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "load-catalogue",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/catalogue.sample.toml"
            ),
        ],
    );
    assert!(ok && out.contains("catalogue version"), "{out}");
    // The same version again is refused.
    let (ok, _) = run(
        &db,
        &[
            "admin",
            "load-catalogue",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../data/catalogue.sample.toml"
            ),
        ],
    );
    assert!(!ok);
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-kiosk",
            "--code",
            "k2040",
            "--district",
            "Kota",
            "--name",
            "Kota e-Mitra",
        ],
    );
    assert!(ok && out.contains("kiosk K2040 created"), "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-user",
            "--kiosk",
            "K2040",
            "--login",
            "kota-h",
            "--name",
            "Holder",
            "--role",
            "holder",
        ],
    );
    // Without a mobile no first password nor reset code could reach anyone.
    assert!(!ok && out.contains("--mobile"), "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-user",
            "--kiosk",
            "K2040",
            "--login",
            "kota-h",
            "--name",
            "Holder",
            "--role",
            "holder",
            "--mobile",
            "9414012345",
        ],
    );
    assert!(ok && out.contains("first password"), "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "refill",
            "--kiosk",
            "K2040",
            "--amount",
            "12,500.50",
            "--memo",
            "NEFT",
        ],
    );
    assert!(ok && out.contains("₹12,500.50"), "{out}");
    let (ok, _) = run(
        &db,
        &["admin", "refill", "--kiosk", "K2040", "--amount", "-5"],
    );
    assert!(!ok, "negative refill refused");
    let (ok, out) = run(&db, &["admin", "ledger", "--kiosk", "K2040"]);
    assert!(
        ok && out.contains("wallet ₹12,500.50") && out.contains("NEFT"),
        "{out}"
    );
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "set-exposure",
            "--kiosk",
            "K2040",
            "--amount",
            "5000",
            "--count",
            "20",
            "--hours",
            "12",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "notice",
            "--en",
            "Server maintenance at 2 am",
            "--hi",
            "रात 2 बजे रखरखाव",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(&db, &["admin", "check-ledger"]);
    assert!(ok, "{out}");
    let (ok, out) = run(&db, &["admin", "devices"]);
    assert!(ok && out.trim().is_empty(), "{out}");
    let (ok, _) = run(
        &db,
        &[
            "admin",
            "deregister-device",
            "00000000-0000-0000-0000-000000000001",
        ],
    );
    assert!(!ok);
    let (ok, _) = run(
        &db,
        &["admin", "refill", "--kiosk", "NOPE1", "--amount", "5"],
    );
    assert!(!ok);
}

#[test]
fn serve_with_no_configuration_runs_the_demo() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let mut second = String::new();
    out.read_line(&mut second).unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect(&first)
        .to_string();
    assert!(
        second.contains("holder1") && second.contains("Holder@2026"),
        "{second}"
    );
    // Log in as the printed demo holder over plain HTTP.
    let body = r#"{"login":"holder1","password":"Holder@2026"}"#;
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "POST /v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"kiosk_code\":\"K1001\""), "{resp}");
    assert!(dir.path().join(".demo/server/server.db").exists());
}

#[test]
fn refuses_a_schema_newer_than_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let db = format!("sqlite:{}", path.display());
    assert!(run(&db, &["migrate"]).0);
    // Migrating twice is a no-op.
    assert!(run(&db, &["migrate"]).0);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute(
        "INSERT INTO schema_migrations VALUES (99, 'future.sql', 0)",
        [],
    )
    .unwrap();
    drop(c);
    let (ok, out) = run(&db, &["migrate"]);
    assert!(!ok);
    assert!(out.contains("newer"), "{out}");
}

#[tokio::test]
async fn serves_https_with_rustls() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    // A throwaway CA and a certificate for localhost signed by it (the openssl tool).
    let ca = dir.path().join("ca.pem");
    let ossl = |args: &[&str]| {
        let st = Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    ossl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=test-ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    ossl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(dir.path().join("ext.cnf"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n").unwrap();
    ossl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    let cfg = dir.path().join("server.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
            dir.path().join("data").display(),
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    let mut child = bin()
        .arg("--config")
        .arg(&cfg)
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let port = first
        .split("https://127.0.0.1:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect(&first)
        .to_string();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let r = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await;
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let r = r.expect("HTTPS answers");
    assert_eq!(r.status(), 200);
    // ALPN offers HTTP/2 (header compression: the bytes of a lone payment).
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), "ok");
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain HTTP is not served on the TLS port"
    );
}

/// A fresh PostgreSQL schema and a URL whose connections work in it.
async fn pg_schema() -> (String, String) {
    let base = std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap();
    let h = tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .unwrap();
    drop(client);
    let _ = h.await;
    let sep = if base.contains('?') { '&' } else { '?' };
    (
        format!("{base}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

async fn drop_schema(schema: &str) {
    let base = std::env::var("KIOSK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap();
    let h = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = h.await;
}

/// A running `kiosk-server serve`.
struct Served {
    child: std::process::Child,
    base: String,
    out: std::sync::mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Stops the server and returns all it printed.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The process is gone: the reader sees end of file and hangs up.
        self.out.iter().collect::<Vec<_>>().join("\n")
    }
}

fn serve(dir: &std::path::Path, args: &[&str]) -> Served {
    use std::io::BufRead;
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(out).lines();
    let first = lines.next().expect("a banner").unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(first).unwrap();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    Served {
        child,
        base: format!("http://{addr}"),
        out: rx,
    }
}

fn no_demo(banner: &str) {
    assert!(
        !banner.contains("Holder@2026") && !banner.contains("Operator@2026"),
        "no demo password in the banner: {banner}"
    );
}

async fn login_status(base: &str, login: &str, pw: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"login": login, "password": pw}))
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_postgres_database_gets_no_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = pg_schema().await;
    // No config at all, only the database.
    let s = serve(
        dir.path(),
        &["--database", &url, "serve", "--listen", "127.0.0.1:0"],
    );
    let (st, v) = login_status(&s.base, "holder1", "Holder@2026").await;
    assert_eq!(
        (st, v["code"].as_str()),
        (401, Some("auth.bad_credentials"))
    );
    no_demo(&s.stop());
    // A config that says nothing about the demo.
    let cfg = dir.path().join("centre.toml");
    std::fs::write(&cfg, "listen = \"127.0.0.1:0\"\n").unwrap();
    let s = serve(
        dir.path(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--database",
            &url,
            "serve",
        ],
    );
    let (st, _) = login_status(&s.base, "operator1", "Operator@2026").await;
    assert_eq!(st, 401);
    no_demo(&s.stop());
    let (ok, out) = run(&url, &["admin", "devices"]);
    assert!(ok && out.trim().is_empty(), "{out}");
    assert!(
        !run(&url, &["admin", "ledger", "--kiosk", "K1001"]).0,
        "no demo kiosk"
    );
    // The catalogue is loaded all the same: the centre can serve.
    assert!(!dir.path().join(".demo").exists());
    drop_schema(&schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_without_a_database_line_gets_no_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("centre.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let s = serve(dir.path(), &["--config", cfg.to_str().unwrap(), "serve"]);
    let (st, _) = login_status(&s.base, "holder1", "Holder@2026").await;
    assert_eq!(st, 401);
    no_demo(&s.stop());
    // A named SQLite file: the same.
    let db = format!("sqlite:{}", dir.path().join("named.db").display());
    let s = serve(
        dir.path(),
        &["--database", &db, "serve", "--listen", "127.0.0.1:0"],
    );
    let (st, _) = login_status(&s.base, "holder1", "Holder@2026").await;
    assert_eq!(st, 401);
    no_demo(&s.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_on_a_named_database_only_when_asked_and_its_removal() {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = pg_schema().await;
    let s = serve(
        dir.path(),
        &[
            "--database",
            &url,
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let (st, v) = login_status(&s.base, "holder1", "Holder@2026").await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = login_status(&s.base, "operator1", "Operator@2026").await;
    assert_eq!(st, 200);

    // Deactivation takes effect on the running server at once.
    let (ok, out) = run(&url, &["admin", "deactivate-user", "--login", "holder1"]);
    assert!(ok && out.contains("holder1 deactivated"), "{out}");
    let (st, v) = login_status(&s.base, "holder1", "Holder@2026").await;
    assert_eq!((st, v["code"].as_str()), (403, Some("auth.inactive")));
    let (ok, out) = run(&url, &["admin", "activate-user", "--login", "holder1"]);
    assert!(ok, "{out}");
    assert_eq!(login_status(&s.base, "holder1", "Holder@2026").await.0, 200);
    let (ok, out) = run(&url, &["admin", "deactivate-kiosk", "--kiosk", "K1001"]);
    assert!(ok && out.contains("K1001 deactivated"), "{out}");
    let (st, v) = login_status(&s.base, "operator1", "Operator@2026").await;
    assert_eq!((st, v["code"].as_str()), (403, Some("auth.inactive")));

    // Deleting a user: gone for good; an unknown one is an error.
    let (ok, out) = run(&url, &["admin", "delete-user", "--login", "operator1"]);
    assert!(ok && out.contains("operator1 deleted"), "{out}");
    let (st, _) = login_status(&s.base, "operator1", "Operator@2026").await;
    assert_eq!(st, 401);
    assert!(!run(&url, &["admin", "delete-user", "--login", "operator1"]).0);
    assert!(!run(&url, &["admin", "deactivate-user", "--login", "nobody"]).0);

    // A kiosk with money in its wallet is kept unless the admin says to
    // discard it; then the kiosk, its users and its refills are gone and
    // the books still balance.
    let (ok, out) = run(&url, &["admin", "delete-kiosk", "--kiosk", "K1001"]);
    assert!(!ok && out.contains("--discard-refills"), "{out}");
    assert!(run(&url, &["admin", "ledger", "--kiosk", "K1001"]).0);
    let (ok, out) = run(
        &url,
        &[
            "admin",
            "delete-kiosk",
            "--kiosk",
            "K1001",
            "--discard-refills",
        ],
    );
    assert!(ok && out.contains("K1001 deleted"), "{out}");
    assert!(!run(&url, &["admin", "ledger", "--kiosk", "K1001"]).0);
    let (ok, out) = run(&url, &["admin", "check-ledger"]);
    assert!(ok, "{out}");
    assert_eq!(login_status(&s.base, "holder1", "Holder@2026").await.0, 401);
    let banner = s.stop();
    assert!(banner.contains("holder1 / Holder@2026"), "{banner}");
    // Restarting without --demo does not bring it back.
    let s = serve(
        dir.path(),
        &["--database", &url, "serve", "--listen", "127.0.0.1:0"],
    );
    assert_eq!(login_status(&s.base, "holder1", "Holder@2026").await.0, 401);
    no_demo(&s.stop());
    drop_schema(&schema).await;
}

#[test]
fn a_kiosk_that_served_citizens_cannot_be_deleted() {
    // Devices and payments are history the centre keeps: only deactivation.
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("s.db").display());
    assert!(run(&db, &["migrate"]).0);
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-kiosk",
            "--code",
            "K3001",
            "--district",
            "Kota",
            "--name",
            "K",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-user",
            "--kiosk",
            "K3001",
            "--login",
            "k3-h",
            "--name",
            "H",
            "--role",
            "holder",
            "--mobile",
            "9414012346",
        ],
    );
    assert!(ok, "{out}");
    // Register a device straight in the file, as the API would.
    let c = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
    c.execute(
        "INSERT INTO devices (id, kiosk_id, user_id, device_no, public_key, label, registered_ms, high_water, last_hash)
         SELECT randomblob(16), kiosk_id, id, 1, zeroblob(32), 'c', 0, 0, zeroblob(32) FROM users WHERE login = 'k3-h'",
        [],
    )
    .unwrap();
    drop(c);
    let (ok, out) = run(&db, &["admin", "delete-user", "--login", "k3-h"]);
    assert!(!ok && out.contains("deactivate"), "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "delete-kiosk",
            "--kiosk",
            "K3001",
            "--discard-refills",
        ],
    );
    assert!(!ok && out.contains("deactivate"), "{out}");
    let (ok, out) = run(&db, &["admin", "deactivate-kiosk", "--kiosk", "K3001"]);
    assert!(ok, "{out}");
}

#[cfg(unix)]
#[test]
fn server_data_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = data.join("deep").join("s.db");
    let db = format!("sqlite:{}", file.display());
    assert!(run(&db, &["migrate"]).0);
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-kiosk",
            "--code",
            "K4001",
            "--district",
            "Kota",
            "--name",
            "K",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("deep")), 0o700);
    assert_eq!(mode(&file), 0o600);
    for side in ["s.db-wal", "s.db-shm"] {
        let p = data.join("deep").join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
    // A file left world-readable by an older server is narrowed.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(run(&db, &["admin", "devices"]).0);
    assert_eq!(mode(&file), 0o600);
    // The embedded demo's own directory too.
    let demo = dir.path().join("demo-cwd");
    std::fs::create_dir(&demo).unwrap();
    let o = bin().current_dir(&demo).args(["migrate"]).output().unwrap();
    assert!(o.status.success());
    assert_eq!(mode(&demo.join(".demo")), 0o700);
    assert_eq!(mode(&demo.join(".demo/server")), 0o700);
    assert_eq!(mode(&demo.join(".demo/server/server.db")), 0o600);
}

/// Writes a config with these `[limits]` and serves it.
fn serve_limited(dir: &std::path::Path, limits: &str) -> Served {
    let cfg = dir.join("limits.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[limits]\n{limits}\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    serve(dir, &["--config", cfg.to_str().unwrap(), "serve"])
}

fn connect_from(ip: [u8; 4], base: &str) -> std::net::TcpStream {
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&std::net::SocketAddr::from((ip, 0)).into()).unwrap();
    s.connect(&addr.into()).unwrap();
    s.into()
}

/// Reads until the server closes the connection (bounded); returns what came.
fn until_closed(s: &mut std::net::TcpStream, within: std::time::Duration) -> Option<String> {
    use std::io::Read;
    let deadline = std::time::Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while std::time::Instant::now() < deadline {
        s.set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return Some(String::from_utf8_lossy(&got).into_owned()),
        }
    }
    None
}

fn health_from(ip: [u8; 4], base: &str) -> Option<String> {
    use std::io::Write;
    let mut s = connect_from(ip, base);
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    until_closed(&mut s, std::time::Duration::from_secs(10))
}

#[tokio::test]
async fn plain_http_speaks_http2_by_prior_knowledge_and_http1() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve_limited(dir.path(), "header_timeout_secs = 5");
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let h1 = reqwest::Client::builder().http1_only().build().unwrap();
    for (c, v) in [
        (&h2, reqwest::Version::HTTP_2),
        (&h1, reqwest::Version::HTTP_11),
    ] {
        let r = c.get(format!("{}/healthz", s.base)).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.version()), (200, v));
        // Every answer but a sync body is dated.
        assert!(r.headers().contains_key("date"), "{v:?}");
        assert_eq!(r.text().await.unwrap(), "ok");
    }
    s.stop();
}

#[test]
fn slow_heads_bodies_and_silent_keep_alives_are_cut_off() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let s = serve_limited(
        dir.path(),
        "header_timeout_secs = 1\nbody_timeout_secs = 1\nidle_timeout_secs = 3",
    );
    let limit = std::time::Duration::from_secs(10);
    // Half a request head, then nothing.
    let mut head = connect_from([127, 0, 0, 1], &s.base);
    head.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .unwrap();
    // A body that stops after a few bytes.
    let mut body = connect_from([127, 0, 0, 1], &s.base);
    body.write_all(b"POST /v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"login\"").unwrap();
    // A keep-alive connection that goes quiet after one request.
    let mut quiet = connect_from([127, 0, 0, 1], &s.base);
    quiet
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let got = until_closed(&mut head, limit).expect("a half-sent head is cut off");
    assert!(got.is_empty() || got.contains("408"), "{got}");
    let got = until_closed(&mut body, limit).expect("a stalled body is cut off");
    assert!(
        got.contains("408") && got.contains("request.timeout"),
        "{got}"
    );
    let got = until_closed(&mut quiet, limit).expect("a silent keep-alive is closed");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    // The server is still there for everyone else.
    assert!(
        health_from([127, 0, 0, 2], &s.base)
            .unwrap()
            .contains("200 OK")
    );
    s.stop();
}

#[test]
fn connections_are_limited_per_address_and_in_all() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve_limited(
        dir.path(),
        "header_timeout_secs = 60\nidle_timeout_secs = 60\nmax_connections = 6\nmax_connections_per_address = 3",
    );
    let limit = std::time::Duration::from_secs(10);
    // Silent connections are accepted in the order they were made.
    let mine: Vec<_> = (0..3)
        .map(|_| connect_from([127, 0, 0, 1], &s.base))
        .collect();
    let theirs: Vec<_> = (0..3)
        .map(|_| connect_from([127, 0, 0, 3], &s.base))
        .collect();
    // Six held: the next caller is closed without an answer...
    assert_eq!(health_from([127, 0, 0, 5], &s.base).as_deref(), Some(""));
    drop(theirs);
    // ...and served again once places come back (bounded poll).
    let deadline = std::time::Instant::now() + limit;
    loop {
        if health_from([127, 0, 0, 5], &s.base).is_some_and(|r| r.contains("200 OK")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "places never came back"
        );
    }
    // One address holds at most three: a fourth is closed at once, while
    // another address is served.
    let mut fourth = connect_from([127, 0, 0, 1], &s.base);
    assert_eq!(until_closed(&mut fourth, limit).as_deref(), Some(""));
    assert!(
        health_from([127, 0, 0, 2], &s.base)
            .unwrap()
            .contains("200 OK")
    );
    drop(mine);
    s.stop();
}

#[test]
fn running_out_of_descriptors_backs_off_quietly() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fd.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[limits]\nheader_timeout_secs = 60\nidle_timeout_secs = 60\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let log = dir.path().join("stderr.log");
    // A low descriptor limit, so a few dozen connections exhaust it.
    let mut child = Command::new("bash")
        .arg("-c")
        .arg("ulimit -n 48 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_kiosk-server"))
        .args(["--config", cfg.to_str().unwrap(), "serve"])
        .env_remove("KIOSK_SERVER_CONFIG")
        .env_remove("KIOSK_SERVER_DATABASE")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = format!(
        "http://{}",
        first
            .split("http://")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
    );
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        // utime + stime, in clock ticks (fields 14 and 15).
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    };
    let held: Vec<_> = (0..120)
        .map(|_| connect_from([127, 0, 0, 1], &base))
        .collect();
    let before = cpu();
    // Three seconds of a full descriptor table.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let spent = cpu() - before;
    drop(held);
    // It recovers once descriptors are free again (bounded poll).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if health_from([127, 0, 0, 2], &base).is_some_and(|r| r.contains("200 OK")) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never recovered");
    }
    let _ = child.kill();
    let _ = child.wait();
    let lines = std::fs::read_to_string(&log).unwrap();
    let warnings = lines
        .lines()
        .filter(|l| l.contains("accept failed"))
        .count();
    assert!(warnings >= 1, "the exhaustion is reported: {lines}");
    assert!(warnings <= 5, "{warnings} warning lines in ~3 s");
    // 100 ticks a second: a busy loop would spend most of 300.
    assert!(spent < 60, "{spent} ticks of CPU in 3 s");
}

#[test]
fn a_bad_catalogue_file_is_an_error_line_not_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("s.db").display());
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "version = \"not a number\"\n[[services]]\n").unwrap();
    let o = bin()
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .arg("--database")
        .arg(&db)
        .args(["admin", "load-catalogue"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.starts_with("error catalogue.invalid: "), "{err}");
    assert!(
        !err.contains("backtrace") && !err.contains("Stack"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn admin_output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("s.db").display());
    let (ok, out) = run(&db, &["migrate"]);
    assert!(ok, "{out}");
    let (ok, out) = run(
        &db,
        &[
            "admin",
            "create-kiosk",
            "--code",
            "k2041",
            "--district",
            "Kota",
            "--name",
            "Kota e-Mitra",
        ],
    );
    assert!(ok, "{out}");
    // `| head -1` that has already gone: the reading end is closed before
    // the command writes its first line.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = bin()
        .arg("--database")
        .arg(&db)
        .args(["admin", "ledger", "--kiosk", "K2041"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}
