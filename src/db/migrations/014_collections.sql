-- jingshi: foreign keys off
-- Issue 19 (SPEC §10): curated collections (专题), the request basket and loan
-- batches, saved searches with their alerts and Atom feeds, the holiday periods of
-- each year and the reminders sent before them. `notifications` is rebuilt to allow
-- the season reminder (SQLite cannot widen a CHECK in place).

-- The holiday periods, by a stable code: 元旦 yuandan, 春节 chunjie, 清明 qingming,
-- 五一 wuyi, 端午 duanwu, 中秋 zhongqiu, 国庆 guoqing.
CREATE TABLE collections (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    intro        TEXT NOT NULL DEFAULT '',
    season       TEXT CHECK (season IS NULL OR season IN ('yuandan', 'chunjie', 'qingming',
                     'wuyi', 'duanwu', 'zhongqiu', 'guoqing')),
    status       TEXT NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'published', 'withdrawn')),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX collections_status ON collections(status, season);

-- The sectors a collection is meant for (none: every sector).
CREATE TABLE collection_sectors (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    sector        TEXT NOT NULL CHECK (length(trim(sector)) > 0),
    PRIMARY KEY (collection_id, sector)
);

-- The ordered items, each with the curator's note ("建议在会前播放").
CREATE TABLE collection_items (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL CHECK (position >= 0),
    resource_id   TEXT NOT NULL REFERENCES resources(id),
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (collection_id, resource_id),
    UNIQUE (collection_id, position)
);
CREATE INDEX collection_items_resource ON collection_items(resource_id);

-- Edit history: the whole collection as JSON after each change.
CREATE TABLE collection_revisions (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    revised_by    TEXT NOT NULL,
    revised_at    TEXT NOT NULL,
    summary       TEXT NOT NULL,
    snapshot      TEXT NOT NULL
);
CREATE INDEX collection_revisions_collection ON collection_revisions(collection_id, id);

-- The request basket (借阅清单), kept per account so that it survives sign-out:
-- the items, and the period, purpose and audience the request will carry.
CREATE TABLE basket_items (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    format      TEXT NOT NULL DEFAULT 'digital' CHECK (format IN ('digital', 'physical')),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, resource_id)
);
CREATE TABLE baskets (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    start_date TEXT CHECK (start_date IS NULL OR date(start_date) IS start_date),
    end_date   TEXT CHECK (end_date IS NULL OR date(end_date) IS end_date),
    purpose    TEXT NOT NULL DEFAULT '',
    audience   INTEGER CHECK (audience IS NULL OR audience > 0),
    updated_at TEXT NOT NULL
);

-- One request of many items; its loans point at it.
CREATE TABLE loan_batches (
    id                INTEGER PRIMARY KEY,
    unit_code         TEXT NOT NULL REFERENCES units(code),
    requested_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    requested_by_name TEXT NOT NULL DEFAULT '',
    start_date        TEXT NOT NULL CHECK (date(start_date) IS start_date),
    end_date          TEXT NOT NULL CHECK (date(end_date) IS end_date),
    purpose           TEXT NOT NULL CHECK (length(trim(purpose)) > 0),
    audience          INTEGER NOT NULL CHECK (audience > 0),
    created_at        TEXT NOT NULL,
    CHECK (start_date <= end_date)
);
CREATE INDEX loan_batches_unit ON loan_batches(unit_code, id);
ALTER TABLE loans ADD COLUMN batch_id INTEGER REFERENCES loan_batches(id);
CREATE INDEX loans_batch ON loans(batch_id) WHERE batch_id IS NOT NULL;

-- Saved searches: `query` is a search URL's query string. Each has its own secret
-- feed address; `feed_tokens` holds each account's address of the whole library's feed.
CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    query      TEXT NOT NULL CHECK (length(query) <= 2000),
    feed_token TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches(user_id, id);
