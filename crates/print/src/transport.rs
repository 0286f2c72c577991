//! Transports: carry a job's bytes to a printer. A printer URI names one:
//!
//! | URI | what |
//! |---|---|
//! | `usb:/dev/usb/lp0`, `lpt:/dev/lp0`, `dev:/path`, `/dev/...`, `lpt:LPT1` (Windows) | a device path |
//! | `serial:/dev/ttyUSB0?baud=9600&flow=xonxoff` | a serial port (settings default to the profile's) |
//! | `tcp://192.0.2.10:9100` | raw TCP (JetDirect) |
//! | `spool:QUEUE` (also `cups:QUEUE`) | the OS spooler in RAW mode |
//! | `file:/path` or `file:///path` | a file (appended: jobs pile up like paper) |
//!
//! Every failure maps to a stable code; printer-gone failures are
//! retryable so the queue keeps the job.

use crate::error::{PrintError, Result};
use crate::profile::{FlowControl, Parity, Profile, SerialSettings};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Device(PathBuf),
    Serial {
        path: String,
        settings: SerialSettings,
    },
    Tcp {
        addr: String,
    },
    Spooler {
        queue: String,
    },
    File(PathBuf),
}

fn default_serial() -> SerialSettings {
    SerialSettings {
        baud: 9600,
        data_bits: 8,
        parity: Parity::None,
        stop_bits: 1,
        flow_control: FlowControl::Xonxoff,
    }
}

impl Target {
    /// Parses a printer URI; serial settings not in the URI come from the
    /// profile (the printer's DIP switches are documented there).
    pub fn parse(uri: &str, profile: Option<&Profile>) -> Result<Target> {
        let bad = |reason: &str| PrintError::UriInvalid {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let uri = uri.trim();
        if let Some(rest) = uri.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            // `[v6]:port`, `host:port` or `host` (JetDirect's 9100).
            let (host, port) = match rest.strip_prefix('[').and_then(|r| r.find(']')) {
                Some(end) => {
                    let (h, after) = rest.split_at(end + 2);
                    match after.strip_prefix(':') {
                        Some(p) => (h, Some(p)),
                        None if after.is_empty() => (h, None),
                        None => return Err(bad("port after the address is :PORT")),
                    }
                }
                None => match rest.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (rest, None),
                },
            };
            if host.is_empty() || host == "[]" || host.contains(['/', '?', '@', ' ', '#']) {
                return Err(bad("no printer address (tcp://HOST:PORT)"));
            }
            let port = match port {
                None => 9100,
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port is a number from 1 to 65535"))?,
            };
            return Ok(Target::Tcp {
                addr: format!("{host}:{port}"),
            });
        }
        if let Some(rest) = uri
            .strip_prefix("spool:")
            .or_else(|| uri.strip_prefix("cups:"))
        {
            let q = rest.trim_start_matches('/');
            if q.is_empty() {
                return Err(bad("no queue name"));
            }
            return Ok(Target::Spooler {
                queue: q.to_string(),
            });
        }
        if let Some(rest) = uri
            .strip_prefix("file://")
            .or_else(|| uri.strip_prefix("file:"))
        {
            if rest.is_empty() {
                return Err(bad("no file path"));
            }
            return Ok(Target::File(PathBuf::from(rest)));
        }
        if let Some(rest) = uri.strip_prefix("serial:") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            let mut s = profile
                .and_then(|p| p.transport.serial.clone())
                .unwrap_or_else(default_serial);
            for kv in query.split('&').filter(|k| !k.is_empty()) {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| bad("query is key=value"))?;
                match k {
                    "baud" => s.baud = v.parse().map_err(|_| bad("baud"))?,
                    "flow" => {
                        s.flow_control = match v {
                            "none" => FlowControl::None,
                            "xonxoff" => FlowControl::Xonxoff,
                            "rtscts" => FlowControl::Rtscts,
                            "dtr" => FlowControl::Dtr,
                            _ => return Err(bad("flow is none, xonxoff, rtscts or dtr")),
                        }
                    }
                    "parity" => {
                        s.parity = match v {
                            "none" => Parity::None,
                            "odd" => Parity::Odd,
                            "even" => Parity::Even,
                            _ => return Err(bad("parity is none, odd or even")),
                        }
                    }
                    "data" => s.data_bits = v.parse().map_err(|_| bad("data"))?,
                    "stop" => s.stop_bits = v.parse().map_err(|_| bad("stop"))?,
                    _ => return Err(bad("unknown serial option")),
                }
            }
            if path.is_empty() {
                return Err(bad("no serial port"));
            }
            // What a UART can be set to (serialport takes 5 to 8 data bits
            // and 1 or 2 stop bits; anything else would be sent as 8N1).
            if s.baud == 0 {
                return Err(bad("baud"));
            }
            if !(5..=8).contains(&s.data_bits) {
                return Err(bad("data is 5, 6, 7 or 8"));
            }
            if !(1..=2).contains(&s.stop_bits) {
                return Err(bad("stop is 1 or 2"));
            }
            return Ok(Target::Serial {
                path: path.to_string(),
                settings: s,
            });
        }
        for p in ["usb:", "lpt:", "dev:"] {
            if let Some(rest) = uri.strip_prefix(p) {
                if rest.trim().is_empty() {
                    return Err(bad("no device path"));
                }
                return Ok(Target::Device(device_path(rest)));
            }
        }
        if uri.starts_with("/dev/") {
            return Ok(Target::Device(PathBuf::from(uri)));
        }
        Err(bad(
            "expected usb:, lpt:, dev:, serial:, tcp://, spool: or file:",
        ))
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Device(p) => format!("device {}", p.display()),
            Target::Serial { path, settings } => format!("serial {path} @{}", settings.baud),
            Target::Tcp { addr } => format!("tcp {addr}"),
            Target::Spooler { queue } => format!("spooler queue {queue}"),
            Target::File(p) => format!("file {}", p.display()),
        }
    }
}

