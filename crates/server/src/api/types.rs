//! The JSON request and response bodies of the API.

use super::*;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_ms: i64,
    pub must_change_password: bool,
    pub role: Role,
    pub login: String,
    pub kiosk_code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ForgotRequest {
    pub login: String,
}

/// The same for every login, known or not.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ForgotResponse {
    /// How long a code sent now stays valid.
    pub expires_in_secs: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub login: String,
    /// The six digits from the SMS.
    pub otp: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KioskInfo {
    pub code: String,
    pub district: String,
    pub name: String,
    pub cheque_enabled: bool,
    /// Paise.
    pub wallet_balance: i64,
    /// Paise.
    pub commission_balance: i64,
    /// Paise.
    pub exposure_max_pending_amount: i64,
    pub exposure_max_pending_count: u32,
    pub exposure_max_age_secs: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewUserRequest {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub mobile: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewUserResponse {
    pub login: String,
    /// Must be changed at first login.
    pub initial_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub must_change_password: bool,
    pub locked: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SetActiveRequest {
    pub active: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisterDeviceRequest {
    /// The device's ed25519 public key, base64url without padding (43 chars).
    pub public_key: String,
    pub label: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    /// 1-999 within the kiosk (part of local receipt numbers).
    pub device_no: i64,
    pub kiosk_code: String,
    pub label: String,
    pub registered_ms: i64,
    pub deregistered_ms: Option<i64>,
    /// Highest seq applied: the next push starts after it.
    pub high_water: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DuplicateInfo {
    pub code: String,
    pub kiosk_code: String,
    pub receipt_no: String,
    pub paid_ms: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BillResponse {
    pub bill: Bill,
    /// Set when the same service and consumer was paid at any kiosk in the last 30 days.
    pub duplicate: Option<DuplicateInfo>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BillQuery {
    pub service: String,
    pub consumer_no: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerLineJson {
    pub id: i64,
    pub txn_id: i64,
    pub account: String,
    pub kind: String,
    /// Paise; positive credits the kiosk.
    pub amount: i64,
    pub memo: String,
    pub at_ms: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerResponse {
    pub wallet_balance: i64,
    pub commission_balance: i64,
    pub lines: Vec<LedgerLineJson>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LedgerQuery {
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TxnQuery {
    pub receipt_no: Option<String>,
    pub entry_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DayQuery {
    /// `YYYY-MM-DD`, the India (IST) calendar day.
    pub date: String,
    /// `failed` (rejected), `pending`, `accepted`, `cancelled`; all when absent.
    pub status: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketRequest {
    /// The caller's id for this ticket (a UUID): required on signed device
    /// requests, so a replayed request makes no second ticket; a repeat
    /// answers the first.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}
