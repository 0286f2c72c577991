//! `scripts/bench console-kiosks`: the centre console's kiosk registry with
//! 10,000 kiosks on PostgreSQL, each with a registered device and the
//! health it reported, in eight districts.
//!
//! * `server_p99_ms`: `GET /console/api/kiosks` as the state admin (pages,
//!   a status filter, a district, a search), answered over HTTP.
//! * `p99_ms`: in Debian's Chromium, from asking for a registry page to
//!   its rows on screen (the API call and the render). Goal ≤ 300 ms.
//! * `first_load_kib`: everything the login and the first registry page
//!   move over the wire, compressed (`assets_kib`: the console's own files).
//!   Goal ≤ 300 KiB.

use std::process::Command;
use std::time::Instant;
use sync_bench::cluster::PgSchema;
use sync_bench::*;

const KIOSKS: i64 = 10_000;

fn p(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pg = PgSchema::new()?;
    let dir = tempfile::tempdir()?;
    let centre = CentreProcess::start_on(
        dir.path(),
        "127.0.0.1:0",
        Some(&pg.database("console")),
        "pool_size = 8\n",
    )?;
    let base = centre.url();
    // The demo kiosk is one; the rest are made in bulk, as a state's roll-out.
    let now_ms = chrono_now_ms();
    let districts = "ARRAY['Jaipur','Ajmer','Jodhpur','Kota','Udaipur','Bikaner','Alwar','Sikar']";
    for sql in [
        format!("INSERT INTO kiosks (id, code, district, name, active, cheque_enabled, exp_amount, exp_count, exp_age_secs, wallet_balance, commission_balance, created_ms)
         SELECT gen_random_uuid(), 'RJ' || lpad(i::text, 6, '0'), ({districts})[1 + i % 8], 'e-Mitra kiosk ' || i, i % 97 <> 0, false, 500000, 50, 86400, 0, 0, {now_ms}
         FROM generate_series(1, {}) i", KIOSKS - 1),
        "INSERT INTO users (id, kiosk_id, login, name, role, password_hash, must_change, active, created_ms)
         SELECT gen_random_uuid(), id, lower(code) || '-h', 'Holder ' || code, 'holder', 'x', false, true, created_ms FROM kiosks WHERE code LIKE 'RJ%'".into(),
        "INSERT INTO devices (id, kiosk_id, user_id, device_no, public_key, label, registered_ms, last_hash)
         SELECT gen_random_uuid(), kiosk_id, id, 1, decode(repeat('00', 32), 'hex'), 'Counter PC', created_ms, decode(repeat('00', 32), 'hex') FROM users WHERE login LIKE 'rj%-h'".into(),
        format!("INSERT INTO device_health (device_id, kiosk_id, last_seen_ms, last_sync_ms, outbox_depth, outbox_amount, oldest_pending_ms, app_version, clock_offset_ms)
         SELECT id, kiosk_id, {now_ms} - (random() * 7200000)::bigint, {now_ms} - (random() * 7200000)::bigint, d, d * 45000,
           CASE WHEN d > 0 THEN {now_ms} - (random() * 36000000)::bigint END, '0.1.0', ((random() - 0.5) * 600000)::bigint
         FROM (SELECT id, kiosk_id, (random() * 12)::int AS d FROM devices WHERE label = 'Counter PC') x"),
        "ANALYZE".into(),
    ] {
        pg.query(&sql)?;
    }
    let n = pg.count("SELECT COUNT(*) FROM kiosks")?;
    anyhow::ensure!(n == KIOSKS, "{n} kiosks");
    eprintln!("bench-console-kiosks: {n} kiosks on PostgreSQL, console at {base}/console/");

    // The API alone.
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/console/api/login"))
        .json(&serde_json::json!({"login": "state1", "password": "State@2026"}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "login: {}", r.status());
    let cookie = r.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let queries = [
        "page=1",
        "page=117",
        "page=200",
        "status=stuck",
        "status=offline&page=3",
        "district=Kota",
        "q=rj0042",
        "status=online&district=Ajmer",
    ];
    let mut server_ms = Vec::new();
    // Paced within the console's per-session limit (20 a second): a person
    // paging, not a flood.
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(60));
    for i in 0..300 {
        tick.tick().await;
        let q = queries[i % queries.len()];
        let t = Instant::now();
        let r = http
            .get(format!("{base}/console/api/kiosks?{q}"))
            .header("cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "{q}: {}", r.status());
        let v: serde_json::Value = r.json().await?;
        anyhow::ensure!(v["rows"].is_array(), "{q}: {v}");
        server_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    // In the browser.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../console/scripts/bench-kiosks.mjs");
    let out = Command::new("node")
        .arg(&script)
        .args([
            &base,
            "state1",
            "State@2026",
            "100",
            &(KIOSKS / 50).to_string(),
        ])
        .current_dir(
            script
                .parent()
                .and_then(|p| p.parent())
                .expect("console dir"),
        )
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "the browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut render: Vec<f64> = b["render_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
        .unwrap_or_default();
    anyhow::ensure!(!render.is_empty(), "no render timings");
    let kib = |k: &str| (b[k].as_f64().unwrap_or(0.0) / 1024.0 * 10.0).round() / 10.0;
    write_results(&serde_json::json!({
        "kiosks": n,
        "p99_ms": p(&mut render, 0.99),
        "p50_ms": p(&mut render, 0.50),
        "server_p99_ms": (p(&mut server_ms, 0.99) * 10.0).round() / 10.0,
        "server_p50_ms": (p(&mut server_ms, 0.50) * 10.0).round() / 10.0,
        "first_load_kib": kib("first_load_bytes"),
        "assets_kib": kib("assets_bytes"),
        "goal_p99_ms": 300,
        "goal_first_load_kib": 300,
    }))?;
    drop(centre);
    Ok(())
}

fn chrono_now_ms() -> i64 {
    use domain::Clock;
    domain::SystemClock.now().timestamp_millis()
}
