-- Issue 22: the cost of a request follows what it shows, not how much history exists.
-- Each index here was chosen from a profile (perf, and the statements over 15 ms
-- during the soak) and keeps a hot statement from reading rows it does not show.

-- Whether a file access continues a viewing: the user's accesses of that file in the
-- last five minutes, newest first (before: every row of the user in five minutes,
-- thousands for a busy reader).
CREATE INDEX audit_log_file_access ON audit_log(username, file_id, at)
    WHERE action = 'file_access';

-- The unread count on every page a unit's officer opens (before: every notification
-- the unit ever had).
CREATE INDEX notifications_unread ON notifications(unit_code, id)
    WHERE read_at IS NULL;

-- A loan's notifications: what the foreign key looks through when a loan is added or
-- removed (the other indexes on `loan_id` hold only notifications with a dedupe key).
CREATE INDEX notifications_loan ON notifications(loan_id) WHERE loan_id IS NOT NULL;

-- Loans holding a copy or licence, by the first day they hold it: "available now"
-- finds today's holders among the loans that have begun, not among every booking
-- to come (before: every open loan ending after today). Finished loans leave this
-- index when they finish, so it stays as small as the lending in progress; it holds
-- what the count needs, so the table is not read.
CREATE INDEX loans_holding ON loans(
    min(start_date, coalesce(issued_on, start_date)), end_date, resource_id, format)
    WHERE status IN ('requested', 'approved', 'active', 'overdue');

-- What each unit asked for and used of each resource, and what each sector's units
-- used: the recommendations "for your unit" read these instead of every loan of the
-- unit and of its sector (before: seconds on a national history). Triggers keep them
-- in step with the loans and reports in the same transaction as every change.
--
-- `asked`: loans not refused or withdrawn (the unit has it or asked for it);
-- `lent`: loans in the lent states; `reports`/`participants`: the loans' usage reports.
CREATE TABLE resource_use (
    unit_code    TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    asked        INTEGER NOT NULL DEFAULT 0,
    lent         INTEGER NOT NULL DEFAULT 0,
    reports      INTEGER NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_code, resource_id)
) WITHOUT ROWID;

-- Per sector and resource: how many of the sector's units have lent it, and their
-- reports. A unit without a sector counts in none.
CREATE TABLE sector_use (
    sector       TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    units        INTEGER NOT NULL DEFAULT 0,
    reports      INTEGER NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sector, resource_id)
) WITHOUT ROWID;

INSERT INTO resource_use (unit_code, resource_id, asked, lent, reports, participants)
SELECT l.unit_code, l.resource_id,
       sum(l.status NOT IN ('rejected', 'cancelled')),
       sum(l.status IN ('approved', 'active', 'returned', 'expired', 'overdue')),
       count(r.loan_id), coalesce(sum(r.participants), 0)
  FROM loans l LEFT JOIN loan_reports r ON r.loan_id = l.id
 GROUP BY l.unit_code, l.resource_id;

INSERT INTO sector_use (sector, resource_id, units, reports, participants)
SELECT u.sector, ru.resource_id, sum(ru.lent > 0), sum(ru.reports), sum(ru.participants)
  FROM resource_use ru JOIN units u ON u.code = ru.unit_code
 WHERE u.sector != ''
 GROUP BY u.sector, ru.resource_id;

-- A loan counts for its unit and resource by its state.
CREATE TRIGGER resource_use_loan_added AFTER INSERT ON loans BEGIN
    INSERT INTO resource_use (unit_code, resource_id, asked, lent)
    VALUES (NEW.unit_code, NEW.resource_id,
            NEW.status NOT IN ('rejected', 'cancelled'),
            NEW.status IN ('approved', 'active', 'returned', 'expired', 'overdue'))
    ON CONFLICT (unit_code, resource_id) DO UPDATE
       SET asked = asked + excluded.asked, lent = lent + excluded.lent;
END;

CREATE TRIGGER resource_use_loan_changed
AFTER UPDATE OF status, unit_code, resource_id ON loans
WHEN OLD.status IS NOT NEW.status OR OLD.unit_code IS NOT NEW.unit_code
  OR OLD.resource_id IS NOT NEW.resource_id
BEGIN
    UPDATE resource_use
       SET asked = asked - (OLD.status NOT IN ('rejected', 'cancelled')),
           lent = lent - (OLD.status IN ('approved', 'active', 'returned', 'expired', 'overdue'))
     WHERE unit_code = OLD.unit_code AND resource_id = OLD.resource_id;
    INSERT INTO resource_use (unit_code, resource_id, asked, lent)
    VALUES (NEW.unit_code, NEW.resource_id,
            NEW.status NOT IN ('rejected', 'cancelled'),
            NEW.status IN ('approved', 'active', 'returned', 'expired', 'overdue'))
    ON CONFLICT (unit_code, resource_id) DO UPDATE
       SET asked = asked + excluded.asked, lent = lent + excluded.lent;
END;

CREATE TRIGGER resource_use_loan_removed AFTER DELETE ON loans BEGIN
    UPDATE resource_use
       SET asked = asked - (OLD.status NOT IN ('rejected', 'cancelled')),
           lent = lent - (OLD.status IN ('approved', 'active', 'returned', 'expired', 'overdue'))
     WHERE unit_code = OLD.unit_code AND resource_id = OLD.resource_id;
