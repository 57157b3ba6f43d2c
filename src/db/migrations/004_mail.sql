-- Email copies of the in-app notifications.

-- Where a user's notifications are mailed; NULL means in-app only.
ALTER TABLE users ADD COLUMN email TEXT
    CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1));

-- One row per notification and recipient, written in the transaction of the
-- notification itself and drained by the mail task after that transaction commits.
-- Times in milliseconds since the Unix epoch, so that "due" compares as numbers.
CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    notification_id  INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    next_attempt_ms  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    sent_ms          INTEGER,
    -- Given up: too many failed attempts, or too old when the task first saw it.
    abandoned_ms     INTEGER,
    UNIQUE (notification_id, recipient)
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_ms)
    WHERE sent_ms IS NULL AND abandoned_ms IS NULL;
