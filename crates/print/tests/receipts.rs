//! Encoders against the byte-stream validator, and the virtual printer's
//! pictures against committed golden PNGs (UPDATE_GOLDEN=1 rewrites them).

use print::encode::encode;
use print::profile::{Language, Profile};
use print::receipt::{Lang, layout, sample};
use print::stream::validate;
use print::virtual_printer::render;
use std::path::PathBuf;

fn dmp_profiles() -> Vec<Profile> {
    Profile::builtin()
        .into_iter()
        .filter(|p| p.language != Language::Pdf)
        .collect()
}

/// The layouts each profile prints: receipt printers their own widths,
/// 8" carriages 80 and 136 (condensed), wide carriages 136 (pica).
fn widths(p: &Profile) -> Vec<u16> {
    match p.language {
        Language::Escpos => p.columns.values().copied().collect(),
        Language::Text => vec![p.layout_columns()],
        _ => {
            let mut v = vec![p.layout_columns(), 136];
            v.dedup();
            v
        }
    }
}

#[test]
fn every_profile_every_width_passes_the_validator() {
    let mut checked = 0;
    for p in dmp_profiles() {
        for w in widths(&p) {
            for (name, view, lang) in [
                ("en", sample::english(), Lang::English),
                ("bi", sample::bilingual(), Lang::Bilingual),
            ] {
                let doc = layout(&view, w, lang);
                let bytes = encode(&doc, &p).unwrap();
                let rep =
                    validate(&bytes, &p).unwrap_or_else(|e| panic!("{} {w} {name}: {e:#?}", p.id));
                assert!(
                    rep.lines > 20,
                    "{} {w} {name}: only {} lines",
                    p.id,
                    rep.lines
                );
                if p.language != Language::Text && lang == Lang::Bilingual {
                    assert!(rep.images > 3, "{} {w}: Hindi not sent as images", p.id);
                }
                checked += 1;
            }
        }
    }
    // escp9, escp9-wide, escp24, ibm, tm-u220, thermal, text.
    assert_eq!(checked, 2 * (2 + 1 + 2 + 2 + 2 + 2 + 1));
}

fn escp9() -> Profile {
    Profile::builtin_by_id("escp9-generic").unwrap()
}

#[test]
fn validator_catches_what_it_must() {
    let p = escp9();
    let good = encode(&layout(&sample::english(), 80, Lang::English), &p).unwrap();
    validate(&good, &p).unwrap();
    let fails = |bytes: Vec<u8>, profile: &Profile, what: &str| {
        let e = validate(&bytes, profile).expect_err(what).join("; ");
        assert!(e.contains(what), "expected {what:?} in {e}");
    };
    // A GS byte on an ESC/P printer.
    let mut gs = good.clone();
    gs.splice(5..5, [0x1d, b'!', 0x10]);
    fails(gs, &p, "GS byte");
    // UTF-8 leaking through.
    let mut utf = good.clone();
    let at = utf.windows(5).position(|w| w == b"TOTAL").unwrap();
    utf.splice(at..at, "₹".bytes());
    fails(utf, &p, "outside the pc437 table");
    // A line past the 80-column limit.
    let mut long = good.clone();
    let at = long.windows(2).position(|w| w == b"\r\n").unwrap();
    long.splice(at..at, std::iter::repeat_n(b'x', 81));
    fails(long, &p, "% of the width");
    // Missing initialise.
    fails(good[2..].to_vec(), &p, "initialise");
    // Image data shorter than its header says.
    let bi = encode(&layout(&sample::bilingual(), 80, Lang::Bilingual), &p).unwrap();
    let at = bi.windows(2).position(|w| w == [0x1b, b'*']).unwrap();
    fails(bi[..at + 40].to_vec(), &p, "truncated");
    // 9-pin ESC t 0 is italic, not PC437.
    fails(
        [&[0x1b, b'@', 0x1b, b't', 2][..], b"x"].concat(),
        &p,
        "ESC t 2",
    );
    // A form feed on continuous paper.
    fails([&good[..], &[0x0c]].concat(), &p, "form feed");
    // TM-U220 class: raster images are refused.
    let tmu = Profile::builtin_by_id("escpos-impact-tmu220").unwrap();
    let mut raster = vec![0x1b, b'@'];
    raster.extend_from_slice(&[0x1d, b'v', b'0', 0, 1, 0, 1, 0, 0xff]);
    fails(raster, &tmu, "raster image");
    // 24-dot column images on a 9-pin printer.
    fails(
        vec![0x1b, b'@', 0x1b, b'*', 39, 1, 0, 1, 2, 3],
        &p,
        "ESC * 39",
    );
}

