//! 1-bit pictures and Devanagari rendering: shaped with rustybuzz (so
//! conjuncts and matras come out right), rasterised from the bundled Noto
//! Sans Devanagari outlines at the printer's own (often non-square) dot
//! density. Rendered lines are cached: a receipt repeats the same banner and
//! service names all day.

use crate::error::{PrintError, Result};
use ab_glyph_rasterizer::{Rasterizer, point};
use rustybuzz::ttf_parser;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Noto Sans Devanagari Regular (SIL OFL 1.1, see fonts/OFL.txt).
pub static DEVANAGARI_TTF: &[u8] = include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf");

/// One byte per dot (0 or 1), row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    pub width: usize,
    pub height: usize,
    pub dots: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Bitmap({}x{}, {} set)",
            self.width,
            self.height,
            self.count()
        )
    }
}

impl Bitmap {
    pub fn new(width: usize, height: usize) -> Bitmap {
        Bitmap {
            width,
            height,
            dots: vec![0; width * height],
        }
    }
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.dots[y * self.width + x] != 0
    }
    #[inline]
    pub fn set(&mut self, x: usize, y: usize) {
        if x < self.width && y < self.height {
            self.dots[y * self.width + x] = 1;
        }
    }
    pub fn count(&self) -> usize {
        self.dots.iter().filter(|d| **d != 0).count()
    }
    /// Grows downwards (the paper is continuous).
    pub fn ensure_height(&mut self, h: usize) {
        if h > self.height {
            self.dots.resize(self.width * h, 0);
            self.height = h;
        }
    }
    /// Index of the last column that has a dot, plus one.
    pub fn used_width(&self) -> usize {
        (0..self.width)
            .rev()
            .find(|&x| (0..self.height).any(|y| self.get(x, y)))
            .map_or(0, |x| x + 1)
    }
    /// Pastes `other` with its top-left corner at (x, y), OR-ing dots.
    pub fn blit(&mut self, other: &Bitmap, x: usize, y: usize) {
        for oy in 0..other.height {
            for ox in 0..other.width {
                if other.get(ox, oy) {
                    self.set(x + ox, y + oy);
                }
            }
        }
    }
    /// Grayscale PNG (black dots on white); `y_scale` stretches rows so a
    /// non-square dot grid looks right on screen.
    pub fn to_png(&self, y_scale: f32) -> Vec<u8> {
        let out_h = ((self.height as f32) * y_scale).round().max(1.0) as usize;
        let mut pixels = vec![255u8; self.width * out_h];
        for oy in 0..out_h {
            let sy = ((oy as f32) / y_scale) as usize;
            for x in 0..self.width {
                if self.get(x, sy.min(self.height.saturating_sub(1))) {
                    pixels[oy * self.width + x] = 0;
                }
            }
        }
        let mut buf = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut buf, self.width as u32, out_h as u32);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().expect("png header to memory");
            w.write_image_data(&pixels).expect("png data to memory");
        }
        buf
    }
    /// Reads a PNG written by [`Bitmap::to_png`] (golden files), rows as stored.
    pub fn from_png(bytes: &[u8]) -> Result<Bitmap> {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut r = dec
            .read_info()
            .map_err(|e| PrintError::Stream(e.to_string()))?;
        let mut buf = vec![0; r.output_buffer_size().unwrap_or(0)];
        let info = r
            .next_frame(&mut buf)
            .map_err(|e| PrintError::Stream(e.to_string()))?;
        if info.color_type != png::ColorType::Grayscale || info.bit_depth != png::BitDepth::Eight {
            return Err(PrintError::Stream("expected 8-bit grayscale PNG".into()));
        }
        let (w, h) = (info.width as usize, info.height as usize);
        let mut b = Bitmap::new(w, h);
        for (d, px) in b.dots.iter_mut().zip(&buf[..w * h]) {
            *d = u8::from(*px < 128);
        }
        Ok(b)
    }
}

/// One shaped glyph, in font units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapedGlyph {
    pub glyph_id: u16,
    pub cluster: u32,
    pub x_advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
}

