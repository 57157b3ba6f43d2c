-- Catalogue, units and accounts: the first schema.

CREATE TABLE units (
    code        TEXT PRIMARY KEY CHECK (code GLOB '[a-z0-9]*' AND length(code) BETWEEN 1 AND 64),
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    sector      TEXT NOT NULL DEFAULT '',
    region      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE CHECK (length(trim(username)) > 0),
    display_name   TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    unit_code      TEXT REFERENCES units(code),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('borrower', 'librarian', 'admin')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE resources (
    id          TEXT PRIMARY KEY CHECK (id GLOB '[a-z0-9]*' AND length(id) BETWEEN 1 AND 80),
    kind        TEXT NOT NULL CHECK (kind IN ('video', 'case', 'confession', 'textbook')),
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
CREATE INDEX resources_kind ON resources(kind);
CREATE INDEX resources_status ON resources(status);

-- Tags, sectors and violation types, kept in order of entry.
CREATE TABLE resource_labels (
    resource_id  TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    facet        TEXT NOT NULL CHECK (facet IN ('tag', 'sector', 'violation')),
    position     INTEGER NOT NULL,
    value        TEXT NOT NULL CHECK (length(trim(value)) > 0),
    PRIMARY KEY (resource_id, facet, value)
);
CREATE INDEX resource_labels_value ON resource_labels(facet, value);

CREATE TABLE copies (
    id           INTEGER PRIMARY KEY,
    resource_id  TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    barcode      TEXT NOT NULL UNIQUE CHECK (length(trim(barcode)) > 0),
    location     TEXT NOT NULL DEFAULT '',
    condition    TEXT NOT NULL DEFAULT 'good',
    in_circulation INTEGER NOT NULL DEFAULT 1 CHECK (in_circulation IN (0, 1))
);
CREATE INDEX copies_resource ON copies(resource_id);

-- Content-addressed bytes in the file store; one row per distinct SHA-256.
CREATE TABLE blobs (
    sha256  TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    size    INTEGER NOT NULL CHECK (size >= 0),
    mime    TEXT NOT NULL
);

CREATE TABLE files (
    id             TEXT PRIMARY KEY,
    resource_id    TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    sha256         TEXT NOT NULL REFERENCES blobs(sha256),
    original_name  TEXT NOT NULL,
    mime           TEXT NOT NULL,
    size           INTEGER NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('document', 'video', 'subtitle', 'image')),
    extraction     TEXT NOT NULL CHECK (extraction IN ('pending', 'ok', 'no_text_layer', 'failed', 'not_applicable')),
    extraction_error TEXT,
    text           TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    UNIQUE (resource_id, sha256)
);
CREATE INDEX files_resource ON files(resource_id);
CREATE INDEX files_sha256 ON files(sha256);

-- Subtitle / transcript cues of a subtitle file.
CREATE TABLE cues (
    file_id   TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    start_ms  INTEGER NOT NULL,
    end_ms    INTEGER NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
);

-- Who changed what and when; `changes` is a JSON object of field -> [old, new].
CREATE TABLE resource_history (
    id           INTEGER PRIMARY KEY,
    resource_id  TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    changes      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(changes))
);
CREATE INDEX resource_history_resource ON resource_history(resource_id, id);

-- Every catalogue change appends here in the same transaction; the search index
-- applies them in order and remembers the last sequence number it applied.
CREATE TABLE catalog_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id  TEXT NOT NULL,
    changed_at   TEXT NOT NULL
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      INTEGER,
    username     TEXT,
    unit_code    TEXT,
    action       TEXT NOT NULL,
    resource_id  TEXT,
    file_id      TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
