//! `scripts/bench pay-to-print`: from committing a payment through
//! kiosk-core to the first byte of its receipt arriving at a TCP printer
//! sink (raw port 9100 style), through the persistent queue and its worker.
//! Figures: `ms` (the worst of the runs; goal ≤ 200 ms), `p50_ms`,
//! `p99_ms`, and the receipt's size. The sink stands in for the printer.

use domain::{Paise, SystemClock};
use kiosk_core::{BillInput, InitParams, Kiosk, WalletSnapshot};
use print_queue::jobs::{PrinterChoice, enqueue_receipt};
use print_queue::{Worker, WorkerOptions};
use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("kiosk.db");
    let clock = Arc::new(SystemClock);
    let mut k = Kiosk::init(
        &db,
        &InitParams {
            kiosk_code: "K10023456".into(),
            device_no: 1,
            district: "Jaipur".into(),
            kiosk_name: "Shree Ganesh e-Mitra".into(),
            holder_login: "holder".into(),
            holder_name: "Ramesh Kumar".into(),
            cheque_enabled: false,
        },
        clock.clone(),
    )
    .expect("init");
    k.import_catalogue_toml(include_str!("../../../../data/catalogue.sample.toml"))
        .expect("catalogue");
    k.apply_wallet_snapshot(&WalletSnapshot {
        balance: Paise::new(i64::MAX / 4),
        as_of: domain::Clock::now(clock.as_ref()),
        covers_seq: 0,
        max_pending_amount: Paise::new(i64::MAX / 4),
        max_pending_count: i64::MAX,
        max_age_secs: i64::MAX / 4,
    })
    .expect("wallet");

    // The printer: records when the first byte of each job arrives.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let printer = PrinterChoice {
        uri: format!("tcp://{}", l.local_addr().unwrap()),
        profile: "escp9-generic".into(),
    };
    let (first_tx, first_rx) = channel::<(Instant, usize)>();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let mut s = s.expect("accept");
            let mut b = [0u8; 1];
            s.read_exact(&mut b).expect("first byte");
            let at = Instant::now();
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).expect("job");
            first_tx.send((at, rest.len() + 1)).ok();
        }
    });

    let (worker, _events) = Worker::start(
        &db,
        WorkerOptions {
            clock: clock.clone(),
            ..WorkerOptions::default()
        },
    )
    .expect("worker");
    let mut samples = Vec::new();
    let mut bytes = 0;
    for i in 0..runs + 3 {
        let mut d = k.start_cart();
        k.add_bill(
            &mut d,
            &BillInput {
                service: "JVVNL-BILL".into(),
                consumer_no: format!("{:012}", 210_000_000_000u64 + i as u64),
                amount: Paise::new(123_450 + i as i64),
                consumer_name: Some("Suresh Kumar".into()),
                bill_ref: None,
            },
        )
        .expect("bill");
        k.set_contact(&mut d, Some("9876543210"), None)
            .expect("contact");
        k.choose_wallet(&mut d);
        // "Pay" pressed.
        let t0 = Instant::now();
        let c = k.commit_payment(&d, "holder", false).expect("commit");
        enqueue_receipt(&mut k, &c.receipt_no, &printer, print::Lang::Bilingual).expect("enqueue");
        worker.wake();
        let (first, n) = first_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("receipt at the printer");
        if i >= 3 {
            samples.push(first.duration_since(t0));
            bytes = n;
        }
    }
    worker.stop();
    samples.sort();
    let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    let q = |p: f64| ms(samples[((samples.len() - 1) as f64 * p).round() as usize]);
    let out = serde_json::json!({
        "ms": ms(*samples.last().unwrap()),
        "p50_ms": q(0.5),
        "p99_ms": q(0.99),
        "runs": samples.len(),
        "receipt_bytes": bytes,
        "goal_ms": 200,
        "printer": "tcp sink, escp9-generic, bilingual receipt",
    });
    let text = serde_json::to_string_pretty(&out).unwrap();
    match std::env::var_os("BENCH_OUT") {
        Some(p) => std::fs::write(p, &text).expect("write BENCH_OUT"),
        None => println!("{text}"),
    }
}
