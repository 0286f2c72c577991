//! The device key in the real OS keyring (the Linux kernel keyutils store
//! here when no Secret Service answers, as in CI).

use domain::ErrorCode as _;
use kiosk_sync::keys::Keyring;
use uuid::Uuid;

#[test]
fn key_is_made_once_kept_in_the_keyring_and_read_back() {
    kiosk_sync::keys::join_new_session_keyring();
    let device = Uuid::now_v7();
    let ring = Keyring::for_device(device).unwrap();
    assert!(ring.load().unwrap().is_none());
    assert_eq!(ring.require().unwrap_err().code(), "sync.key_missing");
    let made = ring.load_or_create().unwrap();
    // A second handle (as a restarted process would make) finds the same key.
    let again = Keyring::for_device(device)
        .unwrap()
        .load_or_create()
        .unwrap();
    assert_eq!(made.public(), again.public());
    // Debug output shows the public half only.
    let dbg = format!("{made:?}");
    let secret_hex: String = made
        .signing_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!dbg.contains(&secret_hex));
    assert!(dbg.contains(&made.public_hex()));
    // Another device has its own entry.
    let other = Keyring::for_device(Uuid::now_v7()).unwrap();
    assert!(other.load().unwrap().is_none());
    ring.delete().unwrap();
    assert!(ring.load().unwrap().is_none());
}
