//! Transports against real endpoints: a TCP sink, a FIFO standing in for
//! /dev/usb/lp0, a pty pair for the serial port, a file. The far ends are
//! test doubles for the physical printer only.

use domain::ErrorCode;
use print::transport::{Target, send};
use std::io::Read;
use std::path::Path;

fn job(n: usize) -> Vec<u8> {
    let mut v = vec![0x1b, b'@'];
    v.extend((0..n).map(|i| (i % 251) as u8));
    v
}

#[test]
fn uris_parse() {
    let p = print::Profile::builtin_by_id("escp9-generic").unwrap();
    assert_eq!(
        Target::parse("usb:/dev/usb/lp0", None).unwrap(),
        Target::Device("/dev/usb/lp0".into())
    );
    assert_eq!(
        Target::parse("/dev/lp0", None).unwrap(),
        Target::Device("/dev/lp0".into())
    );
    assert_eq!(
        Target::parse("tcp://10.0.0.5", None).unwrap(),
        Target::Tcp {
            addr: "10.0.0.5:9100".into()
        }
    );
    assert_eq!(
        Target::parse("tcp://printer.local:9101/", None).unwrap(),
        Target::Tcp {
            addr: "printer.local:9101".into()
        }
    );
    assert_eq!(
        Target::parse("tcp://[::1]:9100", None).unwrap(),
        Target::Tcp {
            addr: "[::1]:9100".into()
        }
    );
    assert_eq!(
        Target::parse("spool:DMP", None).unwrap(),
        Target::Spooler {
            queue: "DMP".into()
        }
    );
    assert_eq!(
        Target::parse("file:///tmp/x", None).unwrap(),
        Target::File("/tmp/x".into())
    );
    match Target::parse("serial:/dev/ttyS0?baud=19200", Some(&p)).unwrap() {
        Target::Serial { path, settings } => {
            assert_eq!(path, "/dev/ttyS0");
            assert_eq!(settings.baud, 19200);
            // Flow control from the profile (9-pin DMPs: XON/XOFF).
            assert_eq!(settings.flow_control, print::profile::FlowControl::Xonxoff);
        }
        t => panic!("{t:?}"),
    }
    for bad in [
        "",
        "http://x",
        "serial:/dev/ttyS0?flow=magic",
        "spool:",
        "serial:?baud=1",
        "serial:/dev/ttyS0?baud=0",
        "serial:/dev/ttyS0?baud=fast",
        "serial:/dev/ttyS0?data=9",
        "serial:/dev/ttyS0?stop=3",
        "tcp://",
        "tcp://:9100",
        "tcp://printer:0",
        "tcp://printer:70000",
        "tcp://printer:port",
        "tcp://a/b:9100",
        "usb:",
        "lpt:",
    ] {
        assert_eq!(
            Target::parse(bad, None).unwrap_err().code(),
            "print.uri_invalid",
            "{bad}"
        );
    }
}

#[test]
fn tcp_sink_receives_every_byte() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let sink = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    let data = job(100_000);
    let sent = send(
        &Target::Tcp {
            addr: addr.to_string(),
        },
        &data,
        4096,
    )
    .unwrap();
    assert_eq!(sent.bytes, data.len());
    assert_eq!(sink.join().unwrap(), data);
}

#[test]
fn tcp_printer_off_is_offline_and_retryable() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = send(
        &Target::Tcp {
            addr: addr.to_string(),
        },
        &job(10),
        64,
    )
    .unwrap_err();
    assert_eq!(e.code(), "print.printer_offline");
    assert!(e.is_retryable());
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// The printer end of a FIFO. A non-blocking read end is held open first
/// so the transport's non-blocking open finds "a printer"; the reading
/// thread then opens a blocking read end, which waits for the writer, so it
/// never mistakes "no writer yet" for the end of the job. Jobs in these
/// tests are larger than the pipe buffer, so the writer cannot finish
/// before the reader is in.
fn fifo_presence(p: &Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(p)
        .unwrap()
}

#[test]
fn device_path_through_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lp0");
    mkfifo(&p);
    let presence = fifo_presence(&p);
    let data = job(300_000);
    let rp = p.clone();
    let reader = std::thread::spawn(move || {
        let mut r = std::fs::File::open(&rp).unwrap();
        drop(presence);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        got
    });
    let uri = format!("usb:{}", p.display());
    let sent = send(&Target::parse(&uri, None).unwrap(), &data, 1024).unwrap();
    assert_eq!(sent.bytes, data.len());
    assert_eq!(reader.join().unwrap(), data);
}

#[test]
fn device_with_nobody_listening_is_offline_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lp0");
    mkfifo(&p);
    let e = send(&Target::Device(p.clone()), &job(10), 1024).unwrap_err();
    assert_eq!(e.code(), "print.printer_offline");
    let e = send(&Target::Device(dir.path().join("missing")), &job(10), 1024).unwrap_err();
    assert_eq!(e.code(), "print.printer_offline");
}

