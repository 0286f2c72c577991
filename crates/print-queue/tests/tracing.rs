//! What the print worker logs, captured by a real `tracing_subscriber` fmt
//! layer: a printed job (job, receipt, kind of printer, bytes, attempt), a
//! retry (code, attempt, delay) and a job failed for good (code,
//! attempts) — never the printer's address or the consumer's details.
//! The worker is a thread of its own, so the capture is the process's
//! global subscriber; each test reads only the lines of its own job.
//! Waiting is on the worker's events, never on sleeps.

use domain::{Paise, SystemClock};
use kiosk_core::{BillInput, Kiosk};
use print_queue::jobs::{self, PrinterChoice};
use print_queue::{JobEvent, Worker, WorkerOptions};
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The process's log, installed once (the binaries' default, info, plus
/// everything the print queue says).
fn log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let c = Captured::default();
        tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info,print_queue=trace"))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(c.clone())
                    .with_ansi(false),
            )
            .init();
        c
    })
}

/// The log lines naming `job`.
fn lines_of(job: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&log().0.lock().unwrap()).into_owned();
    let tag = format!(" job={job}");
    text.lines()
        .filter(|l| l.contains(&tag))
        .map(str::to_string)
        .collect()
}

/// The value of `name=` in a log line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!(" {name}=");
    let at = line.find(&pat)? + pat.len();
    let rest = &line[at..];
    Some(rest.split(' ').next().unwrap_or(rest))
}

struct Fx {
    _dir: tempfile::TempDir,
    db: PathBuf,
    kiosk: Kiosk,
}

fn fixture() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let kiosk = kiosk_testkit::ready_kiosk(
        &db,
        &kiosk_testkit::init_params("K10023456"),
        Arc::new(SystemClock),
    );
    Fx {
        _dir: dir,
        db,
        kiosk,
    }
}

const MOBILE: &str = "9876543210";

fn pay(k: &mut Kiosk, consumer: &str) -> String {
    let mut d = k.start_cart();
    k.add_bill(
        &mut d,
        &BillInput {
            service: "JVVNL-BILL".into(),
            consumer_no: consumer.into(),
            amount: Paise::new(123_450),
            consumer_name: Some("राम लाल".into()),
            bill_ref: None,
        },
    )
    .unwrap();
    k.set_contact(&mut d, Some(MOBILE), None).unwrap();
    k.choose_wallet(&mut d);
    k.commit_payment(&d, "holder", false).unwrap().receipt_no
}

fn opts(max_attempts: i64) -> WorkerOptions {
    WorkerOptions {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        max_attempts,
        clock: Arc::new(SystemClock),
    }
}

fn tcp_printer(addr: &str) -> PrinterChoice {
    PrinterChoice {
        uri: format!("tcp://{addr}"),
        profile: "escp9-generic".into(),
    }
}

/// Next event for `job` (others are skipped), failing after 20 s.
fn next_for(ev: &Receiver<JobEvent>, job: &str) -> JobEvent {
    loop {
        let e = ev
            .recv_timeout(Duration::from_secs(20))
            .expect("worker event");
        let id = match &e {
            JobEvent::Started { job, .. }
            | JobEvent::Done { job, .. }
            | JobEvent::Retrying { job, .. }
            | JobEvent::Failed { job, .. } => job,
        };
        if id == job {
            return e;
        }
    }
}

fn receipt_id(fx: &Fx, job: &str) -> String {
    fx.kiosk
        .store()
        .conn()
        .query_row(
            "SELECT receipt_id FROM print_jobs WHERE id = ?1",
            [job],
            |r| r.get(0),
        )
        .unwrap()
}

fn assert_private(lines: &[String], addr: &str, consumer: &str) {
    for l in lines {
        for secret in [addr, consumer, MOBILE, "राम लाल"] {
            assert!(!l.contains(secret), "{secret:?} logged: {l}");
        }
    }
}

