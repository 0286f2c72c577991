//! A login flood must not stall sync or the health check: password hashes
//! run on a bounded pool, and past its queue logins are refused at once.

mod common;
use common::*;
use reqwest::StatusCode;
use server::auth::HashPool;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_leaves_sync_and_health_fast() {
    // One hashing thread and a short queue: the flood below overfills it.
    HashPool::configure(1, 6);
    let h = H::new(Backend::Postgres).await;
    let dev = h.register("k1001-h", 1).await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let flood = (0..48).map(|i| {
        let url = h.url("/v1/auth/login");
        let done = done.clone();
        tokio::spawn(async move {
            // Each from its own address: this is not about the per-address limit.
            let r = reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 3, 1 + i as u8]))
                .build()
                .unwrap()
                .post(url)
                .json(
                    &serde_json::json!({"login": format!("stranger{i}"), "password": "Guess@1234"}),
                )
                .send()
                .await
                .unwrap();
            let st = r.status();
            let v: serde_json::Value = r.json().await.unwrap();
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (st, v["code"].as_str().unwrap_or("").to_string())
        })
    });
    let flood: Vec<_> = flood.collect();
    // Wait (bounded) until the server has answered part of the flood.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while done.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(std::time::Instant::now() < deadline, "no login answered");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // Mid-flood, health and a signed pull answer at once...
    let t = std::time::Instant::now();
    let r = h.http.get(h.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let health = t.elapsed();
    let t = std::time::Instant::now();
    let p = h.pull(&dev, protocol::Cursor::default(), 10).await;
    let pull = t.elapsed();
    assert!(!p.ledger.is_empty());
    // ...while the flood is still being hashed.
    assert!(
        done.load(std::sync::atomic::Ordering::SeqCst) < 48 && HashPool::get().in_use() > 0,
        "the flood ended before the probes"
    );
    assert!(
        health < std::time::Duration::from_millis(1000)
            && pull < std::time::Duration::from_millis(2000),
        "health {health:?}, pull {pull:?} under a login flood"
    );
    let mut busy = 0;
    let mut wrong = 0;
    for f in flood {
        match f.await.unwrap() {
            (StatusCode::SERVICE_UNAVAILABLE, c) if c == "request.busy" => busy += 1,
            (StatusCode::UNAUTHORIZED, c) if c == protocol::codes::AUTH_BAD_CREDENTIALS => {
                wrong += 1
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(busy + wrong, 48);
    assert!(busy > 0, "the queue is bounded");
    assert!(wrong >= 7, "the queued ones were checked");
    h.finish().await;
}
