//! "Propose a schedule" (一键排期) over the database: the pending requests of a base
//! and its open sessions in a date range are handed to [`super::propose`], and the
//! librarian's (possibly edited) proposal is applied in one transaction. The token
//! names the revision of every request the proposal saw, so a request changed by
//! someone else since is refused, not overwritten.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::VisitError;
use super::model::{SessionStatus, Visit};
use super::propose::{self, Assignment, Holding, Pending, SessionSlot};
use super::read::{self, Base};
use super::sessions::{earliest_visit_day, librarians_only};
use super::steps;
use super::store;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::clock::Moment;
use crate::loans::days::{OpeningDays, add_days, length_days, parse_date};

/// `POST /api/v1/bases/{id}/proposal` answers this.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub assignments: Vec<ProposedSeat>,
    /// Requests the proposal could not seat.
    pub unassigned: Vec<i64>,
    /// Hand back with the assignments to apply them.
    pub token: String,
}

/// One line of a proposal: a request on a session, with the seats it gets (fewer
/// than its headcount only on a trial's public seats).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProposedSeat {
    pub visit_id: i64,
    pub session_id: i64,
    #[serde(default)]
    pub seats: Option<u32>,
}

/// `POST /api/v1/bases/{id}/proposal/apply`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ApplyInput {
    pub assignments: Option<Vec<ProposedSeat>>,
    pub token: Option<String>,
}

/// What applying did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Applied {
    pub scheduled: Vec<Visit>,
}

/// The most lines one proposal applies.
pub const MAX_LINES: usize = 2000;

fn range(from: Option<&str>, to: Option<&str>, at: Moment) -> Result<(String, String), VisitError> {
    let today = at.today();
    let from = match from.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date("from", text)?,
        None => today,
    };
    let to = match to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => parse_date("to", text)?,
        None => add_days(from, 6),
    };
    if to < from {
        return Err(VisitError::invalid("to", "结束日期不能早于开始日期"));
    }
    if length_days(from, to) > 366 {
        return Err(VisitError::invalid("to", "一次最多为一年的场次排期"));
    }
    Ok((from.to_string(), to.to_string()))
}

/// Proposes seats for the base's pending requests whose preferred sessions fall
/// from `from` to `to` (a week from today when absent). Changes nothing.
pub fn make(
    conn: &Connection,
    actor: &Actor,
    base_id: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: Moment,
) -> Result<ProposalView, VisitError> {
    librarians_only(actor, "一键排期")?;
    let base = read::base(conn, base_id.trim())?
        .ok_or_else(|| VisitError::BaseNotFound(base_id.trim().to_owned()))?;
    let (from, to) = range(from, to, at)?;
    let earliest = earliest_visit_day(&OpeningDays::load(conn)?, at.today(), base.lead_days);
    let slots = session_slots(conn, &base, &from, &to)?;
    let (pending, revisions) = pending_requests(conn, &base, &from, &to, earliest, at)?;
    let proposal = propose::propose(&slots, &pending);
    Ok(ProposalView {
        assignments: proposal
            .assignments
            .iter()
            .map(
                |Assignment {
                     visit_id,
                     session_id,
                     seats,
                 }| ProposedSeat {
                    visit_id: *visit_id,
                    session_id: *session_id,
                    seats: Some(*seats),
                },
            )
            .collect(),
        unassigned: proposal.unassigned,
        token: token_of(&revisions),
    })
}

