//! A kiosk CLI binary (`kioskctl`) as a real process: `--db` and `--json`
//! on every call, the JSON answer parsed, the exit status checked.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One binary against one kiosk database.
#[derive(Debug, Clone)]
pub struct Cli {
    pub bin: PathBuf,
    pub db: PathBuf,
}

impl Cli {
    /// `bin` is the test's `env!("CARGO_BIN_EXE_kioskctl")`.
    pub fn new(bin: impl Into<PathBuf>, db: impl Into<PathBuf>) -> Cli {
        Cli {
            bin: bin.into(),
            db: db.into(),
        }
    }

    /// Runs `args` with `--json`: (exit status, the JSON it printed).
    pub fn run(&self, args: &[&str]) -> (i32, Value) {
        let out = Command::new(&self.bin)
            .arg("--db")
            .arg(&self.db)
            .arg("--json")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.bin.display()));
        let text = String::from_utf8_lossy(&out.stdout);
        let v = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
            panic!(
                "{args:?}: {e}: {text:?} (stderr {:?})",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().expect("exit status"), v)
    }

    /// Runs `args`, which must succeed; the JSON answer.
    pub fn ok(&self, args: &[&str]) -> Value {
        let (code, v) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {v}");
        v
    }

    /// Runs `args`, which must fail; the error's code.
    pub fn err(&self, args: &[&str]) -> String {
        let (code, v) = self.run(args);
        assert_ne!(code, 0, "{args:?} should fail: {v}");
        v["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{args:?}: no error code in {v}"))
            .to_string()
    }

    /// `init` of kiosk `code` (district Ajmer, name Test), the sample
    /// catalogue imported, and wallet figures of ₹20,000 with ₹10,000 of
    /// offline room.
    pub fn ready_kiosk(&self, code: &str) {
        self.ok(&[
            "init",
            "--kiosk-code",
            code,
            "--district",
            "Ajmer",
            "--name",
            "Test",
        ]);
        let cat = crate::sample_catalogue_path();
        self.ok(&["catalogue", "import", cat.to_str().expect("UTF-8 path")]);
        self.ok(&[
            "wallet",
            "set",
            "--balance",
            "20000",
            "--max-pending-amount",
            "10000",
        ]);
    }
}

/// [`Cli::new`] for a database path.
pub fn at(bin: &str, db: &Path) -> Cli {
    Cli::new(bin, db)
}
