//! Reads back the byte streams our encoders emit (the ESC/P, IBM and
//! ESC/POS subsets, bit images included). The validator and the virtual
//! printer both stand on this parser, so a command it does not know is an
//! error, never skipped.

use crate::profile::{Cut, ImageMode, Language, Pitch, Profile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `ESC @`
    Init,
    /// IBM: CAN (clear the line buffer).
    Cancel,
    /// Bytes to print as characters.
    Text(Vec<u8>),
    Cr,
    Lf,
    Ff,
    Bold(bool),
    DoubleWidth(bool),
    /// SI on, DC2 off (DC2 also selects 10 cpi on IBM).
    Condensed(bool),
    Pitch(Pitch),
    /// `ESC 3 n`
    LineSpacing(u8),
    /// `ESC 2`
    LineSpacingDefault,
    /// `ESC t n`
    TableSelect(u8),
    /// `ESC ( t …` (24-pin table assignment)
    TableAssign(Vec<u8>),
    /// `ESC C n` (lines)
    PageLength(u8),
    /// ESC/P `ESC $ nL nH`: absolute head position in 1/60 inch.
    HeadTo(u16),
    /// Column image: `ESC * m`, `ESC K/L/Y/Z`.
    Image {
        mode: ImageMode,
        cols: usize,
        data: Vec<u8>,
    },
    /// `GS v 0`: width in bytes, height in rows.
    Raster {
        width_bytes: usize,
        height: usize,
        data: Vec<u8>,
    },
    /// ESC/POS `ESC d n`
    FeedLines(u8),
    /// ESC/POS `GS ! n`
    Size {
        w: u8,
        h: u8,
    },
    /// ESC/POS `GS V`
    Cut {
        partial: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub offset: usize,
    pub reason: String,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.reason)
    }
}

/// Bytes per image column for `ESC * m` / `ESC K…`.
fn col_bytes(mode: ImageMode) -> usize {
    mode.band_dots() / 8
}

