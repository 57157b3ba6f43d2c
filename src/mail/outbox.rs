//! The mail queue in SQLite: rows are added in the transaction that writes the
//! notification they copy (so a rolled-back change mails nothing and a committed one
//! is never forgotten), and the delivery task marks them sent, retried or abandoned.

use std::time::Duration;

use rusqlite::{Connection, params};

/// Failed attempts after which a message is abandoned.
pub const MAX_ATTEMPTS: u32 = 5;
/// A message older than this is abandoned unsent: a server that ran without mail
/// for a week must not mail last week's news when mail is switched on.
pub const MAX_AGE: Duration = Duration::from_secs(3 * 24 * 3600);

/// Milliseconds since the Unix epoch. Deliberately the wall clock: the outbox's
/// retries and its age limit pace a real mail server, on both the queuing and the
/// delivering side, whatever day the library's `Clock` says it is.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Queues copies of notification `notification_id` for the active borrowers of
/// `unit` that have an email address; answers how many.
pub fn enqueue(
    conn: &Connection,
    notification_id: i64,
    unit: &str,
    subject: &str,
    body: &str,
) -> rusqlite::Result<usize> {
    let now = now_ms();
    conn.execute(
        "INSERT INTO mail_outbox (notification_id, recipient, subject, body, created_ms, next_attempt_ms)
         SELECT DISTINCT ?1, u.email, ?3, ?4, ?5, ?5
         FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'borrower'
         WHERE u.unit_code = ?2 AND u.active = 1 AND u.email IS NOT NULL
         ON CONFLICT DO NOTHING",
        params![notification_id, unit, subject, body, now],
    )
}

/// Queues a copy of notification `notification_id` for one more address (a unit's
/// liaison); nothing when that address already has one.
pub fn enqueue_copy_to(
    conn: &Connection,
    notification_id: i64,
    recipient: &str,
    subject: &str,
    body: &str,
) -> rusqlite::Result<usize> {
    enqueue_one(conn, Some(notification_id), recipient, subject, body)
}

/// Queues one message to `recipient` that copies no notification (a set-password
/// link), in the caller's transaction.
pub fn enqueue_to(
    conn: &Connection,
    recipient: &str,
    subject: &str,
    body: &str,
) -> rusqlite::Result<()> {
    enqueue_one(conn, None, recipient, subject, body).map(|_| ())
}

/// One message to one address (a message that copies no notification never
/// conflicts: NULLs are distinct to the unique key).
fn enqueue_one(
    conn: &Connection,
    notification_id: Option<i64>,
    recipient: &str,
    subject: &str,
    body: &str,
) -> rusqlite::Result<usize> {
    let now = now_ms();
    conn.execute(
        "INSERT INTO mail_outbox (notification_id, recipient, subject, body, created_ms, next_attempt_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT DO NOTHING",
        params![notification_id, recipient, subject, body, now],
    )
}

/// A queued message due for an attempt.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: u32,
}

/// Up to `limit` messages due at `now` (oldest first), after abandoning the ones
/// older than [`MAX_AGE`].
pub fn due(conn: &Connection, now: i64, limit: u32) -> rusqlite::Result<Vec<Pending>> {
    let oldest = now - MAX_AGE.as_millis() as i64;
    conn.execute(
        "UPDATE mail_outbox SET abandoned_ms = ?1, last_error = coalesce(last_error, '超过期限未发送')
         WHERE sent_ms IS NULL AND abandoned_ms IS NULL AND created_ms < ?2",
        params![now, oldest],
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, recipient, subject, body, attempts FROM mail_outbox
         WHERE sent_ms IS NULL AND abandoned_ms IS NULL AND next_attempt_ms <= ?1
         ORDER BY next_attempt_ms, id LIMIT ?2",
    )?;
    stmt.query_map(params![now, limit], |row| {
        Ok(Pending {
            id: row.get(0)?,
            recipient: row.get(1)?,
            subject: row.get(2)?,
            body: row.get(3)?,
            attempts: row.get(4)?,
        })
    })?
    .collect()
}

