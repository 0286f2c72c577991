-- Wallet refill requests from the kiosks, each one outbox entry of kind
-- 'refill_request'; the staff credit one through the ledger (`txn_id`) or
-- reject it with a reason. Every change is a row of `refill_events`, which
-- the kiosk pulls by cursor (`refills_after`: the event's id, which grows
-- per kiosk because events are written under the kiosk's lock).
CREATE TABLE refill_requests (
    id UUID PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    entry_id UUID NOT NULL UNIQUE,
    amount BIGINT NOT NULL CHECK (amount > 0),
    mode TEXT NOT NULL,
    reference TEXT,
    requested_by TEXT NOT NULL,
    status TEXT NOT NULL,
    txn_id BIGINT,
    reason TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX refill_requests_kiosk ON refill_requests(kiosk_id, created_ms);
-- One bank reference per kiosk on the requests not rejected.
CREATE UNIQUE INDEX refill_requests_reference ON refill_requests(kiosk_id, reference)
    WHERE reference IS NOT NULL AND status <> 'rejected';

CREATE TABLE refill_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    request_id UUID NOT NULL REFERENCES refill_requests(id),
    status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    txn_id BIGINT,
    reason TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX refill_events_kiosk ON refill_events(kiosk_id, id);

-- A security deposit credited as a limit: payments may take the wallet
-- down to minus this many paise.
CREATE TABLE kiosk_deposits (
    kiosk_id UUID PRIMARY KEY REFERENCES kiosks(id) ON DELETE CASCADE,
    deposit_limit BIGINT NOT NULL CHECK (deposit_limit >= 0),
    updated_ms BIGINT NOT NULL
);

-- Each stretch of a wallet below zero: from the first line that took it
-- below (`since_ms`) to the one that brought it back (`closed_ms`), its due
-- date (YYYY-MM-DD, India) and the interest accrued when it closed.
CREATE TABLE dues_episodes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id) ON DELETE CASCADE,
    since_ms BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    closed_ms BIGINT,
    interest BIGINT
);
CREATE UNIQUE INDEX dues_episodes_open ON dues_episodes(kiosk_id) WHERE closed_ms IS NULL;