/// Parses a stream in the given language into operations.
pub fn parse(bytes: &[u8], lang: Language) -> Result<Vec<(usize, Op)>, StreamError> {
    let mut ops = Vec::new();
    let mut i = 0;
    let err = |offset: usize, reason: String| StreamError { offset, reason };
    let need = |i: usize, n: usize| -> Result<(), StreamError> {
        if i + n > bytes.len() {
            Err(err(i, format!("command truncated: needs {n} more bytes")))
        } else {
            Ok(())
        }
    };
    let escp = lang.is_escp();
    let pos = lang == Language::Escpos;
    while i < bytes.len() {
        let b = bytes[i];
        let at = i;
        match b {
            0x20..=0x7e | 0x80..=0xff => {
                let start = i;
                while i < bytes.len() && (bytes[i] >= 0x20 && bytes[i] != 0x7f) {
                    i += 1;
                }
                ops.push((at, Op::Text(bytes[start..i].to_vec())));
                continue;
            }
            b'\r' => ops.push((at, Op::Cr)),
            b'\n' => ops.push((at, Op::Lf)),
            0x0c if lang != Language::Escpos => ops.push((at, Op::Ff)),
            0x0f if escp => ops.push((at, Op::Condensed(true))),
            0x12 if escp => ops.push((at, Op::Condensed(false))),
            0x18 if lang == Language::Ibm => ops.push((at, Op::Cancel)),
            0x1b if lang != Language::Text => {
                need(i, 2)?;
                let c = bytes[i + 1];
                i += 2;
                let op = match c {
                    b'@' if lang != Language::Ibm => Op::Init,
                    b'E' if escp => Op::Bold(true),
                    b'F' if escp => Op::Bold(false),
                    b'E' if pos => {
                        need(i, 1)?;
                        i += 1;
                        Op::Bold(bytes[i - 1] & 1 == 1)
                    }
                    b'W' if escp => {
                        need(i, 1)?;
                        i += 1;
                        match bytes[i - 1] {
                            0 | b'0' => Op::DoubleWidth(false),
                            1 | b'1' => Op::DoubleWidth(true),
                            n => return Err(err(at, format!("ESC W {n}: parameter out of range"))),
                        }
                    }
                    b'P' if matches!(lang, Language::Escp9 | Language::Escp24) => {
                        Op::Pitch(Pitch::Pica)
                    }
                    b'M' if matches!(lang, Language::Escp9 | Language::Escp24) => {
                        Op::Pitch(Pitch::Elite)
                    }
                    b':' if lang == Language::Ibm => Op::Pitch(Pitch::Elite),
                    b'M' if pos => {
                        need(i, 1)?;
                        i += 1;
                        match bytes[i - 1] {
                            0 | 48 => Op::Pitch(Pitch::FontA),
                            1 | 49 => Op::Pitch(Pitch::FontB),
                            n => return Err(err(at, format!("ESC M {n}: no such font"))),
                        }
                    }
                    b'3' => {
                        need(i, 1)?;
                        i += 1;
                        Op::LineSpacing(bytes[i - 1])
                    }
                    b'2' if lang != Language::Ibm => Op::LineSpacingDefault,
                    b't' if lang != Language::Ibm => {
                        need(i, 1)?;
                        i += 1;
                        let n = bytes[i - 1];
                        let ok = match lang {
                            Language::Escp9 => n <= 1,
                            Language::Escp24 => n <= 3,
                            _ => true,
                        };
                        if !ok {
                            return Err(err(at, format!("ESC t {n}: out of range for {lang:?}")));
                        }
                        Op::TableSelect(n)
                    }
                    b'(' if lang == Language::Escp24 => {
                        need(i, 3)?;
                        if bytes[i] != b't' {
                            return Err(err(
                                at,
                                format!("ESC ( {:?} not supported", bytes[i] as char),
                            ));
                        }
                        let n = bytes[i + 1] as usize | (bytes[i + 2] as usize) << 8;
                        need(i + 3, n)?;
                        let data = bytes[i + 3..i + 3 + n].to_vec();
                        if !n.is_multiple_of(3) {
                            return Err(err(
                                at,
                                format!("ESC ( t length {n} is not a multiple of 3"),
                            ));
                        }
                        i += 3 + n;
                        Op::TableAssign(data)
                    }
                    b'C' if escp => {
                        need(i, 1)?;
                        i += 1;
                        let n = bytes[i - 1];
                        if n == 0 {
                            return Err(err(at, "ESC C 0 (inches) not emitted by us".into()));
                        }
                        Op::PageLength(n)
                    }
                    b'$' if matches!(lang, Language::Escp9 | Language::Escp24) => {
                        need(i, 2)?;
                        i += 2;
                        Op::HeadTo(bytes[i - 2] as u16 | (bytes[i - 1] as u16) << 8)
                    }
                    b'*' if lang != Language::Ibm => {
                        need(i, 3)?;
                        let m = bytes[i];
                        let mode = ImageMode::EscStar(m);
                        if !mode.valid_for(lang) {
                            return Err(err(
                                at,
                                format!("ESC * {m}: no such image mode in {lang:?}"),
                            ));
                        }
                        let cols = bytes[i + 1] as usize | (bytes[i + 2] as usize) << 8;
                        let n = cols * col_bytes(mode);
                        need(i + 3, n)?;
                        let data = bytes[i + 3..i + 3 + n].to_vec();
                        i += 3 + n;
                        Op::Image { mode, cols, data }
                    }
                    b'K' | b'L' | b'Y' | b'Z' if escp => {
                        need(i, 2)?;
                        let mode = ImageMode::EscLetter(c);
                        let cols = bytes[i] as usize | (bytes[i + 1] as usize) << 8;
                        need(i + 2, cols)?;
                        let data = bytes[i + 2..i + 2 + cols].to_vec();
                        i += 2 + cols;
                        Op::Image { mode, cols, data }
                    }
                    b'd' if pos => {
                        need(i, 1)?;
                        i += 1;
                        Op::FeedLines(bytes[i - 1])
                    }
                    other => {
                        return Err(err(
                            at,
                            format!(
                                "ESC {:?} (0x{other:02x}) is not a {lang:?} command we emit",
                                other as char
                            ),
                        ));
                    }
                };
                ops.push((at, op));
                continue;
            }
            0x1d if pos => {
                need(i, 2)?;
                let c = bytes[i + 1];
                i += 2;
                let op = match c {
                    b'!' => {
                        need(i, 1)?;
                        i += 1;
                        let n = bytes[i - 1];
                        Op::Size {
                            w: (n >> 4) + 1,
                            h: (n & 0x0f) + 1,
                        }
                    }
                    b'V' => {
                        need(i, 1)?;
                        let m = bytes[i];
                        i += 1;
                        // Epson ESC/POS reference, GS V: function A
                        // m = 0/48 full, 1/49 partial; function B (one more
                        // byte n, a feed before the cut) m = 65 full, 66
                        // partial. n never makes a cut partial.
                        match m {
                            0 | 48 => Op::Cut { partial: false },
                            1 | 49 => Op::Cut { partial: true },
                            65 | 66 => {
                                need(i, 1)?;
                                i += 1;
                                Op::Cut { partial: m == 66 }
                            }
                            _ => return Err(err(at, format!("GS V {m}: unknown cut"))),
                        }
                    }
                    b'v' => {
                        need(i, 6)?;
                        if bytes[i] != b'0' {
                            return Err(err(at, "GS v: only GS v 0".into()));
                        }
                        let wb = bytes[i + 2] as usize | (bytes[i + 3] as usize) << 8;
                        let h = bytes[i + 4] as usize | (bytes[i + 5] as usize) << 8;
                        need(i + 6, wb * h)?;
                        let data = bytes[i + 6..i + 6 + wb * h].to_vec();
                        i += 6 + wb * h;
                        Op::Raster {
                            width_bytes: wb,
                            height: h,
                            data,
                        }
                    }
                    other => {
                        return Err(err(
                            at,
                            format!("GS 0x{other:02x} is not a command we emit"),
                        ));
                    }
                };
                ops.push((at, op));
                continue;
            }
            0x1d => return Err(err(at, format!("GS byte in a {lang:?} stream"))),
            other => {
                return Err(err(
                    at,
                    format!("control byte 0x{other:02x} not allowed in {lang:?}"),
                ));
            }
        }
        i += 1;
    }
    Ok(ops)
}

