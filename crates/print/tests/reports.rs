//! The printed day report on every profile and width: every cell of every
//! row reaches the paper (wrapped, never cut), inside the margins; golden
//! PNGs of it from the virtual printer (UPDATE_GOLDEN=1 rewrites them).

use print::encode::encode;
use print::profile::{Language, Profile};
use print::receipt::{ReportView, report, sample};
use print::stream::{Op, parse, validate};
use std::collections::HashMap;

/// The widths a report is printed at on a profile: receipt printers their
/// own pitches, carriages their default and 136 (condensed or wide).
fn widths(p: &Profile) -> Vec<u16> {
    match p.language {
        Language::Escpos => p.columns.values().copied().collect(),
        Language::Text | Language::Pdf => vec![p.default_columns()],
        _ => {
            let mut v = vec![p.default_columns(), 136];
            v.dedup();
            v
        }
    }
}

/// The characters a stream prints, a line break at each CR/LF.
fn printed_text(bytes: &[u8], p: &Profile) -> String {
    if p.language == Language::Pdf {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut s = Vec::new();
    for (_, op) in parse(bytes, p.language).unwrap() {
        match op {
            Op::Text(t) => s.extend(t),
            Op::Cr | Op::Lf | Op::FeedLines(_) => s.push(b'\n'),
            Op::HeadTo(_) => s.push(b' '),
            _ => {}
        }
    }
    String::from_utf8(s).unwrap()
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '-' | '/'))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

/// Every word of every cell is on the paper, as often as the view has it
/// (a long code may break after a '-' or '/', so those split words here).
fn assert_nothing_lost(r: &ReportView, text: &str, what: &str) {
    let mut have: HashMap<String, usize> = HashMap::new();
    for w in words(text) {
        *have.entry(w).or_default() += 1;
    }
    let mut want: HashMap<String, usize> = HashMap::new();
    for w in r.rows.iter().flatten().flat_map(|c| words(c)) {
        *want.entry(w).or_default() += 1;
    }
    for (w, n) in want {
        let got = have.get(&w).copied().unwrap_or(0);
        assert!(
            got >= n,
            "{what}: {w:?} printed {got} times, wanted {n}\n{text}"
        );
    }
}

#[test]
fn the_day_report_keeps_every_cell_on_every_profile_and_width() {
    let r = sample::day_report();
    let mut checked = 0;
    for p in Profile::builtin() {
        for w in widths(&p) {
            let bytes = encode(&report(&r, w), &p).unwrap();
            let what = format!("{} at {w}", p.id);
            if p.language != Language::Pdf {
                validate(&bytes, &p).unwrap_or_else(|e| panic!("{what}: {e:#?}"));
            }
            let text = printed_text(&bytes, &p);
            assert_nothing_lost(&r, &text, &what);
            assert!(text.contains("6,874.50"), "{what}: total\n{text}");
            checked += 1;
        }
    }
    assert!(checked >= 13, "{checked}");
}

#[test]
fn a_list_in_one_cell_wraps_between_its_numbers() {
    // As the core lists a multi-bill receipt: services and consumer
    // numbers comma-separated in one cell each.
    let mut r = sample::day_report();
    r.rows = vec![
        [
            "K10023456-001-0000042",
            "10:35",
            "JVVNL-BILL,JVVNL-BILL,PHED-WATER-BILL-JAIPUR",
            "210000000101,210000000102,PHED/JP/99812",
            "pending",
            "5630.00",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in Profile::builtin() {
        for w in widths(&p) {
            let bytes = encode(&report(&r, w), &p).unwrap();
            assert_nothing_lost(&r, &printed_text(&bytes, &p), &format!("{} at {w}", p.id));
        }
    }
}

/// Compares with the committed PNG; UPDATE_GOLDEN=1 rewrites it.
fn check_golden(name: &str, png: &[u8]) {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let path = dir.join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, png).unwrap();
        return;
    }
    let want = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 makes it)", path.display()));
    let (a, b) = (
        print::raster::Bitmap::from_png(&want).unwrap(),
        print::raster::Bitmap::from_png(png).unwrap(),
    );
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "{name}: size changed"
    );
    let diff = a.dots.iter().zip(&b.dots).filter(|(x, y)| x != y).count();
    assert_eq!(
        diff, 0,
        "{name}: {diff} dots differ (look at it, then UPDATE_GOLDEN=1)"
    );
}

#[test]
fn golden_report_pngs_on_every_profile() {
    let r = sample::day_report();
    let mut n = 0;
    for p in Profile::builtin()
        .into_iter()
        .filter(|p| p.language != Language::Pdf)
    {
        let bytes = encode(&report(&r, p.layout_columns()), &p).unwrap();
        let page = print::virtual_printer::render(&bytes, &p).unwrap();
        check_golden(&format!("report-{}.png", p.id), &page.png());
        n += 1;
    }
    // 136 columns condensed on an 8" carriage.
    let p = Profile::builtin_by_id("escp9-generic").unwrap();
    let bytes = encode(&report(&r, 136), &p).unwrap();
    let page = print::virtual_printer::render(&bytes, &p).unwrap();
    check_golden("report-escp9-generic-136.png", &page.png());
    assert_eq!(n, 7);
}
