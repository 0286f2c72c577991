-- The kiosk's users. There is one list, the centre's: `operators` caches it
-- as the pull last brought it (cursor users_digest), and `user_changes`
-- holds the holder's changes on their way to the centre. Append-only:
-- never edit; add a new file.
ALTER TABLE operators ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1));
-- The last digits of the user's mobile, as the centre lists them (the
-- number itself stays at the centre).
ALTER TABLE operators ADD COLUMN mobile_hint TEXT;
-- When the centre's list last named this login; NULL: never (a row made
-- on this PC before the first list came).
ALTER TABLE operators ADD COLUMN listed_at TEXT;

-- Each change is one outbox entry of kind 'user_change' written in the
-- same transaction as its row here; the entry's outcome says whether the
-- centre applied it. No password is ever here: the centre makes it and
-- sends it by SMS.
CREATE TABLE user_changes (
    entry_id     TEXT PRIMARY KEY REFERENCES outbox (id),
    login        TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('add', 'deactivate', 'reactivate', 'reset_password')),
    name         TEXT,                                  -- add only
    role         TEXT CHECK (role IN ('holder', 'operator')),
    mobile_hint  TEXT,                                  -- add only
    made_by      TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX user_changes_login ON user_changes (login, created_at);
