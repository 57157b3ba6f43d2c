-- Issue 22: the librarian's queue costs what it shows, not how many requests wait.

-- How many loans are in each state, apart for those of a batch (借阅清单), kept by
-- the triggers below in the same transaction as every change: the navigation's
-- count of requests, the queue's count of pending requests and its table's total
-- read a few rows here (before: every pending request, 119,000 on a national
-- history, counted three times on each view).
CREATE TABLE loan_state_counts (
    status  TEXT NOT NULL,
    batched INTEGER NOT NULL,
    loans   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (status, batched)
) WITHOUT ROWID;

INSERT INTO loan_state_counts (status, batched, loans)
SELECT status, batch_id IS NOT NULL, count(*) FROM loans GROUP BY 1, 2;

CREATE TRIGGER loan_state_counts_added AFTER INSERT ON loans BEGIN
    INSERT INTO loan_state_counts (status, batched, loans)
    VALUES (NEW.status, NEW.batch_id IS NOT NULL, 1)
    ON CONFLICT (status, batched) DO UPDATE SET loans = loans + 1;
END;

CREATE TRIGGER loan_state_counts_changed AFTER UPDATE OF status, batch_id ON loans
WHEN OLD.status IS NOT NEW.status
  OR (OLD.batch_id IS NOT NULL) IS NOT (NEW.batch_id IS NOT NULL)
BEGIN
    UPDATE loan_state_counts SET loans = loans - 1
     WHERE status = OLD.status AND batched = (OLD.batch_id IS NOT NULL);
    INSERT INTO loan_state_counts (status, batched, loans)
    VALUES (NEW.status, NEW.batch_id IS NOT NULL, 1)
    ON CONFLICT (status, batched) DO UPDATE SET loans = loans + 1;
END;

CREATE TRIGGER loan_state_counts_removed AFTER DELETE ON loans BEGIN
    UPDATE loan_state_counts SET loans = loans - 1
     WHERE status = OLD.status AND batched = (OLD.batch_id IS NOT NULL);
END;

-- Physical loans to hand out or check in, newest first by state: the queue lists
-- the newest 500 of each (before: every approved, active or overdue loan of both
-- formats looked up and sorted, 50,000 rows, three times on each view).
CREATE INDEX loans_physical_open ON loans(status, id)
    WHERE format = 'physical' AND status IN ('approved', 'active', 'overdue');
