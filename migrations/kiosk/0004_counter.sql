-- The desktop counter. Append-only: never edit; add a new file.
--
-- Offline operator login: an argon2id verifier of the password that last
-- logged in online (never the password itself), and a failure count that
-- locks the login offline too. Rows are replaced at each online login.
CREATE TABLE operator_credentials (
    login         TEXT PRIMARY KEY,
    verifier      TEXT,                    -- PHC string (argon2id); NULL until an online login
    role          TEXT NOT NULL CHECK (role IN ('holder', 'operator')),
    must_change   INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1)),
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,                    -- device time; NULL when not locked
    verified_at   TEXT,                    -- last online login
    updated_at    TEXT NOT NULL
) STRICT;

-- The cart being put together at the counter, so that a reload of the
-- window or a crash of the app loses no line. One row: the counter has one
-- cart at a time. Its id becomes the receipt's id at Pay, so a payment made
-- twice from the same cart is refused by the receipts' primary key.
CREATE TABLE counter_draft (
    slot        INTEGER PRIMARY KEY CHECK (slot = 1),
    cart_id     TEXT NOT NULL,
    body        TEXT NOT NULL,             -- JSON of the draft
    updated_at  TEXT NOT NULL
) STRICT;