#[test]
fn printer_disappearing_mid_job_is_interrupted_and_retryable() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lp0");
    mkfifo(&p);
    let presence = fifo_presence(&p);
    let (tx, rx) = std::sync::mpsc::channel();
    let rp = p.clone();
    let reader = std::thread::spawn(move || {
        let mut r = std::fs::File::open(&rp).unwrap();
        let mut buf = vec![0u8; 5000];
        r.read_exact(&mut buf).unwrap();
        // The printer is switched off after 5,000 bytes.
        drop(r);
        drop(presence);
        tx.send(()).unwrap();
    });
    // Larger than the pipe buffer, so the writer is still going when the
    // reader goes away.
    let data = job(1_000_000);
    let e = send(&Target::Device(p.clone()), &data, 4096).unwrap_err();
    reader.join().unwrap();
    rx.recv().unwrap();
    assert_eq!(e.code(), "print.interrupted", "{e}");
    assert!(e.is_retryable());
    match e {
        print::PrintError::Interrupted { written, total, .. } => {
            assert!(written >= 5000 && written < total, "{written}/{total}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn serial_through_a_pty_pair() {
    let (mut master, slave) = serialport::TTYPort::pair().unwrap();
    let path = slave.name().unwrap();
    use serialport::SerialPort;
    master
        .set_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let profile = print::Profile::builtin_by_id("escpos-impact-tmu220").unwrap();
    let doc = print::receipt::layout(
        &print::receipt::sample::bilingual(),
        40,
        print::Lang::Bilingual,
    );
    let data = print::encode::encode(&doc, &profile).unwrap();
    let n = data.len();
    let reader = std::thread::spawn(move || {
        let mut got = vec![0u8; n];
        master.read_exact(&mut got).unwrap();
        // Hand the master back: closing it before the sender's final drain
        // would hang up the line under it.
        (got, master)
    });
    let target = Target::parse(
        &format!("serial:{path}?baud=115200&flow=none"),
        Some(&profile),
    )
    .unwrap();
    let sent = send(&target, &data, profile.transport.chunk_bytes).unwrap();
    assert_eq!(sent.bytes, n);
    let (got, master) = reader.join().unwrap();
    drop(master);
    assert_eq!(got, data);
    // What came out of the wire is still a valid TM-U220 job.
    print::stream::validate(&got, &profile).unwrap();
    drop(slave);
}

#[test]
fn serial_port_that_does_not_exist_is_offline() {
    let e = send(
        &Target::parse("serial:/dev/ttyNOPE9", None).unwrap(),
        b"x",
        1,
    )
    .unwrap_err();
    assert_eq!(e.code(), "print.printer_offline");
}

#[test]
fn file_target_appends_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("printer.bin");
    let t = Target::parse(&format!("file://{}", p.display()), None).unwrap();
    send(&t, b"one", 2).unwrap();
    send(&t, b"two", 2).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"onetwo");
}

/// An ESC/POS printer double on TCP that answers DLE EOT 4 with `status`,
/// then keeps whatever job follows.
fn status_printer(status: u8) -> (String, std::thread::JoinHandle<Vec<u8>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut q = [0u8; 3];
        s.read_exact(&mut q).unwrap();
        assert_eq!(q, print::transport::DLE_EOT_PAPER);
        use std::io::Write;
        s.write_all(&[status]).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).ok();
        rest
    });
    (addr, h)
}

#[test]
fn escpos_printer_reporting_paper_out_is_not_printed_into() {
    let p = print::Profile::builtin_by_id("escpos-thermal-80").unwrap();
    let job = print::encode::encode(&print::receipt::test_page(&p), &p).unwrap();
    // Paper end (bits 5 and 6): refused before a byte of the job is sent.
    let (addr, h) = status_printer(0x12 | 0x60);
    let e = print::transport::send_job(&Target::Tcp { addr }, &job, &p).unwrap_err();
    assert_eq!(e.code(), "print.paper_out");
    assert!(e.is_retryable());
    assert!(h.join().unwrap().is_empty());
    // Paper present: the job follows the status query.
    let (addr, h) = status_printer(0x12);
    print::transport::send_job(&Target::Tcp { addr }, &job, &p).unwrap();
    assert_eq!(h.join().unwrap(), job);
}

#[test]
fn serial_escpos_printer_is_asked_for_paper_first() {
    use serialport::SerialPort;
    let p = print::Profile::builtin_by_id("escpos-impact-tmu220").unwrap();
    let job = print::encode::encode(&print::receipt::test_page(&p), &p).unwrap();
    for (status, prints) in [(0x12u8 | 0x60, false), (0x12, true)] {
        let (mut master, slave) = serialport::TTYPort::pair().unwrap();
        let path = slave.name().unwrap();
        master
            .set_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let n = job.len();
        let printer = std::thread::spawn(move || {
            let mut q = [0u8; 3];
            master.read_exact(&mut q).unwrap();
            assert_eq!(q, print::transport::DLE_EOT_PAPER);
            std::io::Write::write_all(&mut master, &[status]).unwrap();
            let mut got = vec![0u8; if prints { n } else { 0 }];
            master.read_exact(&mut got).unwrap();
            (got, master)
        });
        let target = Target::parse(&format!("serial:{path}?flow=none"), Some(&p)).unwrap();
        let r = print::transport::send_job(&target, &job, &p);
        let (got, master) = printer.join().unwrap();
        drop(master);
        if prints {
            r.unwrap();
            assert_eq!(got, job);
        } else {
            assert_eq!(r.unwrap_err().code(), "print.paper_out");
        }
        drop(slave);
    }
}

/// A file printer's output is a receipt (names, consumer numbers,
/// amounts): created 0600, an older wide one narrowed, appended to.
#[cfg(unix)]
#[test]
fn a_file_printer_writes_a_file_only_the_kiosk_user_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("receipts.prn");
    let target = Target::parse(&format!("file:{}", p.display()), None).unwrap();
    send(&target, &job(100), 64).unwrap();
    assert_eq!(mode(&p), 0o600);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    send(&target, &job(50), 64).unwrap();
    assert_eq!(mode(&p), 0o600);
    assert_eq!(std::fs::read(&p).unwrap().len(), 102 + 52);
}