/// `LPT1` means the parallel port only on Windows.
fn device_path(s: &str) -> PathBuf {
    #[cfg(windows)]
    {
        let up = s.to_ascii_uppercase();
        if up.starts_with("LPT") || up.starts_with("COM") || up.starts_with("USB") {
            return PathBuf::from(format!(r"\\.\{up}"));
        }
    }
    PathBuf::from(s)
}

/// How much of a job reached the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub bytes: usize,
}

/// Sends a whole job, `chunk` bytes per write.
pub fn send(target: &Target, bytes: &[u8], chunk: usize) -> Result<Sent> {
    let chunk = chunk.max(1);
    match target {
        Target::Device(p) => {
            let mut f = open_device(p, target)?;
            write_chunks(&mut f, bytes, chunk, target)
        }
        Target::File(p) => {
            let mut f = open_private_append(p).map_err(|e| offline(target, &e))?;
            let s = write_chunks(&mut f, bytes, chunk, target)?;
            f.sync_data().map_err(|e| offline(target, &e))?;
            Ok(s)
        }
        Target::Tcp { addr } => {
            use std::net::ToSocketAddrs;
            let sa = addr
                .to_socket_addrs()
                .map_err(|e| offline(target, &e))?
                .next()
                .ok_or_else(|| PrintError::PrinterOffline {
                    target: target.describe(),
                    reason: "no address".into(),
                })?;
            let mut s = std::net::TcpStream::connect_timeout(&sa, Duration::from_secs(3))
                .map_err(|e| offline(target, &e))?;
            s.set_write_timeout(Some(Duration::from_secs(20))).ok();
            s.set_nodelay(true).ok();
            let sent = write_chunks(&mut s, bytes, chunk, target)?;
            s.shutdown(std::net::Shutdown::Write).ok();
            Ok(sent)
        }
        Target::Serial { path, settings } => {
            send_serial(path, settings, bytes, chunk, target, false)
        }
        Target::Spooler { queue } => send_spooler(queue, bytes, target),
    }
}

/// A file printer's output holds citizens' names and amounts: created
/// 0600 (an existing one is narrowed), appended to.
fn open_private_append(p: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        o.mode(0o600);
        let f = o.open(p)?;
        let m = f.metadata()?;
        // Only a regular file: a device or FIFO named as a file keeps its mode.
        if m.is_file() && m.permissions().mode() & 0o7777 != 0o600 {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(f)
    }
    #[cfg(not(unix))]
    o.open(p)
}

fn offline(target: &Target, e: &std::io::Error) -> PrintError {
    PrintError::PrinterOffline {
        target: target.describe(),
        reason: e.to_string(),
    }
}

