-- Sign-in throttling per account at a client address (`pair:ADDR NAME`) and per
-- address (`addr:ADDR`). A counter's window runs from its last failure.
ALTER TABLE sign_in_failures ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
UPDATE sign_in_failures SET last_at = first_at;
-- Counters per account alone (`user:NAME`) let strangers lock the owner out.
DELETE FROM sign_in_failures WHERE key LIKE 'user:%';