CREATE TABLE feed_tokens (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
-- A newly published resource that matched a saved search: the in-app alert until
-- read, and the mail digest's material until mailed.
CREATE TABLE saved_search_matches (
    saved_search_id INTEGER NOT NULL REFERENCES saved_searches(id) ON DELETE CASCADE,
    resource_id     TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    matched_at      TEXT NOT NULL,
    read_at         TEXT,
    mailed_at       TEXT,
    PRIMARY KEY (saved_search_id, resource_id)
);
CREATE INDEX saved_search_matches_unmailed ON saved_search_matches(mailed_at)
    WHERE mailed_at IS NULL;
-- When each account was last sent its digest (at most one a day).
CREATE TABLE search_digests (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    last_sent_at TEXT NOT NULL
);

-- The holiday periods of each year as the committee keeps them.
CREATE TABLE seasons (
    year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    season     TEXT NOT NULL CHECK (season IN ('yuandan', 'chunjie', 'qingming', 'wuyi',
                   'duanwu', 'zhongqiu', 'guoqing')),
    start_date TEXT NOT NULL CHECK (date(start_date) IS start_date),
    end_date   TEXT NOT NULL CHECK (date(end_date) IS end_date),
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (year, season),
    CHECK (start_date <= end_date)
);
-- One reminder per unit and season, ever.
CREATE TABLE season_reminders (
    year      INTEGER NOT NULL,
    season    TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES units(code),
    sent_at   TEXT NOT NULL,
    PRIMARY KEY (year, season, unit_code)
);

CREATE TABLE notifications_rebuilt (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    loan_id     INTEGER REFERENCES loans(id) ON DELETE CASCADE,
    visit_id    INTEGER REFERENCES visits(id) ON DELETE CASCADE,
    resource_id TEXT REFERENCES resources(id) ON DELETE CASCADE,
    -- For a season reminder: `YEAR:season`, e.g. `2027:chunjie`.
    season      TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('approved', 'rejected', 'moved', 'promoted',
                    'due_soon', 'overdue', 'cancelled', 'issued', 'returned', 'renewed',
                    'recalled', 'withdrawn', 'visit_scheduled', 'visit_confirmed',
                    'visit_cancelled', 'visit_rejected', 'visit_reminder', 'visit_report',
                    'contribution_returned', 'contribution_published', 'season_reminder')),
    message     TEXT NOT NULL,
    dedupe      TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
INSERT INTO notifications_rebuilt (id, unit_code, loan_id, visit_id, resource_id, kind,
        message, dedupe, created_at, read_at)
    SELECT id, unit_code, loan_id, visit_id, resource_id, kind, message, dedupe, created_at,
           read_at
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

-- When each resource was first published: the Atom feeds' "new resources", and the
-- saved-search alerts still to check (`alerted = 0`) once the index holds it. Kept by
-- triggers so that every way of publishing (editor, import, a contribution's review)
-- records it; resources published before this migration count as already alerted.
CREATE TABLE publications (
    resource_id  TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    published_at TEXT NOT NULL,
    alerted      INTEGER NOT NULL DEFAULT 0 CHECK (alerted IN (0, 1))
);
CREATE INDEX publications_newest ON publications(published_at);
CREATE INDEX publications_unalerted ON publications(resource_id) WHERE alerted = 0;
INSERT INTO publications (resource_id, published_at, alerted)
    SELECT id, created_at, 1 FROM resources WHERE status = 'published';
CREATE TRIGGER resources_published_on_insert AFTER INSERT ON resources
    WHEN NEW.status = 'published'
BEGIN
    INSERT OR IGNORE INTO publications (resource_id, published_at)
        VALUES (NEW.id, NEW.updated_at);
END;
CREATE TRIGGER resources_published_on_update AFTER UPDATE OF status ON resources
    WHEN NEW.status = 'published' AND OLD.status != 'published'
BEGIN
    INSERT OR IGNORE INTO publications (resource_id, published_at)
        VALUES (NEW.id, NEW.updated_at);
END;
