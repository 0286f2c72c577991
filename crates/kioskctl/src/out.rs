//! Output: human text or JSON, and errors with their stable codes.

use std::borrow::Cow;

use domain::ErrorCode;
use serde::Serialize;

/// An error raised by the CLI itself (bad flag combinations and such).
#[derive(Debug)]
pub struct CliError {
    /// Stable; a code the centre sent is passed on as it came.
    pub code: Cow<'static, str>,
    pub message: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

pub fn cli_err(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> anyhow::Error {
    CliError {
        code: code.into(),
        message: message.into(),
    }
    .into()
}

/// The stable code of whatever library error sits in the chain.
pub fn code_of(e: &anyhow::Error) -> Cow<'static, str> {
    for cause in e.chain() {
        if let Some(x) = cause.downcast_ref::<kiosk_core::CoreError>() {
            return x.code().to_string().into();
        }
        if let Some(x) = cause.downcast_ref::<kiosk_store::StoreError>() {
            return x.code().to_string().into();
        }
        if let Some(x) = cause.downcast_ref::<domain::DomainError>() {
            return x.code().to_string().into();
        }
        if let Some(x) = cause.downcast_ref::<CliError>() {
            return x.code.clone();
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return "cli.io".into();
        }
    }
    "cli.failed".into()
}

pub fn error(json: bool, e: &anyhow::Error) {
    let code = code_of(e);
    let message = format!("{e:#}");
    if json {
        let v = serde_json::json!({ "error": { "code": code, "message": message } });
        println!("{v}");
    } else {
        eprintln!("error[{code}]: {message}");
    }
}

/// Prints `value` as JSON, or the human text.
pub fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string(value).expect("serialisable output")
        );
    } else {
        println!("{}", human());
    }
}
