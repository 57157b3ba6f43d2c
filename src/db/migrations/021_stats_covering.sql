-- Issue 22: the statistics read only indexes for the violation types of the
-- catalogue and the reports of a period.

-- Every resource's violation types in one covering range (before: the type index
-- gave each row's id, its row was read for the resource and the whole list sorted,
-- 187,000 look-ups on a national catalogue on every statistics request).
CREATE INDEX resource_labels_by_facet ON resource_labels(facet, resource_id, value);

-- The reports held in a period with the figures counted from them (the loan is the
-- row id): before, each of a year's 124,000 reports was looked up in the table.
CREATE INDEX loan_reports_held ON loan_reports(held_on, participants, sessions);
DROP INDEX loan_reports_held_on;
