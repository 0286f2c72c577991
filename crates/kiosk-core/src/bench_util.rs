//! Shared bits of the benchmark programs (`src/bin/bench-*.rs`).

use std::path::PathBuf;
use std::time::Duration;

/// Where a benchmark writes its JSON: `$BENCH_OUT`, else
/// `bench-results/<name>.json`.
pub fn out_path(name: &str) -> PathBuf {
    std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("bench-results/{name}.json")))
}

/// A folder on the same disk as the results (not /tmp, which may be a RAM
/// disk where fsync costs nothing), removed on drop.
pub fn work_dir(name: &str) -> tempfile::TempDir {
    let out = out_path(name);
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent).expect("results folder");
    tempfile::Builder::new()
        .prefix(&format!(".bench-{name}-"))
        .tempdir_in(parent)
        .expect("bench work folder")
}

/// The q-quantile (0..=1) of the samples, in milliseconds.
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    assert!(!sorted.is_empty());
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn write_json(name: &str, v: &serde_json::Value) {
    let p = out_path(name);
    if let Some(parent) = p.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).expect("results folder");
    }
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap() + "\n").expect("write results");
    println!("{}", serde_json::to_string_pretty(v).unwrap());
}

/// A generated history of receipts, written straight into the tables (no
/// outbox entries): what years of trade leave in a kiosk's database, for
/// the report benchmarks.
pub struct History<'a> {
    /// Receipt numbers are `<prefix>-<seq:07>`.
    pub receipt_prefix: &'a str,
    /// A login in `operators`.
    pub operator: &'a str,
    pub receipts: u64,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
}

/// Services of the sample catalogue: (code, department, charge, commission).
pub const HISTORY_SERVICES: [(&str, &str, i64, i64); 6] = [
    ("JVVNL-BILL", "JVVNL", 0, 600),
    ("AVVNL-BILL", "AVVNL", 0, 600),
    ("PHED-WATER", "PHED", 500, 500),
    ("BSNL-LANDLINE", "BSNL", 500, 400),
    ("AIRTEL-POSTPAID", "MOBILE", 500, 300),
    ("RSGL-GAS", "GAS", 500, 400),
];

/// A xorshift generator: the same history on every run.
pub struct Rng(pub u64);
impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Writes `h.receipts` receipts (~1.5 bills each; 2 % cancelled, 58 %
/// final, the rest provisional; 5 % by cheque; ~40,000 consumers) evenly
/// spread from `h.start` to `h.end`, with device seqs from 1.
pub fn fill_history(
    tx: &kiosk_store::rusqlite::Transaction<'_>,
    h: &History<'_>,
) -> kiosk_store::rusqlite::Result<()> {
    use kiosk_store::rusqlite::params;
    let step_ms = (h.end - h.start).num_milliseconds() / h.receipts as i64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ins_r = tx.prepare(
        "INSERT INTO receipts (id, receipt_no, device_seq, created_at, operator, mode, mobile,
            line_count, bills_paise, charges_paise, total_paise, commission_paise, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '9876543210', ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut ins_l = tx.prepare(
        "INSERT INTO receipt_lines (receipt_id, line_no, service_code, department, consumer_no,
            bill_paise, charge_paise, commission_paise)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for seq in 1..=h.receipts {
        let at = h.start + chrono::Duration::milliseconds(step_ms * seq as i64);
        let id = uuid::Uuid::from_u128(((at.timestamp_millis() as u128) << 80) | seq as u128)
            .to_string();
        let lines = 1 + (rng.below(4) == 0) as u64 + (rng.below(8) == 0) as u64;
        let (mut bills, mut charges, mut comm) = (0i64, 0i64, 0i64);
        let mut rows = Vec::new();
        for l in 1..=lines {
            let (svc, dept, charge, c) =
                HISTORY_SERVICES[rng.below(HISTORY_SERVICES.len() as u64) as usize];
            // Each consumer recurs monthly-ish.
            let consumer = format!("{:012}", 210_000_000_000 + rng.below(40_000));
            let bill = 5_000 + rng.below(500_000) as i64;
            bills += bill;
            charges += charge;
            comm += c;
            rows.push((l, svc, dept, consumer, bill, charge, c));
        }
        let status = match rng.below(100) {
            0..=1 => "cancelled",
            2..=59 => "final",
            _ => "provisional",
        };
        let mode = if rng.below(20) == 0 {
            "cheque"
        } else {
            "wallet"
        };
        ins_r.execute(params![
            id,
            format!("{}-{seq:07}", h.receipt_prefix),
            seq,
            kiosk_store::ts(at),
            h.operator,
            mode,
            lines,
            bills,
            charges,
            bills + charges,
            comm,
            status
        ])?;
        for (l, svc, dept, consumer, bill, charge, c) in rows {
            ins_l.execute(params![id, l, svc, dept, consumer, bill, charge, c])?;
        }
    }
    Ok(())
}
