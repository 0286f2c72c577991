-- The centre console: its own admin accounts and sessions, the audit log
-- (append-only: the triggers refuse any change), maker-checker proposals,
-- acknowledgements of alerts, and each device's health as it reports it.
CREATE TABLE admins (
    id UUID PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- state | district | auditor
    role TEXT NOT NULL,
    -- The district a district admin (or a scoped auditor) sees; NULL: all.
    district TEXT,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    last_failed_ms BIGINT,
    locked_until_ms BIGINT,
    created_ms BIGINT NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash BYTEA PRIMARY KEY,
    admin_id UUID NOT NULL REFERENCES admins(id),
    csrf TEXT NOT NULL,
    -- Pushed forward by each request; `ends_ms` is the hard limit.
    expires_ms BIGINT NOT NULL,
    ends_ms BIGINT NOT NULL
);
CREATE INDEX admin_sessions_admin ON admin_sessions(admin_id);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    admin_id UUID NOT NULL REFERENCES admins(id),
    admin_login TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    district TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Money moved by the console: one admin proposes, another approves.
CREATE TABLE proposals (
    id UUID PRIMARY KEY,
    -- refill | settle
    kind TEXT NOT NULL,
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    amount BIGINT NOT NULL,
    -- What it is about: a refill request's id, a held txn id; NULL for a manual refill.
    subject TEXT,
    detail TEXT NOT NULL,
    proposed_by UUID NOT NULL REFERENCES admins(id),
    proposed_ms BIGINT NOT NULL,
    -- pending | approved | rejected
    status TEXT NOT NULL,
    decided_by UUID REFERENCES admins(id),
    decided_ms BIGINT,
    reason TEXT
);
CREATE INDEX proposals_status ON proposals(status, proposed_ms);
CREATE UNIQUE INDEX proposals_one_pending ON proposals(kind, subject)
    WHERE status = 'pending' AND subject IS NOT NULL;

CREATE TABLE alert_acks (
    alert_id BIGINT PRIMARY KEY REFERENCES tamper_alerts(id),
    admin_id UUID NOT NULL REFERENCES admins(id),
    note TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);

CREATE TABLE device_health (
    device_id UUID PRIMARY KEY REFERENCES devices(id),
    kiosk_id UUID NOT NULL REFERENCES kiosks(id),
    last_seen_ms BIGINT NOT NULL,
    last_sync_ms BIGINT NOT NULL,
    outbox_depth BIGINT NOT NULL,
    outbox_amount BIGINT NOT NULL,
    oldest_pending_ms BIGINT,
    app_version TEXT NOT NULL,
    clock_offset_ms BIGINT
);
CREATE INDEX device_health_kiosk ON device_health(kiosk_id);
CREATE INDEX kiosks_district ON kiosks(district, code);