/// What a valid stream looked like (for assertions).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub lines: usize,
    pub images: usize,
    pub max_line_fraction_permille: u32,
}

/// Checks a stream against its profile: only the profile's commands, data
/// lengths consistent (the parser), every line within the active pitch's
/// column limit, text bytes inside the selected character table, and the
/// initialise sequence first.
pub fn validate(bytes: &[u8], profile: &Profile) -> Result<Report, Vec<String>> {
    let lang = profile.language;
    let ops = parse(bytes, lang).map_err(|e| vec![e.to_string()])?;
    let mut errs = Vec::new();
    if !bytes.starts_with(&profile.init) {
        errs.push(format!(
            "job does not start with the initialise command {:02x?}",
            profile.init
        ));
    }
    let mut rep = Report::default();
    let mut pitch = profile.default_pitch;
    let mut condensed = false;
    let mut dw = false;
    let mut size_w = 1u32;
    let mut pos = 0f64;
    let mut page_length_set = false;
    let mut line_no = 1usize;
    let width_for = |pitch: Pitch, condensed: bool| -> f64 {
        let cols = if condensed {
            profile.columns_at(Pitch::Condensed)
        } else {
            profile.columns_at(pitch)
        };
        if cols == 0 {
            f64::NAN
        } else {
            1.0 / cols as f64
        }
    };
    for (at, op) in &ops {
        match op {
            Op::Text(t) => {
                for &b in t {
                    if !(0x20..=0x7e).contains(&b) {
                        errs.push(format!(
                            "byte {at}: 0x{b:02x} outside the {} table (UTF-8 leaking?)",
                            profile.character_table
                        ));
                        break;
                    }
                }
                let w = width_for(pitch, condensed);
                if w.is_nan() {
                    errs.push(format!(
                        "byte {at}: text in a pitch the profile has no columns for"
                    ));
                }
                pos += t.len() as f64 * w * if dw { 2.0 } else { 1.0 } * size_w as f64;
                if pos > 1.0 + 1e-9 {
                    errs.push(format!(
                        "line {line_no}: {:.1}% of the width at byte {at}",
                        pos * 100.0
                    ));
                    pos = 0.0;
                }
                rep.max_line_fraction_permille = rep
                    .max_line_fraction_permille
                    .max((pos * 1000.0).round() as u32);
            }
            Op::Cr => pos = 0.0,
            Op::Lf | Op::FeedLines(_) => {
                if lang == Language::Escpos || lang == Language::Text {
                    pos = 0.0;
                }
                line_no += 1;
                rep.lines += 1;
            }
            Op::Ff => {
                if !page_length_set {
                    errs.push(format!(
                        "byte {at}: form feed on continuous paper without a page length"
                    ));
                }
            }
            Op::PageLength(_) => {
                if profile.paper.page_length_lines == 0 {
                    errs.push(format!(
                        "byte {at}: page length set on a profile without one"
                    ));
                }
                page_length_set = true;
            }
            Op::Condensed(on) => {
                if profile.columns_at(Pitch::Condensed) == 0 {
                    errs.push(format!(
                        "byte {at}: condensed on a profile without condensed columns"
                    ));
                }
                condensed = *on;
                if !on && lang == Language::Ibm {
                    pitch = Pitch::Pica;
                }
            }
            Op::Pitch(p) => {
                if profile.columns_at(*p) == 0 {
                    errs.push(format!("byte {at}: pitch {p:?} not in the profile"));
                }
                pitch = *p;
            }
            Op::DoubleWidth(on) => dw = *on,
            Op::Size { w, .. } => size_w = *w as u32,
            Op::Image { mode, cols, .. } => {
                rep.images += 1;
                if !profile.images.modes.contains(mode) {
                    errs.push(format!(
                        "byte {at}: image mode {} not allowed by the profile",
                        mode.name()
                    ));
                }
                if Some(*mode) == profile.images.devanagari
                    && *cols > profile.images.width_dots as usize
                {
                    errs.push(format!(
                        "byte {at}: image {cols} columns wider than {} dots",
                        profile.images.width_dots
                    ));
                }
            }
            Op::Raster { width_bytes, .. } => {
                rep.images += 1;
                if !profile.images.modes.contains(&ImageMode::GsV0) {
                    errs.push(format!(
                        "byte {at}: raster image (GS v 0) on a profile without raster"
                    ));
                }
                if width_bytes * 8 > profile.images.width_dots as usize + 7 {
                    errs.push(format!("byte {at}: raster wider than the paper"));
                }
            }
            Op::Cut { .. } => {
                if profile.paper.cut == Cut::None {
                    errs.push(format!("byte {at}: cut on a printer without a cutter"));
                }
            }
            Op::HeadTo(n) => {
                let dots = *n as usize * profile.images.x_dpi as usize / 60;
                if dots >= profile.images.width_dots as usize {
                    errs.push(format!(
                        "byte {at}: ESC $ {n} moves the head past the paper's edge"
                    ));
                }
                // Text after the move starts there.
                pos = dots as f64 / profile.images.width_dots as f64;
            }
            Op::TableSelect(_) | Op::TableAssign(_) | Op::Init | Op::Cancel | Op::Bold(_) => {}
            Op::LineSpacing(_) | Op::LineSpacingDefault => {}
        }
    }
    if errs.is_empty() { Ok(rep) } else { Err(errs) }
}
