-- Wallet refill requests and the security deposit's dues. Append-only:
-- never edit; add a new file.
--
-- 1. The outbox takes a new kind, 'refill_request'. SQLite cannot change a
--    CHECK, so the table is rebuilt with every row, index and trigger as it
--    was. `tickets` refers to it: its rows' parents are dropped and put back
--    in this one transaction, with foreign keys checked at the commit.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE outbox_before_refills AS SELECT * FROM outbox;
DROP TABLE outbox;
CREATE TABLE outbox (
    device_id        TEXT NOT NULL,
    seq              INTEGER NOT NULL CHECK (seq > 0),
    id               TEXT NOT NULL UNIQUE,            -- UUIDv7
    kind             TEXT NOT NULL CHECK (kind IN ('payment', 'cancellation', 'ticket', 'user_change', 'refill_request')),
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
    warnings         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (device_id, seq)
) STRICT;
INSERT INTO outbox (device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash,
                    created_at, receipt_id, outcome, outcome_code, outcome_reason, server_txn_id,
                    final_receipt_no, acked_at, warnings)
SELECT device_id, seq, id, kind, format, device_time_ms, payload, prev_hash, hash,
       created_at, receipt_id, outcome, outcome_code, outcome_reason, server_txn_id,
       final_receipt_no, acked_at, warnings
  FROM outbox_before_refills ORDER BY device_id, seq;
DROP TABLE outbox_before_refills;
CREATE INDEX outbox_unacked ON outbox (outcome, seq);
CREATE INDEX outbox_receipt ON outbox (receipt_id);
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

-- 2. A refill request: one outbox entry of kind 'refill_request', written
--    in the same transaction as its row here. `status` is the centre's
--    word (pending until it credits or rejects), moved by the pull's
--    updates in the order of their ids (`update_id`).
CREATE TABLE refill_requests (
    id           TEXT PRIMARY KEY,                      -- UUIDv7, the centre's request id too
    entry_id     TEXT NOT NULL UNIQUE REFERENCES outbox (id),
    amount_paise INTEGER NOT NULL CHECK (amount_paise > 0),
    mode         TEXT NOT NULL,
    reference    TEXT,                                  -- as sent: capitals, no spaces
    requested_by TEXT NOT NULL REFERENCES operators (login),
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'credited', 'rejected')),
    txn_id       INTEGER,                               -- the centre's ledger txn of the credit
    reason       TEXT,                                  -- why the centre rejected it
    update_id    INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT
) STRICT;
CREATE INDEX refill_requests_created ON refill_requests (created_at);
CREATE INDEX refill_requests_reference ON refill_requests (reference);

-- 3. The security-deposit limit and the dues as of the last pull (one row).
CREATE TABLE wallet_dues (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    deposit_limit_paise INTEGER NOT NULL CHECK (deposit_limit_paise >= 0),
    dues_paise          INTEGER NOT NULL CHECK (dues_paise >= 0),
    since               TEXT,                           -- centre time the wallet went below zero
    due_date            TEXT,                           -- YYYY-MM-DD, India
    interest_paise      INTEGER NOT NULL CHECK (interest_paise >= 0),
    as_of               TEXT NOT NULL,                  -- centre time of the figures
    received_at         TEXT NOT NULL
) STRICT;
