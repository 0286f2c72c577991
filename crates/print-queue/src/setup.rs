//! What a printer set-up shows, the CLI's `printers …` and the app's
//! screen alike: the printers this PC has (spooler queues, USB, parallel
//! and serial ports, found by [`print::discover`]) and the profiles this
//! build knows.

use print::Profile;
use print::profile::SerialSettings;
use serde::Serialize;

pub use print::discover::{Found, discover};

/// One profile as a set-up lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileInfo {
    pub id: String,
    pub name: String,
    /// `escp9`, `escp24`, `ibm`, `escpos`, `text` or `pdf`.
    pub language: &'static str,
    /// The line width receipts are laid out at.
    pub columns: u16,
    /// The widest line any pitch gives (condensed).
    pub max_columns: u16,
    /// How the printer is usually attached (`usb`, `serial`, `spool`, …).
    pub transport: String,
    /// The serial settings of the printer's factory switches, which a
    /// `serial:` URI starts from.
    pub serial: Option<SerialSettings>,
    /// The virtual printer can draw its bytes (every language but PDF).
    pub previewable: bool,
}

impl ProfileInfo {
    pub fn of(p: &Profile) -> ProfileInfo {
        ProfileInfo {
            id: p.id.clone(),
            name: p.name.clone(),
            language: p.language.as_str(),
            columns: p.default_columns(),
            max_columns: p.max_columns(),
            transport: p.transport.default.clone(),
            serial: p.transport.serial.clone(),
            previewable: p.language != print::Language::Pdf,
        }
    }
}

/// The profiles built into this binary, by id.
pub fn profiles() -> Vec<ProfileInfo> {
    let mut v: Vec<ProfileInfo> = Profile::builtin().iter().map(ProfileInfo::of).collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}
