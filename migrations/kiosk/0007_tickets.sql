-- Problems raised with the helpdesk from the kiosk. Each is one outbox
-- entry of kind 'ticket' (written in the same transaction as its row here)
-- and the centre's replies, as the pull brings them. Append-only: never
-- edit; add a new file.
CREATE TABLE tickets (
    id               TEXT PRIMARY KEY,                  -- UUIDv7, the centre's ticket id too
    entry_id         TEXT NOT NULL UNIQUE REFERENCES outbox (id),
    category         TEXT NOT NULL,
    subject          TEXT NOT NULL,
    description      TEXT NOT NULL,
    receipt_id       TEXT REFERENCES receipts (id),
    receipt_no       TEXT,                              -- as sent to the centre
    raised_by        TEXT NOT NULL REFERENCES operators (login),
    attachment_bytes INTEGER NOT NULL DEFAULT 0 CHECK (attachment_bytes >= 0),
    created_at       TEXT NOT NULL,
    -- The centre's last word: 'open' until a reply says otherwise.
    status           TEXT NOT NULL DEFAULT 'open',
    updated_at       TEXT
) STRICT;
CREATE INDEX tickets_created ON tickets (created_at);

CREATE TABLE ticket_replies (
    id           INTEGER PRIMARY KEY,                   -- the centre's reply id
    ticket_id    TEXT NOT NULL REFERENCES tickets (id),
    status       TEXT NOT NULL,
    text         TEXT NOT NULL,
    at           TEXT NOT NULL,                         -- the centre's time
    received_at  TEXT NOT NULL
) STRICT;
CREATE INDEX ticket_replies_ticket ON ticket_replies (ticket_id, id);
