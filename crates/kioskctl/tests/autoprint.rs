//! `kioskctl pay` prints the receipt on the configured printer, played by a
//! local TCP listener (the only stand-in: for the physical printer). A
//! printer that is off never fails the payment. No sleeps: the CLI returns
//! after its print attempt, and "nothing was sent" is a non-blocking accept
//! on a listener once the command has exited.

use serde_json::Value;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::thread::JoinHandle;

const BIN: &str = env!("CARGO_BIN_EXE_kioskctl");
const PROFILE: &str = "escp9-generic";

fn ok(db: &Path, args: &[&str]) -> Value {
    kiosk_testkit::cli::at(BIN, db).ok(args)
}

fn kiosk(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("k.db");
    kiosk_testkit::cli::at(BIN, &db).ready_kiosk("K1001");
    db
}

fn pay(db: &Path, consumer: &str, extra: &[&str]) -> Value {
    let mut a = vec![
        "pay",
        "--service",
        "JVVNL-BILL",
        "--consumer",
        consumer,
        "--amount",
        "250",
        "--mobile",
        "9876543210",
        "--operator",
        "holder",
    ];
    a.extend_from_slice(extra);
    ok(db, &a)
}

fn use_printer(db: &Path, addr: SocketAddr) {
    ok(
        db,
        &[
            "print",
            "use",
            "--to",
            &format!("tcp://{addr}"),
            "--profile",
            PROFILE,
        ],
    );
}

/// A printer on the network: takes one connection, returns what it got.
fn sink(l: TcpListener) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    })
}

/// Nobody connected: any connection made by a command that has exited is
/// already in the accept queue.
fn assert_nothing_sent(l: &TcpListener) {
    l.set_nonblocking(true).unwrap();
    match l.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok(_) => panic!("something connected to the printer"),
        Err(e) => panic!("{e}"),
    }
    l.set_nonblocking(false).unwrap();
}

fn job_of(db: &Path, job: &str) -> Value {
    let jobs = ok(db, &["print", "jobs", "--limit", "100"]);
    jobs.as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == job)
        .unwrap_or_else(|| panic!("job {job} not in {jobs}"))
        .clone()
}

