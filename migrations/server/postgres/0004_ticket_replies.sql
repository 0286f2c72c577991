-- Tickets raised at the kiosk say what they are about, which receipt they
-- concern and may carry a support bundle; the helpdesk's replies go back
-- to the kiosk on its pull (cursor `tickets_after`: the reply's id, which
-- grows per kiosk because a reply is written under the kiosk's lock).
ALTER TABLE tickets ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
ALTER TABLE tickets ADD COLUMN receipt_no TEXT;
ALTER TABLE tickets ADD COLUMN attachment TEXT;

CREATE TABLE ticket_replies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id UUID NOT NULL REFERENCES tickets(id),
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX ticket_replies_kiosk ON ticket_replies(kiosk_id, id);
