use domain::{DomainError, ErrorCode, Paise};
use kiosk_store::StoreError;

/// Everything the counter can refuse, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error("this database has no kiosk yet; run init first")]
    NotInitialised,
    #[error("this database already belongs to kiosk {0}")]
    AlreadyInitialised(String),
    #[error(
        "the outbox already has {0} entries under this device id: the device cannot be named again"
    )]
    DeviceIdFixed(i64),
    #[error("district is required")]
    DistrictRequired,
    #[error("kiosk name is required")]
    KioskNameRequired,

    #[error("no catalogue yet; import one (or sync)")]
    NoCatalogue,
    #[error("catalogue version {got} is older than the one in use ({have})")]
    CatalogueOlder { have: u32, got: u32 },
    #[error("no service {0:?} in the catalogue")]
    ServiceUnknown(String),
    #[error("service {0} is not offered at present")]
    ServiceInactive(String),
    #[error("service {0} is real-time and can only be taken online")]
    ServiceOnlineOnly(String),

    #[error("operator login {0:?} is not valid (3-32 of a-z, 0-9, '.', '_', '-')")]
    OperatorLoginInvalid(String),
    #[error("operator role {0:?} is not valid (holder or operator)")]
    OperatorRoleInvalid(String),
    #[error("no operator {0:?} at this kiosk")]
    OperatorUnknown(String),
    #[error("operator {0:?} is deactivated")]
    OperatorInactive(String),
    #[error("operator {0:?} already exists")]
    OperatorExists(String),
    #[error("the login {0:?} is taken")]
    OperatorLoginTaken(String),
    #[error("the name is required, at most 100 characters, plain text")]
    OperatorNameInvalid,
    #[error(
        "a valid Indian mobile number (10 digits, 6-9 first) is needed to send the password to"
    )]
    OperatorNoMobile,
    #[error("the holder cannot deactivate their own login")]
    OperatorSelfDeactivate,
    #[error("operator {0:?} is active already")]
    OperatorAlreadyActive(String),
    #[error("a change to {0:?} is still on its way to the centre")]
    OperatorChangePending(String),

    #[error("choose how the citizen pays (wallet or cheque)")]
    PaymentModeRequired,
    #[error("a cheque pays one department's bills; this cart has several")]
    ChequeMixedDepartments,
    #[error("department {0} does not accept cheques")]
    ChequeRefusedByDepartment(String),
    #[error("{}", duplicate_message(.0))]
    DuplicateUnconfirmed(Vec<crate::DuplicateHit>),

    #[error("no wallet figures from the centre yet; sync before taking payments")]
    ExposureNoSnapshot,
    #[error(
        "offline limit: {pending} pending + {amount} would exceed the {max} the centre allows; sync first"
    )]
    ExposureAmountExceeded {
        pending: Paise,
        amount: Paise,
        max: Paise,
    },
    #[error("offline limit: {pending} payments already wait for sync (at most {max}); sync first")]
    ExposureCountExceeded { pending: i64, max: i64 },
    #[error(
        "offline limit: the oldest unsynced payment is {age_secs} s old (at most {max_secs} s); sync first"
    )]
    ExposureAgeExceeded { age_secs: i64, max_secs: i64 },
    #[error("wallet: {available} available, {amount} needed")]
    ExposureBalanceInsufficient { available: Paise, amount: Paise },

    #[error("no receipt {0:?}")]
    ReceiptNotFound(String),
    #[error("receipt {0} is already cancelled")]
    ReceiptAlreadyCancelled(String),
    #[error("receipt {0} was rejected by the centre; reconcile it instead")]
    ReceiptRejected(String),
    #[error("a reason is required to cancel a receipt")]
    CancelReasonRequired,

    #[error("no outbox entry with seq {0}")]
    OutboxNotFound(u64),
    #[error("outbox entry {seq} already has outcome {have}; refusing {got}")]
    OutcomeConflict { seq: u64, have: String, got: String },
    #[error("outbox chain broken at seq {0}")]
    ChainBroken(u64),
    /// The local chain is broken: entries from this seq can never be
    /// accepted, so nothing new is written until the holder recovers with
    /// the centre (docs: "a broken local chain").
    #[error(
        "the local record of entries is damaged at seq {0}: new payments are refused until the kiosk is recovered with the centre"
    )]
    EntriesStopped(u64),
    #[error("outbox entry {0} cannot be decoded")]
    EntryUndecodable(u64),

    #[error("invalid query: {0}")]
    QueryInvalid(&'static str),
    #[error("this cart was already paid as receipt {0}")]
    CartAlreadyPaid(String),
    #[error("invalid wallet figures: {0}")]
    WalletInvalid(&'static str),
    #[error("ledger line {id} from the centre is not valid: {why}")]
    LedgerLineInvalid { id: i64, why: &'static str },

    #[error("no ticket category {0:?} (payment, receipt, sync, printer, wallet, login or other)")]
    TicketCategoryUnknown(String),
    #[error("describe the problem")]
    TicketDescriptionRequired,
    #[error("the description has {chars} characters; at most {max}")]
    TicketDescriptionTooLong { chars: usize, max: usize },
    #[error("the ticket's attachment has {bytes} bytes; at most {max}")]
    TicketAttachmentTooLarge { bytes: usize, max: usize },

    /// A refill request's amount, mode or reference (`refill.*`).
    #[error(transparent)]
    Refill(#[from] protocol::refills::RefillError),
}

impl ErrorCode for CoreError {
    fn code(&self) -> &str {
        use CoreError::*;
        match self {
            Domain(e) => e.code(),
            Store(e) => e.code(),
            NotInitialised => "kiosk.not_initialised",
            AlreadyInitialised(_) => "kiosk.already_initialised",
            DeviceIdFixed(_) => "kiosk.device_id_fixed",
            DistrictRequired => "kiosk.district_required",
            KioskNameRequired => "kiosk.name_required",
            NoCatalogue => "catalogue.missing",
            CatalogueOlder { .. } => "catalogue.older",
            ServiceUnknown(_) => "service.unknown",
            ServiceInactive(_) => "service.inactive",
            ServiceOnlineOnly(_) => "service.online_only",
            OperatorLoginInvalid(_) => "operator.login_invalid",
            OperatorRoleInvalid(_) => "operator.role_invalid",
            OperatorUnknown(_) => "operator.unknown",
            OperatorInactive(_) => "operator.inactive",
            OperatorExists(_) => "operator.exists",
            OperatorLoginTaken(_) => protocol::codes::OPERATOR_LOGIN_TAKEN,
            OperatorNameInvalid => protocol::codes::OPERATOR_NAME_INVALID,
            OperatorNoMobile => protocol::codes::OPERATOR_NO_MOBILE,
            OperatorSelfDeactivate => protocol::codes::OPERATOR_SELF_DEACTIVATE,
            OperatorAlreadyActive(_) => "operator.already_active",
            OperatorChangePending(_) => "operator.change_pending",
            PaymentModeRequired => "payment.mode_required",
            ChequeMixedDepartments => "cheque.mixed_departments",
            ChequeRefusedByDepartment(_) => "cheque.refused_by_department",
            DuplicateUnconfirmed(_) => "payment.duplicate_unconfirmed",
            ExposureNoSnapshot => "exposure.no_snapshot",
            ExposureAmountExceeded { .. } => "exposure.amount_exceeded",
            ExposureCountExceeded { .. } => "exposure.count_exceeded",
            ExposureAgeExceeded { .. } => "exposure.age_exceeded",
            ExposureBalanceInsufficient { .. } => "exposure.balance_insufficient",
            ReceiptNotFound(_) => "receipt.not_found",
            ReceiptAlreadyCancelled(_) => "receipt.already_cancelled",
            ReceiptRejected(_) => "receipt.rejected",
            CancelReasonRequired => "cancel.reason_required",
            OutboxNotFound(_) => "outbox.not_found",
            OutcomeConflict { .. } => "outbox.outcome_conflict",
            ChainBroken(_) => "outbox.chain_broken",
            EntriesStopped(_) => "outbox.entries_stopped",
            EntryUndecodable(_) => "outbox.entry_undecodable",
            QueryInvalid(_) => "query.invalid",
            WalletInvalid(_) => "wallet.invalid",
            CartAlreadyPaid(_) => "payment.already_paid",
            LedgerLineInvalid { .. } => "ledger.line_invalid",
            TicketCategoryUnknown(_) => "ticket.category_unknown",
            TicketDescriptionRequired => "ticket.description_required",
            TicketDescriptionTooLong { .. } => "ticket.description_too_long",
            TicketAttachmentTooLarge { .. } => "ticket.attachment_too_large",
            Refill(e) => e.code(),
        }
    }
}

impl From<kiosk_store::rusqlite::Error> for CoreError {
    fn from(e: kiosk_store::rusqlite::Error) -> Self {
        CoreError::Store(StoreError::from(e))
    }
}

fn duplicate_message(hits: &[crate::DuplicateHit]) -> String {
    let list: Vec<String> = hits
        .iter()
        .take(3)
        .map(|h| {
            format!(
                "{} {} was paid on {} (receipt {}, {})",
                h.service_code,
                h.consumer_no,
                h.paid_at
                    .with_timezone(&domain::clock::ist())
                    .format("%Y-%m-%d"),
                h.receipt_no,
                h.amount
            )
        })
        .collect();
    format!(
        "possible duplicate: {}; confirm to take it again",
        list.join("; ")
    )
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