fn has(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn pay_prints_the_receipt_on_the_configured_printer() {
    let dir = tempfile::tempdir().unwrap();
    let db = kiosk(dir.path());

    // No printer set: the payment as before, and no print.
    let v = pay(&db, "210100000001", &[]);
    assert_eq!(v["receipt_no"], "K1001-001-0000001");
    assert!(v["print"].is_null(), "{v}");
    assert_eq!(ok(&db, &["print", "jobs"]), serde_json::json!([]));

    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    use_printer(&db, l.local_addr().unwrap());
    let got = sink(l);
    let v = pay(&db, "210100000002", &[]);
    let no = v["receipt_no"].as_str().unwrap();
    assert_eq!(v["print"]["status"], "printed", "{v}");
    assert_eq!(v["print"]["kind"], "receipt", "provisional: first print");
    assert!(v["print"]["code"].is_null() && v["print"]["hint"].is_null());
    let bytes = got.join().unwrap();
    let profile = print::Profile::builtin_by_id(PROFILE).unwrap();
    assert!(
        bytes.starts_with(&profile.init),
        "starts with the profile's initialise command: {:02x?}",
        &bytes[..8.min(bytes.len())]
    );
    assert!(has(&bytes, no), "receipt number {no} on the receipt");
    let job = job_of(&db, v["print"]["job"].as_str().unwrap());
    assert_eq!(job["state"], "done");
    assert_eq!(job["attempts"], 1);
}

#[test]
fn an_offline_printer_never_fails_the_payment() {
    let dir = tempfile::tempdir().unwrap();
    let db = kiosk(dir.path());
    // A port nobody listens on: the printer is off.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    use_printer(&db, addr);
    let v = pay(&db, "210100000003", &[]);
    let no = v["receipt_no"].as_str().unwrap().to_string();
    let p = &v["print"];
    assert_eq!(p["status"], "queued", "{v}");
    assert_eq!(p["code"], "print.printer_offline");
    assert_eq!(p["hint"], format!("kioskctl print retry {no}"));
    // The payment stands.
    let r = ok(&db, &["show", &no]);
    assert_eq!(r["summary"]["status"], "provisional");
    let job_id = p["job"].as_str().unwrap().to_string();
    let job = job_of(&db, &job_id);
    assert_eq!(job["state"], "queued");
    assert_eq!(job["last_error_code"], "print.printer_offline");
    assert_eq!(job["attempts"], 1);

    // The human output says so too, and the exit status is still 0.
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args([
            "pay",
            "--service",
            "JVVNL-BILL",
            "--consumer",
            "210100000004",
            "--amount",
            "250",
            "--mobile",
            "9876543210",
            "--operator",
            "holder",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("print.printer_offline"), "{text}");
    assert!(
        text.contains("kioskctl print retry K1001-001-0000002"),
        "{text}"
    );

    // Printer back on: the hint prints that same job.
    let got = sink(TcpListener::bind(addr).unwrap());
    let j = ok(&db, &["print", "retry", &no]);
    assert_eq!(j["id"], job_id.as_str());
    assert_eq!(j["state"], "done");
    assert!(has(&got.join().unwrap(), &no));
}

#[test]
fn no_print_sends_nothing_and_print_wait_0_only_queues() {
    let dir = tempfile::tempdir().unwrap();
    let db = kiosk(dir.path());
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    use_printer(&db, l.local_addr().unwrap());

    let v = pay(&db, "210100000005", &["--no-print"]);
    let no = v["receipt_no"].as_str().unwrap().to_string();
    assert_eq!(v["print"]["status"], "skipped", "{v}");
    assert!(v["print"]["job"].is_null());
    assert_eq!(v["print"]["hint"], format!("kioskctl print receipt {no}"));
    assert_nothing_sent(&l);
    assert_eq!(ok(&db, &["print", "jobs"]), serde_json::json!([]));

    let v = pay(&db, "210100000006", &["--print-wait", "0"]);
    let no = v["receipt_no"].as_str().unwrap().to_string();
    assert_eq!(v["print"]["status"], "queued", "{v}");
    assert_eq!(v["print"]["attempts"], 0);
    assert!(v["print"]["code"].is_null());
    assert_nothing_sent(&l);
    let job_id = v["print"]["job"].as_str().unwrap().to_string();
    assert_eq!(job_of(&db, &job_id)["state"], "queued");

    // The queued print goes out on `print retry`, as the hint says.
    let got = sink(l);
    let j = ok(&db, &["print", "retry", &no]);
    assert_eq!(j["id"], job_id.as_str());
    assert_eq!(j["state"], "done");
    assert!(has(&got.join().unwrap(), &no));
}

/// A printer that stops taking data: `pay` reports the print as still being
/// sent once `--print-wait` is up, and the process finishes that send
/// before it exits, so the job is not left half sent.
#[test]
fn a_printer_slower_than_the_wait_is_reported_and_the_send_finishes() {
    use std::io::BufRead;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let db = kiosk(dir.path());
    let dev = dir.path().join("lp0");
    let c = std::ffi::CString::new(dev.to_str().unwrap()).unwrap();
    // SAFETY: valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // The device is there (a read end is open) but reads nothing, and its
    // pipe is one page: the receipt outgrows it and the writer waits.
    let presence = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&dev)
        .unwrap();
    // SAFETY: valid fd; F_SETPIPE_SZ takes an int.
    assert!(unsafe { libc::fcntl(presence.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) } >= 4096);
    ok(
        &db,
        &[
            "print",
            "use",
            "--to",
            &format!("usb:{}", dev.display()),
            "--profile",
            "escp24-generic",
        ],
    );
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args([
            "--json",
            "pay",
            "--service",
            "JVVNL-BILL",
            "--consumer",
            "210100000007",
            "--amount",
            "250",
            "--mobile",
            "9876543210",
            "--operator",
            "holder",
            "--print-wait",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let no = v["receipt_no"].as_str().unwrap().to_string();
    assert_eq!(v["print"]["status"], "printing", "{v}");
    assert_eq!(v["print"]["hint"], format!("kioskctl print retry {no}"));

    // The printer catches up: the whole receipt arrives and pay exits 0.
    let mut got = Vec::new();
    std::fs::File::open(&dev)
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert!(child.wait().unwrap().success());
    drop(presence);
    // One pipe holds every byte written, whichever read end reads them.
    assert!(has(&got, &no));
    let job = job_of(&db, v["print"]["job"].as_str().unwrap());
    assert_eq!(job["state"], "done");
    assert_eq!(job["bytes"], got.len());
}