#[test]
fn continuous_paper_ends_with_tear_off_feed_not_form_feed() {
    let p = escp9();
    let bytes = encode(&layout(&sample::english(), 80, Lang::English), &p).unwrap();
    assert!(!bytes.contains(&0x0c));
    assert!(bytes.ends_with(&[b'\n'; 8]));
    // With a page length set, the job sets it and ends on FF.
    let src = include_str!("../../../printers/escp9-generic.toml")
        .replace("page_length_lines = 0", "page_length_lines = 36");
    let paged = Profile::from_toml(&src, "paged").unwrap();
    let bytes = encode(&layout(&sample::english(), 80, Lang::English), &paged).unwrap();
    assert_eq!(*bytes.last().unwrap(), 0x0c);
    assert!(bytes.windows(3).any(|w| w == [0x1b, b'C', 36]));
    validate(&bytes, &paged).unwrap();
}

#[test]
fn text_profile_has_no_commands_and_no_hindi() {
    let p = Profile::builtin_by_id("text-plain").unwrap();
    let bytes = encode(&layout(&sample::bilingual(), 80, Lang::Bilingual), &p).unwrap();
    assert!(
        bytes
            .iter()
            .all(|b| (0x20..0x7f).contains(b) || *b == b'\r' || *b == b'\n')
    );
    let s = String::from_utf8(bytes).unwrap();
    assert!(s.contains("PROVISIONAL"));
    assert!(s.contains("DUPLICATE COPY"));
    assert!(s.lines().all(|l| l.trim_end_matches('\r').len() <= 80));
}

