//! JSON bodies of the centre's account and counter endpoints, as the kiosk
//! reads them (`/v1/auth/*`, `/v1/kiosk`, `/v1/bills`). The server declares
//! the same shapes for its OpenAPI document; a test on each side keeps them
//! equal by decoding the other's JSON. Amounts are paise.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub expires_ms: i64,
    pub must_change_password: bool,
    /// `holder` or `operator`.
    pub role: String,
    pub login: String,
    pub kiosk_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
}

/// A forgotten password: a one-time code by SMS to the login's registered
/// mobile. The answer is the same whether or not the login exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgotRequest {
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgotResponse {
    /// How long a code sent now stays valid.
    pub expires_in_secs: i64,
}

/// The code from the SMS and the new password (the policy applies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub login: String,
    pub otp: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskInfo {
    pub code: String,
    pub district: String,
    pub name: String,
    pub cheque_enabled: bool,
    pub wallet_balance: i64,
    pub commission_balance: i64,
    pub exposure_max_pending_amount: i64,
    pub exposure_max_pending_count: u32,
    pub exposure_max_age_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub service_code: String,
    pub consumer_no: String,
    pub bill_ref: String,
    pub consumer_name: String,
    pub amount: i64,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub paid: bool,
}

/// The same service and consumer paid at any kiosk in the last 30 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateInfo {
    pub code: String,
    pub kiosk_code: String,
    pub receipt_no: String,
    pub paid_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillResponse {
    pub bill: Bill,
    pub duplicate: Option<DuplicateInfo>,
}
