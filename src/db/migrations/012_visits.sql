-- jingshi: foreign keys off
-- Issue 17 (SPEC §8): warning-education bases as a fifth resource kind, their
-- sessions (场次) made from weekly templates or one-off, units' visit requests with up
-- to three preferred sessions, visitor lists where a base needs them, and calendar
-- feeds. Two tables are rebuilt because SQLite cannot change a CHECK in place; the
-- runner turns foreign keys off for this migration (SQLite's documented procedure)
-- and checks every reference before it commits.

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
    status      TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published', 'withdrawn')),
    -- NULL means unlimited digital licences.
    licences    INTEGER CHECK (licences IS NULL OR licences >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
INSERT INTO resources_rebuilt SELECT * FROM resources;
DROP TABLE resources;
ALTER TABLE resources_rebuilt RENAME TO resources;
CREATE INDEX resources_kind ON resources(kind);
CREATE INDEX resources_status ON resources(status);

-- What a base is like for a visiting group (the `base` object of SPEC §8).
CREATE TABLE base_details (
    resource_id   TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    address       TEXT NOT NULL DEFAULT '',
    directions    TEXT NOT NULL DEFAULT '',
    -- Seats of a session made from a template unless the template says otherwise.
    capacity      INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    -- Working days between the request and the visit.
    lead_days     INTEGER NOT NULL DEFAULT 0 CHECK (lead_days BETWEEN 0 AND 90),
    max_group     INTEGER NOT NULL CHECK (max_group BETWEEN 1 AND 10000),
    requirements  TEXT NOT NULL DEFAULT '',
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    needs_visitor_list INTEGER NOT NULL DEFAULT 0 CHECK (needs_visitor_list IN (0, 1))
);

-- A weekly opening of a base: sessions are made from it on open days.
CREATE TABLE base_templates (
    id          INTEGER PRIMARY KEY,
    base_id     TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time  TEXT NOT NULL CHECK (start_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    end_time    TEXT NOT NULL CHECK (end_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    capacity    INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    created_at  TEXT NOT NULL,
    CHECK (start_time < end_time),
    UNIQUE (base_id, weekday, start_time)
);

CREATE TABLE base_sessions (
    id          INTEGER PRIMARY KEY,
    base_id     TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    date        TEXT NOT NULL CHECK (date(date) IS date),
    start_time  TEXT NOT NULL CHECK (start_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    end_time    TEXT NOT NULL CHECK (end_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    capacity    INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    -- A one-off session's own name, e.g. 庭审旁听：某案; empty for template sessions.
    label       TEXT NOT NULL DEFAULT '',
    -- Sectors given first call on a trial's seats, one per line.
    sectors     TEXT NOT NULL DEFAULT '',
    template_id INTEGER REFERENCES base_templates(id) ON DELETE SET NULL,
    -- Why it was closed or cancelled.
    reason      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (start_time < end_time),
    CHECK (status = 'open' OR length(trim(coalesce(reason, ''))) > 0)
);
CREATE INDEX base_sessions_base_date ON base_sessions(base_id, date, start_time);
CREATE INDEX base_sessions_date ON base_sessions(date);
-- A template makes at most one session a day at its time.
CREATE UNIQUE INDEX base_sessions_template_day ON base_sessions(template_id, date)
    WHERE template_id IS NOT NULL;

CREATE TABLE visits (
    id            INTEGER PRIMARY KEY,
    base_id       TEXT NOT NULL REFERENCES resources(id),
    unit_code     TEXT NOT NULL REFERENCES units(code),
    requested_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    requested_by_name TEXT NOT NULL DEFAULT '',
    headcount     INTEGER NOT NULL CHECK (headcount BETWEEN 1 AND 10000),
    liaison_name  TEXT NOT NULL CHECK (length(trim(liaison_name)) > 0),
    liaison_phone TEXT NOT NULL CHECK (length(trim(liaison_phone)) > 0),
    purpose       TEXT NOT NULL CHECK (length(trim(purpose)) > 0),
    -- The group may share its session with other units (联合参观).
    share         INTEGER NOT NULL DEFAULT 0 CHECK (share IN (0, 1)),
    status        TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'scheduled',
                      'confirmed', 'attended', 'no_show', 'cancelled', 'rejected')),
    -- The session whose seats the visit holds (scheduled, confirmed, attended).
    session_id    INTEGER REFERENCES base_sessions(id),
    -- That session's date while the visit holds seats: one visit a unit a day.
    held_date     TEXT,
    reason        TEXT,
    attended      INTEGER CHECK (attended IS NULL OR attended BETWEEN 0 AND 10000),
    reflections   TEXT,
    -- Raised by every change: a proposal made before a change is refused.
    revision      INTEGER NOT NULL DEFAULT 0,
    visitors_purged_at TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK ((status IN ('scheduled', 'confirmed', 'attended', 'no_show')) = (session_id IS NOT NULL)),
    CHECK ((status IN ('scheduled', 'confirmed', 'attended')) = (held_date IS NOT NULL)),
    CHECK (status != 'rejected' OR length(trim(coalesce(reason, ''))) > 0)
);
CREATE UNIQUE INDEX visits_unit_day ON visits(unit_code, held_date) WHERE held_date IS NOT NULL;
CREATE INDEX visits_session ON visits(session_id, status) WHERE session_id IS NOT NULL;
CREATE INDEX visits_base_status ON visits(base_id, status, id);
CREATE INDEX visits_unit ON visits(unit_code, id);
CREATE INDEX visits_status ON visits(status, id);

-- Up to three sessions a request names, preferred first.
CREATE TABLE visit_preferences (
    visit_id    INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    rank        INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 3),
    session_id  INTEGER NOT NULL REFERENCES base_sessions(id),
    PRIMARY KEY (visit_id, rank),
    UNIQUE (visit_id, session_id)
);
CREATE INDEX visit_preferences_session ON visit_preferences(session_id);

-- The people of a group, where the base needs their ID numbers. The numbers are
-- the only ones the product stores, and are set to NULL some days after the visit.
CREATE TABLE visitors (
    visit_id    INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 1),
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    id_number   TEXT CHECK (id_number IS NULL OR length(id_number) = 18),
    PRIMARY KEY (visit_id, position)
);

-- Secret calendar feed addresses: one per unit and one per base, replaced on rotation.
CREATE TABLE calendar_feeds (
    token       TEXT PRIMARY KEY CHECK (length(token) >= 32),
    scope       TEXT NOT NULL CHECK (scope IN ('unit', 'base')),
    subject     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (scope, subject)
);

-- Notifications may now be about a visit.
CREATE TABLE notifications_rebuilt (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    loan_id     INTEGER REFERENCES loans(id) ON DELETE CASCADE,
    visit_id    INTEGER REFERENCES visits(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('approved', 'rejected', 'moved', 'promoted',
                    'due_soon', 'overdue', 'cancelled', 'issued', 'returned', 'renewed',
                    'recalled', 'withdrawn', 'visit_scheduled', 'visit_confirmed',
                    'visit_cancelled', 'visit_rejected', 'visit_reminder', 'visit_report')),
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
    WHERE dedupe IS NOT NULL AND loan_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_visit_dedupe ON notifications(visit_id, kind, dedupe)
    WHERE dedupe IS NOT NULL AND visit_id IS NOT NULL;
CREATE INDEX notifications_visit ON notifications(visit_id) WHERE visit_id IS NOT NULL;
