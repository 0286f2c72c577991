//! Drives the real desktop app in a real WebKit window: an Xvfb display, a
//! private D-Bus session with an unlocked gnome-keyring (the Secret Service
//! a shop's desktop has, so the device key is stored as it is there and
//! nothing waits on a keyring prompt), tauri-driver with WebKitWebDriver,
//! a real `kiosk-server` on SQLite with the demo data, and a TCP printer
//! sink (the one stand-in: for the physical printer).
//!
//! Used by the app's end-to-end tests and by the app benchmarks
//! (`src/bin/bench-*.rs`). Every wait is on a condition, bounded in time;
//! every WebDriver call is bounded too (a stalled WebKitWebDriver must fail
//! the test with the step it stalled in, not hang CI); every process started
//! here is killed by PID when its handle drops. When a test fails, the
//! driver's and the app's logs are printed.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use kiosk_store::rusqlite::Connection;

pub use sync_bench::cluster::SmsReceiver;
pub use sync_bench::{CentreProcess, DEMO_HOLDER, DEMO_HOLDER_MOBILE, DEMO_KIOSK, write_results};

pub const OPERATOR: (&str, &str) = ("operator1", "Operator@2026");
/// How long any one wait for the app may take (CI runs on two cores).
pub const WAIT: Duration = Duration::from_secs(90);
/// How long one WebDriver call may take before the test fails.
pub const CALL: Duration = Duration::from_secs(45);

/// Keys as WebDriver sends them.
pub mod key {
    pub const F1: &str = "\u{E031}";
    pub const F2: &str = "\u{E032}";
    pub const F3: &str = "\u{E033}";
    pub const F4: &str = "\u{E034}";
    pub const F5: &str = "\u{E035}";
    pub const F6: &str = "\u{E036}";
    pub const F7: &str = "\u{E037}";
    pub const F8: &str = "\u{E038}";
    pub const F9: &str = "\u{E039}";
    pub const F10: &str = "\u{E03A}";
    pub const F11: &str = "\u{E03B}";
    pub const F12: &str = "\u{E03C}";
    pub const ENTER: &str = "\u{E007}";
    pub const ESC: &str = "\u{E00C}";
    pub const DOWN: &str = "\u{E015}";
}

/// Awaits one WebDriver call, failing loudly when it stalls.
pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(CALL, f).await {
        Ok(v) => v,
        Err(_) => panic!("the WebDriver call `{what}` did not answer in {CALL:?}"),
    }
}

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

pub fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
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
        wait_until("Xvfb", Duration::from_secs(20), || {
            Path::new(&sock).exists()
        });
        Display {
            _xvfb: Killed(child),
            name,
        }
    }
}

/// A D-Bus session bus of its own with gnome-keyring's Secret Service on
/// it, unlocked, its files in a folder of its own.
pub struct SessionBus {
    children: Vec<Killed>,
    pub address: String,
    _dir: tempfile::TempDir,
}

impl SessionBus {
    pub fn start() -> SessionBus {
        const LIMIT: Duration = Duration::from_secs(20);
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        // A session bus that activates nothing: only the services started
        // here are on it (no accessibility bus or other desktop services
        // started behind the test's back, each a way to stall a window).
        let conf = dir.path().join("bus.conf");
        std::fs::write(
            &conf,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:dir={}</listen>\
                 <auth>EXTERNAL</auth><policy context=\"default\">\
                 <allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>\
                 <allow own=\"*\"/></policy></busconfig>\n",
                run.display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt: dbus-daemon)");
        let out = bus.stdout.take().unwrap();
        let mut children = vec![Killed(bus)];
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let address = rx
            .recv_timeout(LIMIT)
            .expect("dbus-daemon printed no address")
            .trim()
            .to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let home = dir.path();
        let mut gk = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (apt: gnome-keyring)");
        // --unlock reads the login keyring's password from stdin.
        gk.stdin.take().unwrap().write_all(b"kiosk-test").unwrap();
        children.push(Killed(gk));
        let ok = Command::new("gdbus")
            .args(["wait", "--session", "--timeout"])
            .arg(LIMIT.as_secs().to_string())
            .arg("org.freedesktop.secrets")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .status()
            .expect("gdbus (apt: libglib2.0-bin)");
        assert!(ok.success(), "the Secret Service did not appear on the bus");
        SessionBus {
            children,
            address,
            _dir: dir,
        }
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        // The keyring daemon before its bus.
        while let Some(c) = self.children.pop() {
            drop(c);
        }
    }
}

