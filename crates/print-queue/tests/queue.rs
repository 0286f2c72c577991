//! The print queue against the real kiosk core and store: payments
//! committed through kiosk-core, jobs in the kiosk database, a worker
//! thread, and printers played by a TCP sink or a FIFO (test doubles for
//! the physical printer only). Waiting is on the worker's events, never on
//! sleeps.

use domain::{ErrorCode as _, Paise, SystemClock};
use kiosk_core::{BillInput, Kiosk};
use print_queue::jobs::{self, JobKind, JobState, PrinterChoice};
use print_queue::{JobEvent, Worker, WorkerOptions};
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

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
    k.set_contact(&mut d, Some("9876543210"), None).unwrap();
    k.choose_wallet(&mut d);
    k.commit_payment(&d, "holder", false).unwrap().receipt_no
}

fn fast() -> WorkerOptions {
    WorkerOptions {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        max_attempts: 50,
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

fn until_done(ev: &Receiver<JobEvent>, job: &str) -> usize {
    loop {
        match next_for(ev, job) {
            JobEvent::Done { bytes, .. } => return bytes,
            JobEvent::Failed { code, .. } => panic!("failed: {code}"),
            _ => {}
        }
    }
}

fn sink(l: TcpListener) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    })
}

fn payload(db: &Path, id: &str) -> Vec<u8> {
    let c = kiosk_store::rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT payload FROM print_jobs WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .unwrap()
}

