-- The kiosk holder's user changes reach the centre through the outbox
-- (entries of kind user_change). Each one applied is recorded here: who
-- changed which user how, by which entry (the entry keeps the signed
-- request itself). Passwords are never kept: a new or reset password goes
-- by SMS from the sending process's memory only.
CREATE TABLE user_changes (
    entry_id BLOB PRIMARY KEY,
    kiosk_id BLOB NOT NULL REFERENCES kiosks(id),
    user_id BLOB NOT NULL REFERENCES users(id),
    action TEXT NOT NULL,
    by_login TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX user_changes_user ON user_changes(user_id, at_ms);

-- Every pull reads the kiosk's users to see whether their list changed.
CREATE INDEX users_kiosk ON users(kiosk_id, login);
