//! Every error code the UI can receive: the service layer's own, the
//! crates' it wraps, and the centre's (passed through). The UI's
//! translation check reads the generated list and fails on a code without
//! a Hindi or an English text; the test below fails when a crate adds a
//! code that is missing here.

/// Sorted; `http.<status>` stands for any HTTP failure without a code.
pub const CODES: &[&str] = &[
    "account.online_only",
    "account.outbox_not_empty",
    "alert.none",
    "alert.not_acknowledgeable",
    "amount.invalid",
    "amount.required",
    "app.already_set_up",
    "app.internal",
    "app.lang_invalid",
    "app.not_set_up",
    "auth.bad_credentials",
    "auth.bad_signature",
    "auth.bad_token",
    "auth.device_deregistered",
    "auth.forbidden",
    "auth.holder_only",
    "auth.inactive",
    "auth.locked",
    "auth.missing",
    "auth.password_change_required",
    "auth.token_expired",
    "auth.unknown_device",
    "auth.wrong_kiosk",
    "bill.already_paid",
    "bill.amount_mismatch",
    "bill.fetch_required",
    "bill.unknown",
    "biller.unavailable",
    "cancel.reason_required",
    "cart.changed",
    "cart.duplicate_line",
    "cart.empty",
    "cart.full",
    "cart.no_such_line",
    "catalogue.invalid",
    "catalogue.missing",
    "catalogue.older",
    "centre.bad_answer",
    "centre.offline",
    "centre.url_invalid",
    "charge.above_state_rate",
    "cheque.bank_required",
    "cheque.date_invalid",
    "cheque.invalid",
    "cheque.mixed_departments",
    "cheque.not_enabled",
    "cheque.number_invalid",
    "cheque.payee_mismatch",
    "cheque.post_dated",
    "cheque.refused_by_department",
    "cheque.stale",
    "clock.skew",
    "consumer_no.invalid",
    "contact.email_invalid",
    "contact.mobile_invalid",
    "contact.required",
    "device.bad_key",
    "device.bound_elsewhere",
    "device_no.invalid",
    "entry.duplicate_id",
    "entry.malformed",
    "entry.unsupported_format",
    "entry.unsupported_kind",
    "entry.wrong_kiosk",
    "exposure.age_exceeded",
    "exposure.amount_exceeded",
    "exposure.balance_insufficient",
    "exposure.count_exceeded",
    "exposure.no_snapshot",
    "http.status",
    "internal",
    "kiosk.already_initialised",
    "kiosk.device_id_fixed",
    "kiosk.district_required",
    "kiosk.name_required",
    "kiosk.not_initialised",
    "kiosk_code.invalid",
    "ledger.exposure_exceeded",
    "ledger.line_invalid",
    "login.bad_credentials",
    "login.locked",
    "login.no_offline_verifier",
    "money.empty",
    "money.grouping_invalid",
    "money.invalid",
    "money.negative",
    "money.overflow",
    "money.too_many_decimals",
    "money.zero",
    "not_found",
    "operator.already_active",
    "operator.change_pending",
    "operator.exists",
    "operator.inactive",
    "operator.login_invalid",
    "operator.login_taken",
    "operator.name_invalid",
    "operator.no_mobile",
    "operator.role_invalid",
    "operator.self_deactivate",
    "operator.unknown",
    "otp.format",
    "otp.invalid",
    "otp.rate_limited",
    "outbox.chain_broken",
    "outbox.entries_stopped",
    "outbox.entry_undecodable",
    "outbox.not_found",
    "outbox.outcome_conflict",
    "password.no_digit",
    "password.no_lowercase",
    "password.no_uppercase",
    "password.too_long",
    "password.too_short",
    "password.unchanged",
    "payment.already_paid",
    "payment.duplicate_unconfirmed",
    "payment.duplicate_warning",
    "payment.mode_required",
    "payment.totals_mismatch",
    "print.encoder",
    "print.font",
    "print.interrupted",
    "print.paper_out",
    "print.printer_offline",
    "print.profile_invalid",
    "print.profile_unknown",
    "print.profile_unreadable",
    "print.spooler",
    "print.stream_invalid",
    "print.unsupported",
    "print.uri_invalid",
    "print_queue.columns_invalid",
    "print_queue.database",
    "print_queue.io",
    "print_queue.job_failed",
    "print_queue.job_unknown",
    "print_queue.no_printer",
    "print_queue.not_cancellable",
    "print_queue.nothing_to_retry",
    "print_queue.receipt_cancelled",
    "printer.not_serial",
    "protocol.malformed",
    "protocol.too_large",
    "protocol.unsupported_version",
    "query.invalid",
    "readmit.already_known",
    "readmit.invalid",
    "receipt.already_cancelled",
    "receipt.id_reused",
    "receipt.not_found",
    "receipt.rejected",
    "receipt.unknown",
    "receipt_no.invalid",
    "refill.amount_invalid",
    "refill.duplicate_reference",
    "refill.mode_unknown",
    "refill.not_pending",
    "refill.reason_required",
    "refill.reference_invalid",
    "refill.reference_required",
    "register.new_password_required",
    "register.not_holder",
    "register.wrong_kiosk",
    "report.date_invalid",
    "report.export_failed",
    "report.filter_invalid",
    "request.invalid",
    "request.rate_limited",
    "service.inactive",
    "service.online_only",
    "service.online_only_late",
    "service.unknown",
    "session.holder_only",
    "session.locked",
    "session.none",
    "session.password_change_required",
    "store.backup_invalid",
    "store.busy",
    "store.corrupt",
    "store.invalid",
    "store.io",
    "store.migration_edited",
    "store.migration_failed",
    "store.no_backup",
    "store.not_found",
    "store.schema_too_new",
    "store.sqlite",
    "sync.batch_empty",
    "sync.batch_too_large",
    "sync.centre_restored",
    "sync.chain_mismatch",
    "sync.config",
    "sync.device_unknown",
    "sync.gap",
    "sync.insecure_url",
    "sync.io",
    "sync.key_missing",
    "sync.keyring",
    "sync.locked",
    "sync.offline",
    "sync.outcome_changed",
    "sync.protocol",
    "sync.state.offline",
    "sync.state.refused",
    "sync.state.sending",
    "sync.state.starting",
    "sync.state.stopped",
    "sync.state.up_to_date",
    "sync.store",
    "sync.timeout",
    "text.bidi_control",
    "text.invalid",
    "text.invisible_only",
    "ticket.attachment_too_large",
    "ticket.category_unknown",
    "ticket.description_required",
    "ticket.description_too_long",
    "wallet.invalid",
];