fn text_of(bytes: &[u8]) -> String {
    print::stream::parse(bytes, print::Language::Escp9)
        .unwrap()
        .into_iter()
        .filter_map(|(_, op)| match op {
            print::stream::Op::Text(t) => Some(String::from_utf8(t).unwrap()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn payment_prints_through_the_worker_and_validates() {
    let mut fx = fixture();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let printer = tcp_printer(&l.local_addr().unwrap().to_string());
    let got = sink(l);
    let (w, ev) = Worker::start(&fx.db, fast()).unwrap();
    let no = pay(&mut fx.kiosk, "210412345678");
    let (job, kind) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::Bilingual).unwrap();
    assert_eq!(kind, JobKind::Receipt);
    w.wake();
    let n = until_done(&ev, &job);
    let bytes = got.join().unwrap();
    assert_eq!(bytes.len(), n);
    assert_eq!(bytes, payload(&fx.db, &job));
    let profile = print::Profile::builtin_by_id("escp9-generic").unwrap();
    print::stream::validate(&bytes, &profile).unwrap();
    let text = text_of(&bytes);
    assert!(text.contains(&no), "receipt number missing");
    assert!(text.contains("PROVISIONAL"));
    assert!(text.contains("Rs.1,234.50"));
    assert!(!text.contains("DUPLICATE"));
    let j = jobs::job(fx.kiosk.store().conn(), &job).unwrap();
    assert_eq!((j.state, j.attempts), (JobState::Done, 1));
}

#[test]
fn printer_off_is_retried_with_backoff_until_it_comes_on() {
    let mut fx = fixture();
    // A port with nothing listening: the printer is off.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let printer = tcp_printer(&addr.to_string());
    let (w, ev) = Worker::start(&fx.db, fast()).unwrap();
    let no = pay(&mut fx.kiosk, "210412345679");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::English).unwrap();
    w.wake();
    let mut retries = 0;
    while retries < 2 {
        if let JobEvent::Retrying { code, .. } = next_for(&ev, &job) {
            assert_eq!(code, "print.printer_offline");
            retries += 1;
        }
    }
    let j = jobs::job(fx.kiosk.store().conn(), &job).unwrap();
    // Waiting for its next attempt, or in it already: never failed.
    assert!(
        matches!(j.state, JobState::Queued | JobState::Printing),
        "{:?}",
        j.state
    );
    assert_eq!(j.last_error_code.as_deref(), Some("print.printer_offline"));
    assert!(j.attempts >= 2);
    // The printer is switched on.
    let got = sink(TcpListener::bind(addr).unwrap());
    until_done(&ev, &job);
    assert_eq!(got.join().unwrap(), payload(&fx.db, &job));
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Holds a read end open (so the device "is there") and shrinks the pipe
/// to one page, so a receipt outgrows it and the writer must wait for the
/// reader.
fn fifo_presence(p: &Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(p)
        .unwrap();
    // SAFETY: valid fd; F_SETPIPE_SZ takes an int.
    assert!(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) } >= 4096);
    f
}

#[test]
fn printer_unplugged_mid_job_leaves_the_job_queued_and_it_prints_whole_later() {
    let mut fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("lp0");
    mkfifo(&dev);
    let printer = PrinterChoice {
        uri: format!("usb:{}", dev.display()),
        profile: "escp24-generic".into(),
    };
    let no = pay(&mut fx.kiosk, "210412345670");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::Bilingual).unwrap();
    let full = payload(&fx.db, &job);
    // More than the 4 KB pipe buffer set below and the 2,000 bytes the
    // printer takes together, by a margin: it is unplugged with much of
    // the job unsent.
    assert!(
        full.len() > 2 * 4096,
        "the job must outgrow the pipe buffer ({})",
        full.len()
    );

    // First attempt: the printer takes 2,000 bytes and is unplugged.
    let presence = fifo_presence(&dev);
    let p2 = dev.clone();
    let first = std::thread::spawn(move || {
        let mut r = std::fs::File::open(&p2).unwrap();
        let mut buf = vec![0u8; 2000];
        r.read_exact(&mut buf).unwrap();
        drop(r);
        drop(presence);
    });
    let (w, ev) = Worker::start(
        &fx.db,
        WorkerOptions {
            backoff_base: Duration::from_secs(3600),
            ..fast()
        },
    )
    .unwrap();
    w.wake();
    loop {
        match next_for(&ev, &job) {
            JobEvent::Retrying { code, .. } => {
                assert!(
                    matches!(code.as_str(), "print.interrupted" | "print.printer_offline"),
                    "{code}"
                );
                break;
            }
            JobEvent::Started { .. } => {}
            e => panic!("{e:?}"),
        }
    }
    first.join().unwrap();
    let j = jobs::job(fx.kiosk.store().conn(), &job).unwrap();
    assert_eq!(j.state, JobState::Queued, "not lost, not failed");
    assert_eq!(j.attempts, 1);
    drop(w);

    // Plugged back in: the whole job is sent again from the first byte.
    let presence = fifo_presence(&dev);
    let p2 = dev.clone();
    let second = std::thread::spawn(move || {
        let mut r = std::fs::File::open(&p2).unwrap();
        drop(presence);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        got
    });
    let (mut k2, db) = (fx.kiosk, fx.db.clone());
    // The operator presses Print on the receipt? No: the job is still
    // queued; a new worker (app restart) just picks it up once due.
    k2.store_mut()
        .write(|tx| {
            tx.execute(
                "UPDATE print_jobs SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
                [&job],
            )
            .map_err(kiosk_store::StoreError::from)
        })
        .unwrap();
    let (_w2, ev2) = Worker::start(&db, fast()).unwrap();
    until_done(&ev2, &job);
    let got = second.join().unwrap();
    assert_eq!(got, full);
    let j = jobs::job(k2.store().conn(), &job).unwrap();
    assert_eq!((j.state, j.attempts), (JobState::Done, 2));
}

#[test]
fn failed_print_is_retried_from_its_receipt_and_reprints_say_duplicate() {
    let mut fx = fixture();
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let printer = tcp_printer(&addr.to_string());
    let no = pay(&mut fx.kiosk, "210412345671");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::English).unwrap();
    // One attempt only: it fails for good.
    let (w, ev) = Worker::start(
        &fx.db,
        WorkerOptions {
            max_attempts: 1,
            ..fast()
        },
    )
    .unwrap();
    w.wake();
    loop {
        match next_for(&ev, &job) {
            JobEvent::Failed { code, .. } => {
                assert_eq!(code, "print.printer_offline");
                break;
            }
            JobEvent::Started { .. } => {}
            e => panic!("{e:?}"),
        }
    }
    assert_eq!(
        jobs::job(fx.kiosk.store().conn(), &job).unwrap().state,
        JobState::Failed
    );
    drop(w);
    // Nothing to reprint as duplicate yet: the receipt never printed.
    let got = sink(TcpListener::bind(addr).unwrap());
    let retried = jobs::retry_receipt(&mut fx.kiosk, &no).unwrap();
    assert_eq!(retried, job);
    let (w, ev) = Worker::start(
        &fx.db,
        WorkerOptions {
            max_attempts: 5,
            ..fast()
        },
    )
    .unwrap();
    w.wake();
    until_done(&ev, &job);
    assert!(!text_of(&got.join().unwrap()).contains("DUPLICATE"));
    // Nothing failed any more.
    assert_eq!(
        jobs::retry_receipt(&mut fx.kiosk, &no).unwrap_err().code(),
        "print_queue.nothing_to_retry"
    );

    // Printing it again: a duplicate copy.
    let got = sink(TcpListener::bind(addr).unwrap());
    let (dup, kind) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::English).unwrap();
    assert_eq!(kind, JobKind::Duplicate);
    w.wake();
    until_done(&ev, &dup);
    let text = text_of(&got.join().unwrap());
    assert_eq!(text.matches("DUPLICATE COPY").count(), 2, "top and bottom");
}