type CacheKey = (String, u16, u16, u16, usize);

/// What the rendered-line cache may hold, in dot bytes. The repeated lines
/// (banner, notices, service names) are a few hundred KiB at any density;
/// the lines every receipt makes anew (names, amounts in words) would
/// otherwise fill a long-running app with megabytes nobody reads again.
const CACHE_BYTES: usize = 1 << 20;

#[derive(Default)]
struct LineCache {
    lines: HashMap<CacheKey, Arc<Vec<Bitmap>>>,
    bytes: usize,
}

pub struct Devanagari {
    face: rustybuzz::Face<'static>,
    cache: Mutex<LineCache>,
}

impl Devanagari {
    /// The process-wide renderer over the bundled font.
    pub fn shared() -> &'static Devanagari {
        static ONE: OnceLock<Devanagari> = OnceLock::new();
        ONE.get_or_init(|| Devanagari {
            face: rustybuzz::Face::from_slice(DEVANAGARI_TTF, 0).expect("bundled font parses"),
            cache: Mutex::new(LineCache::default()),
        })
    }

    pub fn face(&self) -> &rustybuzz::Face<'static> {
        &self.face
    }

    pub fn units_per_em(&self) -> i32 {
        self.face.units_per_em()
    }

    /// Shapes a run (script and direction guessed from the text).
    pub fn shape(&self, text: &str) -> Vec<ShapedGlyph> {
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        buf.guess_segment_properties();
        let out = rustybuzz::shape(&self.face, &[], buf);
        out.glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| ShapedGlyph {
                glyph_id: i.glyph_id as u16,
                cluster: i.cluster,
                x_advance: p.x_advance,
                x_offset: p.x_offset,
                y_offset: p.y_offset,
            })
            .collect()
    }

    /// Whether every character has a glyph (no .notdef after shaping).
    pub fn covers(&self, text: &str) -> bool {
        self.shape(text).iter().all(|g| g.glyph_id != 0)
    }

    fn metrics(&self) -> (i32, i32) {
        // Typographic ascender/descender leave room for the tallest marks.
        (self.face.ascender() as i32, self.face.descender() as i32)
    }

    /// Width in dots of a shaped line at `px` dots body height.
    fn width_dots(&self, text: &str, px: u16, x_dpi: u16, y_dpi: u16) -> f32 {
        let (asc, desc) = self.metrics();
        let sy = px as f32 / (asc - desc) as f32;
        let sx = sy * x_dpi as f32 / y_dpi as f32;
        self.shape(text).iter().map(|g| g.x_advance).sum::<i32>() as f32 * sx
    }

    /// Renders `text` as lines no wider than `max_width` dots; each bitmap is
    /// `px` dots tall with the baseline at the same height.
    pub fn render_wrapped(
        &self,
        text: &str,
        px: u16,
        x_dpi: u16,
        y_dpi: u16,
        max_width: usize,
    ) -> Arc<Vec<Bitmap>> {
        let key = (text.to_string(), px, x_dpi, y_dpi, max_width);
        if let Some(hit) = self.cache.lock().expect("cache lock").lines.get(&key) {
            return hit.clone();
        }
        let mut lines: Vec<String> = Vec::new();
        let mut cur = String::new();
        for word in text.split_whitespace() {
            let cand = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur} {word}")
            };
            if cur.is_empty() || self.width_dots(&cand, px, x_dpi, y_dpi) <= max_width as f32 {
                cur = cand;
            } else {
                lines.push(std::mem::replace(&mut cur, word.to_string()));
            }
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        let out: Vec<Bitmap> = lines
            .iter()
            .map(|l| self.render_line(l, px, x_dpi, y_dpi, max_width))
            .collect();
        let out = Arc::new(out);
        let size: usize = out.iter().map(|b| b.dots.len()).sum();
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.bytes + size > CACHE_BYTES {
            // Started afresh: the day's repeated lines come back at once.
            cache.lines.clear();
            cache.lines.shrink_to_fit();
            cache.bytes = 0;
        }
        if size <= CACHE_BYTES {
            cache.bytes += size;
            cache.lines.insert(key, out.clone());
        }
        out
    }

    fn render_line(&self, text: &str, px: u16, x_dpi: u16, y_dpi: u16, max_width: usize) -> Bitmap {
        let (asc, desc) = self.metrics();
        let sy = px as f32 / (asc - desc) as f32;
        let sx = sy * x_dpi as f32 / y_dpi as f32;
        let glyphs = self.shape(text);
        let total: i32 = glyphs.iter().map(|g| g.x_advance).sum();
        let width = ((total as f32 * sx).ceil() as usize + 2).min(max_width.max(1));
        let height = px as usize;
        let baseline = asc as f32 * sy;
        let mut r = Rasterizer::new(width, height);
        let mut pen = 0i32;
        for g in &glyphs {
            let mut b = Outline {
                r: &mut r,
                ox: (pen + g.x_offset) as f32 * sx + 1.0,
                oy: baseline - g.y_offset as f32 * sy,
                sx,
                sy,
                start: point(0.0, 0.0),
                last: point(0.0, 0.0),
            };
            self.face
                .outline_glyph(ttf_parser::GlyphId(g.glyph_id), &mut b);
            pen += g.x_advance;
        }
        let mut bm = Bitmap::new(width, height);
        r.for_each_pixel(|i, a| {
            // A little under half coverage: thin Devanagari strokes survive
            // on 72 dpi pin columns.
            if a > 0.42 {
                bm.dots[i] = 1;
            }
        });
        bm
    }
}

