//! The TypeScript the UI is typed against, generated from [`crate::api`]:
//! every type, the `Commands` map, and the list of error codes. Written to
//! `ui/src/lib/backend/bindings.ts` and committed; `tests/bindings.rs`
//! fails when the committed file is stale (`UPDATE_BINDINGS=1` rewrites).

use crate::api::*;
use ts_rs::{Config, TS};

/// Where the UI keeps it, relative to the workspace.
pub const PATH: &str = "ui/src/lib/backend/bindings.ts";

macro_rules! decls {
    ($cfg:expr, $($t:ty),* $(,)?) => {{
        let mut out = String::new();
        $( out.push_str(&format!("export {}\n\n", <$t as TS>::decl($cfg))); )*
        out
    }};
}

/// The whole file.
pub fn typescript() -> String {
    // Paise and counts are far below 2^53: plain numbers in the UI.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from crates/kiosk-app/src/api.rs by its `bindings` test. Do not edit:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p kiosk-app --test bindings`.\n\n",
    );
    out.push_str(&decls!(
        &cfg,
        ApiError,
        AppState,
        Phase,
        Lang,
        KioskIdentity,
        SessionView,
        DemoHint,
        Recovery,
        RegisterArgs,
        LoginArgs,
        ChangePasswordArgs,
        ForgotArgs,
        ForgotView,
        ResetArgs,
        ResetDone,
        DeregisterArgs,
        DeregisterDone,
        SetLangArgs,
        CatalogueView,
        CategoryView,
        DepartmentView,
        ServiceView,
        SetFavouritesArgs,
        ConsumerArgs,
        ConsumerCheck,
        BillView,
        DuplicateView,
        CartAddArgs,
        CartRemoveArgs,
        CartContactArgs,
        CartModeArgs,
        CartView,
        CartLineView,
        ChequeView,
        PayArgs,
        PayResult,
        ReceiptArgs,
        ReceiptView,
        PrintView,
        PreviewView,
        StatusView,
        InactivityView,
        SyncView,
        AlertView,
        AckAlertArgs,
        ReadmitView,
        WalletView,
        PrinterView,
        PrinterRole,
        SerialParity,
        SerialFlow,
        SerialView,
        FoundPrinterView,
        ProfileView,
        PrinterChoiceView,
        PrinterJobView,
        PrintersView,
        PrinterTarget,
        PrinterSetArgs,
        PrinterTestArgs,
        TestPageView,
        PrinterRetryArgs,
        Event,
        ReportFilter,
        Period,
        ReportKind,
        ExportFormat,
        TxnReportArgs,
        ReceiptRow,
        ReportTotals,
        TxnReport,
        CommissionRowView,
        CommissionReport,
        ExportArgs,
        ExportView,
        ReportPrintArgs,
        ReceiptSearchArgs,
        ReceiptList,
        PrintJobView,
        ReceiptDetailView,
        CancelArgs,
        DayArgs,
        ReconcileRow,
        ReconcileCounts,
        ReconcileView,
        VerifyArgs,
        VerifyRow,
        VerifySummary,
        VerifyResult,
        WalletArgs,
        StatementLineView,
        WalletScreen,
        crate::refills::RefillRequestArgs,
        crate::refills::RefillView,
        crate::refills::DuesView,
        crate::refills::RefillList,
        crate::refills::RefillRequested,
        crate::tickets::TicketRaiseArgs,
        crate::tickets::TicketReplyView,
        crate::tickets::TicketView,
        crate::tickets::TicketList,
        crate::tickets::BundleView,
        crate::tickets::TicketRaised,
        crate::users::UserAddArgs,
        crate::users::UserActiveArgs,
        crate::users::UserLoginArgs,
        crate::users::UserView,
        crate::users::UserChangeView,
        crate::users::UserList,
        serde_json::Value,
    ));
    out.push_str(&ts_command_map(&cfg).0);
    out.push_str("\nexport const COMMAND_NAMES = [\n");
    for c in COMMANDS {
        out.push_str(&format!("  \"{c}\",\n"));
    }
    out.push_str("] as const;\n\n/** Every error code the backend can answer with. */\nexport const ERROR_CODES = [\n");
    for c in crate::codes::CODES {
        out.push_str(&format!("  \"{c}\",\n"));
    }
    out.push_str("] as const;\n");
    out
}
