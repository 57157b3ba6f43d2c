-- Issue 22: the cost of a request follows what it shows, not how much history exists.
-- Each index here was chosen from a profile (perf, and the statements over 15 ms
-- during the soak) and keeps a hot statement from reading rows it does not show.

-- Whether a file access continues a viewing: the user's accesses of that file in the
-- last five minutes, newest first (before: every row of the user in five minutes,
-- thousands for a busy reader).
CREATE INDEX audit_log_file_access ON audit_log(username, file_id, at)
    WHERE action = 'file_access';

-- The unread count on every page a unit's officer opens (before: every notification
-- the unit ever had).
CREATE INDEX notifications_unread ON notifications(unit_code, id)
    WHERE read_at IS NULL;

-- Loans holding a copy or licence, by the first day they hold it: "available now"
-- finds today's holders among the loans that have begun, not among every booking
-- to come (before: every open loan ending after today). Finished loans leave this
-- index when they finish, so it stays as small as the lending in progress; it holds
-- what the count needs, so the table is not read.
CREATE INDEX loans_holding ON loans(
    min(start_date, coalesce(issued_on, start_date)), end_date, resource_id, format)
    WHERE status IN ('requested', 'approved', 'active', 'overdue');
