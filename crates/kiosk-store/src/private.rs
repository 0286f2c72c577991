//! Files with citizens' data (the kiosk database and its -wal/-shm files,
//! backups, the sync status, printer output) are for the kiosk's own user
//! only: files 0600, folders 0700. Created so from the start (never
//! world-readable, not even for a moment) and narrowed when an older
//! version left them wider. Elsewhere than on Unix the OS's per-user
//! profile folders do this job, and these are no-ops.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Mode of private files.
pub const FILE_MODE: u32 = 0o600;
/// Mode of private folders.
pub const DIR_MODE: u32 = 0o700;

/// Opens `path` for writing (created 0600 if missing; truncated when
/// `truncate`, else appended to) and narrows an existing file to 0600.
pub fn create_file(path: &Path, truncate: bool) -> io::Result<File> {
    let mut o = fs::OpenOptions::new();
    o.create(true);
    if truncate {
        o.write(true).truncate(true);
    } else {
        o.append(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
    }
    let f = o.open(path)?;
    narrow_file(path)?;
    Ok(f)
}

/// Writes `bytes` to `path` as a private file (replacing what was there).
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    create_file(path, true)?.write_all(bytes)
}

/// Narrows an existing regular file to 0600; a missing file is not an
/// error, and a device or FIFO (`/dev/stdout`) keeps its mode.
pub fn narrow_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::metadata(path) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o7777 != FILE_MODE => {
                fs::set_permissions(path, fs::Permissions::from_mode(FILE_MODE))?;
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `dir` (and missing parents) with the last one 0700, and narrows
/// an existing one to 0700.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(DIR_MODE);
    }
    b.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if fs::metadata(dir)?.permissions().mode() & 0o7777 != DIR_MODE {
            fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
        }
    }
    Ok(())
}

/// The database file and the two SQLite keeps beside it.
pub fn database_files(db: &Path) -> [PathBuf; 3] {
    let side = |ext: &str| {
        let mut s = db.as_os_str().to_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    [db.to_path_buf(), side("-wal"), side("-shm")]
}

/// Before SQLite opens `db`: creates it 0600 if missing (SQLite gives the
/// -wal and -shm files the database file's mode) and narrows the database
/// and its -wal and -shm files if they are wider.
pub fn prepare_database(db: &Path) -> io::Result<()> {
    let [main, ..] = database_files(db);
    if !main.exists() {
        // A folder that is missing or not writable: SQLite's own open
        // reports it, as before.
        if create_file(&main, false).is_err() {
            return Ok(());
        }
    }
    for p in database_files(db) {
        narrow_file(&p)?;
    }
    Ok(())
}
