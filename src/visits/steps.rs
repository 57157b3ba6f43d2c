//! The steps of a visit after its request, as one command type and [`act`]: the one
//! function that decides who may do what, checks the transition, seats, dates and
//! visitor list, and writes the change, its audit row and the unit's notification in
//! one `BEGIN IMMEDIATE` transaction.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::VisitError;
use super::model::{Session, SessionStatus, Visit, VisitAction};
use super::read::{self, Base, VisitRow};
use super::sessions::{bounded_text, earliest_visit_day};
use super::store::{self, VisitNotice, notify};
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::clock::Moment;
use crate::loans::days::{OpeningDays, parse_date};

/// `schedule` (librarian): the session whose seats the group gets.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScheduleInput {
    pub session_id: Option<i64>,
}

/// `reject` (librarian, reason required) and `cancel` (the library must say why
/// when it cancels a unit's visit).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReasonInput {
    pub reason: Option<String>,
}

/// `report`: how many came, and what they took from it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportInput {
    pub attended: Option<i64>,
    pub reflections: Option<String>,
}

/// One visit action with its input.
#[derive(Debug, Clone)]
pub enum VisitCommand {
    Schedule(ScheduleInput),
    Confirm,
    Cancel(ReasonInput),
    Reject(ReasonInput),
    Report(ReportInput),
    NoShow,
}

impl VisitCommand {
    pub fn action(&self) -> VisitAction {
        match self {
            VisitCommand::Schedule(_) => VisitAction::Schedule,
            VisitCommand::Confirm => VisitAction::Confirm,
            VisitCommand::Cancel(_) => VisitAction::Cancel,
            VisitCommand::Reject(_) => VisitAction::Reject,
            VisitCommand::Report(_) => VisitAction::Report,
            VisitCommand::NoShow => VisitAction::NoShow,
        }
    }
}

/// The longest reason or reflections.
pub const MAX_REASON_CHARS: usize = 200;
pub const MAX_REFLECTIONS_CHARS: usize = 2000;

/// Runs `command` on visit `id` for `actor` at `at`; a refusal writes nothing.
pub fn act(
    conn: &mut Connection,
    actor: &Actor,
    id: i64,
    command: VisitCommand,
    at: Moment,
) -> Result<Visit, VisitError> {
    let action = command.action();
    store::write(conn, |tx| {
        let visit = read::row(tx, id)?;
        if !actor.sees_unit(&visit.unit) {
            return Err(VisitError::NotFound(id));
        }
        if action.librarians_only() && !actor.librarian {
            return Err(VisitError::LibrariansOnly {
                task: action.label(),
            });
        }
        if action.next(visit.status).is_none() {
            return Err(VisitError::IllegalTransition {
                from: visit.status,
                action,
            });
        }
        let base = read::base(tx, &visit.base_id)?
            .ok_or_else(|| VisitError::BaseNotFound(visit.base_id.clone()))?;
        match command {
            VisitCommand::Schedule(input) => {
                let session_id = input
                    .session_id
                    .ok_or_else(|| VisitError::invalid("session_id", "请选择安排到哪个场次"))?;
                schedule(tx, actor, &visit, &base, session_id, None, at)?;
            }
            VisitCommand::Confirm => confirm(tx, actor, &visit, &base, at)?,
            VisitCommand::Cancel(input) => cancel(tx, actor, &visit, &base, input, at)?,
            VisitCommand::Reject(input) => reject(tx, actor, &visit, &base, input, at)?,
            VisitCommand::Report(input) => report(tx, actor, &visit, &base, input, at)?,
            VisitCommand::NoShow => no_show(tx, actor, &visit, &base, at)?,
        }
        read::full(tx, id)
    })
}

fn set_status(
    tx: &Connection,
    visit: &VisitRow,
    action: VisitAction,
    at: Moment,
) -> Result<(), VisitError> {
    let next = action
        .next(visit.status)
        .ok_or(VisitError::IllegalTransition {
            from: visit.status,
            action,
        })?;
    tx.execute(
        "UPDATE visits SET status = ?2, revision = revision + 1, updated_at = ?3 WHERE id = ?1",
        params![visit.id, next.as_str(), at.stamp()],
    )?;
    Ok(())
}

/// The step's audit row, and (unless the unit did it itself) its notification.
#[allow(clippy::too_many_arguments)]
fn record(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    action: AuditAction,
    audit_detail: String,
    notice: Option<(VisitNotice, String)>,
    at: Moment,
) -> Result<(), VisitError> {
    if let Some((kind, message)) = notice
        && !crate::loans::notify::own_unit(actor, &visit.unit)
    {
        notify(tx, &visit.unit, visit.id, kind, &message, None, at)?;
    }
    store::audit(tx, actor, action, &base.id, detail(visit, audit_detail), at)
}

fn detail(visit: &VisitRow, text: impl AsRef<str>) -> String {
    format!("参观 {}（{}）：{}", visit.id, visit.unit, text.as_ref())
}

