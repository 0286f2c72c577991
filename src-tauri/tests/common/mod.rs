//! The harness for end-to-end tests of the real app: an Xvfb display,
//! tauri-driver with WebKitWebDriver, the app binary cargo built for these
//! tests, a real `kiosk-server` on SQLite with the demo data, and a TCP
//! printer sink (the one stand-in: for the physical printer). Every wait is
//! on a condition in the app or a process, bounded in time; every process
//! started here is killed by PID when its handle drops.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use kiosk_store::rusqlite::Connection;

pub use kiosk_sync::benchkit::{CentreProcess, DEMO_HOLDER, DEMO_KIOSK};
pub const OPERATOR: (&str, &str) = ("operator1", "Operator@2026");
pub const APP: &str = env!("CARGO_BIN_EXE_kiosk-desktop");
/// How long any one wait in the app may take.
/// (Generous: CI runs it beside the rest of the suite on two cores.)
pub const WAIT: Duration = Duration::from_secs(90);

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An X display of its own.
pub struct Display {
    _xvfb: Killed,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        let mut n = 100 + (std::process::id() % 400);
        while Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            || Path::new(&format!("/tmp/.X{n}-lock")).exists()
        {
            n += 1;
        }
        let name = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&name, "-screen", "0", "1024x768x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt install xvfb)");
        let sock = format!("/tmp/.X11-unix/X{n}");
        wait_until("Xvfb", Duration::from_secs(10), || {
            Path::new(&sock).exists()
        });
        Display {
            _xvfb: Killed(child),
            name,
        }
    }
}

/// tauri-driver on a port of its own, for one app data folder.
pub struct Driver {
    _child: Killed,
    pub url: String,
    pub data: PathBuf,
}

impl Driver {
    pub fn start(display: &Display, data: &Path) -> Driver {
        let port = free_port();
        let native = free_port();
        let child = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", &display.name)
            .env("EMITRA_DATA_DIR", data)
            .env("EMITRA_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver --locked)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_until("tauri-driver", Duration::from_secs(15), || {
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        });
        Driver {
            _child: Killed(child),
            url: format!("http://127.0.0.1:{port}"),
            data: data.to_path_buf(),
        }
    }

    /// Launches the app and connects to its window.
    pub async fn launch(&self) -> App {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": APP }),
        );
        // tauri-driver listens before its native driver is up: a session
        // refused that early is asked for again, for at most a minute.
        let until = Instant::now() + Duration::from_secs(60);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let r = tokio::time::timeout(
                Duration::from_secs(60),
                ClientBuilder::new(connector)
                    .capabilities(caps.clone())
                    .connect(&self.url),
            )
            .await
            .expect("the app's window did not come up in 60 s");
            match r {
                Ok(c) => break c,
                Err(e) if Instant::now() < until => {
                    eprintln!("new session refused ({e}); asking again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("WebDriver session: {e}"),
            }
        };
        let app = App {
            client,
            data: self.data.clone(),
        };
        app.wait_attr("[data-phase]", "data-phase", |p| !p.is_empty())
            .await;
        app
    }
}

