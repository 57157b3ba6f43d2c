-- Issue 22: the statistics read the loans of their period, not every loan ever made.

-- The loans starting in a period, with what the figures count of each: the period's
-- rows of this index are all the statistics read of `loans` (before: a scan of the
-- whole table, 2 M rows on the national data set, for a year of 370 k).
CREATE INDEX loans_started ON loans(start_date, unit_code, resource_id, status);

-- Whether a unit asked for anything during a period (made then, to start later): one
-- look-up per unit that has no other activity in it.
CREATE INDEX loans_unit_made ON loans(unit_code, created_at);

-- A unit's loans newest first (`/loans`, the API's list): the index's entries of one
-- unit are in id order, so the list reads what it shows. Without it SQLite took
-- `loans_unit_made` and sorted all of the unit's loans (17,000 for the busiest).
CREATE INDEX loans_unit_newest ON loans(unit_code);