/// Seats the group on `session_id`, checking in this transaction that the session is
/// the base's and open, far enough ahead, that the seats are free, that the groups on
/// it may share, and that the unit holds no other visit that day. `seats` below the
/// headcount trims the group (a trial's public seats shared out).
pub(crate) fn schedule(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    session_id: i64,
    seats: Option<u32>,
    at: Moment,
) -> Result<Session, VisitError> {
    let session = bookable_session(tx, visit, base, session_id, at)?;
    let headcount = seats.unwrap_or(visit.headcount).clamp(1, visit.headcount);
    let free = session.free();
    if headcount > free {
        return Err(VisitError::SessionFull {
            date: session.date,
            start: session.start,
            free,
            headcount,
        });
    }
    check_sharing(tx, visit, &session)?;
    let same_day: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM visits WHERE unit_code = ?1 AND held_date = ?2 AND id != ?3",
        )?
        .query_row(params![visit.unit, session.date, visit.id], |row| {
            row.get(0)
        })
        .optional()?;
    if same_day.is_some() {
        return Err(VisitError::SameDay { date: session.date });
    }
    tx.execute(
        "UPDATE visits SET status = 'scheduled', session_id = ?2, held_date = ?3, headcount = ?4,
                revision = revision + 1, updated_at = ?5
         WHERE id = ?1",
        params![visit.id, session.id, session.date, headcount, at.stamp()],
    )?;
    let trimmed = if headcount < visit.headcount {
        format!("（申请 {} 人，安排 {headcount} 个席位）", visit.headcount)
    } else {
        String::new()
    };
    let list = if base.needs_visitor_list {
        "该基地要求提供参观人员名单（含身份证号），请在确认前填写。"
    } else {
        ""
    };
    let message = format!(
        "参观{}已安排在 {}{trimmed}，请尽快确认。{list}",
        super::marked(&base.title),
        session.describe()
    );
    record(
        tx,
        actor,
        visit,
        base,
        AuditAction::VisitScheduled,
        format!("安排在场次 {}，{headcount} 人", session.describe()),
        Some((VisitNotice::Scheduled, message)),
        at,
    )?;
    Ok(session)
}

/// The session `session_id` if the visit may be seated on it: the base's, open, and
/// not sooner than the base's lead time.
fn bookable_session(
    tx: &Connection,
    visit: &VisitRow,
    base: &Base,
    session_id: i64,
    at: Moment,
) -> Result<Session, VisitError> {
    let session = read::session(tx, session_id)?;
    if session.base_id != visit.base_id {
        return Err(VisitError::invalid(
            "session_id",
            format!("场次 {session_id} 不属于{}", super::marked(&base.title)),
        ));
    }
    if session.status != SessionStatus::Open {
        return Err(VisitError::SessionNotOpen {
            date: session.date,
            start: session.start,
            status: session.status,
        });
    }
    let earliest = earliest_visit_day(&OpeningDays::load(tx)?, at.today(), base.lead_days);
    if parse_date("date", &session.date)? < earliest {
        return Err(VisitError::invalid(
            "session_id",
            format!(
                "{}需提前 {} 个工作日安排，场次 {} 太近（最早 {earliest}）",
                super::marked(&base.title),
                base.lead_days,
                session.describe()
            ),
        ));
    }
    Ok(session)
}

