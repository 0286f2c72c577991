//! Laser receipts and reports as PDF, checked by rendering them with
//! poppler's `pdftoppm` (a real PDF reader, not our own code).

use print::Profile;
use print::receipt::{Lang, ReportView, layout, report, sample};
use std::process::Command;

fn render(pdf: &[u8]) -> (Vec<u8>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("doc.pdf");
    std::fs::write(&src, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-r", "50", "-gray"])
        .arg(&src)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm (poppler-utils, scripts/deps/print.apt)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pgm"))
        .collect();
    pages.sort();
    let first = std::fs::read(&pages[0]).unwrap();
    (first, pages.len())
}

/// Dark pixels in a binary PGM.
fn ink(pgm: &[u8]) -> usize {
    // Header: P5\n<w> <h>\n255\n
    let mut nl = 0;
    let start = pgm.iter().position(|b| {
        if *b == b'\n' {
            nl += 1;
        }
        nl == 3
    });
    pgm[start.unwrap() + 1..]
        .iter()
        .filter(|&&p| p < 128)
        .count()
}

#[test]
fn receipt_pdf_a4_and_a5_render_with_text_and_devanagari() {
    for size in ["A4", "A5"] {
        let src = include_str!("../../../printers/pdf-laser.toml")
            .replace("size = \"A4\"", &format!("size = \"{size}\""));
        let p = Profile::from_toml(&src, size).unwrap();
        let en = print::encode::encode(&layout(&sample::english(), 80, Lang::English), &p).unwrap();
        let bi =
            print::encode::encode(&layout(&sample::bilingual(), 80, Lang::Bilingual), &p).unwrap();
        let (en_page, _) = render(&en);
        let (bi_page, _) = render(&bi);
        let (a, b) = (ink(&en_page), ink(&bi_page));
        assert!(a > 1000, "{size}: English page nearly blank ({a})");
        // The Devanagari outlines add ink.
        assert!(b > a + 500, "{size}: bilingual {b} vs English {a}");
        if std::env::var_os("PDF_PREVIEW_DIR").is_some() {
            let d = std::path::PathBuf::from(std::env::var_os("PDF_PREVIEW_DIR").unwrap());
            std::fs::write(d.join(format!("receipt-{size}.pdf")), &bi).unwrap();
        }
    }
}

/// First page as a 1-bit picture (pdftoppm -mono writes PBM).
fn mono_page(pdf: &[u8]) -> print::raster::Bitmap {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("doc.pdf");
    std::fs::write(&src, pdf).unwrap();
    let out = Command::new("pdftoppm")
        .args(["-r", "60", "-mono", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&src)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm");
    assert!(out.status.success());
    let pbm = std::fs::read(dir.path().join("page.pbm")).unwrap();
    // P4\n<w> <h>\n<packed rows>
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 3 {
        while pbm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pbm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(pbm[start..i].to_vec()).unwrap());
    }
    i += 1;
    assert_eq!(fields[0], "P4");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let row = w.div_ceil(8);
    let mut b = print::raster::Bitmap::new(w, h);
    for y in 0..h {
        for x in 0..w {
            if pbm[i + y * row + x / 8] & (0x80 >> (x % 8)) != 0 {
                b.set(x, y);
            }
        }
    }
    b
}

/// The laser profile's goldens: the PDF as poppler draws it. Anti-aliasing
/// may move a few edge dots between poppler builds, so up to 0.5% of the
/// inked dots may differ; a layout change moves far more.
#[test]
fn golden_pngs_of_the_pdf_receipts() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let p = Profile::builtin_by_id("pdf-laser").unwrap();
    for (name, view, lang) in [
        ("english", sample::english(), Lang::English),
        ("bilingual", sample::bilingual(), Lang::Bilingual),
    ] {
        let pdf = print::encode::encode(&layout(&view, 80, lang), &p).unwrap();
        let got = mono_page(&pdf);
        let path = dir.join(format!("pdf-laser-{name}.png"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, got.to_png(1.0)).unwrap();
            continue;
        }
        let want = print::raster::Bitmap::from_png(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!((want.width, want.height), (got.width, got.height), "{name}");
        let diff = want
            .dots
            .iter()
            .zip(&got.dots)
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            diff * 200 <= want.count().max(1),
            "{name}: {diff} of {} dots differ",
            want.count()
        );
    }
}

#[test]
fn long_report_spans_pages() {
    let p = Profile::builtin_by_id("pdf-laser").unwrap();
    let rows: Vec<Vec<String>> = (1..=150)
        .map(|i| {
            vec![
                format!("K10023456-001-{i:07}"),
                "Electricity Bill (JVVNL)".into(),
                format!("2104{i:08}"),
                domain::Paise::new(i * 10_000 + 50).format_plain(),
            ]
        })
        .collect();
    let r = ReportView {
        title: "Transactions report".into(),
        subtitle: "21-11-2026".into(),
        headers: vec![
            "Receipt".into(),
            "Service".into(),
            "Consumer No".into(),
            "Amount".into(),
        ],
        widths: vec![22, 28, 14, 14],
        right_aligned: vec![false, false, false, true],
        rows,
        total: Some(domain::Paise::new(150 * 151 / 2 * 10_000 + 150 * 50)),
    };
    let pdf = print::encode::encode(&report(&r, 80), &p).unwrap();
    let (_, pages) = render(&pdf);
    assert!(
        pages >= 3,
        "150 rows should take several A4 pages, got {pages}"
    );
}
