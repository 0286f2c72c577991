//! Days without a transaction, counted from the kiosk's own ledger and
//! carried in the status the counter receives (its banner warns from day
//! 20 of the 30 after which a ₹1,000 fine applies). The kiosk's clock is a
//! fixed one the test moves on; the centre is a real `kiosk-server`.

mod common;
use common::*;

use std::sync::Arc;

use chrono::Duration;
use domain::{Clock, FixedClock, SystemClock};
use kiosk_app::api::*;
use serde_json::json;

async fn inactivity(k: &Kit) -> InactivityView {
    let st: StatusView = get(&k.svc, json!({"cmd": "status", "args": null})).await;
    st.inactivity.expect("a kiosk that is set up")
}

async fn kit(clock: &Arc<FixedClock>) -> Kit {
    let c = clock.clone();
    Kit::registered(move |cfg| cfg.clock = c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_the_first_transaction_the_days_count_from_set_up() {
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let k = kit(&clock).await;
    let i = inactivity(&k).await;
    assert_eq!(
        (
            i.days,
            i.last_at.clone(),
            i.warn_from_days,
            i.fine_at_days,
            i.fine
        ),
        (0, None, 20, 30, 1_000_00)
    );
    clock.advance(Duration::days(21));
    let i = inactivity(&k).await;
    assert_eq!((i.days, i.last_at), (21, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_starts_the_count_again_and_it_runs_to_the_fine() {
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let mut k = kit(&clock).await;
    // The centre goes first: each answer it gives sets the kiosk's
    // business clock to the centre's own time, which does not move with
    // the test's clock. Seen offline (a round asked for now fails), no
    // exchange is left in flight; the kiosk goes on by the centre's time
    // learnt at registration, carried by the (test's) monotonic clock.
    drop(k.centre.take());
    ok(&k.svc, json!({"cmd": "sync_now", "args": null})).await;
    wait_for(
        &k.events,
        "offline",
        |e| matches!(e, Event::Status(s) if s.sync.state == "offline"),
    );
    clock.advance(Duration::hours(30));
    assert!(inactivity(&k).await.days >= 1);
    // Taken offline (a provisional receipt is a transaction too).
    let paid = pay_wallet(&k.svc, "JP1000001", "340").await;
    assert_eq!(paid.receipt.status, "provisional");
    let i = inactivity(&k).await;
    assert_eq!(i.days, 0);
    let at = chrono::DateTime::parse_from_rfc3339(i.last_at.as_deref().unwrap()).unwrap();
    let made = chrono::DateTime::parse_from_rfc3339(&paid.receipt.created_at).unwrap();
    assert_eq!(at, made);
    // India's calendar days from that receipt's day.
    let day = |t: chrono::DateTime<chrono::Utc>| domain::clock::ist_date(t);
    for (by, _) in [(19, "no warning yet"), (1, "the warning"), (10, "the fine")] {
        clock.advance(Duration::days(by));
        let want = (day(clock.now()) - day(made.to_utc())).num_days();
        assert_eq!(inactivity(&k).await.days, want);
    }
    assert_eq!(inactivity(&k).await.days, 30);
    // The counter is told, not asked: the status pushed carries it (a
    // logout makes one).
    ok(&k.svc, json!({"cmd": "logout", "args": null})).await;
    wait_for(
        &k.events,
        "a status with 30 days",
        |e| matches!(e, Event::Status(s) if s.inactivity.as_ref().is_some_and(|i| i.days == 30)),
    );
}
