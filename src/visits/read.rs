//! Reading bases, sessions and visits.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::VisitError;
use super::model::{Preference, Session, SessionStatus, Visit, VisitStatus};
use crate::actor::Actor;

/// What the visits need to know of a base.
#[derive(Debug, Clone)]
pub struct Base {
    pub id: String,
    pub title: String,
    pub published: bool,
    pub address: String,
    pub capacity: u32,
    pub lead_days: u32,
    pub max_group: u32,
    pub needs_visitor_list: bool,
    pub contact_name: String,
    pub contact_phone: String,
    pub requirements: String,
    pub directions: String,
}

/// The base `id`, if it is one (drafts included: librarians prepare sessions first).
pub fn base(conn: &Connection, id: &str) -> Result<Option<Base>, VisitError> {
    Ok(conn
        .prepare_cached(
            "SELECT r.id, r.title, r.status = 'published', d.address, d.capacity, d.lead_days,
                    d.max_group, d.needs_visitor_list, d.contact_name, d.contact_phone,
                    d.requirements, d.directions
             FROM resources r JOIN base_details d ON d.resource_id = r.id
             WHERE r.id = ?1 AND r.kind = 'base'",
        )?
        .query_row([id], |row| {
            Ok(Base {
                id: row.get(0)?,
                title: row.get(1)?,
                published: row.get(2)?,
                address: row.get(3)?,
                capacity: row.get(4)?,
                lead_days: row.get(5)?,
                max_group: row.get(6)?,
                needs_visitor_list: row.get(7)?,
                contact_name: row.get(8)?,
                contact_phone: row.get(9)?,
                requirements: row.get(10)?,
                directions: row.get(11)?,
            })
        })
        .optional()?)
}

/// The base `id` as `actor` may see it: borrowers only published ones.
pub(crate) fn visible_base(conn: &Connection, actor: &Actor, id: &str) -> Result<Base, VisitError> {
    match base(conn, id.trim())? {
        Some(base) if base.published || actor.librarian => Ok(base),
        _ => Err(VisitError::BaseNotFound(id.trim().to_owned())),
    }
}

/// Published bases, by title (the booking form's choice).
pub fn published_bases(conn: &Connection) -> Result<Vec<Base>, VisitError> {
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT r.id FROM resources r JOIN base_details d ON d.resource_id = r.id
             WHERE r.kind = 'base' AND r.status = 'published' ORDER BY r.title, r.id",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut bases = Vec::with_capacity(ids.len());
    for id in ids {
        bases.extend(base(conn, &id)?);
    }
    Ok(bases)
}

const SESSION_COLUMNS: &str = "s.id, s.base_id, s.date, s.start_time, s.end_time, s.capacity,
    (SELECT coalesce(sum(v.headcount), 0) FROM visits v
      WHERE v.session_id = s.id AND v.status IN ('scheduled', 'confirmed', 'attended')),
    s.status, s.label, s.sectors, s.reason, s.template_id IS NOT NULL";

fn session_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    let status: String = row.get(7)?;
    let sectors: String = row.get(9)?;
    Ok(Session {
        id: row.get(0)?,
        base_id: row.get(1)?,
        date: row.get(2)?,
        start: row.get(3)?,
        end: row.get(4)?,
        capacity: row.get(5)?,
        booked: row.get(6)?,
        status: SessionStatus::from_db(&status),
        label: row.get(8)?,
        sectors: sectors
            .lines()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        reason: row.get(10)?,
        from_template: row.get(11)?,
    })
}

/// One session.
pub fn session(conn: &Connection, id: i64) -> Result<Session, VisitError> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM base_sessions s WHERE s.id = ?1"
    ))?
    .query_row([id], session_from)
    .optional()?
    .ok_or(VisitError::SessionNotFound(id))
}

