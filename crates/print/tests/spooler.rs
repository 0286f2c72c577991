//! The spooler path through a real `cupsd`, started here with its own
//! configuration directory, a non-privileged port and a queue whose device
//! is a file (`FileDevice Yes`). The file stands in for the printer.
//!
//! The queue uses a pass-through PPD (`gziptoany`): a PPD-less raw queue
//! with a `file:` device finishes jobs without writing anything on CUPS 2.4,
//! because neither a filter nor a backend runs for it. Real printers sit on
//! `usb:`/`parallel:` backends, where plain raw queues work.
//!
//! CUPS 2.4 (Debian's 2.4.2) opens a `file:` device without `O_CREAT`, so
//! the device file is made here, before the queue, writable by the user the
//! scheduler's job side runs as (`lp` when cupsd runs as root).

use domain::ErrorCode;
use print::transport::{Target, send};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Cupsd {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    out: PathBuf,
}

impl Drop for Cupsd {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls a condition until a deadline (the condition is the
/// synchronisation; the short pause only avoids a busy loop).
fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The `file:` device must exist before the first job (no `O_CREAT` in the
/// scheduler's open). Empty, owner `lp` when we are root (cupsd then runs
/// the job side as `lp`), and 0666 so either user can write it.
fn make_device_file(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::File::create(path).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).unwrap();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0
        && let Some((uid, gid)) = lp_user()
    {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    }
}

/// uid and gid of the `lp` user, if the system has one.
fn lp_user() -> Option<(u32, u32)> {
    let name = std::ffi::CString::new("lp").unwrap();
    // SAFETY: getpwnam reads a static buffer; the test process is single
    // threaded here and copies the two numbers out at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: pw is non-null and points at libc's passwd record.
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

/// The scheduler's error log, for a failure message.
fn error_log(cups: &Cupsd) -> String {
    let log = cups
        .out
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("log/error_log");
    std::fs::read_to_string(log).unwrap_or_default()
}

/// Waits until the device file holds `len` bytes; on timeout the message
/// carries the scheduler's log, which says why a job never arrived.
fn wait_for_device(cups: &Cupsd, what: &str, len: usize) {
    let end = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&cups.out).map_or(0, |m| m.len() as usize) < len {
        assert!(
            Instant::now() < end,
            "timed out waiting for {what}; cupsd error_log:\n{}",
            error_log(cups)
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (install scripts/deps/print.apt)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_cupsd(queue: &str) -> Cupsd {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["conf", "spool", "tmp", "state", "cache", "log", "out"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    // Filters run as the `lp` user: they must reach the test's directory
    // (a temp dir is 0700) and write in these two.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    for sub in ["out", "tmp"] {
        std::fs::set_permissions(d.join(sub), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let out = d.join("out/printer.bin");
    make_device_file(&out);
    let port = free_port();
    std::fs::write(
        d.join("conf/cupsd.conf"),
        format!(
            "Listen 127.0.0.1:{port}\nLogLevel warn\nWebInterface No\nDefaultAuthType None\n\
             <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
             <Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n\
             <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        ),
    )
    .unwrap();
    let p = |s: &str| d.join(s).display().to_string();
    std::fs::write(
        d.join("conf/cups-files.conf"),
        format!(
            "FileDevice Yes\nServerRoot {}\nRequestRoot {}\nTempDir {}\nStateDir {}\nCacheDir {}\n\
             AccessLog {}\nErrorLog {}\nPageLog {}\nSandboxing Relaxed\n",
            p("conf"),
            p("spool"),
            p("tmp"),
            p("state"),
            p("cache"),
            p("log/access_log"),
            p("log/error_log"),
            p("log/page_log")
        ),
    )
    .unwrap();
    let cupsd = ["/usr/sbin/cupsd", "/usr/local/sbin/cupsd"]
        .into_iter()
        .find(|c| Path::new(c).exists())
        .unwrap_or("cupsd");
    let child = Command::new(cupsd)
        .args(["-f", "-c"])
        .arg(d.join("conf/cupsd.conf"))
        .arg("-s")
        .arg(d.join("conf/cups-files.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cupsd (install scripts/deps/print.apt)");
    let c = Cupsd {
        child,
        port,
        out,
        _dir: dir,
    };
    wait_for("cupsd to listen", 30, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let ppd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kiosk-passthrough.ppd");
    run(Command::new("lpadmin")
        .args(["-h", &format!("127.0.0.1:{port}"), "-p", queue, "-E", "-v"])
        .arg(format!("file://{}", c.out.display()))
        .arg("-P")
        .arg(ppd));
    c
}

#[test]
fn raw_job_through_a_real_cupsd_arrives_byte_for_byte() {
    let cups = start_cupsd("KIOSK_DMP");
    // SAFETY: set before any thread or libcups call in this test process
    // (nextest runs each test in its own process).
    unsafe { std::env::set_var("CUPS_SERVER", format!("127.0.0.1:{}", cups.port)) };

    // Discovery sees the queue.
    let found = print::discover::discover();
    assert!(
        found.iter().any(|f| f.uri == "spool:KIOSK_DMP"),
        "{found:?}"
    );

    let profile = print::Profile::builtin_by_id("escp9-generic").unwrap();
    let doc = print::receipt::layout(
        &print::receipt::sample::bilingual(),
        80,
        print::Lang::Bilingual,
    );
    let data = print::encode::encode(&doc, &profile).unwrap();
    let target = Target::parse("spool:KIOSK_DMP", Some(&profile)).unwrap();
    send(&target, &data, profile.transport.chunk_bytes).unwrap();
    wait_for_device(&cups, "the job to reach the file device", data.len());
    let got = std::fs::read(&cups.out).unwrap();
    // RAW: no filter touched our ESC/P bytes.
    assert_eq!(got, data);
    print::stream::validate(&got, &profile).unwrap();

    // A queue that does not exist is "offline" (retryable), not a crash.
    let e = send(
        &Target::Spooler {
            queue: "NO_SUCH_QUEUE".into(),
        },
        b"x",
        1,
    )
    .unwrap_err();
    assert_eq!(e.code(), "print.printer_offline");
}

#[test]
fn a_pdf_for_the_laser_goes_through_the_same_spooler() {
    let cups = start_cupsd("KIOSK_LASER");
    // SAFETY: as above, before any libcups call in this process.
    unsafe { std::env::set_var("CUPS_SERVER", format!("127.0.0.1:{}", cups.port)) };
    let profile = print::Profile::builtin_by_id("pdf-laser").unwrap();
    let doc = print::receipt::layout(
        &print::receipt::sample::bilingual(),
        80,
        print::Lang::Bilingual,
    );
    let pdf = print::encode::encode(&doc, &profile).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    send(
        &Target::parse("spool:KIOSK_LASER", None).unwrap(),
        &pdf,
        65536,
    )
    .unwrap();
    wait_for_device(&cups, "the PDF at the device", pdf.len());
    assert_eq!(std::fs::read(&cups.out).unwrap(), pdf);
}
