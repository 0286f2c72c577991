//! The desktop host: one window, one command (`rpc`, into the kiosk's
//! service layer), one event stream (`kiosk-event` rings, `events` fetches). Everything the app
//! does is in `crates/kiosk-app`; nothing is decided here.

use std::path::PathBuf;
use std::sync::Arc;

use kiosk_app::api::{ApiError, Event};
use kiosk_app::{ErrorCode as _, Service, ServiceConfig};
use tauri::{Emitter, Manager};

/// The kiosk, once opened. It opens on its own thread while the window
/// loads (the page's assets are served from the main thread, which must
/// not wait for the database); a command that comes first waits for it.
struct State(Arc<tokio::sync::SetOnce<Result<Service, ApiError>>>);

#[tauri::command]
async fn rpc(
    state: tauri::State<'_, State>,
    req: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    match state.0.wait().await {
        Ok(svc) => svc.dispatch_json(req).await,
        Err(e) => Err(e.clone()),
    }
}

/// Events wait here for the page to fetch them (`events`); the page is only
/// rung (`kiosk-event`, no payload). Tauri delivers an event by evaluating
/// a script that embeds its payload, and WebKitGTK keeps what it compiles
/// for each distinct script: a day of status events grew the web process
/// by tens of MB. The doorbell's script is always the same.
#[derive(Default)]
struct Mailbox(std::sync::Mutex<std::collections::VecDeque<Event>>);

/// At most this many wait (a page that never fetches them, e.g. before it
/// has loaded, loses the oldest; the page asks for the state when it starts).
const MAILBOX_MAX: usize = 256;

#[tauri::command]
async fn events(mailbox: tauri::State<'_, Arc<Mailbox>>) -> Result<Vec<Event>, ApiError> {
    Ok(std::mem::take(&mut *mailbox.0.lock().unwrap()).into())
}

/// The kiosk's data folder: `EMITRA_DATA_DIR` when set (a portable or
/// multi-counter install), else the platform's app data folder.
fn data_dir(app: &tauri::App) -> PathBuf {
    match std::env::var_os("EMITRA_DATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => app
            .path()
            .app_data_dir()
            .unwrap_or_else(|_| PathBuf::from("emitra-kiosk")),
    }
}

/// A log file per day in `<data>/logs`, the last 14 kept. The service
/// layer logs codes and ids, never a password, token or key.
fn start_logging(dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("kiosk")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir.join("logs"))
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("EMITRA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false),
        )
        .try_init()
        .ok()?;
    Some(guard)
}

/// WebKit's default cache model keeps decoded pages and resources around
/// for a browser's back button; an app of one page served from the binary
/// needs none of it, and the kiosk PC has little memory to spare.
#[cfg(target_os = "linux")]
fn lean_webview(app: &tauri::App) {
    use webkit2gtk::{WebContextExt, WebViewExt};
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.with_webview(|wv| {
            if let Some(ctx) = wv.inner().context() {
                ctx.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
        });
    }
}

pub fn run() {
    let app = tauri::Builder::default()
        // First, so a second launch only focuses the running one.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            }
        }))
        .setup(|app| {
            let dir = data_dir(app);
            if let Some(g) = start_logging(&dir) {
                app.manage(g);
            }
            let handle = app.handle().clone();
            let mailbox = Arc::new(Mailbox::default());
            app.manage(mailbox.clone());
            let sink: kiosk_app::EventSink = Arc::new(move |ev: Event| {
                let ring = {
                    let mut q = mailbox.0.lock().unwrap();
                    if q.len() == MAILBOX_MAX {
                        q.pop_front();
                    }
                    q.push_back(ev);
                    q.len() == 1
                };
                // Rung once per batch: the page takes all that wait.
                if ring {
                    let _ = handle.emit_to("main", "kiosk-event", ());
                }
            });
            #[cfg(target_os = "linux")]
            lean_webview(app);
            let opened = Arc::new(tokio::sync::SetOnce::new());
            app.manage(State(opened.clone()));
            std::thread::Builder::new()
                .name("kiosk-open".into())
                .spawn(move || {
                    let r = Service::open(ServiceConfig::new(dir), sink);
                    match &r {
                        Ok(svc) => tracing::info!(db = %svc.db_path().display(), "kiosk opened"),
                        Err(e) => tracing::error!(code = %e.code(), error = %e, "the kiosk could not open"),
                    }
                    // The screen shows the error's code (app.start_failed).
                    let _ = opened.set(r.map_err(|e| e.to_api()));
                })?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![rpc, events])
        .build(tauri::generate_context!())
        .expect("the app could not start");
    app.run(|app, ev| {
        if let tauri::RunEvent::Exit = ev
            && let Some(s) = app.try_state::<State>()
            && let Some(Ok(svc)) = s.0.get()
        {
            svc.shutdown();
        }
    });
}
