//! A unit asks for a visit: up to three sessions of one base in order of preference,
//! the group's size, its liaison and purpose, and whether it may share a session.

use rusqlite::{Connection, params};
use serde::Deserialize;

use super::VisitError;
use super::model::{SessionStatus, Visit};
use super::read::{self, Base};
use super::sessions::{bounded_text, earliest_visit_day};
use super::store;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::clock::Moment;
use crate::loans::days::{OpeningDays, parse_date};

/// Sessions one request may name.
pub const MAX_PREFERENCES: usize = 3;

/// `POST /api/v1/visits`. Every field is optional here so that a missing one is
/// answered in words rather than with a parser message.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct VisitRequest {
    pub base_id: Option<String>,
    /// Up to three session ids, preferred first.
    pub session_ids: Option<Vec<i64>>,
    pub headcount: Option<i64>,
    pub liaison_name: Option<String>,
    pub liaison_phone: Option<String>,
    pub purpose: Option<String>,
    /// The group may share its session with other units (联合参观).
    pub share: Option<bool>,
    /// The unit asked for; librarians filing a request for a unit must name it.
    pub unit: Option<String>,
}

fn requesting_unit(actor: &Actor, named: Option<&str>) -> Result<String, VisitError> {
    match (&actor.unit, named.map(str::trim)) {
        (_, Some(named)) if actor.librarian && !named.is_empty() => Ok(named.to_owned()),
        (Some(own), None) => Ok(own.clone()),
        (Some(own), Some(named)) if named == own || named.is_empty() => Ok(own.clone()),
        (Some(_), Some(_)) => Err(VisitError::OtherUnit),
        (None, _) if actor.librarian => {
            Err(VisitError::invalid("unit", "请填写为哪个单位预约（unit）"))
        }
        (None, _) => Err(VisitError::NoUnit),
    }
}

pub(crate) fn check_unit_active(conn: &Connection, unit: &str) -> Result<(), VisitError> {
    match crate::accounts::units::name_and_state(conn, unit)? {
        Some((_, true)) => Ok(()),
        Some((name, false)) => Err(VisitError::UnitInactive(name)),
        None => Err(VisitError::invalid(
            "unit",
            format!("没有代码为“{unit}”的单位"),
        )),
    }
}

/// The group's size, checked against the base.
pub(crate) fn checked_headcount(base: &Base, headcount: Option<i64>) -> Result<u32, VisitError> {
    match headcount {
        None => Err(VisitError::invalid("headcount", "请填写参观人数")),
        Some(n) if n < 1 => Err(VisitError::invalid("headcount", "参观人数至少为 1 人")),
        Some(n) if n > base.max_group as i64 => Err(VisitError::invalid(
            "headcount",
            format!(
                "{}每批最多接待 {} 人，本次申请 {n} 人；人数较多请分批预约",
                super::marked(&base.title),
                base.max_group
            ),
        )),
        Some(n) => Ok(n as u32),
    }
}

/// One to three distinct sessions, preferred first.
fn preference_list(session_ids: Option<Vec<i64>>) -> Result<Vec<i64>, VisitError> {
    let session_ids = session_ids.unwrap_or_default();
    if session_ids.is_empty() {
        return Err(VisitError::invalid("session_ids", "请至少选择一个场次"));
    }
    if session_ids.len() > MAX_PREFERENCES {
        return Err(VisitError::invalid(
            "session_ids",
            format!("最多按意向顺序选择 {MAX_PREFERENCES} 个场次"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if !session_ids.iter().all(|id| seen.insert(*id)) {
        return Err(VisitError::invalid("session_ids", "同一场次不能选两次"));
    }
    Ok(session_ids)
}

/// Files a visit request for the actor's unit (or, for a librarian, the unit named).
pub fn request(
    conn: &mut Connection,
    actor: &Actor,
    input: VisitRequest,
    at: Moment,
) -> Result<Visit, VisitError> {
    let unit = requesting_unit(actor, input.unit.as_deref())?;
    let base_id = bounded_text(
        "base_id",
        input.base_id.as_deref(),
        80,
        "要参观的基地",
        true,
    )?;
    let session_ids = preference_list(input.session_ids.clone())?;
    let liaison_name = bounded_text(
        "liaison_name",
        input.liaison_name.as_deref(),
        40,
        "联络员姓名",
        true,
    )?;
    let phone = bounded_text(
        "liaison_phone",
        input.liaison_phone.as_deref(),
        40,
        "联络员手机号",
        true,
    )?;
    let liaison_phone = crate::accounts::contact::normalize_phone("liaison_phone", &phone)
        .map_err(|err| VisitError::invalid("liaison_phone", err.to_string()))?;
    let purpose = bounded_text(
        "purpose",
        input.purpose.as_deref(),
        200,
        "参观目的（如 党风廉政警示教育）",
        true,
    )?;
    store::write(conn, |tx| {
        let base = read::visible_base(tx, actor, &base_id)?;
        if !base.published {
            return Err(VisitError::invalid("base_id", "该基地尚未发布，不能预约"));
        }
        check_unit_active(tx, &unit)?;
        let headcount = checked_headcount(&base, input.headcount)?;
        let earliest = earliest_visit_day(&OpeningDays::load(tx)?, at.today(), base.lead_days);
        check_preferences(tx, &base, &session_ids, headcount, earliest)?;
        let stamp = at.stamp();
        tx.execute(
            "INSERT INTO visits (base_id, unit_code, requested_by, requested_by_name, headcount,
                                 liaison_name, liaison_phone, purpose, share, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            params![
                base.id,
                unit,
                actor.user_id,
                actor.username,
                headcount,
                liaison_name,
                liaison_phone,
                purpose,
                input.share.unwrap_or(false),
                stamp
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (rank, session) in session_ids.iter().enumerate() {
            tx.execute(
                "INSERT INTO visit_preferences (visit_id, rank, session_id) VALUES (?1, ?2, ?3)",
                params![id, rank as i64 + 1, session],
            )?;
        }
        store::audit(
            tx,
            actor,
            AuditAction::VisitRequested,
            &base.id,
            format!("参观 {id}（{unit}）：{headcount} 人，意向场次 {session_ids:?}"),
            at,
        )?;
        read::full(tx, id)
    })
}

/// Every session named is the base's, open, far enough ahead and big enough.
fn check_preferences(
    tx: &Connection,
    base: &Base,
    session_ids: &[i64],
    headcount: u32,
    earliest: jiff::civil::Date,
) -> Result<(), VisitError> {
    for id in session_ids {
        let session = read::session(tx, *id)?;
        if session.base_id != base.id {
            return Err(VisitError::invalid(
                "session_ids",
                format!("场次 {id} 不属于{}", super::marked(&base.title)),
            ));
        }
        if session.status != SessionStatus::Open {
            return Err(VisitError::SessionNotOpen {
                date: session.date,
                start: session.start,
                status: session.status,
            });
        }
        if parse_date("date", &session.date)? < earliest {
            return Err(VisitError::invalid(
                "session_ids",
                format!(
                    "{}需提前 {} 个工作日预约，场次 {} 太近；最早可预约 {earliest} 的场次",
                    super::marked(&base.title),
                    base.lead_days,
                    session.describe()
                ),
            ));
        }
        if headcount > session.capacity {
            return Err(VisitError::invalid(
                "headcount",
                format!(
                    "场次 {} 共 {} 个座位，容纳不下 {headcount} 人",
                    session.describe(),
                    session.capacity
                ),
            ));
        }
    }
    Ok(())
}
