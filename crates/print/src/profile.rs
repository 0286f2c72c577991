//! Printer profiles (`printers/*.toml`): data, no code. Validated at load so
//! a typo fails with `print.profile_invalid` and the field's name, not with
//! garbage on paper.

use crate::error::{PrintError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The command language a printer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Epson ESC/P, 9-pin (8-dot images only).
    Escp9,
    /// Epson ESC/P, 24-pin (8- and 24-dot images).
    Escp24,
    /// IBM Proprinter emulation.
    Ibm,
    /// Epson ESC/POS receipt printers.
    Escpos,
    /// Plain ASCII, no commands.
    Text,
    /// PDF for laser printers through the spooler.
    Pdf,
}

impl Language {
    pub fn is_escp(self) -> bool {
        matches!(self, Language::Escp9 | Language::Escp24 | Language::Ibm)
    }

    /// The name profiles use for it (`language = "…"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Escp9 => "escp9",
            Language::Escp24 => "escp24",
            Language::Ibm => "ibm",
            Language::Escpos => "escpos",
            Language::Text => "text",
            Language::Pdf => "pdf",
        }
    }
}

/// A bit-image mode a profile may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageMode {
    /// `ESC * m`: m 0–6 8-dot, 32/33/38/39/40 24-dot.
    EscStar(u8),
    /// Older 8-dot forms `ESC K`, `ESC L`, `ESC Y`, `ESC Z`.
    EscLetter(u8),
    /// ESC/POS `GS v 0` raster (not on impact printers).
    GsV0,
}

impl ImageMode {
    pub fn parse(s: &str) -> Option<ImageMode> {
        if let Some(m) = s.strip_prefix("esc*") {
            return m.parse().ok().map(ImageMode::EscStar);
        }
        match s {
            "escK" => Some(ImageMode::EscLetter(b'K')),
            "escL" => Some(ImageMode::EscLetter(b'L')),
            "escY" => Some(ImageMode::EscLetter(b'Y')),
            "escZ" => Some(ImageMode::EscLetter(b'Z')),
            "gsv0" => Some(ImageMode::GsV0),
            _ => None,
        }
    }
    pub fn name(self) -> String {
        match self {
            ImageMode::EscStar(m) => format!("esc*{m}"),
            ImageMode::EscLetter(l) => format!("esc{}", l as char),
            ImageMode::GsV0 => "gsv0".into(),
        }
    }
    /// Dots per image column (8 or 24); raster images are row-based (1).
    pub fn band_dots(self) -> usize {
        match self {
            ImageMode::EscStar(m) if m >= 32 => 24,
            ImageMode::GsV0 => 1,
            _ => 8,
        }
    }
    /// Whether the mode exists in the language at all.
    pub fn valid_for(self, lang: Language) -> bool {
        match (self, lang) {
            (ImageMode::EscStar(m), Language::Escp9) => m <= 6,
            (ImageMode::EscStar(m), Language::Escp24) => {
                m <= 6 || matches!(m, 32 | 33 | 38 | 39 | 40)
            }
            (ImageMode::EscStar(m), Language::Escpos) => matches!(m, 0 | 1 | 32 | 33),
            (ImageMode::EscLetter(_), Language::Escp9 | Language::Escp24 | Language::Ibm) => true,
            (ImageMode::GsV0, Language::Escpos) => true,
            _ => false,
        }
    }
}

/// A character pitch and the command that selects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pitch {
    Pica,
    Elite,
    Condensed,
    FontA,
    FontB,
    Plain,
}

