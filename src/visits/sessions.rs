//! A base's sessions: weekly templates that make sessions on open days, one-off
//! sessions with their own label (a trial's public seats), and closing or cancelling
//! a session, which tells every group on it why and where there is still room.

use jiff::civil::{Date, Weekday};
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::VisitError;
use super::model::{Session, SessionStatus};
use super::read::{self, Base};
use super::store::{self, VisitNotice, notify};
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::clock::Moment;
use crate::loans::days::{OpeningDays, add_days, day_number, parse_date};

/// How far ahead a template's sessions exist; the daily sweep keeps the horizon.
pub const HORIZON_DAYS: i64 = 182;
/// The longest label or reason.
pub const MAX_LABEL_CHARS: usize = 80;
/// Seats of one session at most.
pub const MAX_SEATS: u32 = 10_000;

/// `POST /api/v1/bases/{id}/sessions`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SessionInput {
    #[schema(format = Date)]
    pub date: Option<String>,
    /// `HH:MM`.
    pub start: Option<String>,
    pub end: Option<String>,
    pub capacity: Option<i64>,
    /// E.g. 庭审旁听：某案.
    pub label: Option<String>,
    /// Sectors given first call on a trial's seats.
    pub sectors: Option<Vec<String>>,
}

/// `POST /api/v1/bases/{id}/templates`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TemplateInput {
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: Option<i64>,
    pub start: Option<String>,
    pub end: Option<String>,
    /// Seats; the base's default capacity when absent.
    pub capacity: Option<i64>,
}

/// `POST /api/v1/sessions/{id}/{close|cancel}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SessionReason {
    pub reason: Option<String>,
}

/// A weekly template as stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Template {
    pub id: i64,
    pub base_id: String,
    pub weekday: u8,
    pub start: String,
    pub end: String,
    pub capacity: u32,
    /// How many sessions it made now.
    pub sessions_made: u32,
}

pub(crate) fn librarians_only(actor: &Actor, task: &'static str) -> Result<(), VisitError> {
    if actor.librarian {
        Ok(())
    } else {
        Err(VisitError::LibrariansOnly { task })
    }
}

/// `HH:MM` of a day, checked.
pub(crate) fn clock_time(
    field: &str,
    value: Option<&str>,
    what: &str,
) -> Result<String, VisitError> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(VisitError::invalid(
            field,
            format!("请填写{what}（如 09:30）"),
        ));
    }
    let parsed = jiff::civil::Time::strptime("%H:%M", text).map_err(|_| {
        VisitError::invalid(
            field,
            format!("{what}“{}”无效，应为 HH:MM（如 09:30）", short(text)),
        )
    })?;
    Ok(parsed.strftime("%H:%M").to_string())
}

/// At most 40 characters of what someone typed, for a message.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

fn time_range(start: Option<&str>, end: Option<&str>) -> Result<(String, String), VisitError> {
    let start = clock_time("start", start, "开始时间")?;
    let end = clock_time("end", end, "结束时间")?;
    if end <= start {
        return Err(VisitError::invalid("end", "结束时间应晚于开始时间"));
    }
    Ok((start, end))
}

fn seats(field: &str, value: Option<i64>, default: Option<u32>) -> Result<u32, VisitError> {
    match (value, default) {
        (Some(n), _) if (1..=MAX_SEATS as i64).contains(&n) => Ok(n as u32),
        (Some(_), _) => Err(VisitError::invalid(
            field,
            format!("每场人数应在 1 到 {MAX_SEATS} 之间"),
        )),
        (None, Some(default)) => Ok(default),
        (None, None) => Err(VisitError::invalid(field, "请填写每场可接待人数")),
    }
}

