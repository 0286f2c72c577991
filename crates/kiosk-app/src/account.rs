//! The Account screen's commands besides the password change (in
//! [`crate::Service::change_password`]): a forgotten password and freeing
//! this PC's registration. All of it needs the centre; without it the
//! answer is `account.online_only`.
//!
//! - **Forgotten password** (from the login screen, nobody logged in): the
//!   centre sends a six-digit code by SMS to the login's registered mobile
//!   and answers alike whether or not the login exists; the code and a new
//!   password (the policy) set it. On a registered kiosk the user is then
//!   logged in with it, which also replaces the verifier for offline
//!   logins; the old password's verifier goes at once either way. Neither
//!   step counts as a failed login, here or at the centre.
//! - **De-registering this PC** (holder only, the password again as
//!   confirmation): refused with `account.outbox_not_empty` while any
//!   entry has not reached the centre (no payment may be lost). The centre
//!   frees the SSO ID (DOMAIN.md: one place at a time), the database moves
//!   aside into `deregistered-<time>/` in the data folder (never deleted)
//!   and the app is at set-up again.

use crate::Service;
use crate::api::{
    DeregisterArgs, DeregisterDone, ForgotArgs, ForgotView, LoginArgs, ResetArgs, ResetDone,
};
use crate::auth;
use crate::centre::Centre;
use crate::error::{AppError, Result};

/// The link failed: this needs the centre.
fn online_only(e: AppError) -> AppError {
    match e {
        AppError::Offline(_) => AppError::AccountOnlineOnly,
        e => e,
    }
}

fn check_otp(otp: &str) -> Result<&str> {
    let otp = otp.trim();
    if otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit()) {
        Ok(otp)
    } else {
        Err(AppError::OtpFormat)
    }
}

impl Service {
    pub async fn forgot_password_request(&self, a: ForgotArgs) -> Result<ForgotView> {
        let login = auth::normalise_login(&a.login);
        if login.is_empty() || login.len() > 128 {
            return Err(AppError::BadCredentials);
        }
        let centre = Centre::new(&self.centre_for(a.centre_url.as_deref()).await?)?;
        let r = centre.forgot_password(&login).await.map_err(online_only)?;
        Ok(ForgotView {
            expires_in_secs: r.expires_in_secs,
        })
    }

    pub async fn forgot_password_reset(&self, a: ResetArgs) -> Result<ResetDone> {
        let login = auth::normalise_login(&a.login);
        if login.is_empty() || login.len() > 128 {
            return Err(AppError::BadCredentials);
        }
        // Refused here before the centre is asked: no try of the code is spent.
        let otp = check_otp(&a.otp)?;
        domain::rules::check_password(&a.new_password)?;
        let centre = Centre::new(&self.centre_for(a.centre_url.as_deref()).await?)?;
        centre
            .reset_password(&login, otp, &a.new_password)
            .await
            .map_err(online_only)?;
        if !self.is_registered() {
            return Ok(ResetDone {
                state: self.app_state(()).await?,
                logged_in: false,
                login_error: None,
            });
        }
        // The old password must not open this counter offline any more.
        let l2 = login.clone();
        self.with_kiosk(move |k, _| {
            let now = k.clock().now();
            auth::forget_verifier(k.store_mut(), &l2, now)
        })
        .await?;
        let (state, login_error) = match self
            .login(LoginArgs {
                login,
                password: a.new_password,
            })
            .await
        {
            Ok(s) => (s, None),
            Err(e) => (self.app_state(()).await?, Some(e.to_api())),
        };
        Ok(ResetDone {
            logged_in: login_error.is_none(),
            state,
            login_error,
        })
    }

    pub async fn device_deregister(&self, a: DeregisterArgs) -> Result<DeregisterDone> {
        let (login, role) = self.operator()?;
        if role != "holder" {
            return Err(AppError::HolderOnly);
        }
        if a.password.is_empty() || a.password.len() > 256 {
            return Err(AppError::BadCredentials);
        }
        let centre = Centre::new(&self.centre_for(None).await?)?;
        let k = self.take_kiosk().await?;
        let pending = match k.queue_stats() {
            Ok(q) => q.unsent,
            Err(e) => {
                self.put_kiosk(k);
                return Err(e.into());
            }
        };
        if pending > 0 {
            self.put_kiosk(k);
            return Err(AppError::OutboxNotEmpty(pending));
        }
        let device_id = k.identity().device_id;
        // A fresh token from the password typed to confirm (a session's
        // token may be minutes old, or the login an offline one).
        let freed = async {
            let li = centre.login(&login, &a.password).await?;
            centre.deregister_device(&li.token, device_id).await
        }
        .await;
        if let Err(e) = freed {
            self.put_kiosk(k);
            return Err(match online_only(e) {
                AppError::Centre { code, .. } if code == protocol::codes::AUTH_BAD_CREDENTIALS => {
                    self.record_login_failure(&login).await?;
                    AppError::BadCredentials
                }
                e => e,
            });
        }
        let dir = self.retire(k).await?;
        tracing::info!(moved_to = %dir.display(), "device de-registered");
        Ok(DeregisterDone {
            state: self.app_state(()).await?,
            moved_to: dir.display().to_string(),
        })
    }
}
