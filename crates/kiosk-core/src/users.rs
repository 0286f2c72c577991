//! The kiosk's users: the centre's list as the pull brings it, and the
//! holder's changes to it. A change (add a user, deactivate, reactivate,
//! reset a password) writes its `user_changes` row and a `user_change`
//! outbox entry in one transaction, so it waits offline like a
//! cancellation and reaches the centre exactly once; the centre applies it
//! and its new list comes back on the pull ([`Kiosk::replace_users`]).
//!
//! `operators` mirrors the centre's list as received (so its digest,
//! [`Kiosk::users_digest`], names it); what is still on its way is read
//! from the changes not answered yet. Deactivating a user removes their
//! offline login verifier at once, before the centre has heard of it, and
//! [`pending_deactivation`] keeps them out until it has; a password reset
//! removes it too (the old password must not work offline).
//!
//! The rules, checked before anything is written (a refusal stores nothing):
//! the login by [`domain::login_ok`] (`operator.login_invalid`) and free
//! (`operator.login_taken`), a name of plain text up to 100 characters
//! (`operator.name_invalid`), a valid Indian mobile (`operator.no_mobile`),
//! a known role (`operator.role_invalid`); a change names a user of this
//! kiosk (`operator.unknown`), the holder does not deactivate themself
//! (`operator.self_deactivate`), no deactivation of an inactive user
//! (`operator.inactive`) nor reactivation of an active one
//! (`operator.already_active`), and no second password while one is on its
//! way (`operator.change_pending`). Who may change users at all is the
//! service layer's holder guard (and the centre's).

use crate::pay::{append_entry, check_operator};
use crate::{CoreError, Kiosk, Result, check_login};
use chrono::{DateTime, Utc};
use domain::Clock as _;
use domain::{Mobile, Role};
use kiosk_store::rusqlite::{self, Connection, OptionalExtension, params};
use kiosk_store::{parse_ts, ts};
use protocol::users::mobile_hint;
use protocol::{EntryKind, KioskUser, UserChange, UserChangePayload};
use serde::Serialize;
use uuid::Uuid;

/// A user to add, as the holder typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUser {
    pub login: String,
    pub name: String,
    pub mobile: String,
    /// `holder` or `operator`.
    pub role: String,
}

/// One user for the list: the centre's word, and what is still on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub login: String,
    pub name: String,
    pub role: String,
    /// As the centre last said (false for an addition it has not made yet).
    pub active: bool,
    pub must_change: bool,
    pub mobile_hint: Option<String>,
    /// In the centre's list (false: an addition on its way, or a login
    /// only this PC knows).
    pub listed: bool,
    /// Changes not yet answered by the centre, oldest first
    /// (`add`, `deactivate`, `reactivate`, `reset_password`).
    pub pending: Vec<String>,
}

/// One change the holder made, with what the centre did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserChangeRecord {
    pub entry_id: Uuid,
    pub login: String,
    pub action: String,
    pub made_by: String,
    pub created_at: DateTime<Utc>,
    /// `queued` (not answered yet), `applied` or `refused` (`code` says why).
    pub state: String,
    pub code: Option<String>,
    pub outbox_seq: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UsersApplied {
    /// Users in the centre's list.
    pub listed: usize,
    /// Offline verifiers removed (deactivated, or gone from the list).
    pub verifiers_removed: usize,
}

/// Whether the latest change on its way for `login` deactivates it: the
/// user is kept out (online too) until the centre has applied it.
pub fn pending_deactivation(c: &Connection, login: &str) -> Result<bool> {
    Ok(latest_pending(c, login, &["deactivate", "reactivate"])?.as_deref() == Some("deactivate"))
}

