//! The write transaction every visit step runs in, the audit row and the unit's
//! notification of a change, written in that same transaction.

use rusqlite::{Connection, Transaction, params};

use super::VisitError;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// Runs `work` in one `BEGIN IMMEDIATE` transaction: the seat count a step checks
/// and the seats it takes are the same state, also under simultaneous steps. Nothing
/// is written when `work` fails.
pub(crate) fn write<T>(
    conn: &mut Connection,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, VisitError>,
) -> Result<T, VisitError> {
    let tx = crate::db::begin_write(conn)?;
    let out = work(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// The audit row of a step on a base's sessions or a unit's visit.
pub(crate) fn audit(
    conn: &Connection,
    actor: &Actor,
    action: AuditAction,
    base_id: &str,
    detail: impl Into<String>,
    at: Moment,
) -> Result<(), VisitError> {
    AuditEvent::by(actor, action)
        .resource(base_id)
        .detail(detail)
        .record(conn, at)?;
    Ok(())
}

/// What a visit notification is about (the `notifications.kind` it is stored as).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitNotice {
    Scheduled,
    Confirmed,
    Cancelled,
    Rejected,
    Reminder,
    ReportDue,
}

impl VisitNotice {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitNotice::Scheduled => "visit_scheduled",
            VisitNotice::Confirmed => "visit_confirmed",
            VisitNotice::Cancelled => "visit_cancelled",
            VisitNotice::Rejected => "visit_rejected",
            VisitNotice::Reminder => "visit_reminder",
            VisitNotice::ReportDue => "visit_report",
        }
    }

    fn subject(self) -> &'static str {
        match self {
            VisitNotice::Scheduled => "参观已安排场次，请确认",
            VisitNotice::Confirmed => "参观已确认",
            VisitNotice::Cancelled => "参观已取消",
            VisitNotice::Rejected => "参观申请未获安排",
            VisitNotice::Reminder => "参观即将进行",
            VisitNotice::ReportDue => "请填报参观情况",
        }
    }
}

/// Tells a unit something about one of its visits, in-app and by mail. With
/// `dedupe`, a second call with the same visit, kind and key does nothing; answers
/// whether the notification was added.
pub(crate) fn notify(
    conn: &Connection,
    unit: &str,
    visit: i64,
    kind: VisitNotice,
    message: &str,
    dedupe: Option<&str>,
    at: Moment,
) -> Result<bool, VisitError> {
    let message = format!("参观 #{visit}：{message}");
    let added = conn.execute(
        "INSERT INTO notifications (unit_code, visit_id, kind, message, dedupe, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO NOTHING",
        params![unit, visit, kind.as_str(), message, dedupe, at.stamp()],
    )?;
    if added == 1 {
        let subject = format!("【警示教育资源库】{}", kind.subject());
        let body = crate::loans::notify::mail_body(&message, "本单位参观");
        crate::mail::outbox::enqueue(conn, conn.last_insert_rowid(), unit, &subject, &body)?;
    }
    Ok(added == 1)
}
