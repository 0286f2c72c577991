//! A registered kiosk app at its counter, for the benchmarks: the centre,
//! a display, a session bus, the driver and a TCP printer, set up once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::*;

/// Field order is drop order: the app's driver goes before the display
/// and the bus it runs on, the folder last.
pub struct Rig {
    pub driver: Driver,
    pub sink: PrinterSink,
    /// `None` once a test has stopped it.
    pub centre: Option<CentreProcess>,
    pub bus: SessionBus,
    pub display: Display,
    pub data: PathBuf,
    pub dir: tempfile::TempDir,
}

pub const PROFILE: &str = "escp9-generic";

impl Rig {
    /// `before_register` runs against the centre before the kiosk first
    /// asks it for anything (e.g. to load a bigger catalogue).
    pub async fn new(app_exe: &Path, before_register: impl FnOnce(&CentreProcess, &Path)) -> Rig {
        Self::with_centre_config(app_exe, "", before_register).await
    }

    /// As [`Rig::new`], the centre's configuration file given `extra`
    /// lines (TOML), e.g. an `[sms]` gateway.
    pub async fn with_centre_config(
        app_exe: &Path,
        extra: &str,
        before_register: impl FnOnce(&CentreProcess, &Path),
    ) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let centre = CentreProcess::start_with(dir.path(), "127.0.0.1:0", extra).unwrap();
        before_register(&centre, dir.path());
        let display = Display::start();
        let bus = SessionBus::start();
        let data = dir.path().join("app");
        preset(&data, &centre.url());
        let driver = Driver::start(&display, &bus, app_exe, &data);
        let app = driver.launch().await;
        register(&app).await;
        app.close().await;
        driver.wait_gone().await;
        let sink = PrinterSink::start();
        use_printer(&data, &sink, PROFILE);
        set_favourites(&data, &["JVVNL-BILL", "PHED-WATER", "JMC-UDTAX"]);
        Rig {
            driver,
            sink,
            centre: Some(centre),
            bus,
            display,
            data,
            dir,
        }
    }

    /// The app launched and the operator logged in: the counter, ready.
    pub async fn counter(&self) -> App {
        let app = self.driver.launch().await;
        login(&app, OPERATOR).await;
        app.wait_phase("counter").await;
        app.wait_ready().await;
        app
    }
}

