-- Kiosk local ledger, first schema. Append-only: once released, never edit
-- this file (its checksum is recorded in every database); add a new one.
-- Times are UTC text 'YYYY-MM-DDTHH:MM:SS.mmmZ' (fixed width, so text order
-- is time order). Money is integer paise.

-- Kiosk identity and switches (kiosk_code, device_id, device_no, district,
-- kiosk_name, cheque_enabled, ...). No secrets here, ever.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The catalogue last received from the centre (or imported), one row.
CREATE TABLE catalogue (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    version     INTEGER NOT NULL,
    sample      INTEGER NOT NULL CHECK (sample IN (0, 1)),
    body        TEXT NOT NULL,          -- JSON of domain::Catalogue
    imported_at TEXT NOT NULL
) STRICT;

-- Bills fetched from departments ("Get Bill Details"), kept for matching.
CREATE TABLE fetched_bills (
    id            TEXT PRIMARY KEY,
    service_code  TEXT NOT NULL,
    consumer_no   TEXT NOT NULL,
    consumer_name TEXT,
    bill_ref      TEXT,
    amount_paise  INTEGER NOT NULL CHECK (amount_paise >= 0),
    due_date      TEXT,
    fetched_at    TEXT NOT NULL,
    raw           BLOB
) STRICT;
CREATE INDEX fetched_bills_consumer ON fetched_bills (service_code, consumer_no, fetched_at);

-- People who may work the counter. Credentials live elsewhere (never here).
CREATE TABLE operators (
    login      TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('holder', 'operator')),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE receipts (
    id                  TEXT PRIMARY KEY,              -- UUIDv7
    receipt_no          TEXT NOT NULL UNIQUE,          -- local: KIOSK-DEV-SEQ
    device_seq          INTEGER NOT NULL UNIQUE CHECK (device_seq > 0),
    created_at          TEXT NOT NULL,
    operator            TEXT NOT NULL REFERENCES operators (login),
    mode                TEXT NOT NULL CHECK (mode IN ('wallet', 'cheque')),
    cheque_no           TEXT,
    cheque_date         TEXT,
    cheque_bank         TEXT,
    cheque_payee        TEXT,
    mobile              TEXT,
    email               TEXT,
    line_count          INTEGER NOT NULL CHECK (line_count > 0),
    bills_paise         INTEGER NOT NULL CHECK (bills_paise > 0),
    charges_paise       INTEGER NOT NULL CHECK (charges_paise >= 0),
    total_paise         INTEGER NOT NULL CHECK (total_paise > 0),
    commission_paise    INTEGER NOT NULL CHECK (commission_paise >= 0),
    duplicate_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (duplicate_confirmed IN (0, 1)),
    status              TEXT NOT NULL DEFAULT 'provisional'
                        CHECK (status IN ('provisional', 'final', 'cancelled')),
    final_receipt_no    TEXT,
    server_txn_id       TEXT,
    -- The centre rejected the payment: money not taken, left out of totals.
    rejected            INTEGER NOT NULL DEFAULT 0 CHECK (rejected IN (0, 1)),
    -- Set when the centre rejected the payment or its cancellation: the
    -- holder must reconcile it (DOMAIN.md "Reconcile").
    reconcile           INTEGER NOT NULL DEFAULT 0 CHECK (reconcile IN (0, 1)),
    reconcile_code      TEXT,
    reconcile_reason    TEXT,
    cancelled_at        TEXT,
    cancelled_by        TEXT,
    cancel_reason       TEXT
) STRICT;
CREATE INDEX receipts_created ON receipts (created_at);

CREATE TABLE receipt_lines (
    receipt_id       TEXT NOT NULL REFERENCES receipts (id),
    line_no          INTEGER NOT NULL CHECK (line_no > 0),
    service_code     TEXT NOT NULL,
    department       TEXT NOT NULL,
    consumer_no      TEXT NOT NULL,
    consumer_name    TEXT,
    bill_ref         TEXT,
    bill_paise       INTEGER NOT NULL CHECK (bill_paise > 0),
    charge_paise     INTEGER NOT NULL CHECK (charge_paise >= 0),
    commission_paise INTEGER NOT NULL CHECK (commission_paise >= 0),
    PRIMARY KEY (receipt_id, line_no)
) STRICT, WITHOUT ROWID;  -- a receipt's lines side by side (ids are time-ordered)
CREATE INDEX receipt_lines_consumer ON receipt_lines (consumer_no, service_code);