#[test]
fn a_printed_job_is_logged_with_its_receipt_target_kind_bytes_and_attempt() {
    log();
    let mut fx = fixture();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let got = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    let (w, ev) = Worker::start(&fx.db, opts(5)).unwrap();
    let consumer = "210412345678";
    let no = pay(&mut fx.kiosk, consumer);
    let (job, _) = jobs::enqueue_receipt(
        &mut fx.kiosk,
        &no,
        &tcp_printer(&addr),
        print::Lang::Bilingual,
    )
    .unwrap();
    w.wake();
    let bytes = loop {
        match next_for(&ev, &job) {
            JobEvent::Done { bytes, .. } => break bytes,
            JobEvent::Retrying { code, .. } | JobEvent::Failed { code, .. } => {
                panic!("not printed: {code}")
            }
            JobEvent::Started { .. } => {}
        }
    };
    assert_eq!(got.join().unwrap().len(), bytes);
    let lines = lines_of(&job);
    let printed: Vec<_> = lines.iter().filter(|l| l.contains("job printed")).collect();
    assert_eq!(printed.len(), 1, "{lines:#?}");
    let p = printed[0];
    assert!(p.contains(" INFO "), "{p}");
    let receipt = format!("{:?}", receipt_id(&fx, &job));
    assert_eq!(field(p, "receipt"), Some(receipt.as_str()), "{p}");
    assert_eq!(field(p, "target"), Some("tcp"), "{p}");
    assert_eq!(field(p, "bytes"), Some(bytes.to_string().as_str()), "{p}");
    assert_eq!(field(p, "attempt"), Some("1"), "{p}");
    assert_private(&lines, &addr, consumer);
}

#[test]
fn a_job_retried_then_failed_for_good_is_logged_with_its_codes_attempts_and_delay() {
    log();
    let mut fx = fixture();
    // A port with nothing listening: the printer is off.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (w, ev) = Worker::start(&fx.db, opts(2)).unwrap();
    let consumer = "210412345679";
    let no = pay(&mut fx.kiosk, consumer);
    let (job, _) = jobs::enqueue_receipt(
        &mut fx.kiosk,
        &no,
        &tcp_printer(&addr),
        print::Lang::English,
    )
    .unwrap();
    w.wake();
    let retry_code = loop {
        match next_for(&ev, &job) {
            JobEvent::Retrying { code, attempt, .. } => {
                assert_eq!(attempt, 1);
                break code;
            }
            JobEvent::Started { .. } => {}
            other => panic!("{other:?}"),
        }
    };
    let failed_code = loop {
        match next_for(&ev, &job) {
            JobEvent::Failed { code, .. } => break code,
            JobEvent::Started { .. } => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(retry_code, "print.printer_offline");
    let lines = lines_of(&job);
    let receipt = format!("{:?}", receipt_id(&fx, &job));

    let retry: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("print failed: retry scheduled"))
        .collect();
    assert_eq!(retry.len(), 1, "{lines:#?}");
    let r = retry[0];
    assert!(r.contains(" WARN "), "{r}");
    assert_eq!(field(r, "code"), Some(retry_code.as_str()), "{r}");
    assert_eq!(field(r, "attempt"), Some("1"), "{r}");
    assert_eq!(field(r, "delay_ms"), Some("20"), "{r}");
    assert_eq!(field(r, "target"), Some("tcp"), "{r}");
    assert_eq!(field(r, "receipt"), Some(receipt.as_str()), "{r}");

    let failed: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("print job failed for good"))
        .collect();
    assert_eq!(failed.len(), 1, "{lines:#?}");
    let f = failed[0];
    assert!(f.contains(" ERROR "), "{f}");
    assert_eq!(field(f, "code"), Some(failed_code.as_str()), "{f}");
    assert_eq!(field(f, "attempts"), Some("2"), "{f}");
    assert_eq!(field(f, "receipt"), Some(receipt.as_str()), "{f}");
    assert!(!lines.iter().any(|l| l.contains("job printed")));
    assert_private(&lines, &addr, consumer);
    drop(w);
}
