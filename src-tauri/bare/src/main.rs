//! An empty Tauri window, built with the same Tauri and profile as the app.

fn main() {
    for (k, v) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        // As the app runs its page and WebKit's processes (see
        // src-tauri/src/main.rs).
        ("JSC_useJIT", "0"),
        ("MALLOC_ARENA_MAX", "2"),
        ("MALLOC_MMAP_THRESHOLD_", "262144"),
    ] {
        if std::env::var_os(k).is_none() {
            // SAFETY: before any other thread starts.
            unsafe { std::env::set_var(k, v) };
        }
    }
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the bare window could not start");
}