fn write_chunks(w: &mut dyn Write, bytes: &[u8], chunk: usize, target: &Target) -> Result<Sent> {
    let mut written = 0;
    for c in bytes.chunks(chunk) {
        if let Err(e) = w.write_all(c).and_then(|_| w.flush()) {
            if e.raw_os_error() == Some(28) {
                // ENOSPC is what usblp returns when the printer reports paper out.
                return Err(PrintError::PaperOut {
                    target: target.describe(),
                });
            }
            return Err(PrintError::Interrupted {
                target: target.describe(),
                written,
                total: bytes.len(),
                reason: e.to_string(),
            });
        }
        written += c.len();
    }
    Ok(Sent { bytes: written })
}

#[cfg(unix)]
fn open_device(p: &std::path::Path, target: &Target) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    // Non-blocking open: a FIFO without a reader or a printer that is off
    // fails at once (ENXIO) instead of hanging the print worker.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(p)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                PrintError::PrinterOffline {
                    target: target.describe(),
                    reason: format!("{e} (add the kiosk user to the lp group)"),
                }
            } else {
                offline(target, &e)
            }
        })?;
    let fd = f.as_raw_fd();
    // SAFETY: fd is a valid descriptor owned by `f` for this call.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl >= 0 {
            libc::fcntl(fd, libc::F_SETFL, fl & !libc::O_NONBLOCK);
        }
    }
    // Parallel ports report paper-out and select through LPGETSTATUS.
    if p.to_string_lossy().starts_with("/dev/lp") {
        const LPGETSTATUS: libc::c_ulong = 0x060b;
        const LP_POUTPA: libc::c_int = 0x20;
        const LP_PSELECD: libc::c_int = 0x10;
        let mut status: libc::c_int = 0;
        // SAFETY: LPGETSTATUS writes one int through the pointer.
        let rc = unsafe { libc::ioctl(fd, LPGETSTATUS as _, &mut status) };
        if rc == 0 {
            if status & LP_POUTPA != 0 {
                return Err(PrintError::PaperOut {
                    target: target.describe(),
                });
            }
            if status & LP_PSELECD == 0 {
                return Err(PrintError::PrinterOffline {
                    target: target.describe(),
                    reason: "not selected (offline button?)".into(),
                });
            }
        }
    }
    Ok(f)
}

#[cfg(not(unix))]
fn open_device(p: &std::path::Path, target: &Target) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .map_err(|e| offline(target, &e))
}