/// tauri-driver on a port of its own, launching one program with one
/// data folder.
pub struct Driver {
    _child: Killed,
    pub url: String,
    pub data: PathBuf,
    pub exe: PathBuf,
    /// Every process the driver starts carries `DESKTOP_HARNESS_TAG=tag`.
    pub tag: String,
    /// The X display the app's window is on.
    display: String,
    log: PathBuf,
    t0: Instant,
}

impl Driver {
    /// `exe`: the program tauri-driver launches for each session; `data`:
    /// its `EMITRA_DATA_DIR`.
    pub fn start(display: &Display, bus: &SessionBus, exe: &Path, data: &Path) -> Driver {
        std::fs::create_dir_all(data).unwrap();
        let port = free_port();
        let native = free_port();
        let tag = format!("{}-{port}", std::process::id());
        let log = data.with_extension("driver.log");
        let logf = std::fs::File::create(&log).unwrap();
        let child = Command::new(tauri_driver())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", &display.name)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("EMITRA_DATA_DIR", data)
            .env("EMITRA_LOG", "info")
            .env("DESKTOP_HARNESS_TAG", &tag)
            // No accessibility bridge: there is no accessibility bus here.
            .env("NO_AT_BRIDGE", "1")
            // The app talks to a centre on loopback only.
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap())
            .stderr(logf)
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver --locked)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_until("tauri-driver", Duration::from_secs(20), || {
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        });
        Driver {
            _child: Killed(child),
            url: format!("http://127.0.0.1:{port}"),
            data: data.to_path_buf(),
            exe: exe.to_path_buf(),
            tag,
            display: display.name.clone(),
            log,
            t0: Instant::now(),
        }
    }

    /// A WebDriver session: tauri-driver starts the program and connects
    /// to its window.
    pub async fn session(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": self.exe }),
        );
        // tauri-driver listens before its native driver is up: a session
        // refused that early is asked for again, for at most a minute.
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let r = tokio::time::timeout(
                Duration::from_secs(60),
                ClientBuilder::new(connector)
                    .capabilities(caps.clone())
                    .connect(&self.url),
            )
            .await
            .expect("the window did not come up in 60 s");
            match r {
                Ok(c) => return c,
                Err(e) if Instant::now() < until => {
                    eprintln!("new session refused ({e}); asking again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("WebDriver session: {e}"),
            }
        }
    }

    /// Launches the kiosk app and waits until its UI has a phase.
    pub async fn launch(&self) -> App {
        self.step("launch the app");
        let client = self.session().await;
        let app = App {
            client,
            data: self.data.clone(),
            display: Some(self.display.clone()),
            t0: self.t0,
        };
        app.wait_attr("[data-phase]", "data-phase", |p| {
            !p.is_empty() && p != "loading"
        })
        .await;
        app
    }

    pub fn step(&self, what: &str) {
        eprintln!("[e2e +{:>6.1}s] {what}", self.t0.elapsed().as_secs_f64());
    }

    /// The processes this driver's sessions started: the program and
    /// WebKit's web and network processes (not the drivers themselves).
    pub fn app_pids(&self) -> Vec<i32> {
        pids_tagged(&self.tag, &["tauri-driver", "WebKitWebDriver"])
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What each of the app's processes was doing.
            for pid in self.app_pids() {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let wchan =
                    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
                let state = stat.rsplit(") ").next().and_then(|r| r.split(' ').next());
                eprintln!(
                    "process {pid} {}: state {} waiting in {wchan}",
                    exe_name(pid),
                    state.unwrap_or("?")
                );
            }
            print_tail("tauri-driver", &self.log, 40);
            if let Ok(rd) = std::fs::read_dir(self.data.join("logs")) {
                let mut logs: Vec<_> = rd.flatten().map(|e| e.path()).collect();
                logs.sort();
                if let Some(last) = logs.last() {
                    print_tail("the app's log", last, 60);
                }
            }
        }
    }
}

fn print_tail(what: &str, path: &Path, n: usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    eprintln!("---- {what} ({}), last {n} lines:", path.display());
    for l in &lines[lines.len().saturating_sub(n)..] {
        eprintln!("  {l}");
    }
}

fn tauri_driver() -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join("tauri-driver");
        if p.is_file() {
            return p;
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cargo/bin/tauri-driver")
}

