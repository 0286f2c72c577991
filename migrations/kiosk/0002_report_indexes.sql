-- Indexes for reports and the counter's search: by service, by status, by
-- time within a service. Append-only: never edit; add a new file.
CREATE INDEX receipt_lines_service ON receipt_lines (service_code, receipt_id);
CREATE INDEX receipts_status_created ON receipts (status, created_at);
