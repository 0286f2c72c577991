//! `app-memory`: PSS of all the app's processes (the Rust host, WebKit's
//! web and network processes) after a scripted session of 200 keyboard
//! payments with receipts printed, and of a bare Tauri window built the
//! same way (the `desktop` profile, as it ships), launched the same way,
//! in the same run. Keys `pss_mib`, `bare_pss_mib`, `ratio`; also
//! `app_processes` (MiB each).
//! Both are read once settled (idle until PSS stops falling, as between
//! citizens), `pss_mib_at_end` right after the last payment; the page's
//! own counts (elements, IPC callbacks, canvases) show nothing piles up.
//! `--payments N` runs a longer session (growth that levels off is the
//! engine warming, growth that goes on is a leak).

use desktop_harness::*;

const PAYMENTS: usize = 200;

/// PSS every 2 s while the app sits idle, until three readings in a row
/// are within 1 MiB of each other (at most 40 s): what the app keeps once
/// its collectors have run, as between citizens at a counter.
async fn settled_mib(pids: &[i32]) -> (f64, Vec<f64>) {
    let mut trace = vec![pss_mib(pids)];
    while trace.len() < 21 {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        trace.push(pss_mib(pids));
        if let [a, b, c] = trace[trace.len().saturating_sub(3)..]
            && a.max(b).max(c) - a.min(b).min(c) < 1.0
        {
            break;
        }
    }
    (*trace.last().unwrap(), trace)
}

fn pss_mib(pids: &[i32]) -> f64 {
    pids.iter().map(|p| pss_kib(*p)).sum::<u64>() as f64 / 1024.0
}

/// Each process: its program, PSS and its split, and for the biggest
/// mappings what they are (where the memory goes).
fn per_process(pids: &[i32]) -> Vec<serde_json::Value> {
    pids.iter()
        .map(|p| {
            let top: Vec<_> = top_mappings_kib(*p, 8)
                .into_iter()
                .map(|(what, kib)| serde_json::json!({ "what": what, "kib": kib }))
                .collect();
            serde_json::json!({
                "exe": exe_name(*p),
                "pss_mib": pss_kib(*p) as f64 / 1024.0,
                "split": pss_parts_kib(*p),
                "top": top,
            })
        })
        .collect()
}

/// What the page holds that could grow with each payment: its DOM
/// elements, the IPC callbacks waiting, the timing entries kept.
async fn page_counts(app: &App) -> serde_json::Value {
    app.eval(
        "return { elements: document.getElementsByTagName('*').length, \
         callbacks: (window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.callbacks) ? window.__TAURI_INTERNALS__.callbacks.size : -1, \
         timing_entries: performance.getEntries().length, \
         canvases: document.getElementsByTagName('canvas').length }",
    )
    .await
}

#[tokio::main]
async fn main() {
    // `--payments N` for a shorter or longer session (default 200).
    let args: Vec<String> = std::env::args().collect();
    let payments = args
        .iter()
        .position(|a| a == "--payments")
        .and_then(|i| args.get(i + 1))
        .map_or(PAYMENTS, |n| n.parse().expect("--payments N"));
    let (app_exe, bare_exe) = build_bench_apps();
    let rig = Rig::new(&app_exe, |_, _| {}).await;
    let app = rig.counter().await;
    // Before any payment: what the session adds shows against it.
    let start_pids = rig.driver.app_pids();
    let at_counter_mib = pss_mib(&start_pids);
    let at_counter = per_process(&start_pids);
    let page_at_counter = page_counts(&app).await;
    for i in 0..payments {
        pay_typed_bill(&app, &rig.sink, i).await;
        if i % 20 == 19 {
            eprintln!("{} payments", i + 1);
        }
    }
    // Every payment at the centre: the session is over.
    pending_is(&app, 0).await;
    let page_at_end = page_counts(&app).await;
    let pids = rig.driver.app_pids();
    let at_end_mib = pss_mib(&pids);
    let (app_mib, app_trace) = settled_mib(&pids).await;
    let per = per_process(&pids);
    app.close().await;
    rig.driver.wait_gone().await;

    let bare_data = rig.dir.path().join("bare");
    let bare = Driver::start(&rig.display, &rig.bus, &bare_exe, &bare_data);
    let w = App::from_client(bare.session().await, &bare_data);
    w.wait_attr("#ready", "data-ready", |r| r == "1").await;
    let bare_pids = bare.app_pids();
    let (bare_mib, bare_trace) = settled_mib(&bare_pids).await;
    let bare_per = per_process(&bare_pids);
    w.close().await;
    bare.wait_gone().await;

    write_results(&serde_json::json!({
        "pss_mib": (app_mib * 10.0).round() / 10.0,
        "bare_pss_mib": (bare_mib * 10.0).round() / 10.0,
        "ratio": (app_mib / bare_mib * 100.0).round() / 100.0,
        "payments": payments,
        "pss_mib_at_end": (at_end_mib * 10.0).round() / 10.0,
        "settle_trace_mib": app_trace,
        "bare_settle_trace_mib": bare_trace,
        "receipts_printed": rig.sink.len(),
        "app_processes": per,
        "at_counter_pss_mib": (at_counter_mib * 10.0).round() / 10.0,
        "at_counter_processes": at_counter,
        "bare_processes": bare_per,
        "profile": "desktop",
        "page_at_counter": page_at_counter,
        "page_at_end": page_at_end,
    }))
    .unwrap();
}
