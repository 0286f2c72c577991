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
    // `ui-search`, `app-startup`). The last two are glibc's, for WebKit's
    // processes, which start from this environment: see `tune_malloc`.
    #[cfg(target_os = "linux")]
    for (k, v) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        ("JSC_useJIT", "0"),
        ("MALLOC_ARENA_MAX", "2"),
        ("MALLOC_MMAP_THRESHOLD_", MMAP_THRESHOLD),
    ] {
        if std::env::var_os(k).is_none() {
            // SAFETY: single-threaded here, before any other thread starts.
            unsafe { std::env::set_var(k, v) };
        }
    }
    tune_malloc();
    kiosk_app::prepare_process();
    kiosk_desktop_lib::run();
}

/// Blocks this big or bigger get pages of their own, handed back when
/// freed. glibc otherwise raises the bar to the biggest block freed so far,
/// and then every receipt's picture (a few MiB: the printer's dots, the
/// preview, the page's canvas) is carved from the heap and kept.
#[cfg(target_os = "linux")]
const MMAP_THRESHOLD: &str = "262144";

/// The same two settings for this process, which read its environment
/// before `main`: two malloc arenas, not eight per core (the host's
/// threads, for sync, printing and the async runtime, each grabbing an
/// arena costs tens of MiB that a kiosk PC with 2-4 GiB does not have), and
/// the fixed threshold above. A value the user set wins here too.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    for (k, param) in [
        ("MALLOC_ARENA_MAX", libc::M_ARENA_MAX),
        ("MALLOC_MMAP_THRESHOLD_", libc::M_MMAP_THRESHOLD),
    ] {
        if let Some(v) = std::env::var(k).ok().and_then(|v| v.parse().ok()) {
            // SAFETY: mallopt only tunes the allocator; before any thread starts.
            unsafe { libc::mallopt(param, v) };
        }
    }
}
