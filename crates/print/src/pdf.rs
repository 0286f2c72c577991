//! PDF for laser printers (A4/A5): Latin text in the standard Courier font
//! (monospace keeps the DMP layouts), Devanagari as shaped glyph outlines
//! from the bundled font, drawn as vector paths so conjuncts come out as
//! rustybuzz shaped them and no font subsetting is needed.

use crate::doc::{Block, Document};
use crate::error::Result;
use crate::profile::Profile;
use crate::raster::Devanagari;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rustybuzz::ttf_parser;

struct PageGeom {
    w: f32,
    h: f32,
    margin: f32,
}

fn geom(profile: &Profile) -> PageGeom {
    match profile.paper.size.as_deref() {
        Some("A5") => PageGeom {
            w: 419.5,
            h: 595.3,
            margin: 28.0,
        },
        _ => PageGeom {
            w: 595.3,
            h: 841.9,
            margin: 42.0,
        },
    }
}

/// Lays a document out on A4/A5 pages.
pub fn document_pdf(doc: &Document, profile: &Profile) -> Result<Vec<u8>> {
    let g = geom(profile);
    let cols = doc.columns.max(40) as f32;
    // Courier advances 0.6 em: fit the layout's columns into the text width.
    let size = ((g.w - 2.0 * g.margin) / (cols * 0.6)).min(11.0);
    let lead = size * 1.25;
    let hi_size = size * 1.15;
    let hi_lead = hi_size * 1.6;
    let mut pages: Vec<Content> = Vec::new();
    let mut c = Content::new();
    let mut y = g.h - g.margin;
    let dev = Devanagari::shared();
    let width_pt = g.w - 2.0 * g.margin;
    let mut new_page = |c: &mut Content, y: &mut f32, need: f32| {
        if *y - need < g.margin {
            pages.push(std::mem::replace(c, Content::new()));
            *y = g.h - g.margin;
        }
    };
    for b in &doc.blocks {
        match b {
            Block::Text(runs) => {
                new_page(&mut c, &mut y, lead);
                y -= lead;
                let mut x = g.margin;
                for r in runs {
                    let font = if r.style.bold {
                        Name(b"F2")
                    } else {
                        Name(b"F1")
                    };
                    let s = if r.style.double_width {
                        size * 1.6
                    } else {
                        size
                    };
                    let adv = if r.style.double_width {
                        size * 1.2
                    } else {
                        size * 0.6
                    };
                    c.begin_text();
                    c.set_font(font, s);
                    if r.style.double_width {
                        // Horizontal scaling keeps double width on the grid.
                        c.set_horizontal_scaling(100.0 * (size * 1.2) / (s * 0.6));
                    }
                    c.next_line(x, y);
                    c.show(Str(r.text.as_bytes()));
                    c.end_text();
                    if r.style.double_width {
                        c.set_horizontal_scaling(100.0);
                    }
                    x += adv * r.text.len() as f32;
                }
            }
            Block::Rule => {
                new_page(&mut c, &mut y, lead);
                y -= lead;
                c.set_line_width(0.6);
                c.move_to(g.margin, y + size * 0.3);
                c.line_to(g.w - g.margin, y + size * 0.3);
                c.stroke();
            }
            Block::Image(..) => {}
            Block::Unicode { text, align, .. } => {
                for line in wrap_pt(dev, text, hi_size, width_pt) {
                    new_page(&mut c, &mut y, hi_lead);
                    y -= hi_lead;
                    let w = line_width(dev, &line, hi_size);
                    let x = match align {
                        crate::doc::Align::Left => g.margin,
                        crate::doc::Align::Center => g.margin + (width_pt - w).max(0.0) / 2.0,
                    };
                    draw_shaped(dev, &mut c, &line, x, y + hi_size * 0.25, hi_size);
                }
            }
            Block::Feed(n) => y -= lead * *n as f32,
        }
    }
    pages.push(c);
    Ok(write_pdf(pages, &g))
}

