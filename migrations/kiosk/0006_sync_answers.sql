-- What the centre says about entries, kept in full. Append-only: never
-- edit; add a new file.
--
-- Non-blocking warnings the centre gave an accepted entry (e.g.
-- payment.duplicate_warning), comma-separated codes; '' when none.
ALTER TABLE outbox ADD COLUMN warnings TEXT NOT NULL DEFAULT '';

-- The receipt's final number (or its outcome) changed after it may have
-- been printed: print it again. Cleared when the reprint is made.
ALTER TABLE receipts ADD COLUMN reprint INTEGER NOT NULL DEFAULT 0 CHECK (reprint IN (0, 1));

-- Each time the centre's answer for an entry changed (a centre restored
-- from a backup applies a re-sent entry anew): the centre is the truth, the
-- kiosk takes the new answer and keeps the old one here for the operator.
CREATE TABLE outcome_changes (
    id              INTEGER PRIMARY KEY,
    seq             INTEGER NOT NULL,
    receipt_id      TEXT REFERENCES receipts (id),
    old_outcome     TEXT NOT NULL,
    old_txn_id      TEXT,
    old_receipt_no  TEXT,
    new_outcome     TEXT NOT NULL,
    new_txn_id      TEXT,
    new_receipt_no  TEXT,
    new_code        TEXT,
    at              TEXT NOT NULL,         -- device time it was learnt
    seen            INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1))
) STRICT;
CREATE INDEX outcome_changes_unseen ON outcome_changes (seen, id);
