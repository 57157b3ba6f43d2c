-- Issue 22: how many loans hold each resource on each day, kept as loans change, so
-- that a calendar, a capacity check or a waitlist's promotion reads one row per day
-- instead of every booking that touches its window (thousands on an item without a
-- licence limit, which any number of units may book ahead).

-- Every day a loan may cover, for the triggers below to expand a loan into its days
-- (a trigger cannot run a recursive query). Loans' dates are within these years.
CREATE TABLE calendar_days (day TEXT PRIMARY KEY) WITHOUT ROWID;
WITH RECURSIVE d(day) AS (
    SELECT '2000-01-01'
    UNION ALL
    SELECT date(day, '+1 day') FROM d WHERE day < '2199-12-31'
)
INSERT INTO calendar_days (day) SELECT day FROM d;

-- The loans holding a copy or licence (`requested`, `approved`, `active`, `overdue`)
-- of a resource in a format on a day, from the day they first hold it (a copy handed
-- out early holds from then) to their end: what `capacity::holders` counts. Days
-- nobody holds have no row.
CREATE TABLE loan_days (
    resource_id TEXT NOT NULL,
    format      TEXT NOT NULL,
    day         TEXT NOT NULL,
    held        INTEGER NOT NULL CHECK (held > 0),
    PRIMARY KEY (resource_id, format, day)
) WITHOUT ROWID;

INSERT INTO loan_days (resource_id, format, day, held)
SELECT l.resource_id, l.format, d.day, count(*)
FROM loans l
JOIN calendar_days d
  ON d.day BETWEEN min(l.start_date, coalesce(l.issued_on, l.start_date)) AND l.end_date
WHERE l.status IN ('requested', 'approved', 'active', 'overdue')
GROUP BY l.resource_id, l.format, d.day;

-- A loan starts holding its days.
CREATE TRIGGER loan_days_insert AFTER INSERT ON loans
WHEN NEW.status IN ('requested', 'approved', 'active', 'overdue')
BEGIN
    INSERT INTO loan_days (resource_id, format, day, held)
    SELECT NEW.resource_id, NEW.format, day, 1 FROM calendar_days
    WHERE day BETWEEN min(NEW.start_date, coalesce(NEW.issued_on, NEW.start_date)) AND NEW.end_date
    ON CONFLICT (resource_id, format, day) DO UPDATE SET held = held + 1;
END;

-- A loan removed gives its days back (the last holder's rows go).
CREATE TRIGGER loan_days_delete AFTER DELETE ON loans
WHEN OLD.status IN ('requested', 'approved', 'active', 'overdue')
BEGIN
    DELETE FROM loan_days
    WHERE resource_id = OLD.resource_id AND format = OLD.format AND held = 1
      AND day BETWEEN min(OLD.start_date, coalesce(OLD.issued_on, OLD.start_date)) AND OLD.end_date;
    UPDATE loan_days SET held = held - 1
    WHERE resource_id = OLD.resource_id AND format = OLD.format
      AND day BETWEEN min(OLD.start_date, coalesce(OLD.issued_on, OLD.start_date)) AND OLD.end_date;
END;

-- A change that ends the loan's hold or moves its days gives the old days back...
CREATE TRIGGER loan_days_update_leave
AFTER UPDATE OF status, resource_id, format, start_date, end_date, issued_on ON loans
WHEN OLD.status IN ('requested', 'approved', 'active', 'overdue')
 AND NOT (NEW.status IN ('requested', 'approved', 'active', 'overdue')
          AND NEW.resource_id IS OLD.resource_id AND NEW.format IS OLD.format
          AND NEW.end_date IS OLD.end_date
          AND min(NEW.start_date, coalesce(NEW.issued_on, NEW.start_date))
              IS min(OLD.start_date, coalesce(OLD.issued_on, OLD.start_date)))
BEGIN
    DELETE FROM loan_days
    WHERE resource_id = OLD.resource_id AND format = OLD.format AND held = 1
      AND day BETWEEN min(OLD.start_date, coalesce(OLD.issued_on, OLD.start_date)) AND OLD.end_date;
    UPDATE loan_days SET held = held - 1
    WHERE resource_id = OLD.resource_id AND format = OLD.format
      AND day BETWEEN min(OLD.start_date, coalesce(OLD.issued_on, OLD.start_date)) AND OLD.end_date;
END;

-- ...and one that starts a hold or moves its days takes the new ones.
CREATE TRIGGER loan_days_update_enter
AFTER UPDATE OF status, resource_id, format, start_date, end_date, issued_on ON loans
WHEN NEW.status IN ('requested', 'approved', 'active', 'overdue')
 AND NOT (OLD.status IN ('requested', 'approved', 'active', 'overdue')
          AND NEW.resource_id IS OLD.resource_id AND NEW.format IS OLD.format
          AND NEW.end_date IS OLD.end_date
          AND min(NEW.start_date, coalesce(NEW.issued_on, NEW.start_date))
              IS min(OLD.start_date, coalesce(OLD.issued_on, OLD.start_date)))
BEGIN
    INSERT INTO loan_days (resource_id, format, day, held)
    SELECT NEW.resource_id, NEW.format, day, 1 FROM calendar_days
    WHERE day BETWEEN min(NEW.start_date, coalesce(NEW.issued_on, NEW.start_date)) AND NEW.end_date
    ON CONFLICT (resource_id, format, day) DO UPDATE SET held = held + 1;
END;
