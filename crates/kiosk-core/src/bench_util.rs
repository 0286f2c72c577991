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
