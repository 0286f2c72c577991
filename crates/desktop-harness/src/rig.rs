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
    pub centre: CentreProcess,
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
        let dir = tempfile::tempdir().unwrap();
        let centre = CentreProcess::start(dir.path()).unwrap();
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
            centre,
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