#[cfg(test)]
mod tests {
    use super::CODES;
    use std::collections::BTreeSet;

    /// The files that define codes, relative to the workspace.
    const SOURCES: &[&str] = &[
        "crates/domain/src/error.rs",
        "crates/kiosk-core/src/error.rs",
        "crates/kiosk-store/src/error.rs",
        "crates/print/src/error.rs",
        "crates/print-queue/src/error.rs",
        "crates/kiosk-sync/src/error.rs",
        "crates/protocol/src/wire.rs",
        "crates/protocol/src/refills.rs",
        "crates/kiosk-app/src/error.rs",
        "crates/kiosk-app/src/centre.rs",
    ];

    fn dotted_strings(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for part in text.split('"').skip(1).step_by(2) {
            let ok = part.contains('.')
                && !part.starts_with('.')
                && !part.ends_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
            if ok {
                out.insert(part.to_string());
            }
        }
        out
    }

    #[test]
    fn every_code_in_the_sources_is_listed() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let listed: BTreeSet<&str> = CODES.iter().copied().collect();
        let mut missing = Vec::new();
        for f in SOURCES {
            let text = std::fs::read_to_string(format!("{root}/{f}")).unwrap();
            for c in dotted_strings(&text) {
                if !listed.contains(c.as_str()) {
                    missing.push(format!("{c} ({f})"));
                }
            }
        }
        assert!(missing.is_empty(), "codes missing from CODES: {missing:?}");
    }

    #[test]
    fn sorted_and_unique() {
        let mut s = CODES.to_vec();
        s.sort();
        s.dedup();
        assert_eq!(s, CODES);
    }
}
