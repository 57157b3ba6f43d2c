-- jingshi: foreign keys off
-- Issue 18 (SPEC §9): units contribute their own material. Resources gain the
-- statuses `submitted` and `returned`, the contributing unit and a sharing scope;
-- files gain redacted copies; the privacy check's findings and the review's
-- comments get tables; notifications may be about a contribution. `resources` and
-- `notifications` are rebuilt to widen their CHECKs (SQLite cannot change one in
-- place), with foreign keys off as for migration 012.

CREATE TABLE resources_rebuilt (
    id          TEXT PRIMARY KEY CHECK (id GLOB '[a-z0-9]*' AND length(id) BETWEEN 1 AND 80),
    kind        TEXT NOT NULL CHECK (kind IN ('video', 'case', 'confession', 'textbook', 'base')),
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    summary     TEXT NOT NULL DEFAULT '',
    region      TEXT NOT NULL DEFAULT '',
    date        TEXT,
    year        INTEGER,
    source      TEXT NOT NULL DEFAULT '',
    duration_seconds INTEGER CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    pages       INTEGER CHECK (pages IS NULL OR pages >= 0),
    access      TEXT NOT NULL DEFAULT 'loan' CHECK (access IN ('open', 'loan')),
    status      TEXT NOT NULL DEFAULT 'published'
                CHECK (status IN ('draft', 'published', 'withdrawn', 'submitted', 'returned')),
    -- NULL means unlimited digital licences.
    licences    INTEGER CHECK (licences IS NULL OR licences >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- The unit that contributed it (NULL: the committee's own material).
    contributed_by TEXT REFERENCES units(code),
    -- Who may see it once published: every unit, the contributor's sector, or the
    -- committee's librarians only.
    share       TEXT NOT NULL DEFAULT 'all' CHECK (share IN ('all', 'sector', 'committee')),
    -- When the unit declared that its leadership approved sharing it.
    declared_at TEXT,
    -- When it was last sent for review (the review queue is oldest first).
    submitted_at TEXT,
    CHECK (contributed_by IS NOT NULL OR status NOT IN ('submitted', 'returned')),
    CHECK (contributed_by IS NULL OR declared_at IS NOT NULL)
);
INSERT INTO resources_rebuilt (id, kind, title, summary, region, date, year, source,
        duration_seconds, pages, access, status, licences, created_at, updated_at)
    SELECT id, kind, title, summary, region, date, year, source,
        duration_seconds, pages, access, status, licences, created_at, updated_at
    FROM resources;
DROP TABLE resources;
ALTER TABLE resources_rebuilt RENAME TO resources;
CREATE INDEX resources_kind ON resources(kind);
CREATE INDEX resources_status ON resources(status);
CREATE INDEX resources_contributed ON resources(contributed_by, status)
    WHERE contributed_by IS NOT NULL;

-- A redacted copy of a file: shown to everyone but librarians in place of the
-- original, which stays for the committee.
ALTER TABLE files ADD COLUMN redacted_of TEXT REFERENCES files(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX files_one_redaction ON files(redacted_of) WHERE redacted_of IS NOT NULL;

-- Personal data found in what borrowers would see of a contribution: a field of
-- the record (`file_id` NULL) or the text or cues of a file. Rewritten on every
-- scan; an acknowledgement is carried over to the same finding in the next scan.
CREATE TABLE privacy_findings (
    id          INTEGER PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    file_id     TEXT REFERENCES files(id) ON DELETE CASCADE,
    -- `title`, `summary`, `tags`, `source`, `region` for the record; `text` or
    -- `cue:N` (the cue's number) for a file.
    field       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('id_number', 'mobile', 'landline', 'bank_card',
                    'email', 'plate', 'person_name')),
    start_char  INTEGER NOT NULL CHECK (start_char >= 0),
    end_char    INTEGER NOT NULL CHECK (end_char > start_char),
    text        TEXT NOT NULL,
    -- Why a librarian judged it fine to share (NULL: open).
    ack_reason  TEXT,
    acked_by    TEXT,
    acked_at    TEXT,
    CHECK ((ack_reason IS NULL) = (acked_at IS NULL))
);
CREATE INDEX privacy_findings_resource ON privacy_findings(resource_id);

-- The review's conversation with the unit: submitted, returned with comments,
-- published, withdrawn.
CREATE TABLE contribution_events (
    id          INTEGER PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    action      TEXT NOT NULL CHECK (action IN ('submitted', 'resubmitted', 'returned',
                    'published', 'withdrawn')),
    comments    TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX contribution_events_resource ON contribution_events(resource_id, id);

CREATE TABLE notifications_rebuilt (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    loan_id     INTEGER REFERENCES loans(id) ON DELETE CASCADE,
    visit_id    INTEGER REFERENCES visits(id) ON DELETE CASCADE,
    resource_id TEXT REFERENCES resources(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('approved', 'rejected', 'moved', 'promoted',
                    'due_soon', 'overdue', 'cancelled', 'issued', 'returned', 'renewed',
                    'recalled', 'withdrawn', 'visit_scheduled', 'visit_confirmed',
                    'visit_cancelled', 'visit_rejected', 'visit_reminder', 'visit_report',
                    'contribution_returned', 'contribution_published')),
    message     TEXT NOT NULL,
    dedupe      TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
INSERT INTO notifications_rebuilt (id, unit_code, loan_id, visit_id, kind, message, dedupe,
        created_at, read_at)
    SELECT id, unit_code, loan_id, visit_id, kind, message, dedupe, created_at, read_at
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_unit ON notifications(unit_code, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications(loan_id, kind, dedupe)
    WHERE dedupe IS NOT NULL AND loan_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_visit_dedupe ON notifications(visit_id, kind, dedupe)
    WHERE dedupe IS NOT NULL AND visit_id IS NOT NULL;
CREATE INDEX notifications_visit ON notifications(visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX notifications_resource ON notifications(resource_id) WHERE resource_id IS NOT NULL;
