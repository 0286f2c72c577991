//! Devanagari → ASCII for printers that have neither a Devanagari font nor
//! images (the plain-text profile), so a name in Hindi is printed readably
//! instead of vanishing.
//!
//! Hunterian romanisation (the Government of India's system for names, no
//! diacritics): consonants carry the inherent "a" unless a virama or a vowel
//! sign follows, and a word's final inherent "a" is dropped after a single
//! consonant (राम → Ram) but kept after a conjunct (कृष्ण → Krishna).
//! Per-character transliterators (deunicode, any_ascii) drop the inherent
//! vowel everywhere (कमला → "kmla"), which is why this is ours.

/// Consonant → its Latin letters without the inherent vowel.
fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "k",
        'ख' => "kh",
        'ग' => "g",
        'घ' => "gh",
        'ङ' => "n",
        'च' => "ch",
        'छ' => "chh",
        'ज' => "j",
        'झ' => "jh",
        'ञ' => "n",
        'ट' => "t",
        'ठ' => "th",
        'ड' => "d",
        'ढ' => "dh",
        'ण' => "n",
        'त' => "t",
        'थ' => "th",
        'द' => "d",
        'ध' => "dh",
        'न' => "n",
        'प' => "p",
        'फ' => "ph",
        'ब' => "b",
        'भ' => "bh",
        'म' => "m",
        'य' => "y",
        'र' => "r",
        'ल' => "l",
        'ळ' => "l",
        'व' => "v",
        'श' => "sh",
        'ष' => "sh",
        'स' => "s",
        'ह' => "h",
        // Precomposed nukta letters (written as escapes: normalisation
        // turns the literal forms into letter + nukta).
        '\u{0958}' => "q",
        '\u{0959}' => "kh",
        '\u{095A}' => "gh",
        '\u{095B}' => "z",
        '\u{095C}' => "r",
        '\u{095D}' => "rh",
        '\u{095E}' => "f",
        '\u{095F}' => "y",
        _ => return None,
    })
}

/// A consonant followed by the nukta sign (U+093C).
fn with_nukta(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "q",
        'ख' => "kh",
        'ग' => "gh",
        'ज' => "z",
        'ड' => "r",
        'ढ' => "rh",
        'फ' => "f",
        'य' => "y",
        _ => return None,
    })
}

fn vowel(c: char) -> Option<&'static str> {
    Some(match c {
        'अ' => "a",
        'आ' => "a",
        'इ' | 'ई' => "i",
        'उ' | 'ऊ' => "u",
        'ऋ' => "ri",
        'ए' | 'ऍ' => "e",
        'ऐ' => "ai",
        'ओ' | 'ऑ' => "o",
        'औ' => "au",
        _ => return None,
    })
}

fn sign(c: char) -> Option<&'static str> {
    Some(match c {
        'ा' => "a",
        'ि' | 'ी' => "i",
        'ु' | 'ू' => "u",
        'ृ' => "ri",
        'े' | 'ॅ' => "e",
        'ै' => "ai",
        'ो' | 'ॉ' => "o",
        'ौ' => "au",
        _ => return None,
    })
}

const VIRAMA: char = '\u{094D}';
const NUKTA: char = '\u{093C}';

fn is_devanagari(c: char) -> bool {
    ('\u{0900}'..='\u{097F}').contains(&c)
}

/// Romanises one word of Devanagari; `None` if it holds a sign this table
/// does not know.
fn word(w: &[char]) -> Option<String> {
    let mut out = String::new();
    // Where the pending inherent "a" of the last consonant would go, and
    // whether that consonant ended a conjunct.
    let mut pending: Option<bool> = None;
    let mut after_virama = false;
    // Letters (consonants and vowels) seen: a one-letter word keeps its "a".
    let mut letters = 0;
    let mut i = 0;
    while i < w.len() {
        let c = w[i];
        let nukta = w.get(i + 1) == Some(&NUKTA);
        if let Some(base) = nukta
            .then(|| with_nukta(c))
            .flatten()
            .or_else(|| consonant(c))
        {
            if pending.is_some() {
                out.push('a');
            }
            out.push_str(base);
            letters += 1;
            pending = Some(after_virama);
            after_virama = false;
            i += if nukta { 2 } else { 1 };
            continue;
        }
        match c {
            VIRAMA => {
                pending = None;
                after_virama = true;
            }
            _ if sign(c).is_some() => {
                out.push_str(sign(c).expect("checked"));
                pending = None;
            }
            _ if vowel(c).is_some() => {
                if pending.take().is_some() {
                    out.push('a');
                }
                out.push_str(vowel(c).expect("checked"));
                letters += 1;
            }
            // Anusvara and candrabindu nasalise: "n"; visarga: "h".
            'ं' | 'ँ' | 'ः' => {
                if pending.take().is_some() {
                    out.push('a');
                }
                out.push(if c == 'ः' { 'h' } else { 'n' });
            }
            NUKTA => {}
            '०'..='९' => {
                if pending.take().is_some() {
                    out.push('a');
                }
                out.push(char::from(b'0' + (c as u32 - '०' as u32) as u8));
            }
            '।' | '॥' => {
                if pending.take().is_some() {
                    out.push('a');
                }
                out.push('.');
            }
            _ => return None,
        }
        i += 1;
    }
    // Word-final schwa: dropped after a lone consonant, kept after a
    // conjunct (and in one-letter words, where it is the whole vowel).
    if let Some(conjunct) = pending
        && (conjunct || letters == 1)
    {
        out.push('a');
    }
    Some(out)
}

/// Romanises the Devanagari in `s` (each word capitalised, as names are);
/// printable ASCII passes through. `None` if `s` holds anything else that
/// has no ASCII spelling (another script), so the caller can say what was
/// left out instead of printing question marks.
pub fn devanagari_to_ascii(s: &str) -> Option<String> {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_devanagari(c) && c != '।' && c != '॥' {
            let start = i;
            while i < chars.len() && is_devanagari(chars[i]) && !matches!(chars[i], '।' | '॥') {
                i += 1;
            }
            let w = word(&chars[start..i])?;
            let mut cs = w.chars();
            if let Some(f) = cs.next() {
                out.push(f.to_ascii_uppercase());
                out.extend(cs);
            }
            continue;
        }
        match c {
            ' '..='~' => out.push(c),
            '।' | '॥' => out.push('.'),
            _ => {
                let a = crate::doc::ascii(&c.to_string());
                if a == "?" {
                    return None;
                }
                out.push_str(&a);
            }
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::devanagari_to_ascii as t;

    #[test]
    fn names_read_as_they_are_spelt_in_english() {
        for (hi, en) in [
            ("राम लाल", "Ram Lal"),
            ("श्री कृष्ण द्विवेदी", "Shri Krishna Dvivedi"),
            ("सुरेश कुमार शर्मा", "Suresh Kumar Sharma"),
            ("कमला देवी", "Kamala Devi"),
            ("मिश्र", "Mishra"),
            ("ज़ाकिर", "Zakir"),
            ("\u{095B}ाकिर", "Zakir"),
            ("गंगा", "Ganga"),
            ("K-12 राम", "K-12 Ram"),
            ("न", "Na"),
        ] {
            assert_eq!(t(hi).as_deref(), Some(en), "{hi}");
        }
    }

    #[test]
    fn other_scripts_are_reported_not_guessed() {
        assert_eq!(t("முருகன்"), None);
        assert_eq!(t("plain"), Some("plain".into()));
    }
}
