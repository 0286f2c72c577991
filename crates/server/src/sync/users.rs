//! User changes from the outbox ([`protocol::users`]): planned like the
//! other kinds (pure, over what the push loaded), written with the rest of
//! the batch, and the kiosk's list of users for the pull.
//!
//! Only an active holder of the kiosk may change its users, and the same
//! rule guards cancellations: an entry naming anyone else is refused with
//! `auth.holder_only`. The password of a new user and of a reset is made
//! here, hashed before the push's transaction starts (argon2 is slow on
//! purpose and must not run under the kiosk's lock), and sent by SMS from
//! this process's memory only; its row keeps a text without it.

use super::*;
use crate::auth::{HashPool, initial_password, password_sms};
use domain::Role;
use protocol::{KioskUser, UserChange, UserChangePayload};

/// A user as a push's planning sees it.
#[derive(Debug, Clone)]
pub(crate) struct CtxUser {
    pub id: Uuid,
    pub kiosk_id: Uuid,
    pub role: Role,
    pub active: bool,
    pub mobile: Option<String>,
}

/// A password made for an entry, and its hash.
#[derive(Debug, Clone)]
pub(crate) struct NewPassword {
    pub text: String,
    pub hash: String,
}

/// What an applied user change writes.
#[derive(Debug, Clone)]
pub(crate) enum UserWrite {
    Insert {
        id: Uuid,
        login: String,
        name: String,
        role: Role,
        mobile: String,
        hash: String,
    },
    SetActive {
        id: Uuid,
        active: bool,
    },
    SetPassword {
        id: Uuid,
        hash: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct UserEffect {
    pub write: UserWrite,
    pub user_id: Uuid,
    pub action: &'static str,
    pub by: String,
    /// (mobile, stored text, text sent): the password SMS.
    pub sms: Option<(String, String, String)>,
}

/// Whether `login` is an active holder of the kiosk being pushed for.
pub(super) fn is_holder(ctx: &Ctx, login: &str) -> bool {
    ctx.users
        .get(login)
        .is_some_and(|u| u.kiosk_id == ctx.kiosk.id && u.role == Role::Holder && u.active)
}

/// The user changes of a push that need a password, decoded.
fn wanting_password(entries: &[protocol::WireEntry], first_seq: u64, after: u64) -> Vec<Uuid> {
    entries
        .iter()
        .enumerate()
        .filter(|(i, w)| first_seq + *i as u64 > after && w.kind == EntryKind::UserChange)
        .filter_map(|(_, w)| {
            let p = UserChangePayload::decode(&w.payload).ok()?;
            matches!(p.change, UserChange::Add { .. } | UserChange::ResetPassword).then_some(w.id)
        })
        .collect()
}

impl Store {
    /// Passwords for the new entries of a push that add a user or reset a
    /// password (entries the centre already holds need none), made and
    /// hashed before the push's transaction.
    pub(super) async fn passwords_for(
        &self,
        device_id: Uuid,
        req: &PushRequest,
    ) -> SResult<HashMap<Uuid, NewPassword>> {
        let after = self.device(device_id).await?.map_or(0, |d| d.high_water);
        let mut out = HashMap::new();
        for id in wanting_password(&req.entries, req.first_seq, after) {
            let text = initial_password();
            let hash = HashPool::get().hash_waiting(&text).await;
            out.insert(id, NewPassword { text, hash });
        }
        Ok(out)
    }
}

/// The kiosk's users and every other login the batch's additions name.
pub(super) async fn load_users(
    tx: &mut dyn SqlTx,
    kiosk: &Kiosk,
    entries: &[&Entry],
    ctx: &mut Ctx<'_>,
) -> SResult<()> {
    let mut named = Vec::new();
    let mut needed = false;
    for e in entries {
        match e.kind {
            EntryKind::Cancellation => needed = true,
            EntryKind::UserChange => {
                needed = true;
                if let Ok(p) = UserChangePayload::decode(&e.payload)
                    && matches!(p.change, UserChange::Add { .. })
                {
                    named.push(p.login);
                }
            }
            _ => {}
        }
    }
    if !needed {
        return Ok(());
    }
    const COLS: &str = "id, kiosk_id, login, role, active, mobile";
    let mut rows = tx
        .query(
            &format!("SELECT {COLS} FROM users WHERE kiosk_id = $1"),
            &params![kiosk.id],
        )
        .await?;
    named.sort();
    named.dedup();
    for login in named.iter().take(protocol::wire::MAX_BATCH_ENTRIES) {
        rows.extend(
            tx.query(
                &format!("SELECT {COLS} FROM users WHERE login = $1"),
                &params![login],
            )
            .await?,
        );
    }
    for r in &rows {
        ctx.users.insert(
            r.text(2)?,
            CtxUser {
                id: r.uuid(0)?,
                kiosk_id: r.uuid(1)?,
                role: Role::parse(&r.text(3)?).ok_or_else(|| StoreError::Corrupt("role".into()))?,
                active: r.bool(4)?,
                mobile: r.opt_text(5)?,
            },
        );
    }
    Ok(())
}

pub(super) fn plan_user_change(ctx: &mut Ctx, e: &Entry) -> (Outcome, Effects) {
    let p = match UserChangePayload::decode(&e.payload) {
        Ok(p) => p,
        Err(err) => {
            return reject(
                codes::ENTRY_MALFORMED,
                format!("user change payload: {err}"),
            );
        }
    };
    if !text_ok(&p.by, 1, 64) {
        return reject(codes::ENTRY_MALFORMED, "the change names no holder");
    }
    if !is_holder(ctx, &p.by) {
        return reject(
            codes::AUTH_HOLDER_ONLY,
            format!("{} is not an active holder of this kiosk", p.by),
        );
    }
    let action = p.change.action();
    let (user_id, write, sms) = match &p.change {
        UserChange::Add { name, mobile, role } => {
            if !domain::login_ok(&p.login) {
                return reject(codes::OPERATOR_LOGIN_INVALID, "login is not valid");
            }
            if ctx.users.contains_key(&p.login) {
                return reject(
                    codes::OPERATOR_LOGIN_TAKEN,
                    format!("login {} is taken", p.login),
                );
            }
            if !text_ok(name, 1, 100) {
                return reject(
                    codes::OPERATOR_NAME_INVALID,
                    "name is empty, too long or has control characters",
                );
            }
            let Some(m) = domain::Mobile::parse(mobile)
                .ok()
                .filter(|m| m.as_str() == mobile)
            else {
                return reject(codes::OPERATOR_NO_MOBILE, "no valid mobile number");
            };
            let Some(pw) = ctx.passwords.get(&e.id).cloned() else {
                return reject(codes::INTERNAL, "no password was made for this change");
            };
            let id = derived_id(&e.id, 0);
            ctx.users.insert(
                p.login.clone(),
                CtxUser {
                    id,
                    kiosk_id: ctx.kiosk.id,
                    role: *role,
                    active: true,
                    mobile: Some(m.as_str().to_string()),
                },
            );
            let (stored, sent) = password_sms(&p.login, &pw.text, false);
            (
                id,
                UserWrite::Insert {
                    id,
                    login: p.login.clone(),
                    name: name.clone(),
                    role: *role,
                    mobile: m.as_str().to_string(),
                    hash: pw.hash,
                },
                Some((m.as_str().to_string(), stored, sent)),
            )
        }
        change => {
            let Some(u) = ctx
                .users
                .get_mut(&p.login)
                .filter(|u| u.kiosk_id == ctx.kiosk.id)
            else {
                return reject(
                    codes::OPERATOR_UNKNOWN,
                    format!("no user {} at this kiosk", p.login),
                );
            };
            match change {
                UserChange::Deactivate if p.login == p.by => {
                    return reject(
                        codes::OPERATOR_SELF_DEACTIVATE,
                        "a holder cannot deactivate themself",
                    );
                }
                // Said twice (two devices, or again after a refusal): the
                // user is as asked, nothing more to do.
                UserChange::Deactivate | UserChange::Reactivate => {
                    let active = matches!(change, UserChange::Reactivate);
                    u.active = active;
                    (u.id, UserWrite::SetActive { id: u.id, active }, None)
                }
                _ => {
                    if !u.active {
                        return reject(
                            codes::OPERATOR_INACTIVE,
                            format!("{} is deactivated", p.login),
                        );
                    }
                    let Some(m) = u.mobile.clone() else {
                        return reject(
                            codes::OPERATOR_NO_MOBILE,
                            format!("{} has no mobile number to send a password to", p.login),
                        );
                    };
                    let Some(pw) = ctx.passwords.get(&e.id).cloned() else {
                        return reject(codes::INTERNAL, "no password was made for this change");
                    };
                    let (stored, sent) = password_sms(&p.login, &pw.text, true);
                    (
                        u.id,
                        UserWrite::SetPassword {
                            id: u.id,
                            hash: pw.hash,
                        },
                        Some((m, stored, sent)),
                    )
                }
            }
        }
    };
    let txn = ctx.txn_ids.next().expect("txn id per entry");
    let fx = Effects {
        user: Some(UserEffect {
            write,
            user_id,
            action,
            by: p.by,
            sms,
        }),
        ..Default::default()
    };
    (
        Outcome::Accepted {
            txn_id: txn,
            receipt_no: String::new(),
            warnings: vec![],
        },
        fx,
    )
}

/// Writes the batch's user changes; returns the password messages queued
/// (id, text to send) for the sender's memory.
pub(super) async fn write_user_changes(
    tx: &mut dyn SqlTx,
    kiosk: &Kiosk,
    planned: &[Planned],
    now: i64,
) -> SResult<Vec<(Uuid, String)>> {
    let mut held = Vec::new();
    for p in planned {
        let Some(u) = &p.effects.user else { continue };
        let Outcome::Accepted { txn_id, .. } = &p.outcome else {
            continue;
        };
        match &u.write {
            UserWrite::Insert {
                id,
                login,
                name,
                role,
                mobile,
                hash,
            } => {
                tx.exec(
                    "INSERT INTO users (id, kiosk_id, login, name, role, mobile, password_hash, must_change, active, failed_logins, created_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,0,$10)",
                    &params![*id, kiosk.id, login, name, role.as_str(), mobile, hash, true, true, now],
                )
                .await?;
            }
            UserWrite::SetActive { id, active } => {
                tx.exec(
                    "UPDATE users SET active = $1 WHERE id = $2",
                    &params![*active, *id],
                )
                .await?;
                if !active {
                    tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![*id])
                        .await?;
                }
            }
            UserWrite::SetPassword { id, hash } => {
                // A reset starts over: no lock left from the guesses that
                // may have led to it, no session with the old password.
                tx.exec(
                    "UPDATE users SET password_hash = $1, must_change = $2, failed_logins = 0, locked_until_ms = NULL, last_failed_ms = NULL WHERE id = $3",
                    &params![hash, true, *id],
                )
                .await?;
                tx.exec("DELETE FROM sessions WHERE user_id = $1", &params![*id])
                    .await?;
            }
        }
        tx.exec(
            "INSERT INTO user_changes (entry_id, kiosk_id, user_id, action, by_login, at_ms) VALUES ($1,$2,$3,$4,$5,$6)",
            &params![p.entry.id, kiosk.id, u.user_id, u.action, &u.by, now],
        )
        .await?;
        if let Some((mobile, stored, sent)) = &u.sms {
            // Deterministic, like the other messages of an entry.
            let id = derived_id(&p.entry.id, 500);
            tx.exec(
                "INSERT INTO notifications (id, txn_id, channel, recipient, subject, body, status, attempts, next_attempt_ms, created_ms) VALUES ($1,$2,'sms',$3,$4,$5,'queued',0,$6,$6)",
                &params![id, *txn_id, mobile, crate::store::HELD_SUBJECT, stored, now],
            )
            .await?;
            held.push((id, sent.clone()));
        }
    }
    Ok(held)
}

/// The kiosk's users as the pull lists them (by login, as bytes).
pub(super) async fn kiosk_users(tx: &mut dyn SqlTx, kiosk: Uuid) -> SResult<Vec<KioskUser>> {
    let rows = tx
        .query(
            "SELECT login, name, role, active, must_change, mobile FROM users WHERE kiosk_id = $1",
            &params![kiosk],
        )
        .await?;
    let mut users = rows
        .iter()
        .map(|r| {
            Ok(KioskUser {
                login: r.text(0)?,
                name: r.text(1)?,
                role: Role::parse(&r.text(2)?).ok_or_else(|| StoreError::Corrupt("role".into()))?,
                active: r.bool(3)?,
                must_change: r.bool(4)?,
                mobile_hint: r.opt_text(5)?.map(|m| protocol::users::mobile_hint(&m)),
            })
        })
        .collect::<SResult<Vec<_>>>()?;
    users.sort_by(|a, b| a.login.as_bytes().cmp(b.login.as_bytes()));
    Ok(users)
}
