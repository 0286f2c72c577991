//! Operator login on the kiosk: online against the centre, offline against
//! an argon2id verifier of the password that last logged in online. No
//! password is stored anywhere; failures lock the login, offline too, and
//! the lock ends by itself (so a stranger cannot keep a holder out for good).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use kiosk_store::rusqlite::{self, Connection, OptionalExtension, params};
use kiosk_store::{Store, parse_ts, ts};

use crate::error::{AppError, Result};

/// Wrong passwords in a row before the login locks.
pub const MAX_FAILURES: i64 = 5;
/// How long the lock lasts; each further failure while locked restarts it.
pub const LOCK_FOR: Duration = Duration::minutes(15);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub login: String,
    pub role: String,
    pub must_change: bool,
    pub has_verifier: bool,
    pub failures: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

pub fn normalise_login(s: &str) -> String {
    s.trim().to_lowercase()
}

fn load(c: &Connection, login: &str) -> Result<Option<Credential>> {
    let row = c
        .query_row(
            "SELECT login, role, must_change, verifier IS NOT NULL, failures, locked_until
               FROM operator_credentials WHERE login = ?1",
            [login],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()
        .map_err(kiosk_store::StoreError::from)?;
    row.map(|(login, role, must_change, has_verifier, failures, lu)| {
        Ok(Credential {
            login,
            role,
            must_change,
            has_verifier,
            failures,
            locked_until: lu.as_deref().map(parse_ts).transpose()?,
        })
    })
    .transpose()
}

/// Refuses while the login is locked.
pub fn check_not_locked(c: &Connection, login: &str, now: DateTime<Utc>) -> Result<()> {
    if let Some(cr) = load(c, login)?
        && let Some(until) = cr.locked_until.filter(|u| *u > now)
    {
        return Err(AppError::LoginLocked { until });
    }
    Ok(())
}

/// Counts one wrong password; the fifth in a row locks the login.
pub fn record_failure(store: &mut Store, login: &str, now: DateTime<Utc>) -> Result<()> {
    store.write(|tx| -> Result<()> {
        // One statement, so two failures at once both count.
        tx.execute(
            "INSERT INTO operator_credentials (login, role, failures, updated_at)
                  VALUES (?1, 'operator', 1, ?2)
             ON CONFLICT (login) DO UPDATE SET
                  failures = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?2 THEN 1
                                  ELSE failures + 1 END,
                  locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?2 THEN NULL
                                      ELSE locked_until END,
                  updated_at = ?2",
            params![login, ts(now)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        tx.execute(
            "UPDATE operator_credentials SET locked_until = ?3
              WHERE login = ?1 AND failures >= ?2",
            params![login, MAX_FAILURES, ts(now + LOCK_FOR)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        Ok(())
    })
}

fn hash(password: &str) -> Result<String> {
    // A fresh random salt per hash (the crate's default).
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// After a successful online login: the verifier for offline logins, the
/// role the centre gave, failures cleared; the operator is known locally
/// (the counter's commits name it).
pub fn record_online(
    store: &mut Store,
    login: &str,
    password: &str,
    role: &str,
    must_change: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let verifier = hash(password)?;
    store.write(|tx| -> Result<()> {
        tx.execute(
            "INSERT INTO operator_credentials (login, verifier, role, must_change, failures, locked_until, verified_at, updated_at)
                  VALUES (?1, ?2, ?3, ?4, 0, NULL, ?5, ?5)
             ON CONFLICT (login) DO UPDATE SET verifier = ?2, role = ?3, must_change = ?4,
                  failures = 0, locked_until = NULL, verified_at = ?5, updated_at = ?5",
            params![login, verifier, role, must_change, ts(now)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        tx.execute(
            "INSERT INTO operators (login, name, role, active, created_at) VALUES (?1, ?1, ?2, 1, ?3)
             ON CONFLICT (login) DO UPDATE SET role = ?2, active = 1",
            params![login, role, ts(now)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        Ok(())
    })
}

/// The password was changed elsewhere (a reset by SMS code): the old
/// one's verifier must not open the counter offline any more.
pub fn forget_verifier(store: &mut Store, login: &str, now: DateTime<Utc>) -> Result<()> {
    store.write(|tx| -> Result<()> {
        tx.execute(
            "UPDATE operator_credentials SET verifier = NULL, updated_at = ?2 WHERE login = ?1",
            params![login, ts(now)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        Ok(())
    })
}

/// Offline login against the cached verifier.
pub fn verify_offline(
    store: &mut Store,
    login: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Credential> {
    check_not_locked(store.conn(), login, now)?;
    let verifier: Option<String> = store
        .conn()
        .query_row(
            "SELECT verifier FROM operator_credentials WHERE login = ?1",
            [login],
            |r| r.get(0),
        )
        .optional()
        .map_err(kiosk_store::StoreError::from)?
        .flatten();
    let Some(v) = verifier else {
        return Err(AppError::NoOfflineVerifier(login.to_string()));
    };
    let parsed = PasswordHash::new(&v).map_err(|e| AppError::Internal(format!("verifier: {e}")))?;
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        record_failure(store, login, now)?;
        return Err(AppError::BadCredentials);
    }
    store.write(|tx| -> Result<()> {
        tx.execute(
            "UPDATE operator_credentials SET failures = 0, locked_until = NULL, updated_at = ?2 WHERE login = ?1",
            params![login, ts(now)],
        )
        .map_err(kiosk_store::StoreError::from)?;
        Ok(())
    })?;
    Ok(load(store.conn(), login)?.expect("row read above"))
}

/// Whether the operator is active on this kiosk (the centre's list, as
/// cached in `operators`).
pub fn operator_active(c: &Connection, login: &str) -> Result<Option<(String, String, bool)>> {
    c.query_row(
        "SELECT name, role, active FROM operators WHERE login = ?1",
        [login],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .map_err(|e: rusqlite::Error| kiosk_store::StoreError::from(e).into())
}
