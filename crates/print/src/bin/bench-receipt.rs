//! `scripts/bench receipt`: lays out and encodes a receipt at each DMP
//! profile's own width (80 columns on 8" carriages, 136 on the wide one,
//! the receipt printers' own), English and bilingual. Figures: the worst
//! profile's mean time per receipt (warm glyph cache, as at a counter after
//! the first receipt of the day), the cold first bilingual receipt, and the
//! bilingual job's size on the 9-pin (`bilingual_bytes`) and 24-pin
//! (`bilingual_bytes_24pin`) generic profiles, the slow serial links' case.

use print::encode::encode;
use print::profile::{Language, Profile};
use print::receipt::{Lang, layout, sample};
use std::time::Instant;

fn mean_ms(iters: u32, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut bytes = f();
    let t = Instant::now();
    for _ in 0..iters {
        bytes = std::hint::black_box(f());
    }
    (t.elapsed().as_secs_f64() * 1000.0 / iters as f64, bytes)
}

fn main() {
    let (en_view, bi_view) = (sample::english(), sample::bilingual());
    let mut per = serde_json::Map::new();
    let (mut en_worst, mut bi_worst, mut bytes_worst, mut cold_worst) = (0f64, 0f64, 0usize, 0f64);
    let (mut bytes_9pin, mut bytes_24pin) = (0usize, 0usize);
    for p in Profile::builtin()
        .into_iter()
        .filter(|p| p.language != Language::Pdf)
    {
        let cols = p.layout_columns();
        // Cold: a bitmap cache miss for this profile's density.
        let t = Instant::now();
        let cold_bytes = encode(&layout(&bi_view, cols, Lang::Bilingual), &p)
            .unwrap()
            .len();
        let cold = t.elapsed().as_secs_f64() * 1000.0;
        let (en, en_bytes) = mean_ms(200, || {
            encode(&layout(&en_view, cols, Lang::English), &p)
                .unwrap()
                .len()
        });
        let (bi, bi_bytes) = mean_ms(200, || {
            encode(&layout(&bi_view, cols, Lang::Bilingual), &p)
                .unwrap()
                .len()
        });
        assert_eq!(cold_bytes, bi_bytes, "the cache must not change the output");
        per.insert(
            p.id.clone(),
            serde_json::json!({
                "columns": cols, "english_ms": en, "english_bytes": en_bytes,
                "bilingual_ms": bi, "bilingual_bytes": bi_bytes, "bilingual_cold_ms": cold,
            }),
        );
        en_worst = en_worst.max(en);
        bi_worst = bi_worst.max(bi);
        cold_worst = cold_worst.max(cold);
        bytes_worst = bytes_worst.max(bi_bytes);
        match p.id.as_str() {
            "escp9-generic" => bytes_9pin = bi_bytes,
            "escp24-generic" => bytes_24pin = bi_bytes,
            _ => {}
        }
    }
    let out = serde_json::json!({
        "english_ms": en_worst,
        "bilingual_ms": bi_worst,
        "bilingual_bytes": bytes_9pin,
        "bilingual_bytes_24pin": bytes_24pin,
        "bilingual_bytes_worst": bytes_worst,
        "bilingual_cold_ms": cold_worst,
        "goals": {
            "english_ms": 1.0, "bilingual_ms": 20.0,
            "bilingual_bytes": 7000, "bilingual_bytes_24pin": 15000,
        },
        "per_profile": per,
    });
    let text = serde_json::to_string_pretty(&out).unwrap();
    match std::env::var_os("BENCH_OUT") {
        Some(path) => std::fs::write(path, &text).expect("write BENCH_OUT"),
        None => println!("{text}"),
    }
}
