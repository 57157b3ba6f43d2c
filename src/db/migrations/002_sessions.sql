-- Server-side sessions and sign-in throttling.

-- Only a hash of the session token is stored, so a copy of the database does not
-- hand out sessions.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,   -- unix seconds
    last_seen_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed sign-ins per account (`user:NAME`) and per client address (`addr:IP`).
CREATE TABLE sign_in_failures (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    first_at      INTEGER NOT NULL,
    locked_until  INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX audit_log_action ON audit_log(action, at);
CREATE INDEX audit_log_user ON audit_log(username, at);