#[test]
fn cancel_stops_a_queued_job_and_refuses_a_printed_one() {
    let mut fx = fixture();
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let printer = tcp_printer(&addr.to_string());
    let no = pay(&mut fx.kiosk, "210412345672");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::English).unwrap();
    let (w, ev) = Worker::start(
        &fx.db,
        WorkerOptions {
            backoff_base: Duration::from_secs(3600),
            ..fast()
        },
    )
    .unwrap();
    w.wake();
    while !matches!(next_for(&ev, &job), JobEvent::Retrying { .. }) {}
    let now = domain::Clock::now(&SystemClock);
    jobs::cancel(fx.kiosk.store().conn(), now, &job).unwrap();
    assert_eq!(
        jobs::job(fx.kiosk.store().conn(), &job).unwrap().state,
        JobState::Cancelled
    );
    // Cancelling again, or an unknown job, is refused with a code.
    assert_eq!(
        jobs::cancel(fx.kiosk.store().conn(), now, &job)
            .unwrap_err()
            .code(),
        "print_queue.not_cancellable"
    );
    assert_eq!(
        jobs::cancel(fx.kiosk.store().conn(), now, "nope")
            .unwrap_err()
            .code(),
        "print_queue.job_unknown"
    );
    // A cancelled print can still be brought back from the receipt.
    assert_eq!(jobs::retry_receipt(&mut fx.kiosk, &no).unwrap(), job);
}

#[test]
fn a_job_left_printing_by_a_crash_is_printed_after_restart() {
    let mut fx = fixture();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let printer = tcp_printer(&l.local_addr().unwrap().to_string());
    let got = sink(l);
    let no = pay(&mut fx.kiosk, "210412345673");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::English).unwrap();
    // As if the app died with the job in hand.
    fx.kiosk
        .store_mut()
        .write(|tx| {
            tx.execute(
                "UPDATE print_jobs SET state = 'printing', attempts = 1 WHERE id = ?1",
                [&job],
            )
            .map_err(kiosk_store::StoreError::from)
        })
        .unwrap();
    let (_w, ev) = Worker::start(&fx.db, fast()).unwrap();
    until_done(&ev, &job);
    assert_eq!(got.join().unwrap(), payload(&fx.db, &job));
    assert_eq!(
        jobs::job(fx.kiosk.store().conn(), &job).unwrap().attempts,
        2
    );
}

#[test]
fn the_counter_is_not_blocked_by_a_stuck_printer() {
    let mut fx = fixture();
    // A printer that is there but takes nothing (buffer full, paper jam):
    // the worker's write blocks once the one-page pipe is full.
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("lp0");
    mkfifo(&dev);
    let presence = fifo_presence(&dev);
    let printer = PrinterChoice {
        uri: format!("usb:{}", dev.display()),
        profile: "escp9-generic".into(),
    };
    let first = pay(&mut fx.kiosk, "210412345689");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &first, &printer, print::Lang::Bilingual).unwrap();
    let (w, ev) = Worker::start(
        &fx.db,
        WorkerOptions {
            backoff_base: Duration::from_secs(3600),
            ..fast()
        },
    )
    .unwrap();
    w.wake();
    assert!(matches!(next_for(&ev, &job), JobEvent::Started { .. }));
    // While the worker is stuck in the printer, the counter takes payments
    // and queues their receipts.
    for i in 0..5 {
        let no = pay(&mut fx.kiosk, &format!("21041234568{i}"));
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::Bilingual).unwrap();
    }
    assert!(ev.try_recv().is_err(), "the first job is still in hand");
    assert_eq!(
        jobs::job(fx.kiosk.store().conn(), &job).unwrap().state,
        JobState::Printing
    );
    // The printer goes away: the stuck job goes back to the queue.
    drop(presence);
    match next_for(&ev, &job) {
        JobEvent::Retrying { code, .. } => assert_eq!(code, "print.interrupted"),
        e => panic!("{e:?}"),
    }
    assert_eq!(
        jobs::job(fx.kiosk.store().conn(), &job).unwrap().state,
        JobState::Queued
    );
}