/// Processes whose environment has `DESKTOP_HARNESS_TAG=tag`, except
/// those whose program is named in `except`.
pub fn pids_tagged(tag: &str, except: &[&str]) -> Vec<i32> {
    let want = format!("DESKTOP_HARNESS_TAG={tag}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        let name = exe
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.is_empty() || except.iter().any(|x| name == *x) {
            continue;
        }
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// Proportional set size of a process, KiB (shared pages split among the
/// processes that map them, so a sum over processes counts each once).
pub fn pss_kib(pid: i32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A process's PSS split as `smaps_rollup` gives it, KiB: anonymous
/// (heaps, arenas, JIT), file-backed (libraries, fonts, mapped files) and
/// shared memory (e.g. WebKit's buffers shared with the compositor).
pub fn pss_parts_kib(pid: i32) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    serde_json::json!({
        "pss_kib": field("Pss:"),
        "anon_kib": field("Pss_Anon:"),
        "file_kib": field("Pss_File:"),
        "shmem_kib": field("Pss_Shmem:"),
    })
}

/// The `n` mappings of a process holding most PSS, summed by what they
/// map (a file's path, `[heap]`, or `anon` for unnamed memory), KiB.
pub fn top_mappings_kib(pid: i32, n: usize) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut current = String::from("anon");
    for l in text.lines() {
        let head = l.split_whitespace().next().unwrap_or("");
        if head.contains('-') && !head.ends_with(':') {
            // A mapping's first line: range perms offset dev inode [path].
            current = l
                .split_whitespace()
                .nth(5)
                .map_or_else(|| "anon".to_string(), str::to_string);
        } else if let Some(v) = l.strip_prefix("Pss:") {
            let kib: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            *by.entry(current.clone()).or_default() += kib;
        }
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by_key(|m| std::cmp::Reverse(m.1));
    v.truncate(n);
    v
}

/// The program's name of a process (for reports).
pub fn exe_name(pid: i32) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The app's window.
pub struct App {
    pub client: Client,
    pub data: PathBuf,
    /// Its X display, when known (screenshots are taken there).
    display: Option<String>,
    t0: Instant,
}

pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl App {
    /// A window of a session started with [`Driver::session`].
    pub fn from_client(client: Client, data: &Path) -> App {
        App {
            client,
            data: data.to_path_buf(),
            display: None,
            t0: Instant::now(),
        }
    }

    pub fn step(&self, what: &str) {
        eprintln!("[e2e +{:>6.1}s] {what}", self.t0.elapsed().as_secs_f64());
    }

    pub async fn el(&self, css: &str) -> fantoccini::elements::Element {
        let r = within(
            css,
            self.client
                .wait()
                .at_most(WAIT)
                .for_element(Locator::Css(css)),
        )
        .await;
        match r {
            Ok(e) => e,
            Err(e) => {
                self.fail_shot().await;
                panic!("no element {css}: {e}")
            }
        }
    }

    pub async fn by(&self, id: &str) -> fantoccini::elements::Element {
        self.el(&tid(id)).await
    }

    pub async fn exists(&self, css: &str) -> bool {
        within(css, self.client.find(Locator::Css(css)))
            .await
            .is_ok()
    }

    /// Svelte may replace a node between finding and using it: an element
    /// gone stale is found again (a few times, then the error stands).
    pub async fn click(&self, id: &str) {
        for i in 0.. {
            match within(id, self.by(id).await.click()).await {
                Ok(()) => return,
                Err(_) if i < 20 => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("click {id}: {e}"),
            }
        }
    }

    pub async fn type_in(&self, id: &str, text: &str) {
        for i in 0.. {
            let e = self.by(id).await;
            let r = match within(id, e.clear()).await {
                Ok(()) => within(id, e.send_keys(text)).await,
                Err(e) => Err(e),
            };
            match r {
                Ok(()) => return,
                Err(_) if i < 20 => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("type in {id}: {e}"),
            }
        }
    }

    /// Keys to whatever has the focus, as an operator types them.
    pub async fn keys(&self, keys: &str) {
        for i in 0.. {
            let r = match within("active element", self.client.active_element()).await {
                Ok(e) => within("send keys", e.send_keys(keys)).await,
                Err(e) => Err(e),
            };
            match r {
                Ok(()) => return,
                Err(_) if i < 20 => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(e) => panic!("keys: {e}"),
            }
        }
    }

    pub async fn text(&self, id: &str) -> String {
        within(id, self.by(id).await.text())
            .await
            .unwrap_or_default()
    }

    pub async fn attr_now(&self, css: &str, attr: &str) -> Option<String> {
        let e = within(css, self.client.find(Locator::Css(css)))
            .await
            .ok()?;
        within(css, e.attr(attr)).await.ok().flatten()
    }

    pub async fn phase(&self) -> String {
        self.attr_now("[data-phase]", "data-phase")
            .await
            .unwrap_or_default()
    }

    /// Waits until the attribute of the first match passes `f`.
    pub async fn wait_attr(&self, css: &str, attr: &str, f: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + WAIT;
        loop {
            if let Some(v) = self.attr_now(css, attr).await
                && f(&v)
            {
                return v;
            }
            if Instant::now() >= until {
                self.fail_shot().await;
                panic!("timed out waiting for {css}[{attr}]");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the element with this test id has the focus: keys sent
    /// before the focus has moved would land in the field before (an
    /// operator, too, looks before typing).
    pub async fn wait_focus(&self, id: &str) {
        let js =
            "const e = document.activeElement; return (e && e.dataset && e.dataset.testid) || ''";
        let until = Instant::now() + WAIT;
        loop {
            if let Ok(Ok(v)) = tokio::time::timeout(CALL, self.client.execute(js, vec![])).await
                && v.as_str() == Some(id)
            {
                return;
            }
            if Instant::now() >= until {
                self.fail_shot().await;
                panic!("the focus never reached {id}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_phase(&self, phase: &str) {
        self.wait_attr("[data-phase]", "data-phase", |p| p == phase)
            .await;
    }

    pub async fn wait_ready(&self) {
        self.wait_attr("[data-phase]", "data-ready", |r| r == "1")
            .await;
    }

    /// Waits until the element's text passes `f`; returns it.
    pub async fn wait_text(&self, id: &str, f: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + WAIT;
        let css = tid(id);
        loop {
            if let Ok(e) = within(id, self.client.find(Locator::Css(&css))).await
                && let Ok(t) = within(id, e.text()).await
                && f(&t)
            {
                return t;
            }
            if Instant::now() >= until {
                self.fail_shot().await;
                panic!("timed out waiting for the text of {id}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn attr_of(&self, id: &str, attr: &str) -> Option<String> {
        within(id, self.by(id).await.attr(attr))
            .await
            .ok()
            .flatten()
    }

    pub async fn count(&self, css: &str) -> usize {
        within(css, self.client.find_all(Locator::Css(css)))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Runs a script in the window; its return value.
    pub async fn eval(&self, js: &str) -> serde_json::Value {
        within("execute", self.client.execute(js, vec![]))
            .await
            .unwrap_or_else(|e| panic!("script {js}: {e}"))
    }

    /// What the window showed when a wait failed, for the failure report.
    pub async fn fail_shot(&self) {
        let p = std::env::temp_dir().join(format!("e2e-failure-{}.png", std::process::id()));
        // Each bounded: the failure must be reported even if WebKit stalls.
        let limit = Duration::from_secs(10);
        if let Ok(Ok(png)) = tokio::time::timeout(limit, self.client.screenshot()).await {
            let _ = std::fs::write(&p, png);
            eprintln!("the window at the failure: {}", p.display());
        }
        let js = "const r=document.querySelector('[data-phase]');\
                  return JSON.stringify({url: location.href, \
                  phase: r && r.dataset.phase, ready: r && r.dataset.ready, \
                  text: document.body ? document.body.innerText.slice(0, 1500) : null})";
        match tokio::time::timeout(limit, self.client.execute(js, vec![])).await {
            Ok(Ok(v)) => eprintln!("the page at the failure: {v}"),
            Ok(Err(e)) => eprintln!("the page could not be read: {e}"),
            Err(_) => eprintln!("the page did not answer in {limit:?}"),
        }
    }

    /// The window as the X server shows it (the only window on its own
    /// Xvfb, at 0,0): WebKitWebDriver's Take Screenshot never answers on
    /// the back-office screens although they are painted.
    pub async fn screenshot(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let Some(display) = &self.display else {
            let png = within("screenshot", self.client.screenshot())
                .await
                .unwrap();
            std::fs::write(path, png).unwrap();
            return;
        };
        // Rendering done: the layout is read once more before the capture.
        self.eval("void document.body.offsetHeight; return null")
            .await;
        let out = Command::new("import")
            .args(["-display", display, "-window", "root"])
            .arg(path)
            .output()
            .expect("import (apt install imagemagick)");
        assert!(
            out.status.success(),
            "import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub async fn close(self) {
        let _ = tokio::time::timeout(CALL, self.client.close()).await;
    }
}

/// One job a TCP printer received.
#[derive(Clone)]
pub struct Job {
    /// When its first byte arrived.
    pub first_byte: Instant,
    pub bytes: Vec<u8>,
}

/// A TCP printer: everything each connection sends, as one job.
pub struct PrinterSink {
    pub addr: SocketAddr,
    pub jobs: Arc<Mutex<Vec<Job>>>,
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
                    let mut buf = [0u8; 4096];
                    let mut bytes = Vec::new();
                    let mut first = None;
                    loop {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                first.get_or_insert_with(Instant::now);
                                bytes.extend_from_slice(&buf[..n]);
                            }
                        }
                    }
                    if let Some(first_byte) = first {
                        j.lock().unwrap().push(Job { first_byte, bytes });
                    }
                });
            }
        });
        PrinterSink { addr, jobs }
    }

    pub fn len(&self) -> usize {
        self.jobs.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn wait_jobs(&self, n: usize) -> Vec<Job> {
        wait_until("printed jobs", WAIT, || self.len() >= n);
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
    let mut store = kiosk_store::Store::open(kiosk_db(data)).unwrap();
    let uri = format!("tcp://{}", sink.addr);
    store
        .write(|tx| -> Result<(), kiosk_store::StoreError> {
            kiosk_store::set_setting(tx, "print.printer", &uri)?;
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

// ---- steps of the counter, as an operator does them by keyboard.

/// First run: the demo kiosk registered by its holder.
pub async fn register(app: &App) {
    app.wait_phase("setup").await;
    app.type_in("setup-kiosk", DEMO_KIOSK).await;
    app.type_in("setup-login", DEMO_HOLDER.0).await;
    app.type_in("setup-password", DEMO_HOLDER.1).await;
    app.click("setup-submit").await;
    app.wait_phase("counter").await;
    app.wait_ready().await;
}

pub async fn login(app: &App, who: (&str, &str)) {
    app.wait_phase("login").await;
    app.type_in("login-user", who.0).await;
    app.type_in("login-password", who.1).await;
    app.keys(key::ENTER).await;
}

pub async fn cart_lines(app: &App) -> usize {
    app.count(&tid("cart-line")).await
}

pub async fn wait_cart_lines(app: &App, n: usize) {
    let until = Instant::now() + WAIT;
    while cart_lines(app).await != n {
        if Instant::now() >= until {
            app.fail_shot().await;
            panic!("the cart never had {n} lines");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn pending_is(app: &App, n: i64) {
    app.wait_attr(&tid("status-pending"), "data-pending", |c| {
        c == n.to_string()
    })
    .await;
}

/// One bill by keyboard: F2 search, the service, Enter, the consumer
/// number, F3 Get Bill Details, F4 Add.
pub async fn bill_by_keys(app: &App, search: &str, consumer: &str) {
    app.keys(key::F2).await;
    app.wait_focus("search").await;
    app.keys(search).await;
    app.keys(key::ENTER).await;
    app.wait_focus("consumer-input").await;
    app.keys(consumer).await;
    app.keys(key::F3).await;
    app.by("bill-details").await;
    app.keys(key::F4).await;
}

/// Where cargo put this workspace's programs for `profile` ("debug" or
/// "release").
pub fn target_dir(profile: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    base.join(profile)
}

/// Builds the app and the bare window in the `desktop` profile (as the app
/// ships) and the centre in `release` (for the benchmarks); returns the
/// app's and the bare window's paths.
pub fn build_bench_apps() -> (PathBuf, PathBuf) {
    cargo_build(&[
        "--profile",
        "desktop",
        "-p",
        "kiosk-desktop",
        "-p",
        "bare-window",
    ]);
    cargo_build(&["--release", "-p", "server"]);
    let dir = target_dir("desktop");
    (dir.join("kiosk-desktop"), dir.join("bare-window"))
}

/// `cargo build -q` of this workspace with `args`; panics if it fails.
fn cargo_build(args: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ok = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args(["build", "-q"])
        .args(args)
        .status()
        .expect("cargo");
    assert!(ok.success(), "cargo build {} failed", args.join(" "));
}

/// The p-th percentile (0–100) of samples, nearest rank.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    let mut v = samples.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub mod rig;
pub use rig::*;