END;

CREATE TRIGGER resource_use_report_added AFTER INSERT ON loan_reports BEGIN
    UPDATE resource_use SET reports = reports + 1, participants = participants + NEW.participants
     WHERE (unit_code, resource_id) = (SELECT unit_code, resource_id FROM loans WHERE id = NEW.loan_id);
END;

CREATE TRIGGER resource_use_report_changed AFTER UPDATE OF participants, loan_id ON loan_reports BEGIN
    UPDATE resource_use SET reports = reports - 1, participants = participants - OLD.participants
     WHERE (unit_code, resource_id) = (SELECT unit_code, resource_id FROM loans WHERE id = OLD.loan_id);
    UPDATE resource_use SET reports = reports + 1, participants = participants + NEW.participants
     WHERE (unit_code, resource_id) = (SELECT unit_code, resource_id FROM loans WHERE id = NEW.loan_id);
END;

CREATE TRIGGER resource_use_report_removed AFTER DELETE ON loan_reports BEGIN
    UPDATE resource_use SET reports = reports - 1, participants = participants - OLD.participants
     WHERE (unit_code, resource_id) = (SELECT unit_code, resource_id FROM loans WHERE id = OLD.loan_id);
END;

-- The sector's figures follow its units' rows: a unit counts once while it has lent
-- the resource at all.
CREATE TRIGGER sector_use_row_added AFTER INSERT ON resource_use BEGIN
    INSERT INTO sector_use (sector, resource_id, units, reports, participants)
    SELECT u.sector, NEW.resource_id, NEW.lent > 0, NEW.reports, NEW.participants
      FROM units u WHERE u.code = NEW.unit_code AND u.sector != ''
    ON CONFLICT (sector, resource_id) DO UPDATE
       SET units = units + excluded.units, reports = reports + excluded.reports,
           participants = participants + excluded.participants;
END;

CREATE TRIGGER sector_use_row_changed AFTER UPDATE ON resource_use BEGIN
    INSERT INTO sector_use (sector, resource_id, units, reports, participants)
    SELECT u.sector, NEW.resource_id, (NEW.lent > 0) - (OLD.lent > 0),
           NEW.reports - OLD.reports, NEW.participants - OLD.participants
      FROM units u WHERE u.code = NEW.unit_code AND u.sector != ''
    ON CONFLICT (sector, resource_id) DO UPDATE
       SET units = units + excluded.units, reports = reports + excluded.reports,
           participants = participants + excluded.participants;
END;

-- A unit that changes sector takes its use along.
CREATE TRIGGER sector_use_unit_moved AFTER UPDATE OF sector ON units
WHEN OLD.sector IS NOT NEW.sector
BEGIN
    INSERT INTO sector_use (sector, resource_id, units, reports, participants)
    SELECT OLD.sector, ru.resource_id, -(ru.lent > 0), -ru.reports, -ru.participants
      FROM resource_use ru WHERE ru.unit_code = OLD.code AND OLD.sector != ''
    ON CONFLICT (sector, resource_id) DO UPDATE
       SET units = units + excluded.units, reports = reports + excluded.reports,
           participants = participants + excluded.participants;
    INSERT INTO sector_use (sector, resource_id, units, reports, participants)
    SELECT NEW.sector, ru.resource_id, ru.lent > 0, ru.reports, ru.participants
      FROM resource_use ru WHERE ru.unit_code = NEW.code AND NEW.sector != ''
    ON CONFLICT (sector, resource_id) DO UPDATE
       SET units = units + excluded.units, reports = reports + excluded.reports,
           participants = participants + excluded.participants;
END;

-- Waiting requests by resource and format: the sweep's promotions and a renewal's
-- "is anyone waiting" read one resource's queue (before: every waiting request of the
-- library, for each resource in turn).
CREATE INDEX loans_waiting ON loans(resource_id, format, end_date, id)
    WHERE status = 'waitlisted';

-- A unit's open loans of one resource: the per-unit limit checked on each request
-- (before: every loan the unit ever had).
CREATE INDEX loans_open_by_unit ON loans(unit_code, resource_id)
    WHERE status IN ('requested', 'waitlisted', 'approved', 'active', 'overdue');

-- How far the sweep has looked for waiting requests that a catalogue change (more
-- licences, a copy back in circulation) lets through: a catalogue change-log number.
-- Until now every sweep looked at every queue, so everything before this migration
-- has been looked at.
CREATE TABLE sweep_progress (
    task TEXT PRIMARY KEY,
    seq  INTEGER NOT NULL
);
INSERT INTO sweep_progress (task, seq)
SELECT 'promotion', coalesce(max(seq), 0) FROM catalog_changes;

-- The librarian's queue (requests and waiting requests, by start): its first page is
-- the first rows of this index, and its count reads this index only (before: every
-- pending request looked up and sorted, on each view). It holds what the table's
-- conditions read.
CREATE INDEX loans_pending ON loans(start_date, id, format, end_date, batch_id, status)
    WHERE status IN ('requested', 'waitlisted');
