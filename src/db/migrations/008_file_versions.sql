-- Files can be replaced and removed; a video's duration is read from the file; one
-- subtitle file of a resource is the player's default track.

-- Milliseconds, read from the video's header at upload (NULL: not a video, or not read).
ALTER TABLE files ADD COLUMN duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0);
-- The subtitle track the player shows by default (none flagged: the first one).
ALTER TABLE files ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1));
CREATE UNIQUE INDEX files_one_default ON files(resource_id) WHERE is_default = 1;
