-- Indexes for reports and the counter's search: by service, by status, by
-- the centre's receipt number. Append-only: never edit; add a new file.
CREATE INDEX receipt_lines_service ON receipt_lines (service_code, receipt_id);
CREATE INDEX receipts_status_created ON receipts (status, created_at);
CREATE INDEX receipts_final_no ON receipts (final_receipt_no);
-- Covering index for totals over a date range: the sums come from the
-- index alone, without visiting the receipts.
CREATE INDEX receipts_totals ON receipts (created_at, status, rejected, mode, line_count,
    bills_paise, charges_paise, total_paise, commission_paise);