impl Driver {
    /// Waits until every process of this driver's sessions has exited
    /// (the app is single-instance: a launch while the last one is still
    /// exiting would only focus it).
    pub async fn wait_gone(&self) {
        let until = Instant::now() + WAIT;
        while !self.app_pids().is_empty() {
            assert!(
                Instant::now() < until,
                "the app's processes did not exit: {:?}",
                self.app_pids()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Waits until every thread of these processes is gone. A killed
/// process's first thread can be a zombie (no program, no environment:
/// [`Driver::app_pids`] no longer lists it) while another of its threads
/// is still finishing a write it was in when the signal came, e.g. the
/// last frame of a database commit.
pub async fn wait_dead(pids: &[i32]) {
    let until = Instant::now() + WAIT;
    let alive = |pid: &i32| {
        let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| d.count())
            .unwrap_or(0);
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit(") ").next().and_then(|r| r.chars().next()));
        // Gone, or a zombie with no thread left but its own.
        !(threads == 0 || (threads <= 1 && matches!(state, None | Some('Z' | 'X'))))
    };
    loop {
        let left: Vec<i32> = pids.iter().copied().filter(alive).collect();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < until, "still running: {left:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The holder's favourite services, as the counter's pin buttons set them.
pub fn set_favourites(data: &Path, codes: &[&str]) {
    let mut store = kiosk_store::Store::open(kiosk_db(data)).unwrap();
    let json = serde_json::to_string(codes).unwrap();
    store
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            kiosk_store::set_setting(tx, "app.favourites", &json)
        })
        .unwrap();
}

/// One payment by keyboard, as an operator takes a municipal tax bill
/// typed from the paper bill: F2 (the next citizen), the service, the
/// property id, the amount, F6 and the mobile, Enter to pay from the
/// wallet. Returns the time from the Pay key to the printer's first byte.
pub async fn pay_typed_bill(app: &App, sink: &PrinterSink, i: usize) -> Duration {
    app.keys(key::F2).await;
    app.wait_focus("search").await;
    app.keys("JMC").await;
    app.keys(key::ENTER).await;
    app.wait_focus("consumer-input").await;
    app.keys(&format!("JP{:07}", 1_000_000 + i)).await;
    app.keys(key::ENTER).await;
    app.wait_focus("amount-input").await;
    app.keys(&format!("{}", 10 + i % 30)).await;
    app.keys(key::ENTER).await;
    wait_cart_lines(app, 1).await;
    app.keys(key::F6).await;
    app.wait_focus("mobile-input").await;
    app.keys("9829012345").await;
    let printed = sink.len();
    let t0 = Instant::now();
    app.keys(key::ENTER).await;
    let jobs = sink.wait_jobs(printed + 1);
    let first = jobs[printed].first_byte;
    app.wait_text("receipt-no", |t| !t.trim().is_empty()).await;
    first.saturating_duration_since(t0)
}

/// The app as it ships (`desktop` profile) registered at its counter with
/// `BENCH_RECEIPTS` receipts (500,000 unless set) over `years` years in its database (the
/// report benchmarks). Returns the rig, the count and the last receipt's time.
pub async fn rig_with_history(years: i64) -> (Rig, u64, chrono::DateTime<chrono::Utc>) {
    let receipts: u64 = std::env::var("BENCH_RECEIPTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let (app_exe, _) = build_bench_apps();
    let rig = Rig::new(&app_exe, |_, _| {}).await;
    let (_, end) = fill_history(&rig.data, receipts, years);
    (rig, receipts, end)
}

/// Years of trade in a registered kiosk's database (the app closed):
/// `receipts` receipts by the holder, evenly over the `years` before
/// now, numbered as the kiosk numbers them. Returns (first, last) time.
pub fn fill_history(
    data: &Path,
    receipts: u64,
    years: i64,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let mut store = kiosk_store::Store::open(kiosk_db(data)).unwrap();
    let setting = |k: &str| store.setting(k).unwrap().expect(k);
    let prefix = format!(
        "{}-{:03}",
        setting("kiosk_code"),
        setting("device_no").parse::<u32>().unwrap()
    );
    let holder: String = store
        .conn()
        .query_row(
            "SELECT login FROM operators WHERE role = 'holder' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The app reads the PC's clock; so does its history, ending an hour ago.
    #[allow(clippy::disallowed_methods)]
    let end = chrono::Utc::now() - chrono::Duration::hours(1);
    let start = end - chrono::Duration::days(365 * years);
    let t = Instant::now();
    store
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            Ok(kiosk_core::bench_util::fill_history(
                tx,
                &kiosk_core::bench_util::History {
                    receipt_prefix: &prefix,
                    operator: &holder,
                    receipts,
                    start,
                    end,
                },
            )?)
        })
        .unwrap();
    store.conn().execute_batch("ANALYZE").unwrap();
    eprintln!(
        "{receipts} receipts over {years} years written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    (start, end)
}

impl App {
    /// Sets a date input as a person picking a day does (the value, then
    /// the input event the binding listens to).
    pub async fn set_date(&self, id: &str, ymd: &str) {
        self.eval(&format!(
            "const e = document.querySelector('[data-testid=\"{id}\"]'); e.value = '{ymd}'; \
             e.dispatchEvent(new Event('input', {{ bubbles: true }})); return null"
        ))
        .await;
    }

    /// The back office's reports screen, by keyboard from the counter.
    pub async fn open_reports(&self) {
        self.keys(key::F12).await;
        self.el(&tid("office-menu-reports")).await;
        self.keys(key::F2).await;
        self.el(&tid("reports")).await;
    }
}
