-- Issue 21: machine reading (OCR) of scans, page images and films' burned-in subtitles.
--
-- `files.machine_read` says where a file's text or cues came from when it was not the
-- file's own text layer or subtitle file: 'ocr' as read, 'corrected' once a librarian
-- has corrected it. NULL: the file's own text.
ALTER TABLE files ADD COLUMN machine_read TEXT CHECK (machine_read IN ('ocr', 'corrected'));

-- One reading job per file, worked one unit (a page, a 30-second stretch of film) at a
-- time, so a restart goes on where it stopped. `units_total` is NULL until the file
-- was looked at (its pages counted, its subtitle band found); `plan` keeps what a
-- film's later stretches need (JSON). A job whose file is removed goes with it.
CREATE TABLE ocr_jobs (
    file_id      TEXT PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('pages', 'image', 'film')),
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'skipped')),
    units_total  INTEGER CHECK (units_total >= 0),
    units_done   INTEGER NOT NULL DEFAULT 0 CHECK (units_done >= 0),
    units_failed INTEGER NOT NULL DEFAULT 0 CHECK (units_failed >= 0),
    plan         TEXT CHECK (plan IS NULL OR json_valid(plan)),
    error        TEXT,
    queued_at    TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
) WITHOUT ROWID;
-- The worker's question: the oldest job not finished.
CREATE INDEX ocr_jobs_waiting ON ocr_jobs(queued_at) WHERE state IN ('queued', 'running');

-- What each unit read: a page's text, or a stretch's sampled lines as JSON
-- ([{at_ms, text}]). Kept until the job is done, then folded into the file.
CREATE TABLE ocr_units (
    file_id  TEXT NOT NULL REFERENCES ocr_jobs(file_id) ON DELETE CASCADE,
    unit     INTEGER NOT NULL CHECK (unit >= 0),
    result   TEXT NOT NULL,
    error    TEXT,
    PRIMARY KEY (file_id, unit)
) WITHOUT ROWID;
