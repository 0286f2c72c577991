-- Day rollups for reports: totals over any range read one row per IST day
-- (and per day and service) for the whole days inside it, and the receipts
-- themselves only for the partial days at its ends. Kept by triggers in the
-- same transaction as the receipt (or its cancellation or rejection), so no
-- code path can leave them behind. Append-only: never edit; add a new file.
--
-- "Counted" (as in the totals): not cancelled and not rejected by the
-- centre. `day` is the IST calendar date of `created_at` (IST is UTC+05:30
-- all year).

CREATE TABLE day_totals (
    day              TEXT PRIMARY KEY,
    receipts         INTEGER NOT NULL,   -- counted receipts
    lines            INTEGER NOT NULL,
    bills_paise      INTEGER NOT NULL,
    charges_paise    INTEGER NOT NULL,
    total_paise      INTEGER NOT NULL,
    commission_paise INTEGER NOT NULL,
    wallet_paise     INTEGER NOT NULL,
    cheque_paise     INTEGER NOT NULL,
    cancelled        INTEGER NOT NULL,   -- every cancelled receipt
    rejected         INTEGER NOT NULL    -- rejected and not cancelled
) STRICT, WITHOUT ROWID;

CREATE TABLE day_service_totals (
    day              TEXT NOT NULL,
    service_code     TEXT NOT NULL,
    receipts         INTEGER NOT NULL,   -- counted receipts with a line of it
    lines            INTEGER NOT NULL,
    bills_paise      INTEGER NOT NULL,
    charges_paise    INTEGER NOT NULL,
    commission_paise INTEGER NOT NULL,
    PRIMARY KEY (day, service_code)
) STRICT, WITHOUT ROWID;

-- What one receipt row adds to its day (`s` = +1 to add, -1 to take away).
-- Written out in each trigger: SQLite has no functions in SQL.

CREATE TRIGGER day_totals_receipt_insert AFTER INSERT ON receipts
BEGIN
    INSERT INTO day_totals VALUES (
        date(NEW.created_at, '+330 minutes'),
        (NEW.status <> 'cancelled' AND NEW.rejected = 0),
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.line_count,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.bills_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.charges_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.total_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.commission_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * (NEW.mode = 'wallet') * NEW.total_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * (NEW.mode = 'cheque') * NEW.total_paise,
        (NEW.status = 'cancelled'),
        (NEW.rejected = 1 AND NEW.status <> 'cancelled'))
    ON CONFLICT (day) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        total_paise = total_paise + excluded.total_paise,
        commission_paise = commission_paise + excluded.commission_paise,
        wallet_paise = wallet_paise + excluded.wallet_paise,
        cheque_paise = cheque_paise + excluded.cheque_paise,
        cancelled = cancelled + excluded.cancelled,
        rejected = rejected + excluded.rejected;
END;

-- A change that moves a receipt in or out of the totals (cancelled,
-- rejected), to another day, or changes its figures: the old row is taken
-- away, the new one added, with its lines. A provisional receipt becoming
-- final changes nothing here and costs nothing.
CREATE TRIGGER day_totals_receipt_update
AFTER UPDATE OF created_at, mode, status, rejected, line_count, bills_paise, charges_paise,
    total_paise, commission_paise ON receipts
WHEN (OLD.status = 'cancelled') IS NOT (NEW.status = 'cancelled')
    OR OLD.rejected IS NOT NEW.rejected
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.mode IS NOT NEW.mode
    OR OLD.line_count IS NOT NEW.line_count
    OR OLD.bills_paise IS NOT NEW.bills_paise
    OR OLD.charges_paise IS NOT NEW.charges_paise
    OR OLD.total_paise IS NOT NEW.total_paise
    OR OLD.commission_paise IS NOT NEW.commission_paise
BEGIN
    INSERT INTO day_totals VALUES (
        date(OLD.created_at, '+330 minutes'),
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0),
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * OLD.line_count,
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * OLD.bills_paise,
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * OLD.charges_paise,
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * OLD.total_paise,
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * OLD.commission_paise,
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * (OLD.mode = 'wallet') * OLD.total_paise,
        -(OLD.status <> 'cancelled' AND OLD.rejected = 0) * (OLD.mode = 'cheque') * OLD.total_paise,
        -(OLD.status = 'cancelled'),
        -(OLD.rejected = 1 AND OLD.status <> 'cancelled'))
    ON CONFLICT (day) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        total_paise = total_paise + excluded.total_paise,
        commission_paise = commission_paise + excluded.commission_paise,
        wallet_paise = wallet_paise + excluded.wallet_paise,
        cheque_paise = cheque_paise + excluded.cheque_paise,
        cancelled = cancelled + excluded.cancelled,
        rejected = rejected + excluded.rejected;
    INSERT INTO day_totals VALUES (
        date(NEW.created_at, '+330 minutes'),
        (NEW.status <> 'cancelled' AND NEW.rejected = 0),
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.line_count,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.bills_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.charges_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.total_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * NEW.commission_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * (NEW.mode = 'wallet') * NEW.total_paise,
        (NEW.status <> 'cancelled' AND NEW.rejected = 0) * (NEW.mode = 'cheque') * NEW.total_paise,
        (NEW.status = 'cancelled'),
        (NEW.rejected = 1 AND NEW.status <> 'cancelled'))
    ON CONFLICT (day) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        total_paise = total_paise + excluded.total_paise,
        commission_paise = commission_paise + excluded.commission_paise,
        wallet_paise = wallet_paise + excluded.wallet_paise,
        cheque_paise = cheque_paise + excluded.cheque_paise,
        cancelled = cancelled + excluded.cancelled,
        rejected = rejected + excluded.rejected;
    INSERT INTO day_service_totals
        SELECT date(OLD.created_at, '+330 minutes'), service_code, -1, -COUNT(*),
               -SUM(bill_paise), -SUM(charge_paise), -SUM(commission_paise)
          FROM receipt_lines
         WHERE receipt_id = OLD.id AND OLD.status <> 'cancelled' AND OLD.rejected = 0
         GROUP BY service_code
    ON CONFLICT (day, service_code) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        commission_paise = commission_paise + excluded.commission_paise;
    INSERT INTO day_service_totals
        SELECT date(NEW.created_at, '+330 minutes'), service_code, 1, COUNT(*),
               SUM(bill_paise), SUM(charge_paise), SUM(commission_paise)
          FROM receipt_lines
         WHERE receipt_id = NEW.id AND NEW.status <> 'cancelled' AND NEW.rejected = 0
         GROUP BY service_code
    ON CONFLICT (day, service_code) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        commission_paise = commission_paise + excluded.commission_paise;
