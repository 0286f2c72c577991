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
    pack_range(bm, top, dots, 0, bm.used_width(), pad)
}

/// Bitmap columns `from..to` of a band as column bytes, `lead` blank
/// columns in front.
fn pack_range(
    bm: &Bitmap,
    top: usize,
    dots: usize,
    from: usize,
    to: usize,
    lead: usize,
) -> Vec<u8> {
    let per = dots / 8;
    let mut out = vec![0u8; (lead + to - from) * per];
    for x in from..to {
        for y in 0..dots {
            if bm.get(x, top + y) {
                out[(lead + x - from) * per + y / 8] |= 0x80 >> (y % 8);
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

/// How the head is moved across blank paper instead of sending blank
/// image columns.
#[derive(Clone, Copy)]
enum HeadMove {
    /// ESC/P `ESC $ nL nH`: absolute position in 1/60 inch from the left
    /// margin (Epson ESC/P reference), `dots` image columns per unit.
    Absolute { dots: usize },
    /// Spaces in the current pitch, each exactly `cell` image columns wide
    /// (IBM Proprinter: 10 cpi is 12 columns at 120 dpi).
    Spaces { cell: usize },
    /// No way that keeps the dot grid (ESC/POS column images): blank
    /// columns are sent.
    None,
}

fn head_move(profile: &Profile, pitch: Pitch) -> HeadMove {
    let x_dpi = profile.images.x_dpi as usize;
    let cols = profile.columns_at(pitch) as usize;
    match profile.language {
        Language::Escp9 | Language::Escp24 if x_dpi.is_multiple_of(60) => {
            HeadMove::Absolute { dots: x_dpi / 60 }
        }
        Language::Ibm if cols > 0 && (profile.images.width_dots as usize).is_multiple_of(cols) => {
            HeadMove::Spaces {
                cell: profile.images.width_dots as usize / cols,
            }
        }
        _ => HeadMove::None,
    }
}

/// Moves the head from `head` towards `target` (paper columns, never
/// past it); returns where it ends up.
fn move_head(mv: HeadMove, head: usize, target: usize, out: &mut Vec<u8>) -> usize {
    match mv {
        HeadMove::Absolute { dots } => {
            let n = target / dots;
            if n * dots > head {
                out.extend_from_slice(&[ESC, b'$', (n & 0xff) as u8, (n >> 8) as u8]);
                n * dots
            } else {
                head
            }
        }
        HeadMove::Spaces { cell } => {
            let k = (target - head) / cell;
            out.extend(std::iter::repeat_n(b' ', k));
            head + k * cell
        }
        HeadMove::None => head,
    }
}

/// The inked column ranges of one band: blank columns at either end are
/// dropped, and a blank run inside is split off where moving the head
/// costs fewer bytes than sending it.
fn band_segments(bm: &Bitmap, top: usize, dots: usize, mv: HeadMove) -> Vec<(usize, usize)> {
    let inked = |x: usize| (top..(top + dots).min(bm.height)).any(|y| bm.get(x, y));
    // A split costs a move and a new image header (9 bytes) plus up to a
    // move unit of blank columns; below that the run is sent as is.
    let per = dots / 8;
    let split_at = match mv {
        HeadMove::None => usize::MAX,
        HeadMove::Absolute { dots: u } => 9 / per + u,
        HeadMove::Spaces { cell } => 9 / per + cell,
    };
    let mut segs: Vec<(usize, usize)> = Vec::new();
    let mut x = 0;
    while x < bm.width {
        if !inked(x) {
            x += 1;
            continue;
        }
        let start = x;
        while x < bm.width && inked(x) {
            x += 1;
        }
        match segs.last_mut() {
            Some(last) if start - last.1 < split_at => last.1 = x,
            _ => segs.push((start, x)),
        }
    }
    segs
}

/// A picture as column-image bands, each ended with CR LF, line spacing set
/// to exactly one band so bands touch. Only ink is sent: blank rows are fed
/// over (a band starts at the next inked row), blank columns are moved over
/// (see [`HeadMove`]); every dot lands where a full-width image of whole
/// bands would put it, and the paper ends up at the picture's bottom.
fn column_image(profile: &Profile, bm: &Bitmap, pad: usize, pitch: Pitch, out: &mut Vec<u8>) {
    let mode = profile.images.devanagari.expect("image profile");
    let dots = mode.band_dots();
    // Line-spacing units per dot row: ESC 3 n is n/unit inch.
    let unit = profile.lines.unit as usize;
    let ydpi = profile.images.y_dpi as usize;
    let exact = unit.is_multiple_of(ydpi);
    let per_row = unit / ydpi;
    let band_units = (dots * unit / ydpi) as u8;
    let mv = head_move(profile, pitch);
    let starts = band_starts(bm, dots, exact);
    let whole = bm.height.div_ceil(dots) * dots;
    let mut spacing = 0u8;
    let mut set = |units: u8, out: &mut Vec<u8>| {
        if spacing != units {
            out.extend_from_slice(&[ESC, b'3', units]);
            spacing = units;
        }
    };
    let mut y = 0;
    for top in starts.into_iter().chain([whole]) {
        // Blank rows fed over: in exact steps, or whole bands (a start off
        // the band grid only happens where steps are exact).
        let mut left = top - y;
        while left > 0 {
            let rows = if exact { left.min(255 / per_row) } else { dots };
            set(
                if exact {
                    (rows * per_row) as u8
                } else {
                    band_units
                },
                out,
            );
            out.extend_from_slice(b"\r\n");
            left -= rows;
        }
        if top == whole {
            break;
        }
        set(band_units, out);
        let mut head = 0;
        for (from, to) in band_segments(bm, top, dots, mv) {
            let target = pad + from;
            head = move_head(mv, head, target, out);
            let lead = target - head;
            let data = pack_range(bm, top, dots, from, to, lead);
            image_cmd(mode, lead + to - from, &data, out);
            head = target + to - from;
        }
        out.extend_from_slice(b"\r\n");
        y = top + dots;
    }
    out.extend_from_slice(&[ESC, b'3', profile.lines.default as u8]);
}

/// Where the bands that carry ink start. Each starts at the next inked row
/// (fewest bands) when blank rows can be fed exactly, as long as the last
/// one ends within the whole bands the picture always took (so what follows
/// stays where it was); else on the band grid, blank bands left out.
fn band_starts(bm: &Bitmap, dots: usize, exact: bool) -> Vec<usize> {
    let inked: Vec<bool> = (0..bm.height)
        .map(|y| (0..bm.width).any(|x| bm.get(x, y)))
        .collect();
    let whole = bm.height.div_ceil(dots) * dots;
    if exact {
        let mut starts = Vec::new();
        let mut y = 0;
        while let Some(next) = (y..bm.height).find(|&r| inked[r]) {
            starts.push(next);
            y = next + dots;
        }
        if starts.last().is_none_or(|&s| s + dots <= whole) {
            return starts;
        }
    }
    (0..whole)
        .step_by(dots)
        .filter(|&t| (t..(t + dots).min(bm.height)).any(|r| inked[r]))
        .collect()
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
                let mut pos = Some(0);
                for (i, r) in runs.iter().enumerate() {
                    escp_run(lang, pitch, r, i + 1 == runs.len(), &mut pos, &mut out);
                }
                out.extend_from_slice(b"\r\n");
            }
            Block::Rule => {
                out.extend(std::iter::repeat_n(b'-', doc.columns.min(cols) as usize));
                out.extend_from_slice(b"\r\n");
            }
            Block::Image(bm, align) => {
                column_image(profile, bm, offset(profile, bm, *align), pitch, &mut out)
            }
            Block::Unicode { text, align, .. } => {
                for bm in unicode_lines(profile, text).iter() {
                    column_image(profile, bm, offset(profile, bm, *align), pitch, &mut out);
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

/// One styled run. On ESC/P at 10 or 12 cpi a long run of spaces becomes
/// an `ESC $` head move to the same column (a character is exactly 6 or 5
/// sixtieths of an inch), and a line's trailing spaces are not sent: the
/// same paper in fewer bytes on a 9,600 baud link. `pos` is the head's
/// position in 1/60 inch, `None` once a pitch without whole units ran.
fn escp_run(
    lang: Language,
    base: Pitch,
    r: &Run,
    last: bool,
    pos: &mut Option<usize>,
    out: &mut Vec<u8>,
) {
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
    let unit = match (lang, base) {
        (Language::Escp9 | Language::Escp24, Pitch::Pica) if !condensed => Some(6),
        (Language::Escp9 | Language::Escp24, Pitch::Elite) if !condensed => Some(5),
        _ => None,
    }
    .map(|u| if s.double_width { 2 * u } else { u });
    if unit.is_none() {
        *pos = None;
    }
    let text = ascii(&r.text);
    let text = if last { text.trim_end() } else { &text };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let sp = bytes[i] == b' ';
        let j = (i..bytes.len())
            .find(|&k| (bytes[k] == b' ') != sp)
            .unwrap_or(bytes.len());
        let n = j - i;
        match (*pos, unit) {
            // ESC $ is 4 bytes: worth it from 5 spaces on.
            (Some(p), Some(u)) if sp && n >= 5 => {
                let to = p + n * u;
                out.extend_from_slice(&[ESC, b'$', (to & 0xff) as u8, (to >> 8) as u8]);
                *pos = Some(to);
            }
            _ => {
                out.extend_from_slice(&bytes[i..j]);
                *pos = pos.zip(unit).map(|(p, u)| p + n * u);
            }
        }
        i = j;
    }
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
        _ => column_image(profile, bm, pad, Pitch::FontA, out),
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