fn tauri_driver() -> PathBuf {
    if let Ok(p) = which("tauri-driver") {
        return p;
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cargo/bin/tauri-driver")
}

fn which(name: &str) -> Result<PathBuf, ()> {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(())
}

/// The app's window.
pub struct App {
    pub client: Client,
    pub data: PathBuf,
}

pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl App {
    pub async fn el(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn by(&self, id: &str) -> fantoccini::elements::Element {
        self.el(&tid(id)).await
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Svelte may replace a node between finding and using it: an element
    /// gone stale is found again (a few times, then the error stands).
    pub async fn click(&self, id: &str) {
        for i in 0.. {
            match self.by(id).await.click().await {
                Ok(()) => return,
                Err(e) if i < 20 => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("click {id}: {e}"),
            }
        }
    }

    pub async fn type_in(&self, id: &str, text: &str) {
        let e = self.by(id).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Keys to whatever has the focus, as an operator types them.
    pub async fn keys(&self, keys: &str) {
        for i in 0.. {
            let r = match self.client.active_element().await {
                Ok(e) => e.send_keys(keys).await,
                Err(e) => Err(e),
            };
            match r {
                Ok(()) => return,
                Err(e) if i < 20 => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("keys: {e}"),
            }
        }
    }

    pub async fn text(&self, id: &str) -> String {
        self.by(id).await.text().await.unwrap_or_default()
    }

    pub async fn phase(&self) -> String {
        self.el("[data-phase]")
            .await
            .attr("data-phase")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Waits until the attribute of the first match passes `f`.
    pub async fn wait_attr(&self, css: &str, attr: &str, f: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + WAIT;
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if let Ok(Some(v)) = e.attr(attr).await {
                    if f(&v) {
                        return v;
                    }
                }
            }
            if Instant::now() >= until {
                self.fail_shot().await;
                panic!("timed out waiting for {css}[{attr}]");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_phase(&self, phase: &str) {
        self.wait_attr("[data-phase]", "data-phase", |p| p == phase)
            .await;
    }

    /// Waits until the element's text passes `f`; returns it.
    pub async fn wait_text(&self, id: &str, f: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + WAIT;
        loop {
            if let Ok(e) = self.client.find(Locator::Css(&tid(id))).await {
                if let Ok(t) = e.text().await {
                    if f(&t) {
                        return t;
                    }
                }
            }
            if Instant::now() >= until {
                self.fail_shot().await;
                panic!("timed out waiting for the text of {id}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn attr_of(&self, id: &str, attr: &str) -> Option<String> {
        self.by(id).await.attr(attr).await.ok().flatten()
    }

    /// What the window showed when a wait failed, for the failure report.
    async fn fail_shot(&self) {
        let p = std::env::temp_dir().join(format!("e2e-failure-{}.png", std::process::id()));
        // WebKitWebDriver's screenshot can stall; the failure must still
        // be reported.
        if let Ok(Ok(png)) =
            tokio::time::timeout(Duration::from_secs(5), self.client.screenshot()).await
        {
            let _ = std::fs::write(&p, png);
            eprintln!("the window at the failure: {}", p.display());
        }
    }

    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// The app's own processes (the host; WebKit's web and network processes
/// are its children), found by their data folder.
pub fn app_pids(data: &Path) -> Vec<i32> {
    let want = format!("EMITRA_DATA_DIR={}", data.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        if exe.file_name() != Path::new(APP).file_name() {
            continue;
        }
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// A TCP printer: everything each connection sends, as one job.
pub struct PrinterSink {
    pub addr: SocketAddr,
    pub jobs: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl PrinterSink {
    pub fn start() -> PrinterSink {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let jobs = Arc::new(Mutex::new(Vec::new()));
        let j = jobs.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { return };
                let j = j.clone();
                std::thread::spawn(move || {
                    use std::io::Read;
                    let mut b = Vec::new();
                    let _ = s.read_to_end(&mut b);
                    j.lock().unwrap().push(b);
                });
            }
        });
        PrinterSink { addr, jobs }
    }

    pub fn wait_jobs(&self, n: usize) -> Vec<Vec<u8>> {
        wait_until("printed jobs", WAIT, || {
            self.jobs.lock().unwrap().len() >= n
        });
        self.jobs.lock().unwrap().clone()
    }
}

pub fn kiosk_db(data: &Path) -> PathBuf {
    data.join("kiosk.db")
}

pub fn count(db: &Path, sql: &str) -> i64 {
    let c = Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The centre's payments, on its own SQLite file.
pub fn centre_payments(dir: &Path) -> i64 {
    count(
        &dir.join("centre/server.db"),
        "SELECT COUNT(*) FROM payments",
    )
}

/// Sets the receipt printer of a registered kiosk, as the holder's
/// printer set-up does.
pub fn use_printer(data: &Path, sink: &PrinterSink, profile: &str) {
    let mut k = kiosk_core_open(data);
    print_queue_set(&mut k, &format!("tcp://{}", sink.addr), profile);
}

fn kiosk_core_open(data: &Path) -> kiosk_store::Store {
    kiosk_store::Store::open(kiosk_db(data)).unwrap()
}

fn print_queue_set(store: &mut kiosk_store::Store, uri: &str, profile: &str) {
    store
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            kiosk_store::set_setting(tx, "print.printer", uri)?;
            kiosk_store::set_setting(tx, "print.profile", profile)?;
            Ok(())
        })
        .unwrap();
}

/// The app's data folder preset to a centre, as an installer does it.
pub fn preset(data: &Path, centre_url: &str) {
    std::fs::create_dir_all(data).unwrap();
    std::fs::write(
        data.join("kiosk.toml"),
        format!("centre_url = {centre_url:?}\n"),
    )
    .unwrap();
}
