-- Issue 15: librarians cancel and recall loans with a reason, withdrawing a resource
-- tells the units whose loans it touches, and a usage report may count several
-- sessions (场次).

-- Why a loan was cancelled (required when the library cancels a unit's loan).
ALTER TABLE loans ADD COLUMN cancel_reason TEXT;
-- A recalled loan: when and why. A recalled physical loan stays active (its copy is
-- still out) with its end brought forward to the recall's due date; a recalled
-- digital loan ends at once (expired).
ALTER TABLE loans ADD COLUMN recalled_at TEXT;
ALTER TABLE loans ADD COLUMN recall_reason TEXT
    CHECK (recall_reason IS NULL OR length(trim(recall_reason)) > 0);

-- How many sessions one report counts (a film shown to three groups on one day).
ALTER TABLE loan_reports ADD COLUMN sessions INTEGER NOT NULL DEFAULT 1
    CHECK (sessions BETWEEN 1 AND 1000);
-- The librarians' report list reads by date held.
CREATE INDEX loan_reports_held_on ON loan_reports(held_on);

-- Notifications gain two kinds: a recall, and a withdrawn resource. SQLite cannot
-- change a CHECK in place, so the table is rebuilt. `mail_outbox` refers to it with
-- ON DELETE CASCADE: its rows are kept aside while the old table is dropped, and put
-- back once the new one carries the name (every column, whatever later migrations add).
CREATE TEMP TABLE outbox_kept AS SELECT * FROM mail_outbox;
CREATE TABLE notifications_rebuilt (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    loan_id     INTEGER REFERENCES loans(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('approved', 'rejected', 'moved', 'promoted',
                    'due_soon', 'overdue', 'cancelled', 'issued', 'returned', 'renewed',
                    'recalled', 'withdrawn')),
    message     TEXT NOT NULL,
    dedupe      TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
INSERT INTO notifications_rebuilt (id, unit_code, loan_id, kind, message, dedupe, created_at, read_at)
    SELECT id, unit_code, loan_id, kind, message, dedupe, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_unit ON notifications(unit_code, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications(loan_id, kind, dedupe)
    WHERE dedupe IS NOT NULL;
INSERT INTO mail_outbox SELECT * FROM outbox_kept;
DROP TABLE temp.outbox_kept;

-- The audit log reads the many requests of one viewing of a file as one row. Each
-- file access names the viewing it continues (the first access's id; NULL for the
-- first itself and for every other action): same account, file, outcome and purpose
-- (the detail but its byte range), each within 300 seconds of the one before. Set on
-- the new row as it is written; here once for the rows written before.
ALTER TABLE audit_log ADD COLUMN viewing INTEGER;
UPDATE audit_log SET viewing = grouped.first_id FROM (
    WITH accesses AS (
        SELECT id, at,
               coalesce(user_id, '') || '|' || coalesce(username, '') || '|' ||
               coalesce(file_id, '') || '|' ||
               CASE WHEN instr(detail, '; range ') > 0
                    THEN substr(detail, 1, instr(detail, '; range ') - 1)
                    ELSE detail END AS viewer
        FROM audit_log WHERE action = 'file_access'
    ), gaps AS (
        SELECT id, viewer,
               CASE WHEN unixepoch(at) - unixepoch(lag(at) OVER w) <= 300 THEN 0 ELSE 1 END AS starts
        FROM accesses WINDOW w AS (PARTITION BY viewer ORDER BY id)
    ), runs AS (
        SELECT id, viewer,
               sum(starts) OVER (PARTITION BY viewer ORDER BY id ROWS UNBOUNDED PRECEDING) AS run
        FROM gaps
    ), firsts AS (
        SELECT id, min(id) OVER (PARTITION BY viewer, run) AS first_id FROM runs
    )
    SELECT id, first_id FROM firsts WHERE first_id <> id
) AS grouped
WHERE audit_log.id = grouped.id;
CREATE INDEX audit_log_viewing ON audit_log(viewing, id) WHERE viewing IS NOT NULL;