fn session_slots(
    conn: &Connection,
    base: &Base,
    from: &str,
    to: &str,
) -> Result<Vec<SessionSlot>, VisitError> {
    let mut slots = Vec::new();
    for session in read::sessions(conn, &base.id, from, to)? {
        if session.status != SessionStatus::Open {
            continue;
        }
        let held: Vec<Holding> = conn
            .prepare_cached(
                "SELECT unit_code, headcount, share FROM visits
                 WHERE session_id = ?1 AND status IN ('scheduled', 'confirmed', 'attended')",
            )?
            .query_map([session.id], |row| {
                Ok(Holding {
                    unit: row.get(0)?,
                    headcount: row.get(1)?,
                    share: row.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        slots.push(SessionSlot {
            id: session.id,
            date: parse_date("date", &session.date)?,
            capacity: session.capacity,
            held,
            trial: session.is_trial(),
            sectors: session.sectors.clone(),
        });
    }
    Ok(slots)
}

type Revisions = Vec<(i64, i64)>;

fn pending_requests(
    conn: &Connection,
    base: &Base,
    from: &str,
    to: &str,
    earliest: jiff::civil::Date,
    at: Moment,
) -> Result<(Vec<Pending>, Revisions), VisitError> {
    let year_start = format!("{}-01-01", at.today().year());
    let rows: Vec<(Pending, i64)> = conn
        .prepare_cached(
            "SELECT v.id, v.unit_code, coalesce(u.sector, ''), v.headcount, v.share, v.created_at,
                    v.revision,
                    (SELECT count(*) FROM visits o WHERE o.unit_code = v.unit_code
                       AND o.status IN ('scheduled', 'confirmed', 'attended')
                       AND o.held_date >= ?4)
             FROM visits v LEFT JOIN units u ON u.code = v.unit_code
             WHERE v.base_id = ?1 AND v.status = 'requested'
               AND EXISTS (SELECT 1 FROM visit_preferences p JOIN base_sessions s ON s.id = p.session_id
                           WHERE p.visit_id = v.id AND s.date BETWEEN ?2 AND ?3)
             ORDER BY v.id",
        )?
        .query_map(params![base.id, from, to, year_start], |row| {
            Ok((
                Pending {
                    visit_id: row.get(0)?,
                    unit: row.get(1)?,
                    sector: row.get(2)?,
                    headcount: row.get(3)?,
                    share: row.get(4)?,
                    requested_at: row.get(5)?,
                    visits_this_year: row.get(7)?,
                    preferences: Vec::new(),
                    earliest,
                    busy_days: Vec::new(),
                },
                row.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut pending = Vec::with_capacity(rows.len());
    let mut revisions = Vec::with_capacity(rows.len());
    for (mut request, revision) in rows {
        request.preferences = conn
            .prepare_cached(
                "SELECT session_id FROM visit_preferences WHERE visit_id = ?1 ORDER BY rank",
            )?
            .query_map([request.visit_id], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        request.busy_days = conn
            .prepare_cached(
                "SELECT held_date FROM visits WHERE unit_code = ?1 AND held_date BETWEEN ?2 AND ?3",
            )?
            .query_map(params![request.unit, from, to], |row| {
                row.get::<_, String>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .map(|day| parse_date("date", day))
            .collect::<Result<Vec<_>, _>>()?;
        revisions.push((request.visit_id, revision));
        pending.push(request);
    }
    Ok((pending, revisions))
}

/// `12.0-13.2`: each request the proposal saw, with its revision.
fn token_of(revisions: &Revisions) -> String {
    revisions
        .iter()
        .map(|(id, revision)| format!("{id}.{revision}"))
        .collect::<Vec<_>>()
        .join("-")
}

fn parse_token(token: &str) -> Result<HashMap<i64, i64>, VisitError> {
    let bad = || VisitError::invalid("token", "排期方案的凭据无效，请重新生成方案");
    if token.len() > 64 * MAX_LINES {
        return Err(bad());
    }
    token
        .split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (id, revision) = part.split_once('.').ok_or_else(bad)?;
            Ok((
                id.parse().map_err(|_| bad())?,
                revision.parse().map_err(|_| bad())?,
            ))
        })
        .collect()
}

/// Applies a proposal as the librarian left it: every line is scheduled with the
/// usual checks (seats, sharing, one visit a unit a day, lead time), all or none.
pub fn apply(
    conn: &mut Connection,
    actor: &Actor,
    base_id: &str,
    input: ApplyInput,
    at: Moment,
) -> Result<Applied, VisitError> {
    librarians_only(actor, "一键排期")?;
    let token = input
        .token
        .as_deref()
        .ok_or_else(|| VisitError::invalid("token", "缺少排期方案的凭据，请重新生成方案"))?;
    let seen = parse_token(token)?;
    let lines = input.assignments.unwrap_or_default();
    if lines.is_empty() {
        return Err(VisitError::invalid("assignments", "方案中没有要安排的申请"));
    }
    if lines.len() > MAX_LINES {
        return Err(VisitError::invalid(
            "assignments",
            format!("一次最多安排 {MAX_LINES} 个申请"),
        ));
    }
    store::write(conn, |tx| {
        let base = read::base(tx, base_id.trim())?
            .ok_or_else(|| VisitError::BaseNotFound(base_id.trim().to_owned()))?;
        let mut scheduled = Vec::with_capacity(lines.len());
        for line in &lines {
            let visit = read::row(tx, line.visit_id)?;
            if visit.base_id != base.id {
                return Err(VisitError::invalid(
                    "assignments",
                    format!(
                        "参观申请 {} 不是{}的申请",
                        visit.id,
                        super::marked(&base.title)
                    ),
                ));
            }
            match seen.get(&visit.id) {
                Some(revision) if *revision == visit.revision => {}
                _ => return Err(VisitError::StaleProposal(visit.id)),
            }
            if visit.status != super::VisitStatus::Requested {
                return Err(VisitError::StaleProposal(visit.id));
            }
            steps::schedule(tx, actor, &visit, &base, line.session_id, line.seats, at)?;
            scheduled.push(visit.id);
        }
        store::audit(
            tx,
            actor,
            AuditAction::VisitProposalApplied,
            &base.id,
            format!("一键排期：安排 {} 个申请（{scheduled:?}）", scheduled.len()),
            at,
        )?;
        Ok(Applied {
            scheduled: scheduled
                .into_iter()
                .map(|id| read::full(tx, id))
                .collect::<Result<_, _>>()?,
        })
    })
}