/// Text of at most `max` characters, trimmed; `required` refuses an empty one.
pub(crate) fn bounded_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    what: &str,
    required: bool,
) -> Result<String, VisitError> {
    let text = value.map(str::trim).unwrap_or_default();
    if required && text.is_empty() {
        return Err(VisitError::invalid(field, format!("请填写{what}")));
    }
    if text.chars().count() > max {
        return Err(VisitError::invalid(
            field,
            format!("{what}不能超过 {max} 个字符"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(VisitError::invalid(field, format!("{what}含有控制字符")));
    }
    Ok(text.to_owned())
}

fn weekday_number(day: Weekday) -> u8 {
    day.to_monday_one_offset() as u8
}

/// Makes the template's sessions on open days from `from` through `to` (those
/// already made are kept); answers how many were added.
fn make_sessions(
    tx: &Connection,
    template: &Template,
    days: &OpeningDays,
    from: Date,
    to: Date,
    at: Moment,
) -> Result<u32, VisitError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO base_sessions (base_id, date, start_time, end_time, capacity, template_id,
                                    created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT DO NOTHING",
    )?;
    let mut added = 0;
    let mut day = from;
    while day <= to {
        if weekday_number(day.weekday()) == template.weekday && days.is_open(day) {
            added += insert.execute(params![
                template.base_id,
                day.to_string(),
                template.start,
                template.end,
                template.capacity,
                template.id,
                at.stamp()
            ])? as u32;
        }
        day = add_days(day, 1);
    }
    Ok(added)
}

fn base_for_librarian(tx: &Connection, base_id: &str) -> Result<Base, VisitError> {
    read::base(tx, base_id.trim())?
        .ok_or_else(|| VisitError::BaseNotFound(base_id.trim().to_owned()))
}

/// Adds a weekly template to a base and makes its sessions for the coming
/// [`HORIZON_DAYS`] on open days (the library's closed days and 调休 working days).
pub fn add_template(
    conn: &mut Connection,
    actor: &Actor,
    base_id: &str,
    input: TemplateInput,
    at: Moment,
) -> Result<Template, VisitError> {
    librarians_only(actor, "设置基地开放时间")?;
    let weekday = match input.weekday {
        Some(n) if (1..=7).contains(&n) => n as u8,
        Some(_) => {
            return Err(VisitError::invalid(
                "weekday",
                "星期应为 1（周一）到 7（周日）",
            ));
        }
        None => return Err(VisitError::invalid("weekday", "请选择星期几")),
    };
    let (start, end) = time_range(input.start.as_deref(), input.end.as_deref())?;
    store::write(conn, |tx| {
        let base = base_for_librarian(tx, base_id)?;
        let capacity = seats("capacity", input.capacity, Some(base.capacity))?;
        let inserted = tx.execute(
            "INSERT INTO base_templates (base_id, weekday, start_time, end_time, capacity, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            params![base.id, weekday, start, end, capacity, at.stamp()],
        )?;
        if inserted == 0 {
            return Err(VisitError::invalid(
                "start",
                format!("该基地已有每周{} {start} 开始的场次", weekday_name(weekday)),
            ));
        }
        let mut template = Template {
            id: tx.last_insert_rowid(),
            base_id: base.id.clone(),
            weekday,
            start,
            end,
            capacity,
            sessions_made: 0,
        };
        let days = OpeningDays::load(tx)?;
        let today = at.today();
        template.sessions_made = make_sessions(
            tx,
            &template,
            &days,
            today,
            add_days(today, HORIZON_DAYS),
            at,
        )?;
        store::audit(
            tx,
            actor,
            AuditAction::BaseTemplateAdded,
            &base.id,
            format!(
                "每周{} {}–{}，{} 人；生成 {} 个场次",
                weekday_name(weekday),
                template.start,
                template.end,
                capacity,
                template.sessions_made
            ),
            at,
        )?;
        Ok(template)
    })
}

pub fn weekday_name(weekday: u8) -> &'static str {
    ["一", "二", "三", "四", "五", "六", "日"]
        .get(weekday.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("")
}

/// A base's weekly templates.
pub fn templates(conn: &Connection, base_id: &str) -> Result<Vec<Template>, VisitError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, base_id, weekday, start_time, end_time, capacity,
                    (SELECT count(*) FROM base_sessions s WHERE s.template_id = t.id)
             FROM base_templates t WHERE base_id = ?1 ORDER BY weekday, start_time",
        )?
        .query_map([base_id], |row| {
            Ok(Template {
                id: row.get(0)?,
                base_id: row.get(1)?,
                weekday: row.get(2)?,
                start: row.get(3)?,
                end: row.get(4)?,
                capacity: row.get(5)?,
                sessions_made: row.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Keeps every template's sessions made up to the horizon (the daily sweep).
pub fn extend_sessions(conn: &mut Connection, at: Moment) -> Result<u32, VisitError> {
    store::write(conn, |tx| {
        let days = OpeningDays::load(tx)?;
        let today = at.today();
        let bases: Vec<String> = tx
            .prepare_cached("SELECT DISTINCT base_id FROM base_templates")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let mut added = 0;
        for base in bases {
            for template in templates(tx, &base)? {
                added += make_sessions(
                    tx,
                    &template,
                    &days,
                    today,
                    add_days(today, HORIZON_DAYS),
                    at,
                )?;
            }
        }
        Ok(added)
    })
}

/// Adds a one-off session (e.g. 庭审旁听 of a named trial with N seats).
pub fn add_session(
    conn: &mut Connection,
    actor: &Actor,
    base_id: &str,
    input: SessionInput,
    at: Moment,
) -> Result<Session, VisitError> {
    librarians_only(actor, "添加场次")?;
    let date_text = input.date.as_deref().map(str::trim).unwrap_or_default();
    if date_text.is_empty() {
        return Err(VisitError::invalid("date", "请填写场次日期"));
    }
    let date = parse_date("date", date_text)?;
    let today = at.today();
    if date < today {
        return Err(VisitError::invalid("date", format!("日期 {date} 已过")));
    }
    if date > add_days(today, 366) {
        return Err(VisitError::invalid("date", "场次最多安排在一年以内"));
    }
    let (start, end) = time_range(input.start.as_deref(), input.end.as_deref())?;
    let label = bounded_text(
        "label",
        input.label.as_deref(),
        MAX_LABEL_CHARS,
        "场次名称",
        false,
    )?;
    let sectors: Vec<String> = input
        .sectors
        .unwrap_or_default()
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if sectors.len() > 20
        || sectors
            .iter()
            .any(|s| s.chars().count() > 40 || s.contains('\n'))
    {
        return Err(VisitError::invalid(
            "sectors",
            "优先行业最多 20 个，每个不超过 40 个字符",
        ));
    }
    store::write(conn, |tx| {
        let base = base_for_librarian(tx, base_id)?;
        let capacity = seats("capacity", input.capacity, Some(base.capacity))?;
        let stamp = at.stamp();
        tx.execute(
            "INSERT INTO base_sessions (base_id, date, start_time, end_time, capacity, label,
                                        sectors, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                base.id,
                date.to_string(),
                start,
                end,
                capacity,
                label,
                sectors.join("\n"),
                stamp
            ],
        )?;
        let session = read::session(tx, tx.last_insert_rowid())?;
        store::audit(
            tx,
            actor,
            AuditAction::BaseSessionAdded,
            &base.id,
            format!("场次 {}，{} 人", session.describe(), capacity),
            at,
        )?;
        Ok(session)
    })
}

/// Whether a session is closed to new bookings or called off altogether.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    Close,
    Cancel,
}

/// Closes a session to new bookings (those held stay, pending requests naming it
/// are told) or cancels it (every group on it is cancelled and told why, with the
/// nearest sessions that still have room for it).
pub fn end_session(
    conn: &mut Connection,
    actor: &Actor,
    session_id: i64,
    how: SessionEnd,
    input: SessionReason,
    at: Moment,
) -> Result<Session, VisitError> {
    librarians_only(actor, "关闭或取消场次")?;
    let reason = bounded_text(
        "reason",
        input.reason.as_deref(),
        MAX_LABEL_CHARS * 2,
        "原因",
        true,
    )?;
    store::write(conn, |tx| {
        let session = read::session(tx, session_id)?;
        let target = match how {
            SessionEnd::Close => SessionStatus::Closed,
            SessionEnd::Cancel => SessionStatus::Cancelled,
        };
        let allowed = match how {
            SessionEnd::Close => session.status == SessionStatus::Open,
            SessionEnd::Cancel => session.status != SessionStatus::Cancelled,
        };
        if !allowed {
            return Err(VisitError::invalid(
                "status",
                format!("场次 {} 已{}", session.describe(), session.status.label()),
            ));
        }
        if how == SessionEnd::Cancel && parse_date("date", &session.date)? < at.today() {
            return Err(VisitError::invalid("date", "已过去的场次不能取消"));
        }
        tx.execute(
            "UPDATE base_sessions SET status = ?2, reason = ?3, updated_at = ?4 WHERE id = ?1",
            params![session_id, target.as_str(), reason, at.stamp()],
        )?;
        let base = base_for_librarian(tx, &session.base_id)?;
        tell_groups(tx, &base, &session, how, &reason, at)?;
        store::audit(
            tx,
            actor,
            match how {
                SessionEnd::Close => AuditAction::BaseSessionClosed,
                SessionEnd::Cancel => AuditAction::BaseSessionCancelled,
            },
            &base.id,
            format!("场次 {}：{reason}", session.describe()),
            at,
        )?;
        read::session(tx, session_id)
    })
}

/// Tells the groups a closed or cancelled session touches, with the nearest sessions
/// that still have room for each: requests naming it keep waiting; groups seated on
/// a cancelled session are cancelled with it.
fn tell_groups(
    tx: &Connection,
    base: &Base,
    session: &Session,
    how: SessionEnd,
    reason: &str,
    at: Moment,
) -> Result<(), VisitError> {
    let session_id = session.id;
    let what = match how {
        SessionEnd::Close => "停止预约",
        SessionEnd::Cancel => "取消",
    };
    // Held groups lose their seats only when the session is called off.
    let affected: Vec<(i64, String, u32, String)> = tx
        .prepare_cached(
            "SELECT id, unit_code, headcount, status FROM visits
             WHERE (session_id = ?1 AND status IN ('scheduled', 'confirmed') AND ?2)
                OR (status = 'requested'
                    AND id IN (SELECT visit_id FROM visit_preferences WHERE session_id = ?1))
             ORDER BY id",
        )?
        .query_map(params![session_id, how == SessionEnd::Cancel], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (visit, unit, headcount, status) in affected {
        let rooms = nearest_with_room(tx, base, session, headcount, at)?;
        let offer = if rooms.is_empty() {
            "该基地近期暂无可容纳本单位参观团的场次，请联系工委协调。".to_owned()
        } else {
            format!(
                "尚有空位的相近场次：{}。如需改期请重新提交参观申请。",
                rooms
                    .iter()
                    .map(Session::describe)
                    .collect::<Vec<_>>()
                    .join("；")
            )
        };
        if status == "requested" {
            notify(
                tx,
                &unit,
                visit,
                VisitNotice::Cancelled,
                &format!(
                    "您申请的{}场次 {} 已{what}（{reason}）。申请仍在等待安排。{offer}",
                    super::marked(&base.title),
                    session.describe()
                ),
                None,
                at,
            )?;
            continue;
        }
        tx.execute(
            "UPDATE visits SET status = 'cancelled', session_id = NULL, held_date = NULL,
                    reason = ?2, revision = revision + 1, updated_at = ?3
             WHERE id = ?1",
            params![
                visit,
                format!("场次 {} 已取消：{reason}", session.describe()),
                at.stamp()
            ],
        )?;
        notify(
            tx,
            &unit,
            visit,
            VisitNotice::Cancelled,
            &format!(
                "{}场次 {} 已取消（{reason}），本单位的参观随之取消。{offer}",
                super::marked(&base.title),
                session.describe()
            ),
            None,
            at,
        )?;
    }
    Ok(())
}

/// Up to three open sessions of the base, nearest in date to `around`, from the
/// earliest day the lead time allows, with room for `headcount`.
pub(crate) fn nearest_with_room(
    conn: &Connection,
    base: &Base,
    around: &Session,
    headcount: u32,
    at: Moment,
) -> Result<Vec<Session>, VisitError> {
    let earliest = earliest_visit_day(&OpeningDays::load(conn)?, at.today(), base.lead_days);
    let from = earliest.to_string();
    let to = add_days(earliest, 366).to_string();
    let mut rooms: Vec<Session> = read::sessions(conn, &base.id, &from, &to)?
        .into_iter()
        .filter(|s| s.id != around.id && s.status == SessionStatus::Open && s.free() >= headcount)
        .collect();
    let center = parse_date("date", &around.date)?;
    rooms.sort_by_key(|s| {
        let day = parse_date("date", &s.date).unwrap_or(center);
        (
            (day_number(day) - day_number(center)).abs(),
            s.date.clone(),
            s.start.clone(),
        )
    });
    rooms.truncate(3);
    Ok(rooms)
}

/// The first day a visit may take place when asked for today: `lead` working days
/// later (the library's open days), or today itself without a lead time.
pub fn earliest_visit_day(days: &OpeningDays, today: Date, lead: u32) -> Date {
    let mut day = today;
    let mut counted = 0;
    while counted < lead {
        day = add_days(day, 1);
        if days.is_open(day) {
            counted += 1;
        }
        if day > add_days(today, 400) {
            break;
        }
    }
    day
}
