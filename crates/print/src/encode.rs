//! Encoders: document → the bytes a profile's printer understands.
//!
//! ESC/P (9-pin, 24-pin) and IBM Proprinter are ours: no Rust crate speaks
//! them. ESC/POS text, styles, feeds and cuts go through the `escpos` crate
//! (captured into memory by [`CaptureDriver`], so every transport of ours can
//! carry them); its images are sent only as `GS v 0` raster, which TM-U2x0
//! impact printers print as garbage, so column images (`ESC *`) are packed
//! here and passed through its `custom` command.

use crate::doc::{Align, Block, Document, Run, Style, ascii};
use crate::error::{PrintError, Result};
use crate::profile::{ImageMode, Language, Pitch, Profile};
use crate::raster::{Bitmap, Devanagari};
use std::cell::RefCell;
use std::rc::Rc;

pub const ESC: u8 = 0x1b;
pub const GS: u8 = 0x1d;

/// Encodes a document for a profile. PDF profiles go through [`crate::pdf`].
pub fn encode(doc: &Document, profile: &Profile) -> Result<Vec<u8>> {
    match profile.language {
        Language::Escp9 | Language::Escp24 | Language::Ibm => Ok(escp(doc, profile)),
        Language::Escpos => escpos(doc, profile),
        Language::Text => Ok(text(doc, profile)),
        Language::Pdf => crate::pdf::document_pdf(doc, profile),
    }
}

/// Devanagari/Unicode block → bitmaps at the profile's image density.
fn unicode_lines(profile: &Profile, text: &str) -> std::sync::Arc<Vec<Bitmap>> {
    let im = &profile.images;
    Devanagari::shared().render_wrapped(
        text,
        im.text_px,
        im.x_dpi,
        im.y_dpi,
        im.width_dots as usize,
    )
}

/// Left padding (in dots) that centres a picture.
fn offset(profile: &Profile, bm: &Bitmap, align: Align) -> usize {
    match align {
        Align::Left => 0,
        Align::Center => (profile.images.width_dots as usize).saturating_sub(bm.width) / 2,
    }
}

/// Packs a band of `dots` rows starting at `top` into column bytes, top dot
/// in the highest bit (ESC/P, IBM and ESC/POS agree on that), with `pad`
/// blank columns in front.
pub fn pack_columns(bm: &Bitmap, top: usize, dots: usize, pad: usize) -> Vec<u8> {
    let per = dots / 8;
    let used = bm.used_width();
    let mut out = vec![0u8; (pad + used) * per];
    for x in 0..used {
        for y in 0..dots {
            if bm.get(x, top + y) {
                out[(pad + x) * per + y / 8] |= 0x80 >> (y % 8);
            }
        }
    }
    out
}

/// One image command for `cols` columns.
fn image_cmd(mode: ImageMode, cols: usize, data: &[u8], out: &mut Vec<u8>) {
    let (nl, nh) = ((cols & 0xff) as u8, (cols >> 8) as u8);
    match mode {
        ImageMode::EscStar(m) => out.extend_from_slice(&[ESC, b'*', m, nl, nh]),
        ImageMode::EscLetter(l) => out.extend_from_slice(&[ESC, l, nl, nh]),
        ImageMode::GsV0 => unreachable!("raster is packed by rows"),
    }
    out.extend_from_slice(data);
}

/// A picture as column-image bands, each ended with CR LF, line spacing set
/// to exactly one band so bands touch.
fn column_image(profile: &Profile, bm: &Bitmap, pad: usize, out: &mut Vec<u8>) {
    let mode = profile.images.devanagari.expect("image profile");
    let dots = mode.band_dots();
    let band_units = (dots as u32 * profile.lines.unit as u32 / profile.images.y_dpi as u32) as u8;
    out.extend_from_slice(&[ESC, b'3', band_units]);
    let mut top = 0;
    while top < bm.height {
        let data = pack_columns(bm, top, dots, pad);
        let cols = data.len() / (dots / 8);
        if cols > 0 {
            image_cmd(mode, cols, &data, out);
        }
        out.extend_from_slice(b"\r\n");
        top += dots;
    }
    out.extend_from_slice(&[ESC, b'3', profile.lines.default as u8]);
}

/// `GS v 0` raster (thermal printers only).
fn raster_image(bm: &Bitmap, pad: usize, out: &mut Vec<u8>) {
    let w = pad + bm.used_width();
    let wb = w.div_ceil(8);
    let mut data = vec![0u8; wb * bm.height];
    for y in 0..bm.height {
        for x in 0..bm.width {
            if bm.get(x, y) {
                let px = pad + x;
                data[y * wb + px / 8] |= 0x80 >> (px % 8);
            }
        }
    }
    out.extend_from_slice(&[GS, b'v', b'0', 0, (wb & 0xff) as u8, (wb >> 8) as u8]);
    out.extend_from_slice(&[(bm.height & 0xff) as u8, (bm.height >> 8) as u8]);
    out.extend_from_slice(&data);
}

