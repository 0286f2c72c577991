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
    assert_eq!(r.text().await.unwrap(), "ok");
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain HTTP is not served on the TLS port"
    );
}