/// A base's sessions from `from` to `to` (dates inclusive), by date and time.
pub fn sessions(
    conn: &Connection,
    base_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<Session>, VisitError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM base_sessions s
             WHERE s.base_id = ?1 AND s.date BETWEEN ?2 AND ?3
             ORDER BY s.date, s.start_time, s.id LIMIT 2000"
        ))?
        .query_map(params![base_id, from, to], session_from)?
        .collect::<Result<_, _>>()?)
}

/// A visit as stored, for the steps' decisions.
#[derive(Debug, Clone)]
pub(crate) struct VisitRow {
    pub id: i64,
    pub base_id: String,
    pub unit: String,
    pub status: VisitStatus,
    pub headcount: u32,
    pub share: bool,
    pub session_id: Option<i64>,
    /// Raised by every change (a proposal names the revision it saw).
    pub revision: i64,
}

pub(crate) fn row(conn: &Connection, id: i64) -> Result<VisitRow, VisitError> {
    conn.prepare_cached(
        "SELECT id, base_id, unit_code, status, headcount, share, session_id, revision
         FROM visits WHERE id = ?1",
    )?
    .query_row([id], |row| {
        let status: String = row.get(3)?;
        Ok(VisitRow {
            id: row.get(0)?,
            base_id: row.get(1)?,
            unit: row.get(2)?,
            status: VisitStatus::parse(&status).unwrap_or(VisitStatus::Requested),
            headcount: row.get(4)?,
            share: row.get(5)?,
            session_id: row.get(6)?,
            revision: row.get(7)?,
        })
    })
    .optional()?
    .ok_or(VisitError::NotFound(id))
}

/// The visit `id` if `actor` may see it (librarians all, borrowers their unit's).
pub fn get(conn: &Connection, actor: &Actor, id: i64) -> Result<Visit, VisitError> {
    let found = row(conn, id)?;
    if !actor.sees_unit(&found.unit) {
        // Another unit's visit is as good as absent.
        return Err(VisitError::NotFound(id));
    }
    full(conn, id)
}

/// Every field of a visit, for someone allowed to see it.
pub(crate) fn full(conn: &Connection, id: i64) -> Result<Visit, VisitError> {
    let (mut visit, session_id) = conn
        .prepare_cached(
            "SELECT v.id, v.base_id, r.title, v.unit_code, coalesce(u.name, v.unit_code), v.status,
                    v.headcount, v.liaison_name, v.liaison_phone, v.purpose, v.share, v.session_id,
                    v.reason, v.attended, v.reflections, coalesce(d.needs_visitor_list, 0),
                    (SELECT count(*) FROM visitors p WHERE p.visit_id = v.id),
                    v.requested_by_name, v.created_at, v.updated_at, v.revision
             FROM visits v JOIN resources r ON r.id = v.base_id
                  LEFT JOIN units u ON u.code = v.unit_code
                  LEFT JOIN base_details d ON d.resource_id = v.base_id
             WHERE v.id = ?1",
        )?
        .query_row([id], |row| {
            let status: String = row.get(5)?;
            let status = VisitStatus::parse(&status).unwrap_or(VisitStatus::Requested);
            let session_id: Option<i64> = row.get(11)?;
            Ok((
                Visit {
                    id: row.get(0)?,
                    base_id: row.get(1)?,
                    base_title: row.get(2)?,
                    unit: row.get(3)?,
                    unit_name: row.get(4)?,
                    status,
                    status_label: status.label(),
                    headcount: row.get(6)?,
                    liaison_name: row.get(7)?,
                    liaison_phone: row.get(8)?,
                    purpose: row.get(9)?,
                    share: row.get(10)?,
                    session: None,
                    preferences: Vec::new(),
                    reason: row.get(12)?,
                    attended: row.get(13)?,
                    reflections: row.get(14)?,
                    needs_visitor_list: row.get(15)?,
                    visitors: row.get(16)?,
                    requested_by_name: row.get(17)?,
                    created_at: row.get(18)?,
                    updated_at: row.get(19)?,
                    revision: row.get(20)?,
                },
                session_id,
            ))
        })
        .optional()?
        .ok_or(VisitError::NotFound(id))?;
    if let Some(session_id) = session_id {
        visit.session = Some(session(conn, session_id)?);
    }
    let ranked: Vec<(u32, i64)> = conn
        .prepare_cached(
            "SELECT rank, session_id FROM visit_preferences WHERE visit_id = ?1 ORDER BY rank",
        )?
        .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (rank, session_id) in ranked {
        visit.preferences.push(Preference {
            rank,
            session: session(conn, session_id)?,
        });
    }
    Ok(visit)
}

