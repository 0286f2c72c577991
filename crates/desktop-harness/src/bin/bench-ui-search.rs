//! `ui-search`: keystroke → results rendered and laid out, in the real app
//! (the `desktop` profile), over a catalogue of 250 services (the sample's 11 and 239
//! municipal services of 30 cities, each named in English and Hindi),
//! loaded at the centre before the kiosk registers. Measured in the window
//! (`window.__kioskPerf.search`: the input event to the results laid out).
//! Key `p99_ms` (also `p50_ms`, `keystrokes`, `services`).

use std::path::Path;

use desktop_harness::*;

const CITIES: &[(&str, &str)] = &[
    ("AJMER", "अजमेर"),
    ("ALWAR", "अलवर"),
    ("BANSWARA", "बांसवाड़ा"),
    ("BARAN", "बारां"),
    ("BARMER", "बाड़मेर"),
    ("BHARATPUR", "भरतपुर"),
    ("BHILWARA", "भीलवाड़ा"),
    ("BIKANER", "बीकानेर"),
    ("BUNDI", "बूंदी"),
    ("CHITTORGARH", "चित्तौड़गढ़"),
    ("CHURU", "चूरू"),
    ("DAUSA", "दौसा"),
    ("DHOLPUR", "धौलपुर"),
    ("DUNGARPUR", "डूंगरपुर"),
    ("HANUMANGARH", "हनुमानगढ़"),
    ("JAISALMER", "जैसलमेर"),
    ("JALORE", "जालोर"),
    ("JHALAWAR", "झालावाड़"),
    ("JHUNJHUNU", "झुंझुनूं"),
    ("JODHPUR", "जोधपुर"),
    ("KARAULI", "करौली"),
    ("KOTA", "कोटा"),
    ("NAGAUR", "नागौर"),
    ("PALI", "पाली"),
    ("RAJSAMAND", "राजसमंद"),
    ("SIKAR", "सीकर"),
    ("SIROHI", "सिरोही"),
    ("TONK", "टोंक"),
    ("UDAIPUR", "उदयपुर"),
    ("SAWAIMADHOPUR", "सवाई माधोपुर"),
];
const KINDS: &[(&str, &str, &str)] = &[
    ("UDTAX", "Urban development tax", "नगरीय विकास कर"),
    ("WATER", "Water connection charges", "जल कनेक्शन शुल्क"),
    ("TRADE", "Trade licence fee", "व्यापार अनुज्ञा शुल्क"),
    ("SEWER", "Sewerage charges", "सीवरेज शुल्क"),
    ("LEASE", "Lease rent", "लीज़ किराया"),
    ("HOARD", "Hoarding fee", "होर्डिंग शुल्क"),
    ("FIRE", "Fire NOC fee", "अग्नि एनओसी शुल्क"),
    ("MARR", "Marriage registration fee", "विवाह पंजीकरण शुल्क"),
];
const TOTAL: usize = 250;

fn city_name(c: &str) -> String {
    let mut s = c[..1].to_string();
    s.push_str(&c[1..].to_lowercase());
    s
}

/// The sample catalogue with municipal services added up to 250.
fn big_catalogue(root: &Path, out: &Path) {
    let sample = std::fs::read_to_string(root.join("data/catalogue.sample.toml")).unwrap();
    let have = sample.matches("[[service]]").count();
    let mut text = sample.replacen("version = 1", "version = 2", 1);
    let mut n = have;
    'all: for (code, hi) in CITIES {
        for (kind, en, kind_hi) in KINDS {
            if n >= TOTAL {
                break 'all;
            }
            text.push_str(&format!(
                "\n[[service]]\ncode = \"LSG-{code}-{kind}\"\ndepartment = \"LSG\"\n\
                 category_en = \"Municipal\"\ncategory_hi = \"नगर निकाय\"\n\
                 name_en = \"{en} ({city})\"\nname_hi = \"{kind_hi} ({hi})\"\n\
                 state_rate = 2000\ncharge = 1000\ncommission = 800\n\
                 consumer_label_en = \"Property ID\"\nconsumer_label_hi = \"संपत्ति आईडी\"\n\
                 consumer_pattern = \"[A-Z]{{2}}[0-9]{{6,10}}\"\n\
                 bill_fetch_required = false\noffline_allowed = true\n",
                city = city_name(code),
            ));
            n += 1;
        }
    }
    assert_eq!(n, TOTAL);
    std::fs::write(out, text).unwrap();
}

/// What operators type: codes, English and Hindi names in Latin letters.
const QUERIES: &[&str] = &[
    "jvvnl", "bijli", "pani", "jaipur", "ajmer", "water", "trade", "udaipur", "bsnl", "gas",
    "kota", "sewer", "lease", "phed", "fire", "airtel", "jodhpur", "marriage", "hoarding",
    "bikaner", "tax", "avvnl", "sikar", "postpaid", "alwar",
];

#[tokio::main]
async fn main() {
    let (app_exe, _) = build_bench_apps();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rig = Rig::new(&app_exe, |centre, dir| {
        let file = dir.join("catalogue-250.toml");
        big_catalogue(&root, &file);
        centre
            .admin(&["load-catalogue", file.to_str().unwrap()])
            .unwrap();
    })
    .await;
    let app = rig.counter().await;
    // The kiosk has the big catalogue: a generated city is found.
    app.keys(key::F2).await;
    app.keys("sawai").await;
    app.wait_attr(&tid("service-result"), "data-code", |c| {
        c.starts_with("LSG-SAWAIMADHOPUR")
    })
    .await;
    app.eval("window.__kioskPerf.search.length = 0; return null")
        .await;
    let mut keystrokes = 0;
    for _ in 0..2 {
        for q in QUERIES {
            // F2 selects the search text: the first letter replaces it.
            app.keys(key::F2).await;
            for ch in q.chars() {
                app.keys(&ch.to_string()).await;
                keystrokes += 1;
            }
        }
    }
    let v = app.eval("return window.__kioskPerf.search.slice()").await;
    let ms: Vec<f64> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_f64())
        .collect();
    assert_eq!(ms.len(), keystrokes, "every keystroke was measured");
    app.close().await;
    write_results(&serde_json::json!({
        "p99_ms": (percentile(&ms, 99.0) * 100.0).round() / 100.0,
        "p50_ms": (percentile(&ms, 50.0) * 100.0).round() / 100.0,
        "max_ms": (percentile(&ms, 100.0) * 100.0).round() / 100.0,
        "keystrokes": keystrokes,
        "services": TOTAL,
        "profile": "desktop",
    }))
    .unwrap();
}