/// Pitch commands. ESC/P reference: `ESC P` 10 cpi, `ESC M` 12 cpi, `SI`
/// condensed (17.1 cpi from pica), `DC2` cancels condensed. IBM Proprinter:
/// `DC2` 10 cpi, `ESC :` 12 cpi, `SI` condensed.
fn escp_pitch(lang: Language, p: Pitch, out: &mut Vec<u8>) {
    match (lang, p) {
        (Language::Ibm, Pitch::Pica) => out.extend_from_slice(&[0x12]),
        (Language::Ibm, Pitch::Elite) => out.extend_from_slice(&[0x12, ESC, b':']),
        (Language::Ibm, Pitch::Condensed) => out.extend_from_slice(&[0x12, 0x0f]),
        (_, Pitch::Elite) => out.extend_from_slice(&[0x12, ESC, b'M']),
        (_, Pitch::Condensed) => out.extend_from_slice(&[ESC, b'P', 0x0f]),
        _ => out.extend_from_slice(&[0x12, ESC, b'P']),
    }
}

fn escp(doc: &Document, profile: &Profile) -> Vec<u8> {
    let lang = profile.language;
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(&profile.init);
    out.extend_from_slice(&profile.table_select);
    if profile.paper.page_length_lines > 0 {
        out.extend_from_slice(&[ESC, b'C', profile.paper.page_length_lines]);
    }
    let (pitch, cols) = profile.pitch_for(doc.columns);
    escp_pitch(lang, pitch, &mut out);
    out.extend_from_slice(&[ESC, b'3', profile.lines.default as u8]);
    for b in &doc.blocks {
        match b {
            Block::Text(runs) => {
                for r in runs {
                    escp_run(lang, pitch, r, &mut out);
                }
                out.extend_from_slice(b"\r\n");
            }
            Block::Rule => {
                out.extend(std::iter::repeat_n(b'-', doc.columns.min(cols) as usize));
                out.extend_from_slice(b"\r\n");
            }
            Block::Image(bm, align) => {
                column_image(profile, bm, offset(profile, bm, *align), &mut out)
            }
            Block::Unicode { text, align, .. } => {
                for bm in unicode_lines(profile, text).iter() {
                    column_image(profile, bm, offset(profile, bm, *align), &mut out);
                }
            }
            Block::Feed(n) => {
                for _ in 0..*n {
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
    }
    out.extend(std::iter::repeat_n(
        b'\n',
        profile.paper.tear_off_lines as usize,
    ));
    // Continuous paper: a form feed without a page length would run a whole
    // (unknown) page out, wasting paper and moving the tear-off position.
    if profile.paper.page_length_lines > 0 {
        out.push(0x0c);
    }
    out
}

fn escp_run(lang: Language, base: Pitch, r: &Run, out: &mut Vec<u8>) {
    let s = r.style;
    if s.bold {
        out.extend_from_slice(&[ESC, b'E']);
    }
    if s.double_width {
        out.extend_from_slice(&[ESC, b'W', 1]);
    }
    let condensed = s.condensed && base != Pitch::Condensed;
    if condensed {
        out.push(0x0f);
    }
    out.extend(ascii(&r.text).bytes());
    if condensed {
        // DC2 cancels condensed; the base pitch command follows again.
        escp_pitch(lang, base, out);
    }
    if s.double_width {
        out.extend_from_slice(&[ESC, b'W', 0]);
    }
    if s.bold {
        out.extend_from_slice(&[ESC, b'F']);
    }
}

/// An `escpos` driver that keeps the bytes, so our transports carry them.
#[derive(Clone, Default)]
pub struct CaptureDriver(Rc<RefCell<Vec<u8>>>);

impl escpos::driver::Driver for CaptureDriver {
    fn name(&self) -> String {
        "capture".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

fn escpos(doc: &Document, profile: &Profile) -> Result<Vec<u8>> {
    use escpos::printer::Printer;
    use escpos::printer_options::PrinterOptions;
    use escpos::utils::{Font, PageCode, Protocol};
    let e = |x: escpos::errors::PrinterError| PrintError::Encoder(x.to_string());
    let drv = CaptureDriver::default();
    let (pitch, cols) = profile.pitch_for(doc.columns);
    let opts = PrinterOptions::new(Some(PageCode::PC437), None, cols as u8);
    let mut p = Printer::new(drv.clone(), Protocol::default(), Some(opts));
    p.init().map_err(e)?;
    p.font(if pitch == Pitch::FontB {
        Font::B
    } else {
        Font::A
    })
    .map_err(e)?;
    p.line_spacing(profile.lines.default as u8).map_err(e)?;
    for b in &doc.blocks {
        match b {
            Block::Text(runs) => {
                for r in runs {
                    let s: Style = r.style;
                    if s.bold {
                        p.bold(true).map_err(e)?;
                    }
                    if s.double_width {
                        p.size(2, 1).map_err(e)?;
                    }
                    p.write(&ascii(&r.text)).map_err(e)?;
                    if s.double_width {
                        p.reset_size().map_err(e)?;
                    }
                    if s.bold {
                        p.bold(false).map_err(e)?;
                    }
                }
                p.feed().map_err(e)?;
            }
            Block::Rule => {
                p.writeln(&"-".repeat(doc.columns.min(cols) as usize))
                    .map_err(e)?;
            }
            Block::Image(bm, align) => {
                let mut v = Vec::new();
                pos_image(profile, bm, offset(profile, bm, *align), &mut v);
                p.custom(&v).map_err(e)?;
            }
            Block::Unicode { text, align, .. } => {
                let mut v = Vec::new();
                for bm in unicode_lines(profile, text).iter() {
                    pos_image(profile, bm, offset(profile, bm, *align), &mut v);
                }
                p.custom(&v).map_err(e)?;
            }
            Block::Feed(n) => {
                for _ in 0..*n {
                    p.feed().map_err(e)?;
                }
            }
        }
    }
    // `ESC d n`: print and feed n lines (Epson ESC/POS reference); it leaves
    // the head at the start of a line, where GS V must be sent.
    if profile.paper.tear_off_lines > 0 {
        p.feeds(profile.paper.tear_off_lines).map_err(e)?;
    }
    // Not the crate's `cut`/`partial_cut`: it sends `GS V 65 0/1`, and
    // Epson defines m = 65 as a full cut whatever n is.
    if let Some(cmd) = cut_command(profile.paper.cut) {
        p.custom(&cmd).map_err(e)?;
    }
    p.print().map_err(e)?;
    let bytes = drv.0.borrow().clone();
    Ok(bytes)
}

/// The cut at the end of a receipt. Epson ESC/POS reference, `GS V`
/// "Select cut mode and cut paper", function B: m = 65 feeds the paper to
/// (cutting position + n × vertical motion unit) and cuts fully, m = 66 does
/// the same with a partial cut (one point left uncut). n = 0: the last
/// printed line reaches the cutter and nothing more is fed. Function A
/// (m = 0/1) would cut at the current position, leaving the lines between
/// head and cutter on the next receipt.
pub fn cut_command(cut: crate::profile::Cut) -> Option<[u8; 4]> {
    match cut {
        crate::profile::Cut::Full => Some([GS, b'V', 65, 0]),
        crate::profile::Cut::Partial => Some([GS, b'V', 66, 0]),
        crate::profile::Cut::None => None,
    }
}

fn pos_image(profile: &Profile, bm: &Bitmap, pad: usize, out: &mut Vec<u8>) {
    match profile.images.devanagari {
        Some(ImageMode::GsV0) => raster_image(bm, pad, out),
        _ => column_image(profile, bm, pad, out),
    }
}

fn text(doc: &Document, profile: &Profile) -> Vec<u8> {
    let mut out = Vec::new();
    let cols = profile.default_columns() as usize;
    for b in &doc.blocks {
        match b {
            Block::Text(runs) => {
                let mut line = String::new();
                for r in runs {
                    let t = ascii(&r.text);
                    if r.style.double_width {
                        // No commands: spell double width out as spaced letters.
                        for c in t.chars() {
                            line.push(c);
                            line.push(' ');
                        }
                    } else {
                        line.push_str(&t);
                    }
                }
                line.truncate(cols);
                out.extend_from_slice(line.trim_end().as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Block::Rule => {
                out.extend(std::iter::repeat_n(b'-', (doc.columns as usize).min(cols)));
                out.extend_from_slice(b"\r\n");
            }
            // A text-only printer has no Devanagari and no images: data
            // (a name) comes out romanised; translations of the English
            // lines are left out, the English says it.
            Block::Unicode {
                fallback: Some(f),
                align,
                ..
            } => {
                for chunk in crate::doc::wrap(&ascii(f), cols) {
                    let pad = match align {
                        Align::Left => 0,
                        Align::Center => cols.saturating_sub(chunk.len()) / 2,
                    };
                    out.extend(std::iter::repeat_n(b' ', pad));
                    out.extend_from_slice(chunk.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
            }
            Block::Image(..) | Block::Unicode { fallback: None, .. } => {}
            Block::Feed(n) => {
                for _ in 0..*n {
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
    }
    for _ in 0..profile.paper.tear_off_lines {
        out.extend_from_slice(b"\r\n");
    }
    out
}