/// The newest change not answered yet for `login` among `actions`.
fn latest_pending(c: &Connection, login: &str, actions: &[&str]) -> Result<Option<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT uc.action FROM user_changes uc JOIN outbox o ON o.id = uc.entry_id
          WHERE uc.login = ?1 AND o.outcome IS NULL ORDER BY o.seq DESC",
    )?;
    let rows = stmt
        .query_map([login], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows.into_iter().find(|a| actions.contains(&a.as_str())))
}

/// Forgets the offline verifier of `login`; true when there was one.
fn drop_verifier(c: &Connection, login: &str) -> Result<bool> {
    Ok(c.execute(
        "UPDATE operator_credentials SET verifier = NULL WHERE login = ?1 AND verifier IS NOT NULL",
        [login],
    )? > 0)
}

/// What the kiosk knows of a login: (listed active, known at all).
fn known(c: &Connection, login: &str) -> Result<Option<(bool, Option<String>)>> {
    let row: Option<(bool, Option<String>)> = c
        .query_row(
            "SELECT active, mobile_hint FROM operators WHERE login = ?1",
            [login],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if row.is_some() {
        return Ok(row);
    }
    // An addition on its way counts as an active user with a mobile.
    Ok(latest_pending(c, login, &["add"])?.map(|_| (true, Some(String::new()))))
}

impl Kiosk {
    /// Queues the addition of a user (see the module docs for the rules).
    pub fn add_user(&mut self, by: &str, u: &NewUser) -> Result<UserChangeRecord> {
        let login = check_login(&u.login)?;
        let name = domain::error::clean_text("operator_name", &u.name, 100)
            .ok()
            .filter(|n| !n.is_empty())
            .ok_or(CoreError::OperatorNameInvalid)?;
        let mobile = Mobile::parse(&u.mobile).map_err(|_| CoreError::OperatorNoMobile)?;
        let role = Role::parse(u.role.trim())
            .ok_or_else(|| CoreError::OperatorRoleInvalid(u.role.chars().take(32).collect()))?;
        let change = UserChange::Add {
            name: name.clone(),
            mobile: mobile.as_str().to_string(),
            role,
        };
        let extra = (name, role.as_str(), mobile_hint(mobile.as_str()));
        self.queue_user_change(by, &login, change, Some(extra), |tx| {
            if known(tx, &login)?.is_some() {
                return Err(CoreError::OperatorLoginTaken(login.clone()));
            }
            Ok(())
        })
    }

    /// Queues a deactivation (`active` false) or a reactivation. A
    /// deactivated user's offline verifier goes at once.
    pub fn set_user_active(
        &mut self,
        by: &str,
        login: &str,
        active: bool,
    ) -> Result<UserChangeRecord> {
        let login = login.trim().to_string();
        let change = if active {
            UserChange::Reactivate
        } else {
            UserChange::Deactivate
        };
        self.queue_user_change(by, &login, change, None, |tx| {
            let Some((listed_active, _)) = known(tx, &login)? else {
                return Err(CoreError::OperatorUnknown(login.chars().take(32).collect()));
            };
            if !active && login == by {
                return Err(CoreError::OperatorSelfDeactivate);
            }
            // As it will be once what is on its way is applied.
            let now_active = match latest_pending(tx, &login, &["deactivate", "reactivate"])? {
                Some(a) => a == "reactivate",
                None => listed_active,
            };
            match (active, now_active) {
                (false, false) => Err(CoreError::OperatorInactive(login.clone())),
                (true, true) => Err(CoreError::OperatorAlreadyActive(login.clone())),
                _ => {
                    if !active {
                        drop_verifier(tx, &login)?;
                    }
                    Ok(())
                }
            }
        })
    }

    /// Queues a password reset: the centre sends a new password by SMS to
    /// the user's mobile; the old one stops working offline at once.
    pub fn reset_user_password(&mut self, by: &str, login: &str) -> Result<UserChangeRecord> {
        let login = login.trim().to_string();
        self.queue_user_change(by, &login, UserChange::ResetPassword, None, |tx| {
            let Some((listed_active, hint)) = known(tx, &login)? else {
                return Err(CoreError::OperatorUnknown(login.chars().take(32).collect()));
            };
            if latest_pending(tx, &login, &["add", "reset_password"])?.is_some() {
                return Err(CoreError::OperatorChangePending(login.clone()));
            }
            let now_active = match latest_pending(tx, &login, &["deactivate", "reactivate"])? {
                Some(a) => a == "reactivate",
                None => listed_active,
            };
            if !now_active {
                return Err(CoreError::OperatorInactive(login.clone()));
            }
            if hint.is_none() {
                return Err(CoreError::OperatorNoMobile);
            }
            drop_verifier(tx, &login)?;
            Ok(())
        })
    }

    /// One change: `check` runs inside the write transaction before
    /// anything is written; then the entry and its row.
    fn queue_user_change(
        &mut self,
        by: &str,
        login: &str,
        change: UserChange,
        // An addition's name, role and mobile hint, for the list meanwhile.
        extra: Option<(String, &str, String)>,
        check: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<UserChangeRecord> {
        let now = self.now();
        let device_id = self.identity.device_id;
        let entry_id = domain::new_id(self.clock.as_ref());
        let action = change.action();
        self.store.write(|tx| -> Result<UserChangeRecord> {
            check_operator(tx, by)?;
            check(tx)?;
            let payload = UserChangePayload {
                by: by.to_string(),
                login: login.to_string(),
                change,
            }
            .encode();
            let (seq, _) = append_entry(
                tx,
                device_id,
                entry_id,
                EntryKind::UserChange,
                payload,
                now,
                None,
            )?;
            let (name, role, hint) = match &extra {
                Some((n, r, h)) => (Some(n.as_str()), Some(*r), Some(h.as_str())),
                None => (None, None, None),
            };
            tx.execute(
                "INSERT INTO user_changes (entry_id, login, action, name, role, mobile_hint, made_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![entry_id.to_string(), login, action, name, role, hint, by, ts(now)],
            )?;
            Ok(UserChangeRecord {
                entry_id,
                login: login.to_string(),
                action: action.to_string(),
                made_by: by.to_string(),
                created_at: now,
                state: "queued".into(),
                code: None,
                outbox_seq: seq,
            })
        })
    }

    /// Every user: the centre's list as last received (and logins only
    /// this PC knows), with the additions on their way, by login.
    pub fn users(&self) -> Result<Vec<UserRecord>> {
        let c = self.store.conn();
        let mut stmt = c.prepare(
            "SELECT login, name, role, active, must_change, mobile_hint, listed_at IS NOT NULL
               FROM operators ORDER BY login",
        )?;
        let mut out = stmt
            .query_map([], |r| {
                Ok(UserRecord {
                    login: r.get(0)?,
                    name: r.get(1)?,
                    role: r.get(2)?,
                    active: r.get(3)?,
                    must_change: r.get(4)?,
                    mobile_hint: r.get(5)?,
                    listed: r.get(6)?,
                    pending: Vec::new(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = c.prepare(
            "SELECT uc.login, uc.action, uc.name, uc.role, uc.mobile_hint FROM user_changes uc
               JOIN outbox o ON o.id = uc.entry_id WHERE o.outcome IS NULL ORDER BY o.seq",
        )?;
        let pending = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (login, action, name, role, hint) in pending {
            if let Some(u) = out.iter_mut().find(|u| u.login == login) {
                u.pending.push(action);
                continue;
            }
            out.push(UserRecord {
                name: name.unwrap_or_else(|| login.clone()),
                role: role.unwrap_or_else(|| "operator".into()),
                login,
                active: false,
                must_change: true,
                mobile_hint: hint,
                listed: false,
                pending: vec![action],
            });
        }
        out.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(out)
    }

    /// The latest `limit` changes, newest first, with the centre's answers.
    pub fn user_changes(&self, limit: u32) -> Result<Vec<UserChangeRecord>> {
        let c = self.store.conn();
        let mut stmt = c.prepare(
            "SELECT uc.entry_id, uc.login, uc.action, uc.made_by, uc.created_at, o.outcome, o.outcome_code, o.seq
               FROM user_changes uc JOIN outbox o ON o.id = uc.entry_id
              ORDER BY o.seq DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit.clamp(1, 1000)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, u64>(7)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, login, action, by, at, outcome, code, seq)| {
                let refused = outcome.as_deref() == Some("rejected");
                Ok(UserChangeRecord {
                    entry_id: id.parse().map_err(|_| {
                        kiosk_store::StoreError::Invalid(format!("entry id {id:?}"))
                    })?,
                    login,
                    action,
                    made_by: by,
                    created_at: parse_ts(&at)?,
                    state: match outcome {
                        None => "queued",
                        Some(_) if refused => "refused",
                        Some(_) => "applied",
                    }
                    .into(),
                    code: code.filter(|_| refused),
                    outbox_seq: seq,
                })
            })
            .collect()
    }

    /// The digest of the centre's list as this kiosk holds it (0: none
    /// received yet), for the pull cursor.
    pub fn users_digest(&self) -> Result<u64> {
        let listed = listed_users(self.store.conn())?;
        Ok(if listed.is_empty() {
            0
        } else {
            protocol::users_digest(&listed)
        })
    }

    /// Takes the centre's list in one transaction: each user as listed; a
    /// login listed before and gone now is deactivated here; deactivated
    /// users (and those a deactivation on its way names) lose their
    /// offline verifier; the offline role follows the centre's.
    pub fn replace_users(&mut self, users: &[KioskUser]) -> Result<UsersApplied> {
        let now = ts(self.clock.now());
        self.store.write(|tx| -> Result<UsersApplied> {
            let mut applied = UsersApplied::default();
            for u in users {
                let name = domain::text::sanitize_text(&u.name, 100);
                let hint = u
                    .mobile_hint
                    .as_deref()
                    .map(|h| domain::text::sanitize_text(h, 16));
                tx.execute(
                    "INSERT INTO operators (login, name, role, active, created_at, must_change, mobile_hint, listed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)
                     ON CONFLICT (login) DO UPDATE SET name = ?2, role = ?3, active = ?4,
                        must_change = ?6, mobile_hint = ?7, listed_at = ?5",
                    params![u.login, name, u.role.as_str(), u.active, now, u.must_change, hint],
                )?;
                tx.execute(
                    "UPDATE operator_credentials SET role = ?2 WHERE login = ?1",
                    params![u.login, u.role.as_str()],
                )?;
                if (!u.active || pending_deactivation(tx, &u.login)?) && drop_verifier(tx, &u.login)? {
                    applied.verifiers_removed += 1;
                }
                applied.listed += 1;
            }
            let gone: Vec<String> = {
                let mut stmt = tx.prepare("SELECT login FROM operators WHERE listed_at IS NOT NULL")?;
                stmt.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .filter(|l| !users.iter().any(|u| &u.login == l))
                    .collect()
            };
            for login in gone {
                tx.execute(
                    "UPDATE operators SET active = 0, listed_at = NULL WHERE login = ?1",
                    [&login],
                )?;
                if drop_verifier(tx, &login)? {
                    applied.verifiers_removed += 1;
                }
            }
            Ok(applied)
        })
    }
}

/// The rows that came from the centre's list, as it sent them.
fn listed_users(c: &Connection) -> Result<Vec<KioskUser>> {
    let mut stmt = c.prepare_cached(
        "SELECT login, name, role, active, must_change, mobile_hint FROM operators WHERE listed_at IS NOT NULL",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(login, name, role, active, must_change, mobile_hint)| {
            Some(KioskUser {
                login,
                name,
                role: Role::parse(&role)?,
                active,
                must_change,
                mobile_hint,
            })
        })
        .collect())
}