#[test]
fn paper_out_reported_by_the_printer_keeps_the_job_for_later() {
    let mut fx = fixture();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let printer = PrinterChoice {
        uri: format!("tcp://{}", l.local_addr().unwrap()),
        profile: "escpos-thermal-80".into(),
    };
    // The printer double: out of paper on the first query, refilled after.
    let paper = std::thread::spawn(move || {
        let mut jobs = Vec::new();
        for status in [0x12u8 | 0x60, 0x12] {
            let (mut s, _) = l.accept().unwrap();
            let mut q = [0u8; 3];
            s.read_exact(&mut q).unwrap();
            std::io::Write::write_all(&mut s, &[status]).unwrap();
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).ok();
            jobs.push(rest);
        }
        jobs
    });
    let no = pay(&mut fx.kiosk, "210412345699");
    let (job, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &printer, print::Lang::Bilingual).unwrap();
    let (w, ev) = Worker::start(&fx.db, fast()).unwrap();
    w.wake();
    loop {
        match next_for(&ev, &job) {
            JobEvent::Retrying { code, .. } => {
                assert_eq!(code, "print.paper_out");
                break;
            }
            JobEvent::Started { .. } => {}
            e => panic!("{e:?}"),
        }
    }
    until_done(&ev, &job);
    let got = paper.join().unwrap();
    assert!(got[0].is_empty(), "nothing printed into an empty printer");
    assert_eq!(got[1], payload(&fx.db, &job));
}

#[test]
fn after_sync_the_final_receipt_prints_with_the_centres_number() {
    let mut fx = fixture();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let printer = tcp_printer(&addr.to_string());
    let mut d = fx.kiosk.start_cart();
    fx.kiosk
        .add_bill(
            &mut d,
            &BillInput {
                service: "JVVNL-BILL".into(),
                consumer_no: "210412345601".into(),
                amount: Paise::new(50_000),
                consumer_name: None,
                bill_ref: None,
            },
        )
        .unwrap();
    fx.kiosk
        .set_contact(&mut d, Some("9876543210"), None)
        .unwrap();
    fx.kiosk.choose_wallet(&mut d);
    let c = fx.kiosk.commit_payment(&d, "holder", false).unwrap();
    let (w, ev) = Worker::start(&fx.db, fast()).unwrap();

    // The provisional slip at the counter.
    let got = sink(TcpListener::bind(addr).unwrap());
    let (slip, kind) =
        jobs::enqueue_receipt(&mut fx.kiosk, &c.receipt_no, &printer, print::Lang::English)
            .unwrap();
    assert_eq!(kind, JobKind::Receipt);
    w.wake();
    until_done(&ev, &slip);
    assert!(text_of(&got.join().unwrap()).contains("PROVISIONAL"));

    // The centre accepts it and gives its number.
    fx.kiosk
        .record_outcome(
            c.outbox_seq,
            &kiosk_core::Outcome::Accepted {
                server_txn_id: "TXN77".into(),
                final_receipt_no: Some("RJ2026112100009999".into()),
            },
        )
        .unwrap();
    let got = sink(TcpListener::bind(addr).unwrap());
    let (fin, kind) =
        jobs::enqueue_receipt(&mut fx.kiosk, &c.receipt_no, &printer, print::Lang::English)
            .unwrap();
    assert_eq!(
        kind,
        JobKind::Final,
        "first print of the final receipt is not a duplicate"
    );
    w.wake();
    until_done(&ev, &fin);
    let text = text_of(&got.join().unwrap());
    assert!(text.contains("RJ2026112100009999"), "{text}");
    assert!(!text.contains("PROVISIONAL") && !text.contains("DUPLICATE"));

    // Printing the final receipt again: a duplicate copy of it.
    let got = sink(TcpListener::bind(addr).unwrap());
    let (dup, kind) = jobs::enqueue_receipt(
        &mut fx.kiosk,
        "RJ2026112100009999",
        &printer,
        print::Lang::English,
    )
    .unwrap();
    assert_eq!(kind, JobKind::Duplicate);
    w.wake();
    until_done(&ev, &dup);
    let text = text_of(&got.join().unwrap());
    assert!(text.contains("RJ2026112100009999") && text.contains("DUPLICATE COPY"));
}