-- What must reach the centre, in order, exactly once (DESIGN.md "Money path
-- invariants"): seq contiguous per device, hash = H(prev_hash ‖ canonical).
CREATE TABLE outbox (
    device_id        TEXT NOT NULL,
    seq              INTEGER NOT NULL CHECK (seq > 0),
    id               TEXT NOT NULL UNIQUE,            -- UUIDv7
    kind             TEXT NOT NULL CHECK (kind IN ('payment', 'cancellation', 'ticket', 'user_change')),
    format           INTEGER NOT NULL,
    device_time_ms   INTEGER NOT NULL,
    payload          BLOB NOT NULL,
    prev_hash        BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash             BLOB NOT NULL CHECK (length(hash) = 32),
    created_at       TEXT NOT NULL,
    receipt_id       TEXT REFERENCES receipts (id),
    -- Sync columns: NULL until the centre answers.
    outcome          TEXT CHECK (outcome IS NULL OR outcome IN ('accepted', 'rejected', 'pending')),
    outcome_code     TEXT,
    outcome_reason   TEXT,
    server_txn_id    TEXT,
    final_receipt_no TEXT,
    acked_at         TEXT,
    PRIMARY KEY (device_id, seq)
) STRICT;
CREATE INDEX outbox_unacked ON outbox (outcome, seq);
CREATE INDEX outbox_receipt ON outbox (receipt_id);

-- The entry part of the outbox is immutable and gap-free; only the sync
-- columns may change. Enforced here too, so no code path can break it.
CREATE TRIGGER outbox_contiguous BEFORE INSERT ON outbox
WHEN NEW.seq <> COALESCE((SELECT MAX(seq) FROM outbox WHERE device_id = NEW.device_id), 0) + 1
BEGIN
    SELECT RAISE(ABORT, 'outbox seq must be contiguous');
END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox entries are never deleted');
END;
CREATE TRIGGER outbox_immutable BEFORE UPDATE OF device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash, created_at, receipt_id ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox entries are immutable');
END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN
    SELECT RAISE(ABORT, 'receipts are never deleted');
END;

-- The last wallet figures from the centre, one row. covers_seq: the highest
-- outbox seq already reflected in balance_paise.
CREATE TABLE wallet_snapshot (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    balance_paise      INTEGER NOT NULL,
    as_of              TEXT NOT NULL,      -- server time of the balance
    received_at        TEXT NOT NULL,      -- device time it arrived
    covers_seq         INTEGER NOT NULL DEFAULT 0,
    max_pending_paise  INTEGER NOT NULL CHECK (max_pending_paise >= 0),
    max_pending_count  INTEGER NOT NULL CHECK (max_pending_count >= 0),
    max_age_secs       INTEGER NOT NULL CHECK (max_age_secs >= 0)
) STRICT;

-- Money a local payment holds against the wallet until the centre settles it.
CREATE TABLE wallet_holds (
    receipt_id   TEXT PRIMARY KEY REFERENCES receipts (id),
    outbox_seq   INTEGER NOT NULL,
    amount_paise INTEGER NOT NULL CHECK (amount_paise > 0),
    state        TEXT NOT NULL CHECK (state IN ('held', 'settled', 'released')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX wallet_holds_seq ON wallet_holds (outbox_seq, state);

-- Persistent print queue (the print crates drive it).
CREATE TABLE print_jobs (
    id              TEXT PRIMARY KEY,
    receipt_id      TEXT NULL REFERENCES receipts (id),
    kind            TEXT NOT NULL CHECK (kind IN ('receipt', 'duplicate', 'final', 'test_page', 'report')),
    printer         TEXT NOT NULL,
    profile         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'printing', 'done', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error_code TEXT,
    last_error      TEXT,
    payload         BLOB,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_attempt_at TEXT
) STRICT;
CREATE INDEX print_jobs_state ON print_jobs (state, next_attempt_at);
