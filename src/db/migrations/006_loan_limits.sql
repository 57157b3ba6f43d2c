-- Limits that keep one unit from holding a resource against every other unit
-- (issue 14): open loans per unit on the resource, and the longest loan per format,
-- renewals included. Rows written before keep auto_approve and get the defaults.
ALTER TABLE loan_settings ADD COLUMN max_open_per_unit INTEGER NOT NULL DEFAULT 1
    CHECK (max_open_per_unit BETWEEN 1 AND 1000);
ALTER TABLE loan_settings ADD COLUMN max_days_digital INTEGER NOT NULL DEFAULT 30
    CHECK (max_days_digital BETWEEN 1 AND 92);
ALTER TABLE loan_settings ADD COLUMN max_days_physical INTEGER NOT NULL DEFAULT 60
    CHECK (max_days_physical BETWEEN 1 AND 92);
