-- Forgotten passwords: a one-time code (OTP) goes by SMS to the user's
-- registered mobile. Only its salted hash is kept (argon2id, as for
-- passwords); it lives 10 minutes and allows 5 tries. One live code per
-- user: a new request replaces it, a reset removes it.
CREATE TABLE password_resets (
    user_id UUID PRIMARY KEY REFERENCES users(id),
    otp_hash TEXT NOT NULL,
    expires_ms BIGINT NOT NULL,
    tries_left BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- Forgot and reset requests by key (`login:<name>`, known or not, and
-- `addr:<client address>`), for the hourly limits; rows older than the
-- hour are swept as new ones come.
CREATE TABLE otp_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX otp_requests_key ON otp_requests(key, at_ms);