struct Outline<'a> {
    r: &'a mut Rasterizer,
    ox: f32,
    oy: f32,
    sx: f32,
    sy: f32,
    start: ab_glyph_rasterizer::Point,
    last: ab_glyph_rasterizer::Point,
}

impl Outline<'_> {
    fn p(&self, x: f32, y: f32) -> ab_glyph_rasterizer::Point {
        point(self.ox + x * self.sx, self.oy - y * self.sy)
    }
}

impl ttf_parser::OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.start = self.p(x, y);
        self.last = self.start;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.p(x, y);
        self.r.draw_line(self.last, p);
        self.last = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (c, p) = (self.p(x1, y1), self.p(x, y));
        self.r.draw_quad(self.last, c, p);
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (c1, c2, p) = (self.p(x1, y1), self.p(x2, y2), self.p(x, y));
        self.r.draw_cubic(self.last, c1, c2, p);
        self.last = p;
    }
    fn close(&mut self) {
        if self.last != self.start {
            self.r.draw_line(self.last, self.start);
        }
        self.last = self.start;
    }
}

/// Checks the font is usable at all (for `printers list` diagnostics).
pub fn font_ok() -> Result<()> {
    rustybuzz::Face::from_slice(DEVANAGARI_TTF, 0)
        .map(|_| ())
        .ok_or_else(|| PrintError::Font("bundled Devanagari font does not parse".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_cache_stays_within_its_bytes_and_keeps_answering_the_same() {
        let d = Devanagari {
            face: rustybuzz::Face::from_slice(DEVANAGARI_TTF, 0).unwrap(),
            cache: Mutex::new(LineCache::default()),
        };
        let banner = d.render_wrapped("ई-मित्र कियोस्क — भुगतान रसीद", 44, 120, 180, 960);
        // A long day's worth of lines seen once each (names, amounts).
        for i in 0..600 {
            let name = format!("श्री कृष्ण द्विवेदी {i} — बिजली बिल");
            d.render_wrapped(&name, 44, 120, 180, 960);
            let c = d.cache.lock().unwrap();
            assert!(c.bytes <= CACHE_BYTES, "{} bytes cached", c.bytes);
            let real: usize = c
                .lines
                .values()
                .flat_map(|v| v.iter())
                .map(|b| b.dots.len())
                .sum();
            assert_eq!(c.bytes, real, "the count matches what is held");
        }
        let again = d.render_wrapped("ई-मित्र कियोस्क — भुगतान रसीद", 44, 120, 180, 960);
        assert_eq!(*banner, *again, "a line renders the same cached or not");
    }
}
