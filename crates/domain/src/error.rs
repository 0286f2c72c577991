//! Errors with stable codes. The UI translates the code; it never parses the message.

/// Anything with a stable, machine-readable error code: every crate's
/// errors implement it (one trait, so the app's translation table can be
/// checked against one list). The code is borrowed from the error so that
/// an error carrying the centre's own code passes it through unchanged.
pub trait ErrorCode {
    /// A stable code such as `money.negative`; never changes once released.
    fn code(&self) -> &str;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("amount is empty")]
    MoneyEmpty,
    #[error("amount must not be negative")]
    MoneyNegative,
    #[error("amount has more than two decimal places")]
    MoneyTooManyDecimals,
    #[error("amount is too large")]
    MoneyOverflow,
    #[error("not an amount: {0:?}")]
    MoneyInvalid(String),
    #[error(
        "amount {0:?}: commas may only group thousands (1,234 or 1,23,456); write paise after a dot, e.g. 1.50"
    )]
    MoneyGroupingInvalid(String),
    #[error("amount must be greater than zero")]
    MoneyZero,
    #[error("kiosk code {0:?} is not valid (a letter then 3-15 letters or digits)")]
    KioskCodeInvalid(String),
    #[error("device number must be 1-999")]
    DeviceNoInvalid,
    #[error("receipt number {0:?} is not valid")]
    ReceiptNoInvalid(String),
    #[error("{label} {value:?} is not valid for this service")]
    ConsumerNoInvalid { label: String, value: String },
    #[error("a mobile number or an e-mail address is required")]
    ContactRequired,
    #[error("mobile number {0:?} is not a valid Indian mobile number")]
    MobileInvalid(String),
    #[error("e-mail address {0:?} is not valid")]
    EmailInvalid(String),
    #[error("cheque number must be exactly 6 digits")]
    ChequeNumberInvalid,
    #[error("cheque is post-dated ({date}); only cheques dated today or earlier are accepted")]
    ChequePostDated { date: chrono::NaiveDate },
    #[error("cheque dated {date} is older than three months")]
    ChequeStale { date: chrono::NaiveDate },
    #[error("cheque payee must be {expected:?}")]
    ChequePayeeMismatch { expected: String },
    #[error("cheque bank name is required")]
    ChequeBankRequired,
    #[error("cheque payment is not enabled for this kiosk")]
    ChequeNotEnabled,
    #[error("password must be at least 8 characters")]
    PasswordTooShort,
    #[error("password is too long")]
    PasswordTooLong,
    #[error("password needs a lowercase letter")]
    PasswordNoLowercase,
    #[error("password needs an uppercase letter")]
    PasswordNoUppercase,
    #[error("password needs a digit")]
    PasswordNoDigit,
    #[error("charge {charge} is above the state rate {state_rate}")]
    ChargeAboveStateRate {
        charge: crate::Paise,
        state_rate: crate::Paise,
    },
    #[error("the cart is empty")]
    CartEmpty,
    #[error("the cart is full ({0} bills at most)")]
    CartFull(usize),
    #[error("this bill is already in the cart")]
    CartDuplicateLine,
    #[error("no cart line {0}")]
    CartNoSuchLine(usize),
    #[error("catalogue is invalid: {0}")]
    CatalogueInvalid(String),
    #[error("text field {field} is invalid: {reason}")]
    TextInvalid {
        field: &'static str,
        reason: &'static str,
    },
    #[error("text field {field} has direction-changing characters (bidi controls)")]
    TextBidiControl { field: &'static str },
    #[error("text field {field} has only invisible characters")]
    TextInvisibleOnly { field: &'static str },
}

impl ErrorCode for DomainError {
    fn code(&self) -> &str {
        use DomainError::*;
        match self {
            MoneyEmpty => "money.empty",
            MoneyNegative => "money.negative",
            MoneyTooManyDecimals => "money.too_many_decimals",
            MoneyOverflow => "money.overflow",
            MoneyInvalid(_) => "money.invalid",
            MoneyGroupingInvalid(_) => "money.grouping_invalid",
            MoneyZero => "money.zero",
            KioskCodeInvalid(_) => "kiosk_code.invalid",
            DeviceNoInvalid => "device_no.invalid",
            ReceiptNoInvalid(_) => "receipt_no.invalid",
            ConsumerNoInvalid { .. } => "consumer_no.invalid",
            ContactRequired => "contact.required",
            MobileInvalid(_) => "contact.mobile_invalid",
            EmailInvalid(_) => "contact.email_invalid",
            ChequeNumberInvalid => "cheque.number_invalid",
            ChequePostDated { .. } => "cheque.post_dated",
            ChequeStale { .. } => "cheque.stale",
            ChequePayeeMismatch { .. } => "cheque.payee_mismatch",
            ChequeBankRequired => "cheque.bank_required",
            ChequeNotEnabled => "cheque.not_enabled",
            PasswordTooShort => "password.too_short",
            PasswordTooLong => "password.too_long",
            PasswordNoLowercase => "password.no_lowercase",
            PasswordNoUppercase => "password.no_uppercase",
            PasswordNoDigit => "password.no_digit",
            ChargeAboveStateRate { .. } => "charge.above_state_rate",
            CartEmpty => "cart.empty",
            CartFull(_) => "cart.full",
            CartDuplicateLine => "cart.duplicate_line",
            CartNoSuchLine(_) => "cart.no_such_line",
            CatalogueInvalid(_) => "catalogue.invalid",
            TextInvalid { .. } => "text.invalid",
            TextBidiControl { .. } => "text.bidi_control",
            TextInvisibleOnly { .. } => "text.invisible_only",
        }
    }
}

/// Free text from a person: see [`crate::text`], the one rule for it.
pub use crate::text::clean_text;
