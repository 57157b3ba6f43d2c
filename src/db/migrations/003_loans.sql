-- Loans and coordination (SPEC §5): loans with their states and periods, reports
-- after use, the library's holidays and make-up working days, per-resource loan
-- settings, and in-app notifications.

CREATE TABLE loans (
    id             INTEGER PRIMARY KEY,
    resource_id    TEXT NOT NULL REFERENCES resources(id),
    unit_code      TEXT NOT NULL REFERENCES units(code),
    requested_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    requested_by_name TEXT NOT NULL DEFAULT '',
    format         TEXT NOT NULL CHECK (format IN ('digital', 'physical')),
    -- Calendar days (YYYY-MM-DD, Asia/Shanghai), both inclusive.
    start_date     TEXT NOT NULL CHECK (date(start_date) IS start_date),
    end_date       TEXT NOT NULL CHECK (date(end_date) IS end_date),
    -- The end as asked, before a closed day moved it to the next open day.
    requested_end  TEXT NOT NULL CHECK (date(requested_end) IS requested_end),
    status         TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'active', 'returned',
                       'rejected', 'cancelled', 'expired', 'overdue', 'waitlisted')),
    purpose        TEXT NOT NULL CHECK (length(trim(purpose)) > 0),
    audience       INTEGER NOT NULL CHECK (audience > 0),
    renewals       INTEGER NOT NULL DEFAULT 0 CHECK (renewals BETWEEN 0 AND 2),
    -- The physical copy handed out (set on issue).
    copy_id        INTEGER REFERENCES copies(id),
    reject_reason  TEXT,
    return_condition TEXT,
    returned_on    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK (start_date <= end_date),
    CHECK (status != 'rejected' OR length(trim(coalesce(reject_reason, ''))) > 0),
    CHECK (format = 'physical' OR copy_id IS NULL),
    CHECK (status NOT IN ('active', 'overdue') OR format = 'digital' OR copy_id IS NOT NULL)
);
-- Capacity checks read the loans of one resource and format that overlap a period.
CREATE INDEX loans_capacity ON loans(resource_id, format, status, start_date, end_date);
CREATE INDEX loans_unit ON loans(unit_code, status, id);
CREATE INDEX loans_status ON loans(status, end_date);
-- A copy is out with at most one loan at a time.
CREATE UNIQUE INDEX loans_copy_out ON loans(copy_id) WHERE status IN ('active', 'overdue');

-- What the unit reports after using the material (kept for the statistics).
CREATE TABLE loan_reports (
    loan_id       INTEGER PRIMARY KEY REFERENCES loans(id) ON DELETE CASCADE,
    held_on       TEXT NOT NULL CHECK (date(held_on) IS held_on),
    participants  INTEGER NOT NULL CHECK (participants >= 0),
    feedback      TEXT NOT NULL DEFAULT '',
    reported_by   TEXT NOT NULL,
    reported_at   TEXT NOT NULL
);

-- Exceptions to "weekends closed": public holidays (closed) and official make-up
-- working days (调休, open although on a weekend).
CREATE TABLE library_days (
    day    TEXT PRIMARY KEY CHECK (date(day) IS day),
    kind   TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name   TEXT NOT NULL DEFAULT ''
);

-- Per-resource loan settings; a resource without a row uses the defaults.
CREATE TABLE loan_settings (
    resource_id   TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    auto_approve  INTEGER NOT NULL DEFAULT 0 CHECK (auto_approve IN (0, 1))
);

-- In-app notifications for a unit's borrowers. `dedupe` makes the reminders that
-- the background task computes (due soon, overdue) idempotent.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    loan_id     INTEGER REFERENCES loans(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('approved', 'rejected', 'moved', 'promoted',
                    'due_soon', 'overdue', 'cancelled', 'issued', 'returned', 'renewed')),
    message     TEXT NOT NULL,
    dedupe      TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX notifications_unit ON notifications(unit_code, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications(loan_id, kind, dedupe)
    WHERE dedupe IS NOT NULL;
