-- Central server schema v1. Append-only once released: change by adding a file.
-- Times are unix milliseconds (BIGINT); money is paise (BIGINT).

CREATE TABLE kiosks (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    district TEXT NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    cheque_enabled BOOLEAN NOT NULL,
    exp_amount BIGINT NOT NULL,
    exp_count BIGINT NOT NULL,
    exp_age_secs BIGINT NOT NULL,
    -- Derived from ledger lines, kept in the same transaction; checked by the invariant test.
    wallet_balance BIGINT NOT NULL DEFAULT 0,
    commission_balance BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    mobile TEXT,
    password_hash TEXT NOT NULL,
    must_change BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until_ms BIGINT,
    created_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE devices (
    id UUID PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    user_id UUID NOT NULL REFERENCES users(id),
    device_no BIGINT NOT NULL,
    public_key BYTEA NOT NULL,
    label TEXT NOT NULL,
    registered_ms BIGINT NOT NULL,
    deregistered_ms BIGINT,
    high_water BIGINT NOT NULL DEFAULT 0,
    last_hash BYTEA NOT NULL,
    UNIQUE (kiosk_id, device_no)
);
-- One SSO ID is bound to one device at a time.
CREATE UNIQUE INDEX devices_one_per_user ON devices(user_id) WHERE deregistered_ms IS NULL;

CREATE TABLE catalogues (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    loaded_ms BIGINT NOT NULL
);

CREATE SEQUENCE txn_seq;
CREATE SEQUENCE settle_seq;

-- Every outbox entry ever received, with the outcome recorded once, kept forever.
CREATE TABLE entries (
    device_id UUID NOT NULL REFERENCES devices(id),
    seq BIGINT NOT NULL,
    id UUID NOT NULL,
    kind TEXT NOT NULL,
    device_time_ms BIGINT NOT NULL,
    server_ms BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    payload BYTEA NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    reason TEXT,
    txn_id BIGINT,
    receipt_no TEXT,
    warnings TEXT NOT NULL,
    -- Set when a pending entry is settled (confirmed or refused by the department).
    settled_rev BIGINT,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX entries_settled ON entries(device_id, settled_rev) WHERE settled_rev IS NOT NULL;
CREATE INDEX entries_id ON entries(id);
CREATE INDEX entries_txn ON entries(txn_id);

CREATE TABLE payments (
    txn_id BIGINT PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    device_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    entry_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    local_receipt_no TEXT NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    total BIGINT NOT NULL,
    commission BIGINT NOT NULL,
    mobile TEXT,
    email TEXT,
    operator TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    device_time_ms BIGINT NOT NULL,
    -- Held until the department confirms (outcome `pending`).
    pending BOOLEAN NOT NULL DEFAULT FALSE,
    cancel_txn BIGINT,
    UNIQUE (kiosk_id, receipt_id)
);
CREATE INDEX payments_kiosk_time ON payments(kiosk_id, created_ms);

CREATE TABLE payment_lines (
    txn_id BIGINT NOT NULL REFERENCES payments(txn_id),
    line_no BIGINT NOT NULL,
    kiosk_id UUID NOT NULL,
    service_code TEXT NOT NULL,
    department TEXT NOT NULL,
    consumer_no TEXT NOT NULL,
    bill_ref TEXT,
    bill_amount BIGINT NOT NULL,
    charge BIGINT NOT NULL,
    commission BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    -- Set when the payment is cancelled (kept here so the duplicate check reads one index).
    cancelled BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (txn_id, line_no)
);
CREATE INDEX payment_lines_consumer ON payment_lines(service_code, consumer_no, created_ms);

-- Double-entry: the lines of one txn sum to zero; nothing is updated or deleted.
CREATE TABLE ledger (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txn_id BIGINT NOT NULL,
    account TEXT NOT NULL,
    kiosk_id UUID,
    amount BIGINT NOT NULL,
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX ledger_kiosk ON ledger(kiosk_id, id);
CREATE INDEX ledger_txn ON ledger(txn_id);

CREATE TABLE bills (
    service_code TEXT NOT NULL,
    consumer_no TEXT NOT NULL,
    bill_ref TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    amount BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    paid_txn BIGINT,
    PRIMARY KEY (service_code, consumer_no, bill_ref)
);

CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    txn_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    sent_ms BIGINT
);
CREATE INDEX notifications_due ON notifications(status, next_attempt_ms);

CREATE TABLE tickets (
    id UUID PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    raised_by TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX tickets_kiosk ON tickets(kiosk_id, created_ms);

CREATE TABLE notices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kiosk_id UUID,
    text_en TEXT NOT NULL,
    text_hi TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);

CREATE TABLE tamper_alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id UUID NOT NULL,
    kiosk_id UUID NOT NULL,
    expected_seq BIGINT NOT NULL,
    detail TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
