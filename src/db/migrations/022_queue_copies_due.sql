-- Issue 22: the librarian's queue shows the most urgent physical copies first.

-- Physical copies out by end date: the longest overdue first, then those due back
-- soonest, read only as far as the queue shows them (before: every copy out read
-- in loan order to find the few overdue among thousands).
CREATE INDEX loans_physical_due ON loans(end_date, id)
    WHERE format = 'physical' AND status IN ('active', 'overdue');
