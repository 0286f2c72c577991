//! Passwords (argon2id), login with lockout, short-lived session tokens.

use crate::store::{Role, SResult, Store, StoreError, User};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use rand::RngExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Password guessing is slowed, not stopped for good: the `lock_after`-th
/// failure in a row starts a delay of `first_delay_secs`, each further one
/// doubles it up to `lock_secs`. During a delay tries are refused without
/// a check and without being counted (they neither test a password nor
/// extend the delay). The count is forgotten after `lock_secs` without a
/// failure and on every success, so a stranger's occasional wrong guess can
/// never keep a holder out; a burst from one address is cut short by the
/// per-address limit in the API.
#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    /// Lifetime of a session token.
    pub token_ttl_secs: i64,
    /// Failures in a row before the first delay.
    pub lock_after: i64,
    /// The longest delay, and how long without a failure forgets the count.
    pub lock_secs: i64,
    /// The first delay; doubled by each further failure.
    pub first_delay_secs: i64,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            token_ttl_secs: 15 * 60,
            lock_after: 5,
            lock_secs: 15 * 60,
            first_delay_secs: 30,
        }
    }
}

impl AuthPolicy {
    /// The delay (ms) the `n`-th failure in a row starts.
    pub fn delay_ms(&self, n: i64) -> i64 {
        if n < self.lock_after {
            return 0;
        }
        let doublings = (n - self.lock_after).min(30) as u32;
        self.first_delay_secs
            .saturating_mul(1i64 << doublings)
            .min(self.lock_secs)
            * 1000
    }
}

/// The one form of a login name both the store and the rate limiter see:
/// padding must not make a new name for either.
pub fn normalise_login(login: &str) -> &str {
    login.trim()
}

/// Password hashing off the async workers: argon2 is slow on purpose, and a
/// flood of logins must not stall sync or health checks. At most `threads`
/// hashes run at once on tokio's blocking pool and `queue` more may wait;
/// past that a login is refused at once (`request.busy`).
pub struct HashPool {
    slots: tokio::sync::Semaphore,
    running: tokio::sync::Semaphore,
    running_max: usize,
    queue: usize,
}

static HASH_POOL: std::sync::OnceLock<HashPool> = std::sync::OnceLock::new();

impl HashPool {
    /// Sets the pool's size; only the first call (before any hashing) counts.
    pub fn configure(threads: usize, queue: usize) {
        let threads = threads.max(1);
        let _ = HASH_POOL.set(HashPool::new(threads, queue));
    }

    fn new(threads: usize, queue: usize) -> HashPool {
        HashPool {
            slots: tokio::sync::Semaphore::new(threads + queue),
            running: tokio::sync::Semaphore::new(threads),
            running_max: threads,
            queue,
        }
    }

    pub fn get() -> &'static HashPool {
        HASH_POOL.get_or_init(|| {
            // Leave a core to the async workers where there is more than one.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            HashPool::new((cores / 2).max(1), 64)
        })
    }

    /// Hashes running or waiting.
    pub fn in_use(&self) -> usize {
        let total = self.running_max + self.queue;
        total - self.slots.available_permits()
    }

    /// Whether every running and waiting place is taken.
    pub fn is_full(&self) -> bool {
        self.slots.available_permits() == 0
    }

    /// Hashes once a hashing thread is free, however many wait: for work
    /// that must not be refused (a user change a kiosk already queued),
    /// still never more hashes at once than the pool allows.
    pub async fn hash_waiting(&'static self, pw: &str) -> String {
        let _running = self.running.acquire().await.expect("never closed");
        let pw = pw.to_string();
        tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .expect("password hashing does not panic")
    }

    /// A place in the queue, or `Busy` at once when it is full.
    pub fn enter(&'static self) -> Result<HashTicket, AuthError> {
        let slot = self.slots.try_acquire().map_err(|_| AuthError::Busy)?;
        Ok(HashTicket {
            pool: self,
            _slot: slot,
        })
    }
}

