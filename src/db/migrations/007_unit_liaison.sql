-- Units gain the liaison librarians call (issue 15) and can be deactivated: a
-- deactivated unit keeps its history but its accounts can no longer sign in or borrow.
ALTER TABLE units ADD COLUMN liaison_name TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN liaison_mobile TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN liaison_email TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
