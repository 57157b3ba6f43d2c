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
