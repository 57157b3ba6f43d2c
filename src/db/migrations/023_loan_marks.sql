-- Issue 23: every fetched copy of a document carries a mark that traces back to the
-- loan it was lent under (or, without a loan, to the account that fetched it).

-- One mark per loan, made the first time a copy is fetched under it, so a loan's
-- copies all carry the same code however often they are fetched. A fetch without a
-- loan (a librarian, open material) gets a mark of the account and resource.
CREATE TABLE loan_marks (
    id          INTEGER PRIMARY KEY,
    -- Crockford base32 without I, L, O, U: readable off a photo, no look-alikes.
    code        TEXT NOT NULL UNIQUE
                CHECK (length(code) = 8 AND code NOT GLOB '*[^0-9ABCDEFGHJKMNPQRSTVWXYZ]*'),
    loan_id     INTEGER REFERENCES loans(id),
    -- The account whose fetch made the mark (for a loan: the first reader).
    user_id     INTEGER NOT NULL REFERENCES users(id),
    unit_code   TEXT REFERENCES units(code),
    resource_id TEXT NOT NULL REFERENCES resources(id),
    created_at  TEXT NOT NULL
);
-- The fetch's look-ups: a loan's mark, an account's mark of a resource.
CREATE UNIQUE INDEX loan_marks_loan ON loan_marks(loan_id) WHERE loan_id IS NOT NULL;
CREATE UNIQUE INDEX loan_marks_account ON loan_marks(user_id, resource_id)
    WHERE loan_id IS NULL;
