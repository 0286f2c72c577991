//! The kiosk's users: the holder adds users (operators, or another holder),
//! deactivates and reactivates them, and has a password reset. Each change
//! is one [`EntryKind::UserChange`](crate::EntryKind::UserChange) outbox
//! entry whose payload is a [`UserChangePayload`] (postcard, like the other
//! payloads), queued offline like a cancellation and applied by the centre
//! in seq order.
//!
//! No password travels: the centre makes the first password of a new user
//! and the password of a reset, and sends it by SMS to the user's mobile;
//! the user must change it at the first login.
//!
//! There is one list of users, the centre's. It comes back on the pull
//! ([`crate::PullResponse::users`]) only when it differs from the list the
//! kiosk holds, which the kiosk names by its [`users_digest`] in
//! [`crate::Cursor::users_digest`]: an unchanged list costs one number.

use domain::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Payload of an [`EntryKind::UserChange`](crate::EntryKind::UserChange) entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChangePayload {
    /// The holder who made the change; the centre refuses it from anyone
    /// else ([`crate::codes::AUTH_HOLDER_ONLY`]).
    pub by: String,
    /// The user the change is about.
    pub login: String,
    pub change: UserChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserChange {
    /// A new user of this kiosk. `mobile` is the ten digits the first
    /// password is sent to.
    Add {
        name: String,
        mobile: String,
        role: Role,
    },
    /// The user may no longer log in (the centre ends their sessions).
    Deactivate,
    Reactivate,
    /// A new password by SMS to the user's mobile, to be changed at the
    /// next login.
    ResetPassword,
}

impl UserChange {
    /// How the change is named in tables and on screens.
    pub fn action(&self) -> &'static str {
        match self {
            UserChange::Add { .. } => "add",
            UserChange::Deactivate => "deactivate",
            UserChange::Reactivate => "reactivate",
            UserChange::ResetPassword => "reset_password",
        }
    }
}

impl UserChangePayload {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("postcard encoding cannot fail")
    }
    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// One user of the kiosk as the centre lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskUser {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// The first (or a reset) password is still to be changed.
    pub must_change: bool,
    /// The last digits of the user's mobile (the holder recognises the
    /// number a password goes to; the whole number stays at the centre).
    pub mobile_hint: Option<String>,
}

/// Digits of a mobile number shown as its hint.
pub const MOBILE_HINT_DIGITS: usize = 4;

/// The hint of a mobile number: its last [`MOBILE_HINT_DIGITS`] digits.
pub fn mobile_hint(mobile: &str) -> String {
    let digits: Vec<char> = mobile.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(MOBILE_HINT_DIGITS)..]
        .iter()
        .collect()
}

/// Names a list of users: SHA-256 of the postcard bytes of the list sorted
/// by login (as bytes: databases may collate otherwise), cut to 64 bits.
/// Never 0, which a kiosk's cursor holds before its first list.
pub fn users_digest(users: &[KioskUser]) -> u64 {
    let mut sorted: Vec<&KioskUser> = users.iter().collect();
    sorted.sort_by(|a, b| a.login.as_bytes().cmp(b.login.as_bytes()));
    let bytes = postcard::to_stdvec(&sorted).expect("postcard encoding cannot fail");
    let d: [u8; 32] = Sha256::digest(&bytes).into();
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes")).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(login: &str, active: bool) -> KioskUser {
        KioskUser {
            login: login.into(),
            name: "राम लाल".into(),
            role: Role::Operator,
            active,
            must_change: true,
            mobile_hint: Some("3210".into()),
        }
    }

    #[test]
    fn payloads_round_trip_and_garbage_is_refused() {
        for change in [
            UserChange::Add {
                name: "Ram Lal".into(),
                mobile: "9876543210".into(),
                role: Role::Operator,
            },
            UserChange::Deactivate,
            UserChange::Reactivate,
            UserChange::ResetPassword,
        ] {
            let p = UserChangePayload {
                by: "holder1".into(),
                login: "ram.lal".into(),
                change,
            };
            assert_eq!(UserChangePayload::decode(&p.encode()).unwrap(), p);
        }
        assert!(UserChangePayload::decode(&[1, 2, 3]).is_err());
        assert!(UserChangePayload::decode(&[]).is_err());
    }

    #[test]
    fn the_digest_changes_with_any_field_and_never_is_zero() {
        let a = vec![user("op1", true), user("op2", true)];
        let d = users_digest(&a);
        assert_ne!(d, 0);
        assert_eq!(d, users_digest(&a.clone()));
        // The order of the rows does not matter.
        assert_eq!(d, users_digest(&[a[1].clone(), a[0].clone()]));
        let mut b = a.clone();
        b[1].active = false;
        assert_ne!(users_digest(&b), d);
        let mut c = a.clone();
        c[0].must_change = false;
        assert_ne!(users_digest(&c), d);
        assert_ne!(users_digest(&[]), 0);
    }

    #[test]
    fn hints_are_the_last_digits() {
        assert_eq!(mobile_hint("9876543210"), "3210");
        assert_eq!(mobile_hint("12"), "12");
    }
}
