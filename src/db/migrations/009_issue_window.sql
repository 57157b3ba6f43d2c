-- Issuing a physical copy ahead of its loan (issue 15): how many days before the
-- start a resource's copies may be handed out, and who handed a copy out when (the
-- loan slip). A copy handed out early holds its capacity from `issued_on`.
ALTER TABLE loan_settings ADD COLUMN issue_lead_days INTEGER NOT NULL DEFAULT 3
    CHECK (issue_lead_days BETWEEN 0 AND 30);
ALTER TABLE loans ADD COLUMN issued_at TEXT;
ALTER TABLE loans ADD COLUMN issued_on TEXT
    CHECK (issued_on IS NULL OR date(issued_on) IS issued_on);
ALTER TABLE loans ADD COLUMN issued_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE loans ADD COLUMN issued_by_name TEXT NOT NULL DEFAULT '';

-- Copies handed out before this version: the audit log knows who and when (its
-- detail reads "借阅 <id>（<unit>）：…"; Beijing is UTC+8 all year).
UPDATE loans SET
    issued_at = issued.at,
    issued_on = date(issued.at, '+8 hours'),
    issued_by = issued.user_id,
    issued_by_name = issued.name
FROM (
    SELECT l.id AS loan_id, a.at, u.id AS user_id,
           coalesce(nullif(u.display_name, ''), a.username, '') AS name
    FROM loans l
    JOIN audit_log a ON a.id = (
        SELECT max(x.id) FROM audit_log x
        WHERE x.action = 'loan_issue' AND x.resource_id = l.resource_id
          AND x.detail LIKE '借阅 ' || l.id || '（%')
    LEFT JOIN users u ON u.id = a.user_id
    WHERE l.copy_id IS NOT NULL
) AS issued
WHERE loans.id = issued.loan_id;
