-- Issue 20: librarians' changes to the abbreviation dictionary, laid over the list the
-- program ships (src/search/dict/abbreviations.txt). One row per (abbreviation,
-- expansion), both normalised: `added` is a librarian's own entry, `removed` takes a
-- shipped entry out. Restoring a removed entry or deleting an added one drops its row;
-- the audit log keeps the history.
CREATE TABLE synonym_changes (
    abbreviation TEXT NOT NULL CHECK (length(abbreviation) BETWEEN 1 AND 128),
    expansion    TEXT NOT NULL CHECK (length(expansion) BETWEEN 1 AND 128),
    change       TEXT NOT NULL CHECK (change IN ('added', 'removed')),
    changed_by   TEXT NOT NULL,
    changed_at   TEXT NOT NULL,
    PRIMARY KEY (abbreviation, expansion)
) WITHOUT ROWID;
