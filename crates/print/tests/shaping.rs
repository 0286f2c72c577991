//! Conjuncts and matras shape into the glyphs a Hindi reader expects.

use print::raster::Devanagari;
use rustybuzz::ttf_parser::GlyphId;

fn names(text: &str) -> Vec<String> {
    let d = Devanagari::shared();
    d.shape(text)
        .iter()
        .map(|g| {
            d.face()
                .glyph_name(GlyphId(g.glyph_id))
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

#[test]
fn conjuncts_and_matras() {
    // क्ष is one ligature, not क + ् + ष.
    assert_eq!(names("क्ष"), ["kassadeva"]);
    // श्री: the श्र ligature, then the long-i sign.
    assert_eq!(names("श्री"), ["sharadeva", "iivowelsigndeva"]);
    // कृ: the vocalic-r sign below क.
    assert_eq!(names("कृ"), ["kadeva", "rvocalicvowelsigndeva"]);
    // र्य: the reph is moved after य (drawn above it).
    assert_eq!(names("र्य"), ["yadeva", "rephdeva"]);
    // द्ध: one stacked conjunct.
    assert_eq!(names("द्ध"), ["dadhadeva"]);
    // The short-i matra is reordered before its consonant: कि → [i-sign, ka].
    // (The font picks the i-sign variant whose hook fits the consonant.)
    let ki = names("कि");
    assert_eq!(ki.len(), 2);
    assert!(
        ki[0].starts_with("ivowelsign") && ki[1] == "kadeva",
        "{ki:?}"
    );
}

#[test]
fn hindi_strings_we_print_have_every_glyph() {
    let d = Devanagari::shared();
    for s in [
        print::receipt::PROVISIONAL_HI,
        "ई-मित्र कियोस्क — भुगतान रसीद",
        "₹1,705.50",
        &domain::Paise::new(170550).in_words_hi(),
        "धन्यवाद",
    ] {
        assert!(d.covers(s), "missing glyphs in {s:?}");
    }
    // Latin letters are not in the Devanagari font: layouts keep them out.
    assert!(!d.covers("SMS"));
}

#[test]
fn rendering_is_wrapped_to_the_paper() {
    let d = Devanagari::shared();
    let lines = d.render_wrapped(print::receipt::PROVISIONAL_HI, 22, 160, 72, 400);
    assert!(lines.len() >= 2, "should wrap on 400 dots");
    for l in lines.iter() {
        assert!(l.width <= 400 && l.height == 22 && l.count() > 100);
    }
}

#[test]
fn a_word_wider_than_the_paper_is_clipped_not_a_crash() {
    let d = Devanagari::shared();
    let word = "अभियांत्रिकीविभागजलदायविभागपानीकाबिलजयपुरविद्युतवितरणनिगम";
    let lines = d.render_wrapped(word, 18, 160, 72, 120);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].width <= 120 && lines[0].count() > 100);
}