impl Pitch {
    pub fn parse(s: &str) -> Option<Pitch> {
        Some(match s {
            "pica" => Pitch::Pica,
            "elite" => Pitch::Elite,
            "condensed" => Pitch::Condensed,
            "font_a" => Pitch::FontA,
            "font_b" => Pitch::FontB,
            "plain" => Pitch::Plain,
            _ => return None,
        })
    }
    pub fn valid_for(self, lang: Language) -> bool {
        match lang {
            Language::Escp9 | Language::Escp24 | Language::Ibm => {
                matches!(self, Pitch::Pica | Pitch::Elite | Pitch::Condensed)
            }
            Language::Escpos => matches!(self, Pitch::FontA | Pitch::FontB),
            Language::Text | Language::Pdf => self == Pitch::Plain,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub usb_ids: Vec<String>,
    #[serde(default)]
    pub ieee1284: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    init: String,
    character_table: String,
    table_select: String,
    default_pitch: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lines {
    /// `ESC 3 n` sets n/unit inch.
    pub unit: u16,
    /// Normal text line spacing in `unit`s.
    pub default: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImages {
    modes: Vec<String>,
    devanagari: String,
    x_dpi: u16,
    y_dpi: u16,
    width_dots: u16,
    text_px: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaperKind {
    Continuous,
    Roll,
    Sheet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cut {
    None,
    Partial,
    Full,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    pub kind: PaperKind,
    /// Sheet size for PDF profiles (`A4`, `A5`).
    #[serde(default)]
    pub size: Option<String>,
    /// Blank lines fed at the end so the last line clears the tear bar.
    pub tear_off_lines: u8,
    pub cut: Cut,
    /// 0: continuous, no form feed. Otherwise `ESC C n` and a closing FF.
    pub page_length_lines: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    None,
    Odd,
    Even,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    None,
    Xonxoff,
    Rtscts,
    /// DTR/DSR hardware handshake, the usual one on serial DMPs.
    Dtr,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SerialSettings {
    pub baud: u32,
    pub data_bits: u8,
    pub parity: Parity,
    pub stop_bits: u8,
    pub flow_control: FlowControl,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportDefaults {
    pub default: String,
    /// Bytes per write: small writes let a slow serial printer keep up.
    pub chunk_bytes: usize,
    /// How the printer reports paper out before a job: `dle_eot` (ESC/POS
    /// real-time status over TCP or serial); absent: it does not.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub serial: Option<SerialSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: String,
    name: String,
    language: Language,
    identity: Identity,
    text: RawText,
    columns: BTreeMap<String, u16>,
    lines: Lines,
    images: RawImages,
    paper: Paper,
    transport: TransportDefaults,
}

/// The Devanagari/bit-image side of a profile.
#[derive(Debug, Clone)]
pub struct Images {
    pub modes: Vec<ImageMode>,
    /// The mode Devanagari is sent in; `None` on text and PDF profiles.
    pub devanagari: Option<ImageMode>,
    pub x_dpi: u16,
    pub y_dpi: u16,
    /// Printable width in dots at the Devanagari mode's density.
    pub width_dots: u16,
    /// Devanagari glyph body height in dots.
    pub text_px: u16,
}

/// A validated printer profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub language: Language,
    pub identity: Identity,
    pub init: Vec<u8>,
    pub table_select: Vec<u8>,
    pub character_table: String,
    pub default_pitch: Pitch,
    pub columns: BTreeMap<Pitch, u16>,
    pub lines: Lines,
    pub images: Images,
    pub paper: Paper,
    pub transport: TransportDefaults,
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

impl Profile {
    /// Parses and validates one profile's TOML.
    pub fn from_toml(src: &str, origin: &str) -> Result<Profile> {
        let invalid = |field: &str, reason: String| PrintError::ProfileInvalid {
            profile: origin.to_string(),
            field: field.to_string(),
            reason,
        };
        let raw: RawProfile = toml::from_str(src).map_err(|e| {
            invalid(
                e.span()
                    .map(|s| format!("byte {}", s.start))
                    .as_deref()
                    .unwrap_or("toml"),
                e.message().to_string(),
            )
        })?;
        let lang = raw.language;
        if raw.id.is_empty()
            || !raw
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(invalid("id", "must be letters, digits and '-'".into()));
        }
        let init = hex_bytes(&raw.text.init)
            .ok_or_else(|| invalid("text.init", "hex bytes like \"1b 40\"".into()))?;
        let table_select = hex_bytes(&raw.text.table_select)
            .ok_or_else(|| invalid("text.table_select", "hex bytes".into()))?;
        if matches!(lang, Language::Escp9 | Language::Escp24 | Language::Escpos)
            && init != [0x1b, b'@']
        {
            return Err(invalid(
                "text.init",
                "ESC/P and ESC/POS initialise with ESC @ (1b 40)".into(),
            ));
        }
        // docs/printing.md "Code pages": on 9-pin ESC/P, ESC t accepts only
        // 0 (italic) and 1.
        if lang == Language::Escp9
            && let Some(pos) = table_select.windows(2).position(|w| w == [0x1b, b't'])
        {
            match table_select.get(pos + 2) {
                Some(1) => {}
                other => {
                    return Err(invalid(
                        "text.table_select",
                        format!("9-pin ESC/P takes ESC t 1 for PC437, not {other:?} (0 is italic)"),
                    ));
                }
            }
        }
        let expect_table = match lang {
            Language::Text => "ascii",
            Language::Pdf => "unicode",
            _ => "pc437",
        };
        if raw.text.character_table != expect_table {
            return Err(invalid(
                "text.character_table",
                format!(
                    "{:?} is not supported for {lang:?} (use {expect_table})",
                    raw.text.character_table
                ),
            ));
        }
        let mut columns = BTreeMap::new();
        for (k, v) in &raw.columns {
            let p = Pitch::parse(k)
                .filter(|p| p.valid_for(lang))
                .ok_or_else(|| {
                    invalid("columns", format!("pitch {k:?} is not one {lang:?} has"))
                })?;
            if !(16..=240).contains(v) {
                return Err(invalid("columns", format!("{k} = {v} is outside 16..=240")));
            }
            columns.insert(p, *v);
        }
        let default_pitch = Pitch::parse(&raw.text.default_pitch)
            .filter(|p| columns.contains_key(p))
            .ok_or_else(|| {
                invalid(
                    "text.default_pitch",
                    format!("{:?} has no [columns] entry", raw.text.default_pitch),
                )
            })?;
        if raw.lines.unit == 0 || raw.lines.default == 0 || raw.lines.default > 255 {
            return Err(invalid("lines", "unit and default must be 1..=255".into()));
        }
        let mut modes = Vec::new();
        for m in &raw.images.modes {
            let mode = ImageMode::parse(m)
                .filter(|mode| mode.valid_for(lang))
                .ok_or_else(|| {
                    invalid(
                        "images.modes",
                        format!("{m:?} is not an image mode of {lang:?}"),
                    )
                })?;
            modes.push(mode);
        }
        let devanagari = if raw.images.devanagari.is_empty() {
            None
        } else {
            let m = ImageMode::parse(&raw.images.devanagari)
                .filter(|m| modes.contains(m))
                .ok_or_else(|| {
                    invalid(
                        "images.devanagari",
                        format!("{:?} is not in images.modes", raw.images.devanagari),
                    )
                })?;
            Some(m)
        };
        let needs_images = !matches!(lang, Language::Text | Language::Pdf);
        if needs_images && devanagari.is_none() {
            return Err(invalid(
                "images.devanagari",
                "required: Hindi is printed as an image".into(),
            ));
        }
        if raw.images.x_dpi == 0 || raw.images.y_dpi == 0 || raw.images.width_dots < 64 {
            return Err(invalid(
                "images",
                "x_dpi, y_dpi > 0 and width_dots >= 64".into(),
            ));
        }
        if needs_images && !(8..=96).contains(&raw.images.text_px) {
            return Err(invalid("images.text_px", "8..=96 dots".into()));
        }
        if raw.paper.kind == PaperKind::Sheet && lang != Language::Pdf {
            return Err(invalid(
                "paper.kind",
                "sheet paper is for PDF profiles".into(),
            ));
        }
        if lang == Language::Pdf && !matches!(raw.paper.size.as_deref(), Some("A4") | Some("A5")) {
            return Err(invalid("paper.size", "A4 or A5".into()));
        }
        if raw.paper.cut != Cut::None && lang != Language::Escpos {
            return Err(invalid("paper.cut", "only ESC/POS printers cut".into()));
        }
        if raw.paper.page_length_lines != 0 && !lang.is_escp() {
            return Err(invalid(
                "paper.page_length_lines",
                "only ESC/P and IBM set a page length".into(),
            ));
        }
        if !matches!(
            raw.transport.default.as_str(),
            "usb" | "lpt" | "serial" | "tcp" | "spooler" | "file"
        ) {
            return Err(invalid(
                "transport.default",
                "usb, lpt, serial, tcp, spooler or file".into(),
            ));
        }
        match raw.transport.status.as_deref() {
            None => {}
            Some("dle_eot") if lang == Language::Escpos => {}
            Some(other) => {
                return Err(invalid(
                    "transport.status",
                    format!("{other:?}: only dle_eot, on ESC/POS printers"),
                ));
            }
        }
        if raw.transport.chunk_bytes == 0 {
            return Err(invalid("transport.chunk_bytes", "must be > 0".into()));
        }
        if let Some(s) = &raw.transport.serial {
            if ![1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].contains(&s.baud) {
                return Err(invalid(
                    "transport.serial.baud",
                    format!("{} is not a standard rate", s.baud),
                ));
            }
            if !(5..=8).contains(&s.data_bits) || !(1..=2).contains(&s.stop_bits) {
                return Err(invalid(
                    "transport.serial",
                    "data_bits 5..=8, stop_bits 1..=2".into(),
                ));
            }
        }
        Ok(Profile {
            id: raw.id,
            name: raw.name,
            language: lang,
            identity: raw.identity,
            init,
            table_select,
            character_table: raw.text.character_table,
            default_pitch,
            columns,
            lines: raw.lines,
            images: Images {
                modes,
                devanagari,
                x_dpi: raw.images.x_dpi,
                y_dpi: raw.images.y_dpi,
                width_dots: raw.images.width_dots,
                text_px: raw.images.text_px,
            },
            paper: raw.paper,
            transport: raw.transport,
        })
    }

    pub fn load(path: &Path) -> Result<Profile> {
        let src = std::fs::read_to_string(path).map_err(|e| PrintError::ProfileUnreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Profile::from_toml(&src, &path.display().to_string())
    }

    /// Every `*.toml` in a directory, sorted by id.
    pub fn load_dir(dir: &Path) -> Result<Vec<Profile>> {
        let rd = std::fs::read_dir(dir).map_err(|e| PrintError::ProfileUnreadable {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut out = Vec::new();
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                out.push(Profile::load(&p)?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The profiles shipped in `printers/`, built into the binary so a kiosk
    /// without the folder still prints.
    pub fn builtin() -> Vec<Profile> {
        BUILTIN
            .iter()
            .map(|(name, src)| Profile::from_toml(src, name).expect("shipped profile is valid"))
            .collect()
    }

    pub fn builtin_by_id(id: &str) -> Result<Profile> {
        Profile::builtin()
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| PrintError::ProfileUnknown(id.to_string()))
    }

    /// Columns at a pitch (0 if the profile has no such pitch).
    pub fn columns_at(&self, p: Pitch) -> u16 {
        self.columns.get(&p).copied().unwrap_or(0)
    }

    /// The narrowest pitch that gives at least `cols` columns, else the one
    /// with the most columns.
    pub fn pitch_for(&self, cols: u16) -> (Pitch, u16) {
        let mut v: Vec<(Pitch, u16)> = self.columns.iter().map(|(p, c)| (*p, *c)).collect();
        v.sort_by_key(|(_, c)| *c);
        v.iter()
            .copied()
            .find(|(_, c)| *c >= cols)
            .unwrap_or_else(|| *v.last().expect("validated: at least one pitch"))
    }

    pub fn default_columns(&self) -> u16 {
        self.columns_at(self.default_pitch)
    }

    /// The line width receipts and reports are laid out at on this
    /// printer: its default pitch's columns (80 on an 8" carriage, 136 on a
    /// wide one, 40–48 on receipt printers).
    pub fn layout_columns(&self) -> u16 {
        self.default_columns()
    }

    /// The most columns any pitch gives (condensed on a carriage): the
    /// widest layout a printer setting may ask for.
    pub fn max_columns(&self) -> u16 {
        self.columns.values().copied().max().unwrap_or(0)
    }
}

const BUILTIN: &[(&str, &str)] = &[
    (
        "escp9-generic.toml",
        include_str!("../../../printers/escp9-generic.toml"),
    ),
    (
        "escp9-wide.toml",
        include_str!("../../../printers/escp9-wide.toml"),
    ),
    (
        "escp24-generic.toml",
        include_str!("../../../printers/escp24-generic.toml"),
    ),
    (
        "ibm-proprinter.toml",
        include_str!("../../../printers/ibm-proprinter.toml"),
    ),
    (
        "escpos-impact-tmu220.toml",
        include_str!("../../../printers/escpos-impact-tmu220.toml"),
    ),
    (
        "escpos-thermal-80.toml",
        include_str!("../../../printers/escpos-thermal-80.toml"),
    ),
    (
        "text-plain.toml",
        include_str!("../../../printers/text-plain.toml"),
    ),
    (
        "pdf-laser.toml",
        include_str!("../../../printers/pdf-laser.toml"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ErrorCode;

    #[test]
    fn every_shipped_profile_loads_from_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../printers");
        let all = Profile::load_dir(&dir).unwrap();
        assert_eq!(all.len(), BUILTIN.len(), "printers/ and BUILTIN disagree");
        assert_eq!(Profile::builtin().len(), BUILTIN.len());
    }

    fn tweak(from: &str, to: &str) -> PrintError {
        let src = include_str!("../../../printers/escp9-generic.toml");
        assert!(src.contains(from), "{from}");
        Profile::from_toml(&src.replacen(from, to, 1), "t").unwrap_err()
    }

    #[test]
    fn bad_profiles_fail_with_stable_code_and_field() {
        let cases = [
            (
                "modes = [\"esc*0\", \"esc*1\"]",
                "modes = [\"esc*0\", \"esc*39\"]",
                "images.modes",
            ),
            (
                "devanagari = \"esc*1\"",
                "devanagari = \"gsv0\"",
                "images.devanagari",
            ),
            (
                "table_select = \"1b 74 01\"",
                "table_select = \"1b 74 00\"",
                "text.table_select",
            ),
            (
                "default_pitch = \"pica\"",
                "default_pitch = \"font_a\"",
                "text.default_pitch",
            ),
            ("baud = 9600", "baud = 9601", "transport.serial.baud"),
            ("init = \"1b 40\"", "init = \"zz\"", "text.init"),
            ("kind = \"continuous\"", "kind = \"sheet\"", "paper.kind"),
            ("cut = \"none\"", "cut = \"full\"", "paper.cut"),
        ];
        for (from, to, field) in cases {
            let e = tweak(from, to);
            assert_eq!(e.code(), "print.profile_invalid");
            let msg = e.to_string();
            assert!(msg.contains(field), "{field} not in {msg}");
        }
        let e = tweak("[paper]", "[paper]\nbogus = 1");
        assert_eq!(e.code(), "print.profile_invalid");
        assert!(e.to_string().contains("bogus"), "{e}");
    }

    #[test]
    fn pitch_choice_follows_columns() {
        let p = Profile::builtin_by_id("escp9-generic").unwrap();
        assert_eq!(p.pitch_for(80), (Pitch::Pica, 80));
        assert_eq!(p.pitch_for(136), (Pitch::Condensed, 137));
        let t = Profile::builtin_by_id("escpos-impact-tmu220").unwrap();
        assert_eq!(t.pitch_for(42), (Pitch::FontB, 42));
        assert_eq!(t.pitch_for(80), (Pitch::FontB, 42));
        assert_eq!(
            Profile::builtin_by_id("nope").unwrap_err().code(),
            "print.profile_unknown"
        );
    }
}
