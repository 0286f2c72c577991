//! The one rule for free text people type (consumer names, reasons,
//! labels, ticket subjects), used by the kiosk and by the centre alike.
//!
//! - Characters that show nothing and mean nothing in a name (zero-width
//!   space, word joiner, byte-order mark, soft hyphen, tag characters) are
//!   stripped wherever they are.
//! - Leading and trailing white space is trimmed.
//! - Control characters (and line/paragraph separators) are refused
//!   (`text.invalid`): a receipt line must stay one line.
//! - Bidirectional formatting characters (LRM/RLM, embeddings, overrides,
//!   isolates) are refused (`text.bidi_control`): they make a printed or
//!   shown name read differently from what is stored (U+202E before `laL maR`
//!   shows "Ram Lal"), and Hindi and English never need them.
//! - Text that had something in it but shows nothing (only zero-width
//!   joiners, fillers, variation selectors…) is refused
//!   (`text.invisible_only`): a consumer name nobody can read.
//!
//! ZWJ and ZWNJ stay inside text: Devanagari uses them to choose between a
//! conjunct and a half form.

use crate::DomainError;

/// Bidirectional formatting characters (Unicode UAX #9 explicit formatting
/// and marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Invisible characters with no use in a name or a reason: stripped.
fn is_stripped(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Shows nothing by itself.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_stripped(c)
        || matches!(
            c,
            '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{200C}'
                | '\u{200D}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Cleans a free-text field from a person: strips invisible characters,
/// trims, bounds the length (in characters, after cleaning) and refuses
/// control characters, bidirectional controls and invisible-only text. An
/// empty (or all white space) input gives `""`: whether the field is
/// required is the caller's rule.
pub fn clean_text(field: &'static str, s: &str, max_chars: usize) -> Result<String, DomainError> {
    let stripped: String = s.chars().filter(|&c| !is_stripped(c)).collect();
    let t = stripped.trim();
    if t.chars().any(is_control) {
        return Err(DomainError::TextInvalid {
            field,
            reason: "control characters",
        });
    }
    if t.chars().any(is_bidi_control) {
        return Err(DomainError::TextBidiControl { field });
    }
    if s.chars().any(|c| !c.is_whitespace()) && t.chars().all(is_invisible) {
        return Err(DomainError::TextInvisibleOnly { field });
    }
    if t.chars().count() > max_chars {
        return Err(DomainError::TextInvalid {
            field,
            reason: "too long",
        });
    }
    Ok(t.to_string())
}

/// For text that arrives already cleaned (the centre checking what a kiosk
/// sent; the entry is signed, so nothing may be changed in it): `Ok` only
/// when [`clean_text`] accepts `s` and leaves it exactly as it is.
pub fn check_clean(field: &'static str, s: &str, max_chars: usize) -> Result<(), DomainError> {
    if clean_text(field, s, max_chars)? == s {
        Ok(())
    } else {
        Err(DomainError::TextInvalid {
            field,
            reason: "surrounding white space or invisible characters",
        })
    }
}

/// For text from another system that must not be refused (a department's
/// consumer name on a bill): drops what [`clean_text`] would refuse or
/// strip, trims and cuts to `max_chars`. Invisible-only text becomes `""`.
pub fn sanitize_text(s: &str, max_chars: usize) -> String {
    let kept: String = s
        .chars()
        .filter(|&c| !is_stripped(c) && !is_control(c) && !is_bidi_control(c))
        .collect();
    let t = kept.trim();
    if t.chars().all(is_invisible) {
        return String::new();
    }
    t.chars()
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;

    fn c(s: &str) -> Result<String, String> {
        clean_text("consumer_name", s, 20).map_err(|e| e.code().to_string())
    }

    #[test]
    fn ordinary_names_pass_trimmed() {
        assert_eq!(c("  राम लाल "), Ok("राम लाल".into()));
        assert_eq!(c("Ram Lal"), Ok("Ram Lal".into()));
        assert_eq!(c(""), Ok("".into()));
        assert_eq!(c("   "), Ok("".into()));
        // ZWJ / ZWNJ shape Devanagari conjuncts: kept inside a name.
        assert_eq!(c("क्\u{200D}ष"), Ok("क्\u{200D}ष".into()));
        assert_eq!(c("क्\u{200C}ष"), Ok("क्\u{200C}ष".into()));
    }

    #[test]
    fn bidi_overrides_and_marks_are_refused() {
        assert_eq!(c("\u{202E}lal mar"), Err("text.bidi_control".to_string()));
        assert_eq!(c("Ram\u{202D} Lal"), Err("text.bidi_control".to_string()));
        assert_eq!(
            c("Ram \u{2067}Lal\u{2069}"),
            Err("text.bidi_control".to_string())
        );
        assert_eq!(c("\u{200F}Ram"), Err("text.bidi_control".to_string()));
        assert_eq!(c("Ram\u{061C}"), Err("text.bidi_control".to_string()));
    }

    #[test]
    fn invisible_only_text_is_refused() {
        assert_eq!(c("\u{200B}"), Err("text.invisible_only".to_string()));
        assert_eq!(
            c("\u{200B}\u{200B} \u{FEFF}"),
            Err("text.invisible_only".to_string())
        );
        assert_eq!(
            c("\u{200D}\u{200C}"),
            Err("text.invisible_only".to_string())
        );
        assert_eq!(
            c("\u{3164}\u{3164}"),
            Err("text.invisible_only".to_string())
        );
        assert_eq!(c("\u{115F}"), Err("text.invisible_only".to_string()));
        assert_eq!(c("\u{2800}"), Err("text.invisible_only".to_string()));
        assert_eq!(c("\u{FE0F}"), Err("text.invisible_only".to_string()));
        assert_eq!(
            c("\u{E0041}\u{E0042}"),
            Err("text.invisible_only".to_string())
        );
    }

    #[test]
    fn stray_invisible_characters_are_stripped() {
        assert_eq!(c("Ram\u{200B} Lal"), Ok("Ram Lal".into()));
        assert_eq!(c("\u{FEFF}राम"), Ok("राम".into()));
        assert_eq!(c("Ra\u{00AD}m\u{2060}"), Ok("Ram".into()));
        // The length bound counts what is kept.
        let long = format!("{}{}", "a".repeat(20), "\u{200B}".repeat(50));
        assert_eq!(c(&long), Ok("a".repeat(20)));
    }

    #[test]
    fn controls_and_length_as_before() {
        assert_eq!(c("Ram\nLal"), Err("text.invalid".to_string()));
        assert_eq!(c("Ram\u{2028}Lal"), Err("text.invalid".to_string()));
        assert_eq!(c("Ra\u{0085}m"), Err("text.invalid".to_string()));
        assert_eq!(c(&"a".repeat(21)), Err("text.invalid".to_string()));
    }

    #[test]
    fn check_clean_accepts_only_already_clean_text() {
        assert!(check_clean("n", "राम लाल", 20).is_ok());
        assert!(check_clean("n", "", 20).is_ok());
        assert_eq!(
            check_clean("n", " Ram", 20).map_err(|e| e.code().to_string()),
            Err("text.invalid".to_string())
        );
        assert_eq!(
            check_clean("n", "Ra\u{200B}m", 20).map_err(|e| e.code().to_string()),
            Err("text.invalid".to_string())
        );
        assert_eq!(
            check_clean("n", "\u{202E}maR", 20).map_err(|e| e.code().to_string()),
            Err("text.bidi_control".to_string())
        );
    }

    #[test]
    fn sanitize_drops_what_clean_refuses() {
        assert_eq!(sanitize_text("\u{202E}Ram\u{202C} Lal\n", 20), "Ram Lal");
        assert_eq!(sanitize_text("\u{200D}\u{200B}", 20), "");
        assert_eq!(sanitize_text("राम लाल", 3), "राम");
    }

    proptest! {
        #[test]
        fn cleaned_text_is_clean_and_stable(s in "\\PC{0,30}|[\\u{200B}-\\u{200F}\\u{202A}-\\u{202E}\\u{2066}-\\u{2069} aक]{0,12}") {
            if let Ok(t) = clean_text("f", &s, 40) {
                prop_assert!(!t.chars().any(is_bidi_control));
                prop_assert!(!t.chars().any(is_control));
                prop_assert_eq!(clean_text("f", &t, 40), Ok(t.clone()));
                prop_assert!(check_clean("f", &t, 40).is_ok());
            }
            let z = sanitize_text(&s, 40);
            prop_assert!(z.is_empty() || check_clean("f", &z, 40).is_ok());
        }
    }
}