/// `GET /api/v1/visits?status=&unit=&base=`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct VisitFilter {
    /// One of the visit states.
    pub status: Option<String>,
    /// A unit's code (librarians; borrowers see their own unit only).
    pub unit: Option<String>,
    /// A base's id.
    pub base: Option<String>,
}

/// The most visits one list answers.
pub const MAX_LISTED: u32 = 500;

/// Visits `actor` may see matching `filter`, newest first.
pub fn list(
    conn: &Connection,
    actor: &Actor,
    filter: &VisitFilter,
) -> Result<Vec<Visit>, VisitError> {
    let status = match filter.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(value) => Some(
            VisitStatus::parse(value)
                .ok_or_else(|| {
                    VisitError::invalid(
                        "status",
                        format!("“{value}”不是参观的状态；应为 requested、scheduled、confirmed、attended、no_show、cancelled 或 rejected"),
                    )
                })?
                .as_str(),
        ),
    };
    let unit = match (&actor.unit, filter.unit.as_deref().map(str::trim)) {
        _ if actor.librarian => filter.unit.clone().filter(|u| !u.trim().is_empty()),
        (Some(own), None) => Some(own.clone()),
        (Some(own), Some(named)) if named == own || named.is_empty() => Some(own.clone()),
        (Some(_), Some(_)) => return Err(VisitError::OtherUnit),
        (None, _) => return Err(VisitError::NoUnit),
    };
    let base = filter.base.clone().filter(|b| !b.trim().is_empty());
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM visits
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR unit_code = ?2)
               AND (?3 IS NULL OR base_id = ?3)
             ORDER BY id DESC LIMIT ?4",
        )?
        .query_map(params![status, unit, base, MAX_LISTED], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter().map(|id| full(conn, id)).collect()
}

/// `GET /api/v1/bases/{id}/sessions?from=&to=`: dates inclusive; from today for
/// eight weeks when absent, at most a year at once.
pub fn list_sessions(
    conn: &Connection,
    actor: &Actor,
    base_id: &str,
    from: Option<&str>,
    to: Option<&str>,
    today: jiff::civil::Date,
) -> Result<Vec<Session>, VisitError> {
    use crate::loans::days::{add_days, length_days, parse_date};
    let base = visible_base(conn, actor, base_id)?;
    let from = match from.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date("from", text)?,
        None => today,
    };
    let to = match to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date("to", text)?,
        None => add_days(from, 55),
    };
    if to < from {
        return Err(VisitError::invalid("to", "结束日期不能早于开始日期"));
    }
    if length_days(from, to) > 366 {
        return Err(VisitError::invalid("to", "一次最多查询一年的场次"));
    }
    sessions(conn, &base.id, &from.to_string(), &to.to_string())
}

/// The units with a visit on a day of `from..=to` that was not cancelled or refused:
/// the day of the session it holds, or for a request not yet scheduled the day of
/// any session it asks for.
pub fn units_visiting_between(
    conn: &Connection,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> Result<std::collections::HashSet<String>, VisitError> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.unit_code FROM visits v JOIN base_sessions s ON s.id = v.session_id
         WHERE v.status NOT IN ('cancelled', 'rejected') AND s.date BETWEEN ?1 AND ?2
         UNION
         SELECT v.unit_code FROM visits v JOIN visit_preferences p ON p.visit_id = v.id
              JOIN base_sessions s ON s.id = p.session_id
         WHERE v.status = 'requested' AND s.date BETWEEN ?1 AND ?2",
    )?;
    let units = stmt
        .query_map(params![from.to_string(), to.to_string()], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(units)
}
