//! The virtual printer: interprets our own ESC/P, IBM and ESC/POS byte
//! streams into a picture of the paper. It stands in for the physical
//! printer in golden tests and gives the app its print preview from the
//! very bytes that would be sent.

use crate::error::{PrintError, Result};
use crate::profile::{ImageMode, Language, Pitch, Profile};
use crate::raster::Bitmap;
use crate::stream::{Op, parse};
use font8x8::UnicodeFonts;

pub struct Page {
    pub bitmap: Bitmap,
    /// Vertical stretch that makes the dot grid square on screen.
    pub y_scale: f32,
}

impl Page {
    pub fn png(&self) -> Vec<u8> {
        self.bitmap.to_png(self.y_scale)
    }
}

/// Renders a stream for `profile` (any language but PDF).
pub fn render(bytes: &[u8], profile: &Profile) -> Result<Page> {
    if profile.language == Language::Pdf {
        return Err(PrintError::Unsupported("virtual printing of PDF".into()));
    }
    let ops = parse(bytes, profile.language).map_err(|e| PrintError::Stream(e.to_string()))?;
    let im = &profile.images;
    let width = im.width_dots as usize;
    let ydpi = im.y_dpi as f64;
    let unit = profile.lines.unit as f64;
    let mut bm = Bitmap::new(width, 64);
    let (mut x, mut y) = (0f64, 4f64);
    let mut spacing = profile.lines.default as f64;
    let default_line = profile.lines.default as f64 / unit * ydpi;
    let text_h = (default_line * 0.72).round().max(7.0);
    let mut pitch = profile.default_pitch;
    let (mut condensed, mut bold, mut dw) = (false, false, false);
    let mut size_w = 1.0;
    let line_adv = |spacing: f64| spacing / unit * ydpi;
    for (_, op) in ops {
        match op {
            Op::Text(t) => {
                let cols = if condensed {
                    profile.columns_at(Pitch::Condensed)
                } else {
                    profile.columns_at(pitch)
                };
                let cell = width as f64 / cols.max(1) as f64 * if dw { 2.0 } else { 1.0 } * size_w;
                for b in t {
                    bm.ensure_height((y + text_h) as usize + 2);
                    glyph(&mut bm, b as char, x, y, cell, text_h, bold);
                    x += cell;
                }
            }
            Op::Cr => x = 0.0,
            Op::Lf => {
                y += line_adv(spacing);
                if matches!(profile.language, Language::Escpos | Language::Text) {
                    x = 0.0;
                }
            }
            Op::FeedLines(n) => {
                y += n as f64 * line_adv(spacing);
                x = 0.0;
            }
            Op::Ff => {
                let page = profile.paper.page_length_lines as f64 * default_line;
                if page > 0.0 {
                    y = ((y / page).floor() + 1.0) * page;
                }
            }
            Op::Bold(on) => bold = on,
            Op::DoubleWidth(on) => dw = on,
            Op::Condensed(on) => {
                condensed = on;
                if !on && profile.language == Language::Ibm {
                    pitch = Pitch::Pica;
                }
            }
            Op::Pitch(p) => pitch = p,
            Op::LineSpacing(n) => spacing = n as f64,
            Op::LineSpacingDefault => spacing = unit / 6.0,
            Op::Size { w, .. } => size_w = w as f64,
            Op::Image { mode, cols, data } => {
                let dots = mode.band_dots();
                let per = dots / 8;
                // Our streams send images in the profile's Devanagari mode,
                // whose density is the canvas's; other modes are scaled.
                let sx = if Some(mode) == profile.images.devanagari {
                    1.0
                } else {
                    scale_x(mode, profile)
                };
                bm.ensure_height(y as usize + dots + 2);
                for c in 0..cols {
                    for d in 0..dots {
                        if data[c * per + d / 8] & (0x80 >> (d % 8)) != 0 {
                            let px = x + c as f64 * sx;
                            for k in 0..sx.ceil() as usize {
                                bm.set(px as usize + k, y as usize + d);
                            }
                        }
                    }
                }
                x += cols as f64 * sx;
            }
            Op::Raster {
                width_bytes,
                height,
                data,
            } => {
                bm.ensure_height(y as usize + height + 2);
                for r in 0..height {
                    for c in 0..width_bytes * 8 {
                        if data[r * width_bytes + c / 8] & (0x80 >> (c % 8)) != 0 {
                            bm.set(x as usize + c, y as usize + r);
                        }
                    }
                }
                y += height as f64;
                x = 0.0;
            }
            Op::Cut { partial } => {
                // A dashed line marks the cut.
                bm.ensure_height(y as usize + 2);
                let step = if partial { 6 } else { 3 };
                for px in (0..width).step_by(step) {
                    bm.set(px, y as usize);
                }
            }
            Op::Init => {
                spacing = unit / 6.0;
                pitch = profile.default_pitch;
                condensed = false;
                bold = false;
                dw = false;
                size_w = 1.0;
            }
            // 1/60 inch units from the left margin (ESC/P).
            Op::HeadTo(n) => x = n as f64 * im.x_dpi as f64 / 60.0,
            Op::Cancel | Op::TableSelect(_) | Op::TableAssign(_) | Op::PageLength(_) => {}
        }
    }
    bm.ensure_height(y.ceil() as usize + 1);
    bm.height = bm.height.min(y.ceil() as usize + 1);
    bm.dots.truncate(bm.width * bm.height);
    Ok(Page {
        bitmap: bm,
        y_scale: im.x_dpi as f32 / im.y_dpi as f32,
    })
}

fn scale_x(mode: ImageMode, profile: &Profile) -> f64 {
    let dpi = match mode {
        ImageMode::EscStar(0) | ImageMode::EscLetter(b'K') | ImageMode::EscStar(32) => 60.0,
        ImageMode::EscStar(3) | ImageMode::EscLetter(b'Z') => 240.0,
        ImageMode::EscStar(39) => 180.0,
        ImageMode::EscStar(40) => 360.0,
        _ => 120.0,
    };
    profile.images.x_dpi as f64 / dpi
}

/// Draws an 8x8 font glyph scaled into a character cell.
fn glyph(bm: &mut Bitmap, c: char, x: f64, y: f64, cell: f64, h: f64, bold: bool) {
    let Some(rows) = font8x8::BASIC_FONTS.get(c) else {
        return;
    };
    let gw = (cell * 0.9).max(5.0);
    let (w, hh) = (gw.round() as usize, h.round() as usize);
    for py in 0..hh {
        let gy = py * 8 / hh.max(1);
        for px in 0..w {
            let gx = px * 8 / w.max(1);
            if rows[gy] & (1 << gx) != 0 {
                let (dx, dy) = ((x as usize) + px, (y as usize) + py);
                bm.set(dx, dy);
                if bold {
                    bm.set(dx + 1, dy);
                }
            }
        }
    }
}
