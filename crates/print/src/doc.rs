//! The document model every encoder consumes: lines of styled ASCII runs,
//! rules, images, Unicode (Devanagari) lines and feeds. Layout decides what
//! goes where; encoders decide how a profile's language says it.

use crate::raster::Bitmap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Style {
    pub bold: bool,
    pub double_width: bool,
    pub condensed: bool,
}

impl Style {
    pub const PLAIN: Style = Style {
        bold: false,
        double_width: false,
        condensed: false,
    };
    pub const BOLD: Style = Style {
        bold: true,
        double_width: false,
        condensed: false,
    };
    pub const BIG: Style = Style {
        bold: true,
        double_width: true,
        condensed: false,
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Printable ASCII only (see [`ascii`]); encoders refuse anything else.
    pub text: String,
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Align {
    Left,
    Center,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// One printed line.
    Text(Vec<Run>),
    /// A full-width line of '-'.
    Rule,
    /// A picture at the profile's image density.
    Image(Bitmap, Align),
    /// Text in any script, shaped and sent as a picture (or drawn as
    /// outlines in a PDF). Wrapped to the paper width. `fallback` is what a
    /// printer without images prints instead: set for data (a name), `None`
    /// for a translation of English already on the paper.
    Unicode {
        text: String,
        align: Align,
        fallback: Option<String>,
    },
    /// Blank lines.
    Feed(u8),
}

#[derive(Debug, Clone)]
pub struct Document {
    /// The layout's line width in characters at normal width.
    pub columns: u16,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(columns: u16) -> Self {
        Document {
            columns,
            blocks: Vec::new(),
        }
    }
    pub fn line(&mut self, text: impl AsRef<str>, style: Style) {
        self.blocks.push(Block::Text(vec![Run {
            text: ascii(text.as_ref()),
            style,
        }]));
    }
    pub fn runs(&mut self, runs: Vec<Run>) {
        self.blocks.push(Block::Text(runs));
    }
    /// A line centred in the layout's width (double width counts twice).
    pub fn centered(&mut self, text: impl AsRef<str>, style: Style) {
        let t = ascii(text.as_ref());
        let per = if style.double_width { 2 } else { 1 };
        let room = self.columns as usize / per;
        for chunk in wrap(&t, room) {
            let pad = (room.saturating_sub(chunk.len())) / 2;
            self.blocks.push(Block::Text(vec![
                Run {
                    text: " ".repeat(pad * per),
                    style: Style::PLAIN,
                },
                Run { text: chunk, style },
            ]));
        }
    }
    /// Label on the left, value on the right; wraps the label if needed.
    pub fn pair(&mut self, left: impl AsRef<str>, right: impl AsRef<str>, style: Style) {
        let (l, r) = (ascii(left.as_ref()), ascii(right.as_ref()));
        let w = self.columns as usize;
        if l.len() + r.len() < w {
            let gap = w - l.len() - r.len();
            self.line(format!("{l}{}{r}", " ".repeat(gap)), style);
        } else {
            for chunk in wrap(&l, w) {
                self.line(chunk, style);
            }
            self.line(format!("{r:>w$}"), style);
        }
    }
    /// A paragraph wrapped at word boundaries.
    pub fn para(&mut self, text: impl AsRef<str>, indent: usize, style: Style) {
        let w = self.columns as usize;
        let pad = " ".repeat(indent);
        for chunk in wrap(&ascii(text.as_ref()), w.saturating_sub(indent).max(8)) {
            self.line(format!("{pad}{chunk}"), style);
        }
    }
    pub fn rule(&mut self) {
        self.blocks.push(Block::Rule);
    }
    /// A translation of what the English lines already say.
    pub fn unicode(&mut self, text: impl Into<String>, align: Align) {
        self.blocks.push(Block::Unicode {
            text: text.into(),
            align,
            fallback: None,
        });
    }
    /// Data in any script (a name): text-only printers print `fallback`.
    pub fn unicode_field(&mut self, text: impl Into<String>, align: Align, fallback: String) {
        self.blocks.push(Block::Unicode {
            text: text.into(),
            align,
            fallback: Some(fallback),
        });
    }
    pub fn feed(&mut self, n: u8) {
        self.blocks.push(Block::Feed(n));
    }
}

/// Printable ASCII for printers whose tables have no rupee sign or
/// Devanagari: known signs become their ASCII spelling, anything else '?'.
pub fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' '..='~' => out.push(c),
            '₹' => out.push_str("Rs."),
            '—' | '–' | '‐' | '−' => out.push('-'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '×' => out.push('x'),
            '…' => out.push_str("..."),
            '\t' | '\u{a0}' => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

/// Greedy word wrap; words longer than the width are cut.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let mut word = word.to_string();
        while word.len() > width {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let rest = word.split_off(width);
            lines.push(word);
            word = rest;
        }
        if cur.is_empty() {
            cur = word;
        } else if cur.len() + 1 + word.len() <= width {
            cur.push(' ');
            cur.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut cur, word));
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_never_leaks_utf8() {
        let a = ascii("₹1,234 — श्री “ok”");
        assert!(a.bytes().all(|b| (0x20..0x7f).contains(&b)), "{a}");
        assert!(a.starts_with("Rs.1,234 - ?"));
    }

    #[test]
    fn wrap_respects_width() {
        for w in [5, 10, 40] {
            for l in wrap(
                "Rupees One Lakh Twenty Three Thousand Supercalifragilistic Only",
                w,
            ) {
                assert!(l.len() <= w, "{l:?} > {w}");
            }
        }
    }
}