#[test]
fn receipt_content_is_all_there() {
    let p = Profile::builtin_by_id("text-plain").unwrap();
    let s =
        String::from_utf8(encode(&layout(&sample::bilingual(), 80, Lang::Bilingual), &p).unwrap())
            .unwrap();
    for needle in [
        "Shree Ganesh e-Mitra",
        "K10023456",
        "K10023456-001-0000042",
        "21-11-2026 14:05 IST",
        "ramesh.k",
        "Electricity Bill",
        "210412345678",
        "Rs.1,234.50",
        "Rs.10.00",
        "T O T A L",
        "Rupees One Thousand Seven Hundred Five and Fifty Paise Only",
        "004512",
        "payee AO",
        "98******10",
        "Keep this receipt",
    ] {
        assert!(s.contains(needle), "{needle:?} missing from\n{s}");
    }
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares with the committed PNG; UPDATE_GOLDEN=1 rewrites it.
fn check_golden(name: &str, png: &[u8]) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
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
fn golden_pngs_from_the_virtual_printer() {
    let mut n = 0;
    for p in dmp_profiles() {
        let w = p.layout_columns();
        for (name, view, lang) in [
            ("english", sample::english(), Lang::English),
            ("bilingual", sample::bilingual(), Lang::Bilingual),
        ] {
            let bytes = encode(&layout(&view, w, lang), &p).unwrap();
            let page = render(&bytes, &p).unwrap();
            assert!(page.bitmap.count() > 2000, "{}: blank page", p.id);
            check_golden(&format!("{}-{name}.png", p.id), &page.png());
            n += 1;
        }
    }
    // The wide layout on 8" carriages in condensed pitch (the wide
    // carriage prints it at pica above).
    for id in ["escp9-generic", "escp24-generic", "ibm-proprinter"] {
        let p = Profile::builtin_by_id(id).unwrap();
        let bytes = encode(&layout(&sample::bilingual(), 136, Lang::Bilingual), &p).unwrap();
        assert!(bytes.contains(&0x0f), "{id}: condensed");
        check_golden(
            &format!("{id}-136-bilingual.png"),
            &render(&bytes, &p).unwrap().png(),
        );
    }
    assert_eq!(n, 14);
}

#[test]
fn virtual_printer_draws_hindi_where_the_encoder_put_it() {
    // The same bitmap the encoder packed must come back out of the stream.
    let p = escp9();
    let mut doc = print::Document::new(80);
    doc.unicode("क्षत्रिय", print::doc::Align::Left);
    let bytes = encode(&doc, &p).unwrap();
    let page = render(&bytes, &p).unwrap();
    let im = &p.images;
    let lines = print::raster::Devanagari::shared().render_wrapped(
        "क्षत्रिय",
        im.text_px,
        im.x_dpi,
        im.y_dpi,
        im.width_dots as usize,
    );
    assert_eq!(page.bitmap.count(), lines[0].count());
}

#[test]
fn names_in_devanagari_are_printed_as_images_not_question_marks() {
    let mut v = sample::english();
    v.kiosk_name = "श्री गणेश ई-मित्र".into();
    v.lines[0].consumer_name = Some("राम लाल".into());
    for p in dmp_profiles() {
        for w in widths(&p) {
            let bytes = encode(&layout(&v, w, Lang::English), &p).unwrap();
            let rep = validate(&bytes, &p).unwrap_or_else(|e| panic!("{} {w}: {e:?}", p.id));
            let text: Vec<u8> = print::stream::parse(&bytes, p.language)
                .unwrap()
                .into_iter()
                .filter_map(|(_, op)| match op {
                    print::stream::Op::Text(t) => Some(t),
                    _ => None,
                })
                .flatten()
                .collect();
            assert!(
                !text.contains(&b'?'),
                "{} {w}: Hindi printed as ? in {}",
                p.id,
                String::from_utf8_lossy(&text)
            );
            if p.language != Language::Text {
                assert!(rep.images >= 2, "{} {w}", p.id);
            }
        }
    }
}

#[test]
fn cuts_are_the_ones_epson_defines() {
    use print::stream::{Op, parse};
    // GS V 65 n is a full cut whatever n is; 66 is the partial one.
    let full = parse(&[0x1d, b'V', 65, 1], Language::Escpos).unwrap();
    assert_eq!(full[0].1, Op::Cut { partial: false });
    let part = parse(&[0x1d, b'V', 66, 0], Language::Escpos).unwrap();
    assert_eq!(part[0].1, Op::Cut { partial: true });

    let p = Profile::builtin_by_id("escpos-thermal-80").unwrap();
    assert_eq!(p.paper.cut, print::profile::Cut::Partial);
    let bytes = encode(&layout(&sample::english(), 48, Lang::English), &p).unwrap();
    let cuts: Vec<Op> = parse(&bytes, p.language)
        .unwrap()
        .into_iter()
        .map(|(_, op)| op)
        .filter(|op| matches!(op, Op::Cut { .. }))
        .collect();
    assert_eq!(cuts, [Op::Cut { partial: true }]);
    // Function B, n = 0: feed to the cutter, then cut; the job's last bytes.
    assert!(
        bytes.ends_with(&[0x1d, b'V', 66, 0]),
        "{:02x?}",
        &bytes[bytes.len() - 6..]
    );

    // A profile that asks for a full cut gets function B's full cut.
    let src = include_str!("../../../printers/escpos-thermal-80.toml")
        .replace("cut = \"partial\"", "cut = \"full\"");
    let full = Profile::from_toml(&src, "full").unwrap();
    let bytes = encode(&layout(&sample::english(), 48, Lang::English), &full).unwrap();
    assert!(bytes.ends_with(&[0x1d, b'V', 65, 0]));
    validate(&bytes, &full).unwrap();
}

#[test]
fn text_profile_prints_hindi_names_romanised_never_drops_them() {
    let p = Profile::builtin_by_id("text-plain").unwrap();
    let mut v = sample::english();
    v.kiosk_name = "श्री गणेश ई-मित्र".into();
    v.lines[0].consumer_name = Some("राम लाल".into());
    // A script with no romanisation here: said, not silently dropped.
    v.lines[1].consumer_name = Some("முருகன்".into());
    for lang in [Lang::English, Lang::Bilingual] {
        let s = String::from_utf8(encode(&layout(&v, 80, lang), &p).unwrap()).unwrap();
        for needle in [
            "Shri Ganesh I-Mitra",
            "Name: Ram Lal",
            "Name: (Name not in Latin letters: not printable here)",
        ] {
            assert!(s.contains(needle), "{needle:?} missing from\n{s}");
        }
        validate(s.as_bytes(), &p).unwrap();
    }
}

#[test]
fn no_blank_image_data_goes_down_the_wire() {
    use print::stream::{Op, parse};
    for id in [
        "escp9-generic",
        "escp24-generic",
        "ibm-proprinter",
        "escpos-impact-tmu220",
    ] {
        let p = Profile::builtin_by_id(id).unwrap();
        let bytes = encode(
            &layout(&sample::bilingual(), p.layout_columns(), Lang::Bilingual),
            &p,
        )
        .unwrap();
        let per = |m: print::profile::ImageMode| m.band_dots() / 8;
        for (at, op) in parse(&bytes, p.language).unwrap() {
            if let Op::Image { mode, cols, data } = op {
                let col = |c: usize| &data[c * per(mode)..(c + 1) * per(mode)];
                let blank = |c: usize| col(c).iter().all(|b| *b == 0);
                assert!(!(0..cols).all(blank), "{id}: blank band at byte {at}");
                assert!(!blank(cols - 1), "{id}: trailing blank column at byte {at}");
                if p.language.is_escp() {
                    // The head moves over blank paper: at most the
                    // remainder of one move unit (or one space) is sent.
                    let lead = (0..cols).take_while(|&c| blank(c)).count();
                    assert!(lead < 12, "{id}: {lead} leading blank columns at byte {at}");
                }
            }
        }
    }
    // The receipt's size on the slow serial links (9,600 baud: ~1 KB/s).
    // Full-width bands sent 41,396 (24-pin) and 11,103 (9-pin) bytes; the
    // blank left out, 25,091 and 8,196. What is left is inked columns and
    // the receipt's text, Hindi at a size whose ink fits two passes.
    let size = |id: &str| {
        let p = Profile::builtin_by_id(id).unwrap();
        encode(&layout(&sample::bilingual(), 80, Lang::Bilingual), &p)
            .unwrap()
            .len()
    };
    let (b24, b9) = (size("escp24-generic"), size("escp9-generic"));
    assert!(b24 <= 15_000, "24-pin {b24}");
    assert!(b9 <= 7_000, "9-pin {b9}");
}

#[test]
fn a_line_of_hindi_takes_two_passes_of_the_head() {
    use print::raster::Devanagari;
    // Tall matras above, conjuncts and vowel signs below: the lines of the
    // sample receipt and a name with both.
    let lines = [
        "ई-मित्र कियोस्क — भुगतान रसीद",
        "श्री कृष्ण द्विवेदी — बिजली बिल (क्षेत्रीय कार्यालय)",
        "कुल राशि: एक हज़ार सात सौ पाँच रुपये और पचास पैसे मात्र",
        "भुगतान: विभागीय चेक",
    ];
    for id in [
        "escp9-generic",
        "escp9-wide",
        "ibm-proprinter",
        "escp24-generic",
    ] {
        let p = Profile::builtin_by_id(id).unwrap();
        let im = &p.images;
        let band = im.devanagari.unwrap().band_dots();
        for text in lines {
            for bm in Devanagari::shared()
                .render_wrapped(text, im.text_px, im.x_dpi, im.y_dpi, im.width_dots as usize)
                .iter()
            {
                let inked: Vec<usize> = (0..bm.height)
                    .filter(|&y| (0..bm.width).any(|x| bm.get(x, y)))
                    .collect();
                let rows = inked.last().unwrap() - inked.first().unwrap() + 1;
                assert!(rows <= 2 * band, "{id}: {rows} inked rows in '{text}'");
                // Not shrunk past reading: the ink is most of two passes.
                assert!(
                    rows * 4 >= 2 * band * 3,
                    "{id}: only {rows} rows in '{text}'"
                );
            }
        }
    }
}
