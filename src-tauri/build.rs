fn main() {
    // Declaring the app's commands makes each one need an explicit grant in
    // a capability; without this every window may call every command.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["rpc", "events"])),
    )
    .expect("tauri build script");
}
