//! Passwords (argon2id), login with lockout, short-lived session tokens.

use crate::store::{Role, SResult, Store, StoreError, User};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use rand::RngExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    /// Lifetime of a session token.
    pub token_ttl_secs: i64,
    /// Failed logins in a row that lock the account...
    pub lock_after: i64,
    /// ...for this long.
    pub lock_secs: i64,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            token_ttl_secs: 15 * 60,
            lock_after: 5,
            lock_secs: 15 * 60,
        }
    }
}

pub fn hash_password(pw: &str) -> String {
    Argon2::default()
        .hash_password(pw.as_bytes())
        .expect("argon2 hashing with a fresh salt cannot fail")
        .to_string()
}

pub fn verify_password(pw: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A first password that meets the policy (sent to the user by SMS; must
/// be changed at first login).
pub fn initial_password() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut s = String::new();
    for set in [
        UPPER, LOWER, LOWER, LOWER, DIGIT, DIGIT, UPPER, LOWER, DIGIT, LOWER,
    ] {
        s.push(set[rng.random_range(0..set.len())] as char);
    }
    s
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new opaque token (32 random bytes, base64url) and the hash the store keeps.
pub fn new_token() -> (String, [u8; 32]) {
    let bytes: [u8; 32] = rand::rng().random();
    let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let h = token_hash(&t);
    (t, h)
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong login or password")]
    BadCredentials,
    #[error("account locked after repeated failures; try again later")]
    Locked { until_ms: i64 },
    #[error("account or kiosk is deactivated")]
    Inactive,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] domain::DomainError),
}

impl domain::ErrorCode for AuthError {
    fn code(&self) -> &'static str {
        use protocol::codes;
        match self {
            AuthError::BadCredentials => codes::AUTH_BAD_CREDENTIALS,
            AuthError::Locked { .. } => codes::AUTH_LOCKED,
            AuthError::Inactive => codes::AUTH_INACTIVE,
            AuthError::Store(e) => e.code(),
            AuthError::Policy(e) => e.code(),
        }
    }
}

pub struct LoggedIn {
    pub token: String,
    pub expires_ms: i64,
    pub user: User,
}

impl Store {
    /// Checks a password, counting failures and locking after
    /// `policy.lock_after` in a row; on success issues a session token.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        policy: &AuthPolicy,
    ) -> Result<LoggedIn, AuthError> {
        let now = self.now_ms();
        let Some(mut user) = self.user_by_login(login.trim()).await? else {
            // Same work as a real check, so timing does not reveal unknown logins.
            let _ = verify_password(password, DUMMY_HASH);
            return Err(AuthError::BadCredentials);
        };
        if let Some(until) = user.locked_until_ms {
            if until > now {
                return Err(AuthError::Locked { until_ms: until });
            }
        }
        if !verify_password(password, &user.password_hash) {
            let n = self
                .record_failed_login(user.id, policy.lock_after, now + policy.lock_secs * 1000)
                .await?;
            if n >= policy.lock_after {
                return Err(AuthError::Locked {
                    until_ms: now + policy.lock_secs * 1000,
                });
            }
            return Err(AuthError::BadCredentials);
        }
        let kiosk_active = self.kiosk(user.kiosk_id).await?.is_some_and(|k| k.active);
        if !user.active || !kiosk_active {
            return Err(AuthError::Inactive);
        }
        if user.failed_logins != 0 || user.locked_until_ms.is_some() {
            user.failed_logins = 0;
            user.locked_until_ms = None;
            self.update_user(&user).await?;
        }
        let (token, hash) = new_token();
        let expires_ms = now + policy.token_ttl_secs * 1000;
        self.create_session(hash, user.id, expires_ms).await?;
        Ok(LoggedIn {
            token,
            expires_ms,
            user,
        })
    }

    /// Changes a password (the policy of DOMAIN.md) and ends the user's other sessions.
    pub async fn change_password(
        &self,
        user: Uuid,
        old: &str,
        new: &str,
        policy: &AuthPolicy,
    ) -> Result<LoggedIn, AuthError> {
        let mut u = self.user(user).await?.ok_or(StoreError::NotFound("user"))?;
        if !verify_password(old, &u.password_hash) {
            return Err(AuthError::BadCredentials);
        }
        domain::rules::check_password(new)?;
        if old == new {
            return Err(AuthError::Store(StoreError::Invalid(
                "the new password must differ from the old one".into(),
            )));
        }
        u.password_hash = hash_password(new);
        u.must_change = false;
        self.update_user(&u).await?;
        self.delete_sessions(u.id).await?;
        let (token, hash) = new_token();
        let expires_ms = self.now_ms() + policy.token_ttl_secs * 1000;
        self.create_session(hash, u.id, expires_ms).await?;
        Ok(LoggedIn {
            token,
            expires_ms,
            user: u,
        })
    }

    /// Adds a user to a kiosk with a first password that must be changed.
    /// Returns the first password (also queued by SMS when a mobile is given).
    pub async fn add_user(
        &self,
        kiosk: Uuid,
        login: &str,
        name: &str,
        role: Role,
        mobile: Option<&str>,
    ) -> SResult<(User, String)> {
        let login = login.trim();
        if login.len() < 3
            || login.len() > 64
            || !login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(StoreError::Invalid(
                "login must be 3-64 letters, digits or . _ - @".into(),
            ));
        }
        let name = domain::error::clean_text("name", name, 100)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mobile = match mobile.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => Some(
                domain::Mobile::parse(m)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let pw = initial_password();
        let u = User {
            id: domain::new_id(&**self.clock()),
            kiosk_id: kiosk,
            login: login.to_string(),
            name,
            role,
            mobile: mobile.clone(),
            password_hash: hash_password(&pw),
            must_change: true,
            active: true,
            failed_logins: 0,
            locked_until_ms: None,
        };
        self.create_user(&u).await?;
        if let Some(m) = mobile {
            self.queue_notification(
                "sms",
                &m,
                "e-Mitra login",
                &format!(
                    "e-Mitra: your login {} has first password {}. Change it at first login.",
                    u.login, pw
                ),
            )
            .await?;
        }
        Ok((u, pw))
    }
}

/// A valid argon2id hash of a random string, for constant-ish time on unknown logins.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0J9WzpbO9yYV3iW4a2M8nC3LxXh0oN9Vf2Cw3Sx0bq8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_passwords_meet_the_policy() {
        for _ in 0..50 {
            let p = initial_password();
            assert!(domain::rules::check_password(&p).is_ok(), "{p}");
        }
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = hash_password("Secret123");
        assert!(verify_password("Secret123", &h));
        assert!(!verify_password("secret123", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
