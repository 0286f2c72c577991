//! Users and roles in the back office: the kiosk's users as the centre
//! lists them, and the holder's changes (add a user, deactivate, reactivate,
//! reset a password), each queued for the centre through the outbox
//! ([`kiosk_core::users`]). The centre makes every password and sends it by
//! SMS; nothing here ever holds another user's password. All of it is the
//! holder's (`Service::holder`).

use kiosk_core::{NewUser, UserChangeRecord, UserRecord};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Service;
use crate::error::Result;

/// Changes shown under the list (newest first).
const CHANGES_SHOWN: u32 = 20;

// ------------------------------------------------------------------ api types

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UserAddArgs {
    pub login: String,
    pub name: String,
    /// The Indian mobile the centre sends the first password to.
    pub mobile: String,
    /// `operator` or `holder`.
    pub role: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UserActiveArgs {
    pub login: String,
    pub active: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct UserLoginArgs {
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserView {
    pub login: String,
    pub name: String,
    /// `holder` or `operator`.
    pub role: String,
    /// As the centre last said (false for an addition not made yet).
    pub active: bool,
    /// The first (or a reset) password is still to be changed.
    pub must_change_password: bool,
    /// The last digits of the mobile the passwords go to.
    pub mobile_hint: Option<String>,
    /// In the centre's list (false: an addition on its way).
    pub at_centre: bool,
    /// Changes on their way to the centre, oldest first: `add`,
    /// `deactivate`, `reactivate`, `reset_password`.
    pub pending: Vec<String>,
    /// The logged-in holder (who cannot deactivate themself).
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserChangeView {
    pub id: String,
    pub login: String,
    /// `add`, `deactivate`, `reactivate`, `reset_password`.
    pub action: String,
    pub made_by: String,
    pub created_at: String,
    /// `queued` (not at the centre yet), `applied`, `refused` (`code`).
    pub state: String,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserList {
    /// By login.
    pub users: Vec<UserView>,
    /// The latest changes, newest first.
    pub changes: Vec<UserChangeView>,
    /// The roles a user may be given, in the order to offer them.
    pub roles: Vec<String>,
}

fn user_view(u: &UserRecord, me: &str) -> UserView {
    UserView {
        login: u.login.clone(),
        name: u.name.clone(),
        role: u.role.clone(),
        active: u.active,
        must_change_password: u.must_change,
        mobile_hint: u.mobile_hint.clone().filter(|h| !h.is_empty()),
        at_centre: u.listed,
        pending: u.pending.clone(),
        is_me: u.login == me,
    }
}

fn change_view(c: &UserChangeRecord) -> UserChangeView {
    UserChangeView {
        id: c.entry_id.to_string(),
        login: c.login.clone(),
        action: c.action.clone(),
        made_by: c.made_by.clone(),
        created_at: c.created_at.to_rfc3339(),
        state: c.state.clone(),
        code: c.code.clone(),
    }
}

fn list(k: &kiosk_core::Kiosk, me: &str) -> Result<UserList> {
    Ok(UserList {
        users: k.users()?.iter().map(|u| user_view(u, me)).collect(),
        changes: k
            .user_changes(CHANGES_SHOWN)?
            .iter()
            .map(change_view)
            .collect(),
        roles: [domain::Role::Operator, domain::Role::Holder]
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
    })
}

// ------------------------------------------------------------------ commands

impl Service {
    pub async fn users(&self, _: ()) -> Result<UserList> {
        let me = self.holder()?;
        self.with_kiosk(move |k, _| list(k, &me)).await
    }

    /// Queued for the centre, which makes the first password and sends it
    /// to the mobile by SMS.
    pub async fn user_add(&self, a: UserAddArgs) -> Result<UserList> {
        let me = self.holder()?;
        let u = NewUser {
            login: crate::auth::normalise_login(&a.login),
            name: a.name,
            mobile: a.mobile,
            role: a.role,
        };
        self.change(me, move |k, me| k.add_user(me, &u).map(drop))
            .await
    }

    /// A deactivated user cannot log in offline from now on, nor online
    /// once the centre has it.
    pub async fn user_set_active(&self, a: UserActiveArgs) -> Result<UserList> {
        let me = self.holder()?;
        let login = crate::auth::normalise_login(&a.login);
        self.change(me, move |k, me| {
            k.set_user_active(me, &login, a.active).map(drop)
        })
        .await
    }

    /// The centre sends a new password by SMS; the old one stops working
    /// offline at once.
    pub async fn user_reset_password(&self, a: UserLoginArgs) -> Result<UserList> {
        let me = self.holder()?;
        let login = crate::auth::normalise_login(&a.login);
        self.change(me, move |k, me| k.reset_user_password(me, &login).map(drop))
            .await
    }

    /// One change by the holder, then the list. The sync loop pushes it and
    /// pulls in the same round, so the centre's new list follows at once.
    async fn change(
        &self,
        me: String,
        f: impl FnOnce(&mut kiosk_core::Kiosk, &str) -> kiosk_core::Result<()> + Send + 'static,
    ) -> Result<UserList> {
        let out = self
            .with_kiosk(move |k, _| {
                f(k, &me)?;
                list(k, &me)
            })
            .await?;
        // Not registered yet means nothing to send: not this command's error.
        let _ = self.sync_now(()).await;
        self.poke();
        Ok(out)
    }
}