fn send_serial(
    path: &str,
    s: &SerialSettings,
    bytes: &[u8],
    chunk: usize,
    target: &Target,
    ask_status: bool,
) -> Result<Sent> {
    use serialport::{DataBits, FlowControl as F, Parity as P, StopBits};
    let flow = match s.flow_control {
        FlowControl::None | FlowControl::Dtr => F::None,
        FlowControl::Xonxoff => F::Software,
        FlowControl::Rtscts => F::Hardware,
    };
    let mut port = serialport::new(path, s.baud)
        .data_bits(match s.data_bits {
            5 => DataBits::Five,
            6 => DataBits::Six,
            7 => DataBits::Seven,
            _ => DataBits::Eight,
        })
        .parity(match s.parity {
            Parity::None => P::None,
            Parity::Odd => P::Odd,
            Parity::Even => P::Even,
        })
        .stop_bits(if s.stop_bits == 2 {
            StopBits::Two
        } else {
            StopBits::One
        })
        .flow_control(flow)
        .timeout(Duration::from_secs(20))
        .open()
        .map_err(|e| PrintError::PrinterOffline {
            target: target.describe(),
            reason: e.to_string(),
        })?;
    if ask_status {
        port.write_all(&DLE_EOT_PAPER)
            .and_then(|_| port.flush())
            .map_err(|e| PrintError::PrinterOffline {
                target: target.describe(),
                reason: e.to_string(),
            })?;
        port.set_timeout(STATUS_WAIT).ok();
        let mut b = [0u8; 1];
        if let Ok(1) = port.read(&mut b) {
            check_paper(b[0], target)?;
        }
        port.set_timeout(Duration::from_secs(20)).ok();
    }
    let mut written = 0;
    for c in bytes.chunks(chunk) {
        if s.flow_control == FlowControl::Dtr {
            // serialport has no DTR/DSR handshake: hold back while the
            // printer drops DSR (buffer full), up to the write timeout.
            port.write_data_terminal_ready(true).ok();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while let Ok(false) = port.read_data_set_ready() {
                if std::time::Instant::now() > deadline {
                    return Err(PrintError::Interrupted {
                        target: target.describe(),
                        written,
                        total: bytes.len(),
                        reason: "DSR stayed low (printer busy or off)".into(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if let Err(e) = port.write_all(c).and_then(|_| port.flush()) {
            return Err(PrintError::Interrupted {
                target: target.describe(),
                written,
                total: bytes.len(),
                reason: e.to_string(),
            });
        }
        written += c.len();
    }
    Ok(Sent { bytes: written })
}

/// RAW through the spooler with the `printers` crate. On CUPS the job is
/// marked `raw` (no filters touch our ESC/P bytes); on Windows the document
/// data type is `RAW`. We hand it our own temporary file (`print_file`)
/// rather than `print`, which leaves its temporary copy behind.
fn send_spooler(queue: &str, bytes: &[u8], target: &Target) -> Result<Sent> {
    use printers::common::base::job::PrinterJobOptions;
    let printer =
        printers::get_printer_by_name(queue).ok_or_else(|| PrintError::PrinterOffline {
            target: target.describe(),
            reason: "no such spooler queue (or the spooler is not running)".into(),
        })?;
    let mut tmp = tempfile::Builder::new()
        .prefix("kiosk-job-")
        .tempfile()
        .map_err(|e| PrintError::Spooler(e.to_string()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.flush())
        .map_err(|e| PrintError::Spooler(e.to_string()))?;
    let path = tmp.path().to_string_lossy().to_string();
    #[cfg(windows)]
    let props: &[(&str, &str)] = &[("document-format", "RAW")];
    #[cfg(not(windows))]
    let props: &[(&str, &str)] = &[
        ("raw", "true"),
        ("document-format", "application/vnd.cups-raw"),
    ];
    let opts = PrinterJobOptions {
        name: Some("kiosk receipt"),
        raw_properties: props,
        ..PrinterJobOptions::none()
    };
    printer
        .print_file(&path, opts)
        .map_err(|e| PrintError::Spooler(format!("{queue}: {e:?}")))?;
    Ok(Sent { bytes: bytes.len() })
}

/// Sends a job the way its profile wants: where the printer reports status
/// (`status = "dle_eot"`, ESC/POS over TCP or serial), it is asked first
/// and a printer out of paper is `print.paper_out` (retryable) instead of
/// a job printed into nothing.
pub fn send_job(target: &Target, bytes: &[u8], profile: &Profile) -> Result<Sent> {
    let chunk = profile.transport.chunk_bytes;
    if profile.transport.status.as_deref() != Some("dle_eot") {
        return send(target, bytes, chunk);
    }
    match target {
        Target::Tcp { addr } => {
            use std::io::Read;
            use std::net::ToSocketAddrs;
            let sa = addr
                .to_socket_addrs()
                .map_err(|e| offline(target, &e))?
                .next()
                .ok_or_else(|| PrintError::PrinterOffline {
                    target: target.describe(),
                    reason: "no address".into(),
                })?;
            let mut s = std::net::TcpStream::connect_timeout(&sa, Duration::from_secs(3))
                .map_err(|e| offline(target, &e))?;
            s.set_nodelay(true).ok();
            s.set_write_timeout(Some(Duration::from_secs(20))).ok();
            s.write_all(&DLE_EOT_PAPER)
                .map_err(|e| offline(target, &e))?;
            s.set_read_timeout(Some(STATUS_WAIT)).ok();
            let mut b = [0u8; 1];
            // No answer in time: a printer (or print server) that does not
            // report; print anyway.
            if let Ok(1) = s.read(&mut b) {
                check_paper(b[0], target)?;
            }
            let sent = write_chunks(&mut s, bytes, chunk, target)?;
            s.shutdown(std::net::Shutdown::Write).ok();
            Ok(sent)
        }
        Target::Serial { path, settings } => {
            send_serial(path, settings, bytes, chunk, target, true)
        }
        _ => send(target, bytes, chunk),
    }
}

/// `DLE EOT 4`: roll paper sensor status.
pub const DLE_EOT_PAPER: [u8; 3] = [0x10, 0x04, 0x04];
const STATUS_WAIT: Duration = Duration::from_millis(400);

/// A status byte has the fixed bits 0xx1xx10; bits 5 and 6 are paper end.
fn check_paper(b: u8, target: &Target) -> Result<()> {
    if b & 0x93 == 0x12 && b & 0x60 != 0 {
        return Err(PrintError::PaperOut {
            target: target.describe(),
        });
    }
    Ok(())
}
