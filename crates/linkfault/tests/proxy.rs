//! The proxy against real loopback sockets. Timing checks use generous
//! bounds; synchronisation is by socket events with time-outs only.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use linkfault::{Faults, LinkFault, Profile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(10);

/// An echo server on loopback.
async fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A server that reports what each connection received and how it ended.
async fn sink_server() -> (
    SocketAddr,
    mpsc::UnboundedReceiver<(usize, Option<ErrorKind>)>,
) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut total = 0;
                let mut buf = vec![0u8; 65536];
                let end = loop {
                    match s.read(&mut buf).await {
                        Ok(0) => break None,
                        Ok(n) => total += n,
                        Err(e) => break Some(e.kind()),
                    }
                };
                let _ = tx.send((total, end));
            });
        }
    });
    (addr, rx)
}

async fn round_trip(s: &mut TcpStream, n: usize) -> Duration {
    let data = vec![7u8; n];
    let start = Instant::now();
    s.write_all(&data).await.unwrap();
    let mut back = vec![0u8; n];
    timeout(T, s.read_exact(&mut back))
        .await
        .expect("echo within time-out")
        .unwrap();
    assert_eq!(back, data);
    start.elapsed()
}

#[tokio::test]
async fn clean_link_passes_bytes_and_counts_them_per_direction() {
    let up = echo_server().await;
    let proxy = LinkFault::start(up, Faults::clean()).await.unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    round_trip(&mut s, 1234).await;
    round_trip(&mut s, 766).await;
    let c = proxy.handle().counters();
    assert_eq!(c.up_bytes, 2000);
    assert_eq!(c.down_bytes, 2000);
    assert_eq!(c.connections, 1);
    assert_eq!(c.resets, 0);
    proxy.handle().reset_counters();
    assert_eq!(proxy.handle().counters().up_bytes, 0);
}

#[tokio::test]
async fn latency_is_added_each_way_and_can_be_switched_on_a_live_connection() {
    let up = echo_server().await;
    let proxy = LinkFault::start(up, Faults::clean()).await.unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    let fast = round_trip(&mut s, 10).await;
    assert!(
        fast < Duration::from_millis(150),
        "clean round trip took {fast:?}"
    );

    proxy.handle().update(|f| {
        f.latency = Duration::from_millis(200);
        f.jitter = Duration::from_millis(20);
    });
    let slow = round_trip(&mut s, 10).await;
    // 200 ms each way, jitter ±20 ms: at least 360 ms.
    assert!(
        slow >= Duration::from_millis(360),
        "round trip with latency took {slow:?}"
    );
    assert!(
        slow < Duration::from_millis(2000),
        "round trip with latency took {slow:?}"
    );

    proxy.handle().set(Faults::clean());
    let again = round_trip(&mut s, 10).await;
    assert!(
        again < Duration::from_millis(150),
        "after switching back: {again:?}"
    );
}

