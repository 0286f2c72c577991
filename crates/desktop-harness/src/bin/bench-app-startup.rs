//! `app-startup`: launch → the first screen the operator can type into
//! (the login of a registered kiosk, its user field present), for the app
//! and for a bare Tauri window built the same way (the `desktop`
//! profile), in the same run, each launched the same way by tauri-driver. Median of the runs;
//! keys `ms`, `bare_ms`, `ratio`; also `login_to_counter_ms` (Enter on the
//! login → the counter ready, the online login included).

use std::time::Instant;

use desktop_harness::*;

const RUNS: usize = 7;

#[tokio::main]
async fn main() {
    let (app_exe, bare_exe) = build_bench_apps();
    let rig = Rig::new(&app_exe, |_, _| {}).await;
    let bare_data = rig.dir.path().join("bare");
    let bare = Driver::start(&rig.display, &rig.bus, &bare_exe, &bare_data);

    let (mut app_ms, mut bare_ms, mut login_ms) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        // The app.
        let t0 = Instant::now();
        let client = rig.driver.session().await;
        let app = App::from_client(client, &rig.data);
        app.wait_attr(&tid("login-user"), "data-testid", |_| true)
            .await;
        app_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        app.type_in("login-user", OPERATOR.0).await;
        app.type_in("login-password", OPERATOR.1).await;
        let t1 = Instant::now();
        app.keys(key::ENTER).await;
        app.wait_ready().await;
        login_ms.push(t1.elapsed().as_secs_f64() * 1e3);
        app.close().await;
        rig.driver.wait_gone().await;

        // The bare window.
        let t0 = Instant::now();
        let client = bare.session().await;
        let w = App::from_client(client, &bare_data);
        w.wait_attr("#ready", "data-ready", |r| r == "1").await;
        bare_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        w.close().await;
        bare.wait_gone().await;
        eprintln!(
            "run {run}: app {:.0} ms, bare {:.0} ms, login→counter {:.0} ms",
            app_ms[run], bare_ms[run], login_ms[run]
        );
    }
    let ms = percentile(&app_ms, 50.0);
    let bare_med = percentile(&bare_ms, 50.0);
    write_results(&serde_json::json!({
        "ms": ms.round(),
        "bare_ms": bare_med.round(),
        "ratio": (ms / bare_med * 100.0).round() / 100.0,
        "login_to_counter_ms": percentile(&login_ms, 50.0).round(),
        "runs": RUNS,
        "app_runs_ms": app_ms.iter().map(|v| v.round()).collect::<Vec<_>>(),
        "bare_runs_ms": bare_ms.iter().map(|v| v.round()).collect::<Vec<_>>(),
        "profile": "desktop",
    }))
    .unwrap();
}