fn line_width(dev: &Devanagari, text: &str, size: f32) -> f32 {
    let s = size / dev.units_per_em() as f32;
    dev.shape(text).iter().map(|g| g.x_advance).sum::<i32>() as f32 * s
}

fn wrap_pt(dev: &Devanagari, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        let cand = if cur.is_empty() {
            w.to_string()
        } else {
            format!("{cur} {w}")
        };
        if cur.is_empty() || line_width(dev, &cand, size) <= width {
            cur = cand;
        } else {
            out.push(std::mem::replace(&mut cur, w.to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct PdfPath<'a> {
    c: &'a mut Content,
    x: f32,
    y: f32,
    s: f32,
    last: (f32, f32),
}

impl ttf_parser::OutlineBuilder for PdfPath<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let p = (self.x + x * self.s, self.y + y * self.s);
        self.c.move_to(p.0, p.1);
        self.last = p;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = (self.x + x * self.s, self.y + y * self.s);
        self.c.line_to(p.0, p.1);
        self.last = p;
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        // PDF has cubic curves only: raise the quadratic's degree.
        let (q0, q1) = (self.last, (self.x + x1 * self.s, self.y + y1 * self.s));
        let p = (self.x + x * self.s, self.y + y * self.s);
        let c1 = (
            q0.0 + 2.0 / 3.0 * (q1.0 - q0.0),
            q0.1 + 2.0 / 3.0 * (q1.1 - q0.1),
        );
        let c2 = (
            p.0 + 2.0 / 3.0 * (q1.0 - p.0),
            p.1 + 2.0 / 3.0 * (q1.1 - p.1),
        );
        self.c.cubic_to(c1.0, c1.1, c2.0, c2.1, p.0, p.1);
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let t = |a: f32, b: f32| (self.x + a * self.s, self.y + b * self.s);
        let (c1, c2, p) = (t(x1, y1), t(x2, y2), t(x, y));
        self.c.cubic_to(c1.0, c1.1, c2.0, c2.1, p.0, p.1);
        self.last = p;
    }
    fn close(&mut self) {
        self.c.close_path();
    }
}

fn draw_shaped(dev: &Devanagari, c: &mut Content, text: &str, x: f32, baseline: f32, size: f32) {
    let s = size / dev.units_per_em() as f32;
    let mut pen = 0i32;
    for g in dev.shape(text) {
        let mut p = PdfPath {
            c: &mut *c,
            x: x + (pen + g.x_offset) as f32 * s,
            y: baseline + g.y_offset as f32 * s,
            s,
            last: (0.0, 0.0),
        };
        if dev
            .face()
            .outline_glyph(ttf_parser::GlyphId(g.glyph_id), &mut p)
            .is_some()
        {
            c.fill_nonzero();
        }
        pen += g.x_advance;
    }
}

fn write_pdf(pages: Vec<Content>, g: &PageGeom) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let f1 = Ref::new(3);
    let f2 = Ref::new(4);
    let mut next = 5;
    let mut ids = Vec::new();
    for _ in &pages {
        ids.push((Ref::new(next), Ref::new(next + 1)));
        next += 2;
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|(p, _)| *p))
        .count(ids.len() as i32);
    for ((page_id, content_id), content) in ids.iter().zip(pages) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, g.w, g.h));
        page.parent(tree);
        page.contents(*content_id);
        {
            let mut res = page.resources();
            let mut fonts = res.fonts();
            fonts.pair(Name(b"F1"), f1);
            fonts.pair(Name(b"F2"), f2);
        }
        page.finish();
        let buf = content.finish();
        pdf.stream(*content_id, &buf);
    }
    pdf.type1_font(f1).base_font(Name(b"Courier"));
    pdf.type1_font(f2).base_font(Name(b"Courier-Bold"));
    pdf.finish()
}
