-- When the last failed password check was: the failure count is forgotten
-- once a full delay period passes without one.
ALTER TABLE users ADD COLUMN last_failed_ms BIGINT;