/// A group that does not share must be alone on its session, and may not join one
/// whose groups do not share.
fn check_sharing(tx: &Connection, visit: &VisitRow, session: &Session) -> Result<(), VisitError> {
    if session.is_trial() {
        // A trial's public seats are shared by design.
        return Ok(());
    }
    let others: Vec<(String, bool)> = tx
        .prepare_cached(
            "SELECT coalesce(u.name, v.unit_code), v.share FROM visits v
             LEFT JOIN units u ON u.code = v.unit_code
             WHERE v.session_id = ?1 AND v.id != ?2
               AND v.status IN ('scheduled', 'confirmed', 'attended')",
        )?
        .query_map(params![session.id, visit.id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    if others.is_empty() {
        return Ok(());
    }
    if !visit.share {
        return Err(VisitError::NotShared(format!(
            "场次 {} 已安排其他单位（{}），而本参观团不接受与其他单位联合参观",
            session.describe(),
            others
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    if let Some((name, _)) = others.iter().find(|(_, share)| !share) {
        return Err(VisitError::NotShared(format!(
            "场次 {} 已安排的单位（{name}）不接受与其他单位联合参观",
            session.describe()
        )));
    }
    Ok(())
}

fn confirm(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    at: Moment,
) -> Result<(), VisitError> {
    if base.needs_visitor_list {
        let listed: u32 = tx.query_row(
            "SELECT count(*) FROM visitors WHERE visit_id = ?1",
            [visit.id],
            |row| row.get(0),
        )?;
        if listed == 0 {
            return Err(VisitError::invalid(
                "visitors",
                format!(
                    "{}要求提供参观人员名单（姓名和身份证号），请先填写名单再确认",
                    super::marked(&base.title)
                ),
            ));
        }
    }
    set_status(tx, visit, VisitAction::Confirm, at)?;
    let session = held_session(tx, visit)?;
    let message = format!(
        "参观{}（{}）已确认",
        super::marked(&base.title),
        session.describe()
    );
    record(
        tx,
        actor,
        visit,
        base,
        AuditAction::VisitConfirmed,
        format!("确认场次 {}", session.describe()),
        Some((VisitNotice::Confirmed, message)),
        at,
    )
}

fn held_session(tx: &Connection, visit: &VisitRow) -> Result<Session, VisitError> {
    let id = visit.session_id.ok_or(VisitError::IllegalTransition {
        from: visit.status,
        action: VisitAction::Confirm,
    })?;
    read::session(tx, id)
}

fn cancel(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    input: ReasonInput,
    at: Moment,
) -> Result<(), VisitError> {
    let by_library = !crate::loans::notify::own_unit(actor, &visit.unit);
    let reason = bounded_text(
        "reason",
        input.reason.as_deref(),
        MAX_REASON_CHARS,
        "取消原因",
        by_library,
    )?;
    tx.execute(
        "UPDATE visits SET status = 'cancelled', session_id = NULL, held_date = NULL,
                reason = nullif(?2, ''), revision = revision + 1, updated_at = ?3
         WHERE id = ?1",
        params![visit.id, reason, at.stamp()],
    )?;
    let message = format!("参观{}已由工委取消：{reason}", super::marked(&base.title));
    let audit_detail = if reason.is_empty() {
        "取消".to_owned()
    } else {
        format!("取消：{reason}")
    };
    record(
        tx,
        actor,
        visit,
        base,
        AuditAction::VisitCancelled,
        audit_detail,
        Some((VisitNotice::Cancelled, message)),
        at,
    )
}

fn reject(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    input: ReasonInput,
    at: Moment,
) -> Result<(), VisitError> {
    let reason = bounded_text(
        "reason",
        input.reason.as_deref(),
        MAX_REASON_CHARS,
        "不予安排的原因",
        true,
    )?;
    tx.execute(
        "UPDATE visits SET status = 'rejected', reason = ?2, revision = revision + 1, updated_at = ?3
         WHERE id = ?1",
        params![visit.id, reason, at.stamp()],
    )?;
    let message = format!("参观{}的申请未获安排：{reason}", super::marked(&base.title));
    record(
        tx,
        actor,
        visit,
        base,
        AuditAction::VisitRejected,
        format!("不予安排：{reason}"),
        Some((VisitNotice::Rejected, message)),
        at,
    )
}

/// The visit's day has come (reports and no-shows are for visits that took place).
fn check_day_came(tx: &Connection, visit: &VisitRow, at: Moment) -> Result<Session, VisitError> {
    let session = held_session(tx, visit)?;
    if parse_date("date", &session.date)? > at.today() {
        return Err(VisitError::invalid(
            "date",
            format!("参观安排在 {}，当天或之后才能登记", session.date),
        ));
    }
    Ok(session)
}

fn report(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    input: ReportInput,
    at: Moment,
) -> Result<(), VisitError> {
    let session = check_day_came(tx, visit, at)?;
    let attended = match input.attended {
        None => return Err(VisitError::invalid("attended", "请填写实际参观人数")),
        Some(n) if n < 1 => {
            return Err(VisitError::invalid(
                "attended",
                "实际参观人数至少为 1；无人到场请由工委登记未到场",
            ));
        }
        Some(n) if n > session.capacity as i64 => {
            return Err(VisitError::invalid(
                "attended",
                format!("实际参观人数不能超过场次的 {} 个座位", session.capacity),
            ));
        }
        Some(n) => n as u32,
    };
    let reflections = bounded_text(
        "reflections",
        input.reflections.as_deref(),
        MAX_REFLECTIONS_CHARS,
        "参观体会",
        false,
    )?;
    set_status(tx, visit, VisitAction::Report, at)?;
    tx.execute(
        "UPDATE visits SET attended = ?2, reflections = nullif(?3, '') WHERE id = ?1",
        params![visit.id, attended, reflections],
    )?;
    record(
        tx,
        actor,
        visit,
        base,
        AuditAction::VisitReported,
        format!("实到 {attended} 人"),
        None,
        at,
    )
}

fn no_show(
    tx: &Connection,
    actor: &Actor,
    visit: &VisitRow,
    base: &Base,
    at: Moment,
) -> Result<(), VisitError> {
    let session = check_day_came(tx, visit, at)?;
    // A group that did not come holds no seats, and its day is free again (one
    // statement: the table's CHECK ties held days to the states that hold seats).
    tx.execute(
        "UPDATE visits SET status = 'no_show', held_date = NULL, revision = revision + 1,
                updated_at = ?2
         WHERE id = ?1",
        params![visit.id, at.stamp()],
    )?;
    record(
        tx,
        actor,
        visit,
        base,
        AuditAction::VisitNoShow,
        format!("场次 {} 未到场", session.describe()),
        None,
        at,
    )
}
