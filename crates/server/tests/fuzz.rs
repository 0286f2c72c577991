//! Arbitrary bytes against the sync body decoder and the JSON and sync
//! endpoints: never a panic, never a 500, always a stable error code, and
//! nothing changed. Brief here (256 cases each); a soak is the same test
//! with more cases: `PROPTEST_CASES=100000 cargo nextest run -p server --test fuzz`.

mod common;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        // JSON-looking text: the parser's edges rather than random noise.
        "[{}\\[\\]\":,a-z0-9 \\\\\u{0}-\u{1f}\u{900}-\u{97f}]{0,200}".prop_map(|s| s.into_bytes()),
        (".{0,40}", ".{0,40}").prop_map(|(l, p)| {
            serde_json::to_vec(&serde_json::json!({"login": l, "password": p})).unwrap()
        }),
        // A real push body, cut and flipped.
        (0usize..400, any::<u8>(), 0usize..400).prop_map(|(cut, x, at)| {
            let mut d = Dev::new(
                uuid::Uuid::nil(),
                ed25519_dalek::SigningKey::from_bytes(&[1; 32]),
                "K1001",
            );
            d.append(protocol::EntryKind::UserChange, vec![1, 2, 3]);
            let mut b = protocol::encode_body(&d.rest(0));
            if !b.is_empty() {
                let i = at % b.len();
                b[i] ^= x;
            }
            b.truncate(cut.max(1));
            b
        }),
    ]
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn the_sync_decoder_takes_any_bytes() {
    runner()
        .run(&bodies(), |b| {
            let _ = protocol::decode_body::<protocol::PushRequest>(&b);
            let _ = protocol::decode_body::<protocol::PullRequest>(&b);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_endpoints_take_any_bytes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = rt.block_on(H::with_state(Backend::Sqlite, |s| {
        // The limits are not what this is about.
        s.limiter = server::api::RateLimiter::new(1e9, 1e9);
        s.addr_failures = server::api::RateLimiter::new(1e9, 1e9);
    }));
    let token = rt.block_on(h.login("k1001-h", HOLDER_PW));
    let dev = rt.block_on(h.register("k1001-h", 1));
    let before = rt.block_on(h.store.fingerprint()).unwrap();
    assert!(!before.is_empty());
    runner()
        .run(&(bodies(), 0usize..5), |(b, which)| {
            let (path, signed) = [
                ("/v1/auth/login", false),
                ("/v1/users", false),
                ("/v1/tickets", false),
                ("/v1/sync/push", true),
                ("/v1/sync/pull", true),
            ][which];
            let (st, body) = rt.block_on(async {
                let mut r = h.http.post(h.url(path));
                if signed {
                    let sig = protocol::wire::sign_request(&dev.key, dev.id, "POST", path, &b);
                    r = r
                        .header(protocol::wire::HEADER_DEVICE, dev.id.to_string())
                        .header(protocol::wire::HEADER_SIGNATURE, sig);
                } else if path != "/v1/auth/login" {
                    r = r.bearer_auth(&token);
                }
                let resp = r.body(b.clone()).send().await.unwrap();
                (resp.status(), resp.bytes().await.unwrap())
            });
            prop_assert!(st.as_u16() < 500, "{path}: {st} {body:?}");
            if !st.is_success() {
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| TestCaseError::fail(format!("{path}: {st}: not JSON: {e}")))?;
                prop_assert!(
                    v["code"].as_str().is_some_and(|c| !c.is_empty()),
                    "{path}: {v}"
                );
            }
            Ok(())
        })
        .unwrap();
    // Arbitrary bytes made nothing: no user, ticket, entry or money moved
    // (a body that happened to be a valid user or ticket would, and then the
    // fingerprint says so).
    // A signed batch whose chain does not match is a tamper alert by
    // design (the device's own key signed it); that is the one trace.
    let strip = |f: Vec<(String, i64)>| {
        f.into_iter()
            .filter(|(k, _)| k != "tamper_alerts")
            .collect::<Vec<_>>()
    };
    let after = rt.block_on(h.store.fingerprint()).unwrap();
    assert_eq!(strip(before), strip(after));
    rt.block_on(h.finish());
}