pub struct HashTicket {
    pool: &'static HashPool,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

impl HashTicket {
    async fn run<T: Send + 'static>(self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let _running = self.pool.running.acquire().await.expect("never closed");
        tokio::task::spawn_blocking(f)
            .await
            .expect("password hashing does not panic")
    }
    pub async fn verify(self, pw: &str, hash: &str) -> bool {
        let (pw, hash) = (pw.to_string(), hash.to_string());
        self.run(move || verify_password(&pw, &hash)).await
    }
    pub async fn hash(self, pw: &str) -> String {
        let pw = pw.to_string();
        self.run(move || hash_password(&pw)).await
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

/// The SMS that carries a new password to its user: `(stored, sent)`. The
/// notification row keeps `stored`, which has no password; `sent` lives in
/// the sending process only (`Store::queue_held_notification`).
pub fn password_sms(login: &str, pw: &str, reset: bool) -> (String, String) {
    if reset {
        (
            format!(
                "e-Mitra: the password of login {login} was reset (the new one is not kept here). Change it at the next login."
            ),
            format!(
                "e-Mitra: the password of login {login} was reset to {pw}. Change it at the next login. / नया पासवर्ड {pw}"
            ),
        )
    } else {
        (
            format!(
                "e-Mitra: your login {login} has a first password (not kept here). Change it at first login."
            ),
            format!(
                "e-Mitra: your login {login} has first password {pw}. Change it at first login. / पहला पासवर्ड {pw}"
            ),
        )
    }
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
    /// A wrong password that started a delay (counted against the caller's address).
    #[error("wrong password; further tries are delayed")]
    WrongAndDelayed { until_ms: i64 },
    #[error("the server is busy checking passwords; try again shortly")]
    Busy,
    #[error("account or kiosk is deactivated")]
    Inactive,
    #[error("the code is wrong or no longer valid; ask for a new one")]
    OtpInvalid,
    #[error("too many codes asked for; try again in an hour")]
    OtpRateLimited,
    #[error("the code is six digits")]
    OtpFormat,
    #[error("the new password is the one in use now")]
    Unchanged,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Policy(#[from] domain::DomainError),
}

impl domain::ErrorCode for AuthError {
    fn code(&self) -> &str {
        use protocol::codes;
        match self {
            AuthError::BadCredentials => codes::AUTH_BAD_CREDENTIALS,
            AuthError::Locked { .. } | AuthError::WrongAndDelayed { .. } => codes::AUTH_LOCKED,
            AuthError::Busy => crate::api::CODE_BUSY,
            AuthError::Inactive => codes::AUTH_INACTIVE,
            AuthError::OtpInvalid => codes::OTP_INVALID,
            AuthError::OtpRateLimited => codes::OTP_RATE_LIMITED,
            AuthError::OtpFormat => codes::OTP_FORMAT,
            AuthError::Unchanged => codes::PASSWORD_UNCHANGED,
            AuthError::Store(e) => e.code(),
            AuthError::Policy(e) => e.code(),
        }
    }
}

/// The longest a console session lives, however busy: a working day.
pub const ADMIN_SESSION_MAX_MS: i64 = 8 * 60 * 60 * 1000;

pub struct AdminLoggedIn {
    pub token: String,
    pub csrf: String,
    pub expires_ms: i64,
    pub admin: crate::store::console::Admin,
}

pub struct LoggedIn {
    pub token: String,
    pub expires_ms: i64,
    pub user: User,
}

impl Store {
    /// One password check of `user`, booked before it is made (see
    /// [`AuthPolicy`]). The hashing place is taken first, so a busy server
    /// refuses without counting a guess.
    async fn check_password(
        &self,
        user: &User,
        password: &str,
        policy: &AuthPolicy,
    ) -> Result<(), AuthError> {
        let ticket = HashPool::get().enter()?;
        let delayed = match self
            .book_password_check(user.id, policy.lock_secs * 1000, |n| policy.delay_ms(n))
            .await?
        {
            crate::store::Booked::Delayed { until_ms } => {
                return Err(AuthError::Locked { until_ms });
            }
            crate::store::Booked::Check {
                delayed_until_ms, ..
            } => delayed_until_ms,
        };
        if !ticket.verify(password, &user.password_hash).await {
            return Err(match delayed {
                Some(until_ms) => AuthError::WrongAndDelayed { until_ms },
                None => AuthError::BadCredentials,
            });
        }
        self.password_check_passed(user.id).await?;
        Ok(())
    }

    /// Checks a password (failures slowed as [`AuthPolicy`] says); on
    /// success issues a session token.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        policy: &AuthPolicy,
    ) -> Result<LoggedIn, AuthError> {
        let now = self.now_ms();
        let Some(mut user) = self.user_by_login(normalise_login(login)).await? else {
            // Same work as a real check, so timing does not reveal unknown logins.
            let _ = HashPool::get().enter()?.verify(password, DUMMY_HASH).await;
            return Err(AuthError::BadCredentials);
        };
        self.check_password(&user, password, policy).await?;
        user.failed_logins = 0;
        user.locked_until_ms = None;
        let kiosk_active = self.kiosk(user.kiosk_id).await?.is_some_and(|k| k.active);
        if !user.active || !kiosk_active {
            return Err(AuthError::Inactive);
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

    /// A console admin's login: the same password checks, delays and
    /// address limits as a kiosk user's; a session that ends after the
    /// policy's idle time (pushed forward by each request) and at most
    /// [`ADMIN_SESSION_MAX_MS`] after it began.
    pub async fn admin_login(
        &self,
        login: &str,
        password: &str,
        policy: &AuthPolicy,
    ) -> Result<AdminLoggedIn, AuthError> {
        let now = self.now_ms();
        let Some(admin) = self.admin_by_login(normalise_login(login)).await? else {
            let _ = HashPool::get().enter()?.verify(password, DUMMY_HASH).await;
            return Err(AuthError::BadCredentials);
        };
        let ticket = HashPool::get().enter()?;
        let delayed = match self
            .book_admin_check(admin.id, policy.lock_secs * 1000, |n| policy.delay_ms(n))
            .await?
        {
            crate::store::Booked::Delayed { until_ms } => {
                return Err(AuthError::Locked { until_ms });
            }
            crate::store::Booked::Check {
                delayed_until_ms, ..
            } => delayed_until_ms,
        };
        if !ticket.verify(password, &admin.password_hash).await {
            return Err(match delayed {
                Some(until_ms) => AuthError::WrongAndDelayed { until_ms },
                None => AuthError::BadCredentials,
            });
        }
        self.admin_check_passed(admin.id).await?;
        if !admin.active {
            return Err(AuthError::Inactive);
        }
        let (token, hash) = new_token();
        let (csrf, _) = new_token();
        let expires_ms = now + policy.token_ttl_secs * 1000;
        let ends_ms = now + ADMIN_SESSION_MAX_MS;
        self.create_admin_session(hash, &admin, &csrf, expires_ms, ends_ms)
            .await?;
        Ok(AdminLoggedIn {
            token,
            csrf,
            expires_ms,
            admin,
        })
    }

    /// Changes a password (the policy in docs/domain.md, "Passwords and
    /// logins") and ends the user's other sessions.
    pub async fn change_password(
        &self,
        user: Uuid,
        old: &str,
        new: &str,
        policy: &AuthPolicy,
    ) -> Result<LoggedIn, AuthError> {
        let mut u = self.user(user).await?.ok_or(StoreError::NotFound("user"))?;
        // The new password's rules first: they say nothing about the old one.
        domain::rules::check_password(new)?;
        if old == new {
            return Err(AuthError::Store(StoreError::Invalid(
                "the new password must differ from the old one".into(),
            )));
        }
        // A token holder guessing the current password is slowed like a login.
        self.check_password(&u, old, policy).await?;
        u.password_hash = HashPool::get().enter()?.hash(new).await;
        u.must_change = false;
        self.set_password(u.id, &u.password_hash).await?;
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
        let password_hash = HashPool::get()
            .enter()
            .map_err(|_| StoreError::Invalid("the server is busy; try again".into()))?
            .hash(&pw)
            .await;
        let u = User {
            id: domain::new_id(&**self.clock()),
            kiosk_id: kiosk,
            login: login.to_string(),
            name,
            role,
            mobile: mobile.clone(),
            password_hash,
            must_change: true,
            active: true,
            failed_logins: 0,
            locked_until_ms: None,
        };
        self.create_user(&u).await?;
        if let Some(m) = mobile {
            // The password is sent, never stored: the row keeps a text without it.
            let (stored, sent) = password_sms(&u.login, &pw, false);
            self.queue_held_notification("sms", &m, &stored, &sent)
                .await?;
        }
        Ok((u, pw))
    }
}

/// Forgotten passwords: a six-digit code by SMS to the registered mobile,
/// kept only as a salted hash (argon2id), for [`OTP_TTL_MS`] and
/// [`OTP_TRIES`] tries. A login may ask [`OTP_PER_LOGIN`] times an hour
/// (counted by the name, whether or not it exists) and a client address
/// may send [`OTP_PER_ADDRESS`] requests an hour (asking and resetting
/// together). None of it books a failed login: a stranger can neither lock
/// the holder out nor learn whether a login exists (every request is
/// answered alike, and takes a hash's time either way).
pub const OTP_TTL_MS: i64 = 10 * 60 * 1000;
pub const OTP_TRIES: i64 = 5;
pub const OTP_PER_LOGIN: i64 = 3;
pub const OTP_PER_ADDRESS: i64 = 20;
/// The window of both limits.
pub const OTP_WINDOW_MS: i64 = 3600 * 1000;

/// A new six-digit code.
pub fn new_otp() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

fn otp_shaped(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Store {
    fn otp_keys(login: Option<&str>, addr: Option<&str>) -> Vec<(String, i64)> {
        let mut keys = Vec::new();
        if let Some(l) = login {
            keys.push((format!("login:{l}"), OTP_PER_LOGIN));
        }
        if let Some(a) = addr {
            keys.push((format!("addr:{a}"), OTP_PER_ADDRESS));
        }
        keys
    }

    /// `POST /v1/auth/forgot`: a code by SMS when the login exists, is
    /// active and has a mobile; the same `Ok` otherwise. `addr` is the
    /// caller's address (the per-address limit).
    pub async fn forgot_password(&self, login: &str, addr: Option<&str>) -> Result<(), AuthError> {
        let login = normalise_login(login);
        // A hashing place first: a busy server refuses without counting.
        let ticket = HashPool::get().enter()?;
        if !self
            .book_otp_request(&Self::otp_keys(Some(login), addr), OTP_WINDOW_MS)
            .await?
        {
            return Err(AuthError::OtpRateLimited);
        }
        let mut target = None;
        if let Some(u) = self.user_by_login(login).await?
            && u.active
            && let Some(m) = u.mobile.clone()
            && self.kiosk(u.kiosk_id).await?.is_some_and(|k| k.active)
        {
            target = Some((u, m));
        }
        let otp = new_otp();
        // Hashed whoever asks, so the time taken says nothing either.
        let hash = ticket.hash(&otp).await;
        let Some((u, mobile)) = target else {
            return Ok(());
        };
        self.save_otp(u.id, &hash, self.now_ms() + OTP_TTL_MS, OTP_TRIES)
            .await?;
        // The code is sent, never stored: the row keeps a text without it.
        self.queue_held_notification(
            "sms",
            &mobile,
            &format!(
                "e-Mitra: a password reset code was sent for login {} (not kept here).",
                u.login
            ),
            &format!(
                "e-Mitra: {otp} is the code to reset the password of login {}. It is valid for 10 minutes. Never share it.",
                u.login
            ),
        )
        .await?;
        Ok(())
    }

    /// `POST /v1/auth/reset`: the code from the SMS and a new password (the
    /// policy). Wrong, expired, used-up and unknown are all `OtpInvalid`.
    /// On success the user's sessions end and the login's failure count is
    /// cleared.
    pub async fn reset_password(
        &self,
        login: &str,
        otp: &str,
        new: &str,
        addr: Option<&str>,
    ) -> Result<(), AuthError> {
        let login = normalise_login(login);
        let otp = otp.trim();
        if !otp_shaped(otp) {
            return Err(AuthError::OtpFormat);
        }
        domain::rules::check_password(new)?;
        let pool = HashPool::get();
        let ticket = pool.enter()?;
        if !self
            .book_otp_request(&Self::otp_keys(None, addr), OTP_WINDOW_MS)
            .await?
        {
            return Err(AuthError::OtpRateLimited);
        }
        let user = self.user_by_login(login).await?;
        let booked = match &user {
            Some(u) => self.book_otp_try(u.id).await?,
            None => None,
        };
        let (Some(u), Some(t)) = (user, booked) else {
            let _ = ticket.verify(otp, DUMMY_HASH).await;
            return Err(AuthError::OtpInvalid);
        };
        if !ticket.verify(otp, &t.otp_hash).await {
            return Err(AuthError::OtpInvalid);
        }
        if pool.enter()?.verify(new, &u.password_hash).await {
            self.refund_otp_try(u.id, &t.otp_hash).await?;
            return Err(AuthError::Unchanged);
        }
        let hash = pool.enter()?.hash(new).await;
        if !self.finish_reset(u.id, &t.otp_hash, &hash).await? {
            return Err(AuthError::OtpInvalid);
        }
        Ok(())
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