#[tokio::test]
async fn bandwidth_is_limited_per_direction_within_tolerance() {
    let (up, mut ends) = sink_server().await;
    // 80 kbps up = 10,000 bytes/s: 20,000 bytes take about 2 s.
    let proxy = LinkFault::start(
        up,
        Faults {
            up_bps: Some(80_000),
            down_bps: None,
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    let start = Instant::now();
    s.write_all(&vec![1u8; 20_000]).await.unwrap();
    s.shutdown().await.unwrap();
    let (got, end) = timeout(T, ends.recv()).await.unwrap().unwrap();
    let took = start.elapsed();
    assert_eq!((got, end), (20_000, None));
    let rate = got as f64 * 8.0 / took.as_secs_f64();
    assert!(
        (48_000.0..=88_000.0).contains(&rate),
        "measured {rate:.0} bps over {took:?}, want at most 80 kbps + 10 % (and not far below: a loaded machine only slows it)"
    );
    assert_eq!(proxy.handle().counters().up_bytes, 20_000);
}

#[tokio::test]
async fn downstream_limit_does_not_slow_upstream() {
    let up = echo_server().await;
    // Down is slow (40 kbps = 5,000 B/s), up is free: 5,000 echoed bytes take ~1 s.
    let proxy = LinkFault::start(
        up,
        Faults {
            down_bps: Some(40_000),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    let took = round_trip(&mut s, 5_000).await;
    assert!(
        took >= Duration::from_millis(800),
        "down limit not applied: {took:?}"
    );
    assert!(
        took < Duration::from_millis(2500),
        "down limit too slow: {took:?}"
    );
}

#[tokio::test]
async fn cut_after_n_bytes_really_cuts() {
    let (up, mut ends) = sink_server().await;
    let proxy = LinkFault::start(
        up,
        Faults {
            cut_after: Some(1000),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    // The write may or may not see the reset; the read must.
    let _ = s.write_all(&vec![3u8; 5000]).await;
    let (got, end) = timeout(T, ends.recv()).await.unwrap().unwrap();
    assert_eq!(got, 1000, "server got exactly the bytes before the cut");
    assert_eq!(
        end,
        Some(ErrorKind::ConnectionReset),
        "server side sees a reset, not a close"
    );
    let mut b = [0u8; 16];
    let r = timeout(T, s.read(&mut b)).await.unwrap();
    assert!(
        matches!(&r, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "client sees a reset: {r:?}"
    );
    let c = proxy.handle().counters();
    assert_eq!((c.up_bytes, c.cuts, c.resets), (1000, 1, 1));
}

#[tokio::test]
async fn reset_all_resets_live_connections_and_new_ones_work() {
    let up = echo_server().await;
    let proxy = LinkFault::start(up, Faults::clean()).await.unwrap();
    let mut a = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut b = TcpStream::connect(proxy.addr()).await.unwrap();
    round_trip(&mut a, 10).await;
    round_trip(&mut b, 10).await;
    proxy.handle().reset_all();
    for s in [&mut a, &mut b] {
        let mut buf = [0u8; 8];
        let r = timeout(T, s.read(&mut buf)).await.unwrap();
        assert!(
            matches!(&r, Err(e) if e.kind() == ErrorKind::ConnectionReset),
            "{r:?}"
        );
    }
    let mut c = TcpStream::connect(proxy.addr()).await.unwrap();
    round_trip(&mut c, 10).await;
    assert_eq!(proxy.handle().counters().resets, 2);
}

#[tokio::test]
async fn periodic_resets_happen_within_their_interval() {
    let up = echo_server().await;
    let proxy = LinkFault::start(
        up,
        Faults {
            reset_every: Some((Duration::from_millis(100), Duration::from_millis(200))),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    round_trip(&mut s, 10).await;
    let start = Instant::now();
    let mut buf = [0u8; 8];
    let r = timeout(T, s.read(&mut buf)).await.unwrap();
    assert!(
        matches!(&r, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "{r:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn black_hole_times_out_then_heals_on_the_same_connection() {
    let up = echo_server().await;
    let proxy = LinkFault::start(up, Faults::clean()).await.unwrap();
    let h = proxy.handle();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    round_trip(&mut s, 10).await;
    h.update(|f| f.blackhole = true);
    h.wait_blocked(true).await;
    s.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    assert!(
        timeout(Duration::from_millis(400), s.read_exact(&mut buf))
            .await
            .is_err(),
        "nothing may pass a black hole"
    );
    // A new connection hangs too.
    let mut fresh = TcpStream::connect(proxy.addr()).await.unwrap();
    fresh.write_all(b"x").await.unwrap();
    let mut one = [0u8; 1];
    assert!(
        timeout(Duration::from_millis(200), fresh.read_exact(&mut one))
            .await
            .is_err()
    );

    h.update(|f| f.blackhole = false);
    timeout(T, s.read_exact(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf, b"hello");
    timeout(T, fresh.read_exact(&mut one))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&one, b"x");
}

#[tokio::test]
async fn refuse_resets_new_connections_at_once() {
    let up = echo_server().await;
    let proxy = LinkFault::start(
        up,
        Faults {
            refuse: true,
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut buf = [0u8; 1];
    let r = timeout(T, s.read(&mut buf)).await.unwrap();
    assert!(
        matches!(&r, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "{r:?}"
    );
}

#[tokio::test]
async fn slow_close_delays_the_fin() {
    // The server writes a greeting and closes at once.
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = l.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        s.write_all(b"bye").await.unwrap();
    });
    let proxy = LinkFault::start(
        up,
        Faults {
            slow_close: Some(Duration::from_millis(400)),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut buf = [0u8; 3];
    timeout(T, s.read_exact(&mut buf)).await.unwrap().unwrap();
    let start = Instant::now();
    let mut rest = Vec::new();
    timeout(T, s.read_to_end(&mut rest)).await.unwrap().unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "FIN came after {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn request_cuts_happen_at_the_configured_rate() {
    let up = echo_server().await;
    let proxy = LinkFault::start(
        up,
        Faults {
            cut_request_probability: 0.5,
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let mut cut = 0;
    for _ in 0..40 {
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        let data = vec![9u8; 300];
        let _ = s.write_all(&data).await;
        let mut back = vec![0u8; 300];
        match timeout(T, s.read_exact(&mut back)).await.unwrap() {
            Ok(_) => assert_eq!(back, data),
            Err(_) => cut += 1,
        }
    }
    // Binomial(40, 0.5): 8..=32 holds with overwhelming probability.
    assert!((8..=32).contains(&cut), "{cut} of 40 cut");
    assert_eq!(proxy.handle().counters().cuts, cut);
}

#[tokio::test]
async fn flapping_alternates_up_and_down() {
    let up = echo_server().await;
    let proxy = LinkFault::start(
        up,
        Faults {
            flap: Some((Duration::from_millis(300), Duration::from_millis(300))),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let h = proxy.handle();
    assert!(!h.is_blocked());
    let t0 = Instant::now();
    timeout(T, h.wait_blocked(true)).await.unwrap();
    let down_at = t0.elapsed();
    timeout(T, h.wait_blocked(false)).await.unwrap();
    let up_at = t0.elapsed();
    assert!(down_at >= Duration::from_millis(250), "{down_at:?}");
    assert!(
        up_at - down_at >= Duration::from_millis(250),
        "{:?}",
        up_at - down_at
    );
}

#[test]
fn profiles_have_the_documented_figures() {
    let g = Profile::Gprs.faults();
    assert_eq!(
        (g.down_bps, g.up_bps, g.latency),
        (Some(50_000), Some(20_000), Duration::from_millis(500))
    );
    let r: Profile = "2g-rural".parse().unwrap();
    let f = r.faults();
    assert_eq!(
        (f.down_bps, f.up_bps, f.latency),
        (Some(20_000), Some(20_000), Duration::from_millis(650))
    );
    assert_eq!(f.cut_request_probability, 0.02);
    assert_eq!(
        f.reset_every,
        Some((Duration::from_secs(20), Duration::from_secs(40)))
    );
    let fl = Profile::Flapping.faults();
    assert_eq!(
        fl.flap,
        Some((Duration::from_secs(30), Duration::from_secs(30)))
    );
    assert!("3g".parse::<Profile>().is_err());
}
