//! In-app notifications for the requesting unit's borrowers: approved, rejected,
//! moved, promoted from the waitlist, due soon, overdue, recalled, the resource
//! withdrawn (and a few more). Written in the transaction of the change they
//! announce, with their email copies queued in the same transaction (`mail::outbox`).

use crate::clock::Moment;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::LoanError;
use super::model::LoanId;

/// What a notification is about (stored as text with a CHECK constraint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Approved,
    Rejected,
    Moved,
    Promoted,
    DueSoon,
    Overdue,
    Cancelled,
    Issued,
    Returned,
    Renewed,
    /// The library wants a lent item back early.
    Recalled,
    /// The resource was withdrawn from the catalogue.
    Withdrawn,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Approved => "approved",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Moved => "moved",
            NoticeKind::Promoted => "promoted",
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Overdue => "overdue",
            NoticeKind::Cancelled => "cancelled",
            NoticeKind::Issued => "issued",
            NoticeKind::Returned => "returned",
            NoticeKind::Renewed => "renewed",
            NoticeKind::Recalled => "recalled",
            NoticeKind::Withdrawn => "withdrawn",
        }
    }

    /// The subject of the email copy.
    pub fn subject(self) -> &'static str {
        match self {
            NoticeKind::Approved => "借阅申请已批准",
            NoticeKind::Rejected => "借阅申请未获批准",
            NoticeKind::Moved => "借阅日期已调整",
            NoticeKind::Promoted => "候补借阅已转为申请",
            NoticeKind::DueSoon => "借阅即将到期",
            NoticeKind::Overdue => "借阅已逾期",
            NoticeKind::Cancelled => "借阅已取消",
            NoticeKind::Issued => "实体拷贝已出借",
            NoticeKind::Returned => "实体拷贝已归还",
            NoticeKind::Renewed => "借阅已续借",
            NoticeKind::Recalled => "借阅已被召回",
            NoticeKind::Withdrawn => "借阅的资源已撤回",
        }
    }
}

/// A title between one pair of title marks: 《贪欲之害》, and 警示教育片《贪欲之害》
/// as it is (marks around marks read as a typo).
pub(crate) fn marked(title: &str) -> String {
    if title.contains('《') {
        title.to_owned()
    } else {
        format!("《{title}》")
    }
}

/// Whether `actor` acts for `unit`: nobody is told of their own unit's doing.
pub(crate) fn own_unit(actor: &crate::actor::Actor, unit: &str) -> bool {
    actor.unit.as_deref() == Some(unit)
}

/// The email copy of a notification: the same message, and where to read more.
pub(crate) fn mail_body(message: &str, page: &str) -> String {
    format!(
        "{message}\n\n详情请登录警示教育资源库，在“{page}”页面查看。\n\n（本邮件由系统自动发送，请勿直接回复。）\n"
    )
}

/// A notification as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub loan_id: Option<i64>,
    /// The visit to a base it is about (SPEC §8), when not a loan.
    pub visit_id: Option<i64>,
    /// The resource: the loan's, the visited base, or the unit's contribution
    /// (`contribution_returned`, `contribution_published`: SPEC §9).
    pub resource_id: Option<String>,
    /// The holiday period a `season_reminder` is about: `YEAR:season` (`2027:chunjie`).
    pub season: Option<String>,
    pub message: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A unit's notifications, newest first, and how many are unread.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub unread: u32,
    pub items: Vec<Notification>,
}

/// Tells a unit something about one of its loans. With `dedupe`, a second call with
/// the same loan, kind and key does nothing (reminders computed again and again).
pub fn notify(
    conn: &Connection,
    unit: &str,
    loan: LoanId,
    kind: NoticeKind,
    message: &str,
    dedupe: Option<&str>,
    at: Moment,
) -> Result<(), LoanError> {
    // Every message names its loan, as the unit's loan page lists them.
    let message = format!("借阅 #{}：{message}", loan.0);
    let added = conn.execute(
        "INSERT INTO notifications (unit_code, loan_id, kind, message, dedupe, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO NOTHING",
        params![unit, loan.0, kind.as_str(), message, dedupe, at.stamp()],
    )?;
    if added == 1 {
        let subject = format!("【警示教育资源库】{}", kind.subject());
        let id = conn.last_insert_rowid();
        crate::mail::outbox::enqueue(conn, id, unit, &subject, &mail_body(&message, "本单位借阅"))?;
    }
    Ok(())
}

/// Reminds a unit of a coming holiday period (`season`: `YEAR:code`), mailed like
/// every notification to the unit's borrowers with an address; answers the
/// notification's id, for further copies (`mail::outbox::enqueue_copy_to`).
pub fn notify_season(
    conn: &Connection,
    unit: &str,
    season: &str,
    message: &str,
    mail: (&str, &str),
    at: Moment,
) -> Result<i64, LoanError> {
    conn.execute(
        "INSERT INTO notifications (unit_code, season, kind, message, created_at)
         VALUES (?1, ?2, 'season_reminder', ?3, ?4)",
        params![unit, season, message, at.stamp()],
    )?;
    let id = conn.last_insert_rowid();
    let (subject, body) = mail;
    crate::mail::outbox::enqueue(conn, id, unit, subject, body)?;
    Ok(id)
}

/// The unit's notifications, newest first (at most `limit`), optionally unread only.
pub fn list(
    conn: &Connection,
    unit: &str,
    unread_only: bool,
    limit: u32,
) -> Result<NotificationList, LoanError> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.id, n.kind, n.loan_id, coalesce(n.resource_id, l.resource_id, v.base_id), n.message,
                n.created_at, n.read_at, n.visit_id, n.season
         FROM notifications n LEFT JOIN loans l ON l.id = n.loan_id
              LEFT JOIN visits v ON v.id = n.visit_id
         WHERE n.unit_code = ?1 AND (?2 = 0 OR n.read_at IS NULL)
         ORDER BY n.id DESC LIMIT ?3",
    )?;
    let items = stmt
        .query_map(params![unit, unread_only, limit.clamp(1, 500)], |row| {
            Ok(Notification {
                id: row.get(0)?,
                kind: row.get(1)?,
                loan_id: row.get(2)?,
                resource_id: row.get(3)?,
                message: row.get(4)?,
                created_at: row.get(5)?,
                read_at: row.get(6)?,
                visit_id: row.get(7)?,
                season: row.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let unread = conn.query_row(
        "SELECT count(*) FROM notifications WHERE unit_code = ?1 AND read_at IS NULL",
        [unit],
        |row| row.get(0),
    )?;
    Ok(NotificationList { unread, items })
}

/// Marks one of the unit's notifications read (`id`) or all of them (`None`);
/// answers how many changed. Another unit's id changes nothing.
pub fn mark_read(
    conn: &Connection,
    unit: &str,
    id: Option<i64>,
    at: Moment,
) -> Result<usize, LoanError> {
    let changed = conn.execute(
        "UPDATE notifications SET read_at = ?3
         WHERE unit_code = ?1 AND read_at IS NULL AND (?2 IS NULL OR id = ?2)",
        params![unit, id, at.stamp()],
    )?;
    Ok(changed)
}

/// How many of the unit's notifications are unread (the header's badge).
pub fn unread_count(conn: &Connection, unit: &str) -> Result<u64, LoanError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM notifications WHERE unit_code = ?1 AND read_at IS NULL",
        [unit],
        |row| row.get(0),
    )?)
}
