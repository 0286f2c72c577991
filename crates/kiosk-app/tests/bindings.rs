//! The TypeScript bindings in the UI are the ones the Rust types make.

#[test]
fn committed_bindings_are_fresh() {
    let path = format!(
        "{}/../../{}",
        env!("CARGO_MANIFEST_DIR"),
        kiosk_app::bindings::PATH
    );
    let want = kiosk_app::bindings::typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{path} is stale: run `UPDATE_BINDINGS=1 cargo test -p kiosk-app --test bindings` and commit it"
    );
}