pub fn mark_sent(conn: &Connection, id: i64, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE mail_outbox SET sent_ms = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Records a failed attempt: tried again after `retry_after`, or abandoned after
/// [`MAX_ATTEMPTS`] (at once when `permanent`, e.g. an address that cannot be parsed).
pub fn mark_failed(
    conn: &Connection,
    message: &Pending,
    error: &str,
    now: i64,
    retry_after: Duration,
    permanent: bool,
) -> rusqlite::Result<()> {
    let attempts = message.attempts + 1;
    let abandoned = (permanent || attempts >= MAX_ATTEMPTS).then_some(now);
    conn.execute(
        "UPDATE mail_outbox SET attempts = ?2, last_error = ?3, next_attempt_ms = ?4, abandoned_ms = ?5
         WHERE id = ?1",
        params![
            message.id,
            attempts,
            error.chars().take(500).collect::<String>(),
            now + retry_after.as_millis() as i64,
            abandoned
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, crate::db::Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(&dir.path().join("t.db")).unwrap();
        (dir, db)
    }

    fn notification(conn: &Connection, unit: &str) -> i64 {
        conn.execute(
            "INSERT INTO notifications (unit_code, kind, message, created_at) VALUES (?1, 'approved', 'x', 'now')",
            [unit],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    #[test]
    fn only_the_units_borrowers_with_an_address_are_queued_and_retries_end() {
        let (_dir, db) = db();
        let mut conn = db.get().unwrap();
        let operator = crate::actor::Actor::operator("test");
        let at = crate::clock::Clock::system().moment();
        crate::accounts::create_unit(&mut conn, &operator, "u1", "单位一", "税务", at).unwrap();
        crate::accounts::create_unit(&mut conn, &operator, "u2", "单位二", "海关", at).unwrap();
        for (name, unit, email) in [
            ("a", "u1", Some("a@example.cn")),
            ("b", "u1", None),
            ("c", "u2", Some("c@example.cn")),
        ] {
            let user = crate::accounts::NewUser {
                username: name,
                password_hash: "x",
                roles: &[crate::accounts::Role::Borrower],
                unit: Some(unit),
                email,
            };
            crate::accounts::create_user(&mut conn, &operator, &user, at).unwrap();
        }
        let id = notification(&conn, "u1");
        assert_eq!(enqueue(&conn, id, "u1", "主题", "正文").unwrap(), 1);
        assert_eq!(enqueue(&conn, id, "u1", "主题", "正文").unwrap(), 0, "once");
        let now = now_ms();
        let due_now = due(&conn, now, 10).unwrap();
        assert_eq!(due_now.len(), 1);
        assert_eq!(due_now[0].recipient, "a@example.cn");

        // Retried later, then abandoned after the last attempt.
        let mut message = due_now[0].clone();
        for attempt in 1..=MAX_ATTEMPTS {
            mark_failed(&conn, &message, "451", now, Duration::from_secs(60), false).unwrap();
            assert!(
                due(&conn, now, 10).unwrap().is_empty(),
                "not before the delay"
            );
            let later = due(&conn, now + 60_000, 10).unwrap();
            if attempt < MAX_ATTEMPTS {
                assert_eq!(later[0].attempts, attempt);
                message = later[0].clone();
            } else {
                assert!(later.is_empty(), "abandoned after {MAX_ATTEMPTS}");
            }
        }

        // Old news is abandoned unsent.
        let id = notification(&conn, "u1");
        enqueue(&conn, id, "u1", "主题", "正文").unwrap();
        let queued_by = now_ms();
        assert_eq!(due(&conn, queued_by + 60_000, 10).unwrap().len(), 1);
        let far = queued_by + MAX_AGE.as_millis() as i64 + 1;
        assert!(due(&conn, far, 10).unwrap().is_empty());
        assert!(
            due(&conn, queued_by, 10).unwrap().is_empty(),
            "abandoned for good"
        );
    }
}
