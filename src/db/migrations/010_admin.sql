-- Administration in the browser (issue 15).

-- One-time links that let a person set their password: made by an admin's reset or
-- for an account created from a sheet without one. Only a hash of the token is kept,
-- so a copy of the database hands out no links. `expires_at` is in Unix seconds of
-- the library's clock; `used_at` is set when the link is spent (or replaced).
CREATE TABLE password_links (
    token_hash  TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('reset', 'welcome')),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     TEXT
);
CREATE INDEX password_links_user ON password_links(user_id);

-- Mail that copies no notification (a set-password link): `notification_id` may be
-- NULL. SQLite cannot relax a column, so the table is rebuilt with its rows.
CREATE TABLE mail_outbox_new (
    id               INTEGER PRIMARY KEY,
    notification_id  INTEGER REFERENCES notifications(id) ON DELETE CASCADE,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    next_attempt_ms  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    sent_ms          INTEGER,
    abandoned_ms     INTEGER,
    UNIQUE (notification_id, recipient)
);
INSERT INTO mail_outbox_new (id, notification_id, recipient, subject, body, created_ms,
                             next_attempt_ms, attempts, last_error, sent_ms, abandoned_ms)
    SELECT id, notification_id, recipient, subject, body, created_ms,
           next_attempt_ms, attempts, last_error, sent_ms, abandoned_ms FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_ms)
    WHERE sent_ms IS NULL AND abandoned_ms IS NULL;