#[test]
fn failed_jobs_are_retried_once_per_receipt_and_reports_have_a_printer_of_their_own() {
    let mut fx = fixture();
    // No worker here: the jobs stay as the test leaves them.
    let off = tcp_printer("127.0.0.1:9");
    jobs::set_printer(&mut fx.kiosk, &off).unwrap();
    let no = pay(&mut fx.kiosk, "210412345678");
    // Two prints of one receipt and a test page, all failed.
    let (older, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &off, print::Lang::Bilingual).unwrap();
    let (newer, _) =
        jobs::enqueue_receipt(&mut fx.kiosk, &no, &off, print::Lang::Bilingual).unwrap();
    let page = jobs::render_test_page(&off).unwrap();
    let p = print::Profile::builtin_by_id("escp9-generic").unwrap();
    print::stream::validate(&page.bytes, &p).expect("a valid test page");
    let test = jobs::enqueue_test_page(&mut fx.kiosk, &off, &page).unwrap();
    assert_eq!(payload(&fx.db, &test), page.bytes);
    fx.kiosk
        .store()
        .conn()
        .execute("UPDATE print_jobs SET state = 'failed'", [])
        .unwrap();
    let open = jobs::open_jobs(fx.kiosk.store().conn(), 10).unwrap();
    assert_eq!(open.len(), 3);
    assert!(open.iter().all(|j| j.state == JobState::Failed));
    assert_eq!(
        open.iter().find(|j| j.id == test).unwrap().kind,
        JobKind::TestPage.as_str()
    );

    // Every failed job again: the receipt once (its newest print), the
    // test page as itself.
    let mut again = jobs::retry_failed(&mut fx.kiosk).unwrap();
    again.sort();
    let mut want = vec![newer.clone(), test.clone()];
    want.sort();
    assert_eq!(again, want);
    let state = |id: &str| jobs::job(fx.kiosk.store().conn(), id).unwrap().state;
    assert_eq!(state(&older), JobState::Failed);
    assert_eq!(state(&newer), JobState::Queued);
    assert_eq!(state(&test), JobState::Queued);
    // A printed test page is not printed again; an unknown job is unknown.
    fx.kiosk
        .store()
        .conn()
        .execute(
            "UPDATE print_jobs SET state = 'done' WHERE id = ?1",
            [&test],
        )
        .unwrap();
    assert_eq!(
        jobs::retry_job(&mut fx.kiosk, &test).unwrap_err().code(),
        "print_queue.nothing_to_retry"
    );
    assert_eq!(
        jobs::retry_job(&mut fx.kiosk, "nope").unwrap_err().code(),
        "print_queue.job_unknown"
    );

    // Reports: on the receipt printer until one of their own is set.
    let conn = |fx: &Fx| jobs::report_printer_or_receipt(fx.kiosk.store().conn()).unwrap();
    assert_eq!(jobs::report_printer(fx.kiosk.store().conn()).unwrap(), None);
    assert_eq!(conn(&fx), Some(off.clone()));
    let laser = PrinterChoice {
        uri: "spool:LASER".into(),
        profile: "pdf-laser".into(),
    };
    jobs::set_report_printer(&mut fx.kiosk, Some(&laser)).unwrap();
    assert_eq!(conn(&fx), Some(laser.clone()));
    for bad in [
        PrinterChoice {
            uri: "spool:LASER".into(),
            profile: "no-such".into(),
        },
        PrinterChoice {
            uri: "spool:".into(),
            profile: "pdf-laser".into(),
        },
    ] {
        assert!(jobs::set_report_printer(&mut fx.kiosk, Some(&bad)).is_err());
        assert_eq!(conn(&fx), Some(laser.clone()), "a refusal stores nothing");
    }
    jobs::set_report_printer(&mut fx.kiosk, None).unwrap();
    assert_eq!(jobs::report_printer(fx.kiosk.store().conn()).unwrap(), None);
    assert_eq!(conn(&fx), Some(off));
}
