//! Printer discovery: spooler queues, USB and parallel printer devices and
//! serial ports, each with a URI our transports take and, where the printer
//! tells its IEEE-1284 id, the profile that fits it.

use crate::profile::Profile;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    pub uri: String,
    pub kind: &'static str,
    pub name: String,
    /// The IEEE-1284 device id, when the device gives one.
    pub device_id: Option<String>,
    pub suggested_profile: Option<String>,
}

/// Everything visible now. Never fails: a missing spooler or an unreadable
/// device just lists nothing for that kind.
pub fn discover() -> Vec<Found> {
    let profiles = Profile::builtin();
    let mut out = Vec::new();
    for p in printers::get_printers() {
        out.push(Found {
            uri: format!("spool:{}", p.system_name),
            kind: "spooler",
            name: format!("{} ({})", p.name, p.driver_name),
            device_id: None,
            suggested_profile: suggest(&profiles, &p.name)
                .or_else(|| suggest(&profiles, &p.driver_name)),
        });
    }
    #[cfg(unix)]
    for (dir, prefix, kind) in [("/dev/usb", "lp", "usb"), ("/dev", "lp", "lpt")] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| {
                n.strip_prefix(prefix)
                    .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
            })
            .collect();
        names.sort();
        for n in names {
            let path = format!("{dir}/{n}");
            let id = if kind == "usb" {
                usb_device_id(&path)
            } else {
                None
            };
            let suggested = id.as_deref().and_then(|i| suggest_from_1284(&profiles, i));
            out.push(Found {
                uri: format!("{kind}:{path}"),
                kind,
                name: path,
                device_id: id,
                suggested_profile: suggested,
            });
        }
    }
    #[cfg(windows)]
    for n in 1..=3 {
        out.push(Found {
            uri: format!("lpt:LPT{n}"),
            kind: "lpt",
            name: format!("LPT{n}"),
            device_id: None,
            suggested_profile: None,
        });
    }
    if let Ok(ports) = serialport::available_ports() {
        for p in ports {
            out.push(Found {
                uri: format!("serial:{}", p.port_name),
                kind: "serial",
                name: p.port_name.clone(),
                device_id: None,
                suggested_profile: None,
            });
        }
    }
    out
}

/// A profile whose model alias appears in a name.
pub fn suggest(profiles: &[Profile], name: &str) -> Option<String> {
    let n = name.to_ascii_uppercase().replace(['-', ' '], "");
    profiles
        .iter()
        .find(|p| {
            p.identity.aliases.iter().any(|a| {
                let a = a.to_ascii_uppercase().replace(['-', ' '], "");
                a.len() >= 4 && n.contains(&a)
            })
        })
        .map(|p| p.id.clone())
}

/// Picks a profile from an IEEE-1284 id (`MFG:EPSON;CMD:ESCPL2;MDL:LX-310;`):
/// an exact id string first, then the model against aliases.
pub fn suggest_from_1284(profiles: &[Profile], id: &str) -> Option<String> {
    if let Some(p) = profiles
        .iter()
        .find(|p| p.identity.ieee1284.iter().any(|s| s == id))
    {
        return Some(p.id.clone());
    }
    let mdl = id
        .split(';')
        .filter_map(|kv| kv.split_once(':'))
        .find(|(k, _)| matches!(k.trim(), "MDL" | "MODEL"))
        .map(|(_, v)| v.trim().to_string())?;
    suggest(profiles, &mdl)
}

/// LPIOC_GET_DEVICE_ID on a usblp device: a big-endian length, then the id.
#[cfg(unix)]
fn usb_device_id(path: &str) -> Option<String> {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::OpenOptions::new().read(true).open(path).ok()?;
    let mut buf = [0u8; 1024];
    // _IOC(_IOC_READ, 'P', 1, len)
    let req: libc::c_ulong =
        (2 << 30) | ((buf.len() as libc::c_ulong) << 16) | ((b'P' as libc::c_ulong) << 8) | 1;
    // SAFETY: the ioctl writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::ioctl(f.as_raw_fd(), req as _, buf.as_mut_ptr()) };
    if rc < 0 {
        return None;
    }
    let n = (u16::from_be_bytes([buf[0], buf[1]]) as usize).clamp(2, buf.len());
    Some(String::from_utf8_lossy(&buf[2..n]).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ieee1284_ids_pick_profiles() {
        let p = Profile::builtin();
        assert_eq!(
            suggest_from_1284(&p, "MFG:EPSON;CMD:ESCPL2,BDC,D4;MDL:LX-310;").as_deref(),
            Some("escp9-generic")
        );
        assert_eq!(
            suggest_from_1284(&p, "MFG:EPSON;CMD:ESC/POS;MDL:TM-U220B;").as_deref(),
            Some("escpos-impact-tmu220")
        );
        assert_eq!(
            suggest_from_1284(&p, "MFG:EPSON;MDL:LQ-310;").as_deref(),
            Some("escp24-generic")
        );
        assert_eq!(suggest_from_1284(&p, "MFG:ACME;MDL:Nothing;"), None);
        assert_eq!(
            suggest(&p, "TVS MSP 250 Star").as_deref(),
            Some("escp9-generic")
        );
    }
}
