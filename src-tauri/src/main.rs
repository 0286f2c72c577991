// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Set before GTK starts, and only when the user has not chosen
    // otherwise. WebKitGTK draws a blank window under Xvfb and on some GPUs
    // without the first two. The third runs the page's scripts in
    // JavaScriptCore's interpreter: the JIT's compiled code and its
    // compilers' memory cost the web process ~20 MiB after a day's first
    // payments, and this page's work (a search over a few hundred services,
    // a receipt's lines) is as fast without it (benchmarks `app-memory`,
    // `ui-search`, `app-startup`).
    #[cfg(target_os = "linux")]
    for (k, v) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        ("JSC_useJIT", "0"),
    ] {
        if std::env::var_os(k).is_none() {
            // SAFETY: single-threaded here, before any other thread starts.
            unsafe { std::env::set_var(k, v) };
        }
    }
    // Two malloc arenas, not eight per core: the host's threads (sync,
    // printing, the async runtime) each grabbing an arena of their own
    // costs tens of MiB that a kiosk PC with 2-4 GiB does not have.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    kiosk_app::prepare_process();
    kiosk_desktop_lib::run();
}