END;

-- A line of a counted receipt: its service's day row; the receipt counts
-- once per service however many lines of it it has.
CREATE TRIGGER day_totals_line_insert AFTER INSERT ON receipt_lines
BEGIN
    INSERT INTO day_service_totals
        SELECT date(r.created_at, '+330 minutes'), NEW.service_code,
               NOT EXISTS (SELECT 1 FROM receipt_lines o
                            WHERE o.receipt_id = NEW.receipt_id AND o.service_code = NEW.service_code
                              AND o.line_no <> NEW.line_no),
               1, NEW.bill_paise, NEW.charge_paise, NEW.commission_paise
          FROM receipts r
         WHERE r.id = NEW.receipt_id AND r.status <> 'cancelled' AND r.rejected = 0
    ON CONFLICT (day, service_code) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        commission_paise = commission_paise + excluded.commission_paise;
END;

-- Lines are written once with their receipt; should one ever be removed
-- or changed, its day row follows.
CREATE TRIGGER day_totals_line_delete AFTER DELETE ON receipt_lines
BEGIN
    INSERT INTO day_service_totals
        SELECT date(r.created_at, '+330 minutes'), OLD.service_code,
               -(NOT EXISTS (SELECT 1 FROM receipt_lines o
                             WHERE o.receipt_id = OLD.receipt_id AND o.service_code = OLD.service_code)),
               -1, -OLD.bill_paise, -OLD.charge_paise, -OLD.commission_paise
          FROM receipts r
         WHERE r.id = OLD.receipt_id AND r.status <> 'cancelled' AND r.rejected = 0
    ON CONFLICT (day, service_code) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        commission_paise = commission_paise + excluded.commission_paise;
END;

CREATE TRIGGER day_totals_line_update
AFTER UPDATE OF receipt_id, line_no, service_code, bill_paise, charge_paise, commission_paise
ON receipt_lines
BEGIN
    INSERT INTO day_service_totals
        SELECT date(r.created_at, '+330 minutes'), OLD.service_code,
               -(NOT EXISTS (SELECT 1 FROM receipt_lines o
                             WHERE o.receipt_id = OLD.receipt_id AND o.service_code = OLD.service_code
                               AND NOT (o.receipt_id = NEW.receipt_id AND o.line_no = NEW.line_no))),
               -1, -OLD.bill_paise, -OLD.charge_paise, -OLD.commission_paise
          FROM receipts r
         WHERE r.id = OLD.receipt_id AND r.status <> 'cancelled' AND r.rejected = 0
    ON CONFLICT (day, service_code) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        commission_paise = commission_paise + excluded.commission_paise;
    INSERT INTO day_service_totals
        SELECT date(r.created_at, '+330 minutes'), NEW.service_code,
               NOT EXISTS (SELECT 1 FROM receipt_lines o
                            WHERE o.receipt_id = NEW.receipt_id AND o.service_code = NEW.service_code
                              AND o.line_no <> NEW.line_no),
               1, NEW.bill_paise, NEW.charge_paise, NEW.commission_paise
          FROM receipts r
         WHERE r.id = NEW.receipt_id AND r.status <> 'cancelled' AND r.rejected = 0
    ON CONFLICT (day, service_code) DO UPDATE SET
        receipts = receipts + excluded.receipts,
        lines = lines + excluded.lines,
        bills_paise = bills_paise + excluded.bills_paise,
        charges_paise = charges_paise + excluded.charges_paise,
        commission_paise = commission_paise + excluded.commission_paise;
END;

-- The receipts already in the database.
INSERT INTO day_totals
    SELECT date(created_at, '+330 minutes') AS d,
           SUM(ok), SUM(ok * line_count), SUM(ok * bills_paise), SUM(ok * charges_paise),
           SUM(ok * total_paise), SUM(ok * commission_paise),
           SUM(ok * (mode = 'wallet') * total_paise), SUM(ok * (mode = 'cheque') * total_paise),
           SUM(status = 'cancelled'), SUM(rejected = 1 AND status <> 'cancelled')
      FROM (SELECT *, (status <> 'cancelled' AND rejected = 0) AS ok FROM receipts)
     GROUP BY d;
INSERT INTO day_service_totals
    SELECT date(r.created_at, '+330 minutes') AS d, l.service_code, COUNT(DISTINCT r.id), COUNT(*),
           SUM(l.bill_paise), SUM(l.charge_paise), SUM(l.commission_paise)
      FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
     WHERE r.status <> 'cancelled' AND r.rejected = 0
     GROUP BY d, l.service_code;
