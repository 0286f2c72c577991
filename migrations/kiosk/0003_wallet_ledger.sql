-- The centre's ledger lines for this kiosk, as pulled: the wallet statement
-- is read from here. Append-only: never edit; add a new file.
-- `line_id` is the centre's id (the pull cursor), so a line delivered twice
-- is stored once. The wire carries no running balance or receipt number;
-- `txn_id` is the centre's transaction the line belongs to.
CREATE TABLE wallet_ledger (
    line_id       INTEGER PRIMARY KEY,
    account       TEXT NOT NULL,           -- wallet | commission
    kind          TEXT NOT NULL,           -- payment | cancellation | refill | ...
    amount_paise  INTEGER NOT NULL,        -- credit positive, debit negative
    txn_id        INTEGER NOT NULL,
    memo          TEXT NOT NULL,
    at            TEXT NOT NULL,           -- centre time of the line
    received_at   TEXT NOT NULL            -- device time it arrived
) STRICT;
CREATE INDEX wallet_ledger_account_at ON wallet_ledger (account, at, line_id);
