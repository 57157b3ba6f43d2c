//! The list of a group's visitors, where a base needs names and ID numbers (prisons
//! and courts do): entered as a list or uploaded as CSV/XLSX, each ID number checked,
//! shown masked everywhere but in the coordinator's export for the base (audited),
//! and the numbers deleted some days after the visit (`sweep`). No other part of the
//! product stores ID numbers.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::VisitError;
use super::id_number::{self, RowProblem, Visitor};
use super::model::VisitStatus;
use super::read;
use super::store;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::clock::Moment;

/// Where a list comes from.
#[derive(Debug, Clone)]
pub enum VisitorSource {
    /// Name and ID number pairs, typed in a form or sent as JSON.
    Typed(Vec<(String, String)>),
    /// An uploaded CSV or XLSX file.
    Sheet { file_name: String, bytes: Vec<u8> },
}

/// A visitor as shown: the ID number masked (`530102********1234`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListedVisitor {
    pub position: u32,
    pub name: String,
    /// Masked; `null` once deleted after the visit.
    pub id_number: Option<String>,
}

/// `PUT /api/v1/visits/{id}/visitors` answers this.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitorList {
    pub visit_id: i64,
    pub visitors: Vec<ListedVisitor>,
    /// When the ID numbers were deleted after the visit.
    pub deleted_at: Option<String>,
}

/// A list refused: every bad row with its number and why.
#[derive(Debug, Clone)]
pub struct ListRefused(pub Vec<RowProblem>);

impl ListRefused {
    /// The rows' problems in words, one a line.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .take(50)
            .map(|p| format!("第 {} 行：{}", p.row, p.message))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn refused(problems: Vec<RowProblem>) -> VisitError {
    VisitError::invalid(
        "visitors",
        format!("名单有误，未保存：\n{}", ListRefused(problems).describe()),
    )
}

/// Replaces the visit's list (all or nothing): the visit's own unit or a librarian,
/// before the visit, for a base that needs one, at most the group's headcount.
pub fn set_visitors(
    conn: &mut Connection,
    actor: &Actor,
    visit_id: i64,
    source: VisitorSource,
    at: Moment,
) -> Result<VisitorList, VisitError> {
    let visitors: Vec<Visitor> = match source {
        VisitorSource::Typed(pairs) => id_number::check_visitors(pairs).map_err(refused)?,
        VisitorSource::Sheet { file_name, bytes } => {
            id_number::read_visitors_sheet(&file_name, &bytes).map_err(refused)?
        }
    };
    store::write(conn, |tx| {
        let visit = read::row(tx, visit_id)?;
        if !actor.sees_unit(&visit.unit) {
            return Err(VisitError::NotFound(visit_id));
        }
        let base = read::base(tx, &visit.base_id)?
            .ok_or_else(|| VisitError::BaseNotFound(visit.base_id.clone()))?;
        if !base.needs_visitor_list {
            return Err(VisitError::invalid(
                "visitors",
                format!(
                    "{}不需要参观人员名单，无需填写身份证号",
                    super::marked(&base.title)
                ),
            ));
        }
        if !matches!(
            visit.status,
            VisitStatus::Requested | VisitStatus::Scheduled | VisitStatus::Confirmed
        ) {
            return Err(VisitError::invalid(
                "visitors",
                format!("参观已{}，名单不能再修改", visit.status.label()),
            ));
        }
        if visitors.len() as u32 > visit.headcount {
            return Err(VisitError::invalid(
                "visitors",
                format!(
                    "名单有 {} 人，超过本次参观的 {} 人",
                    visitors.len(),
                    visit.headcount
                ),
            ));
        }
        tx.execute("DELETE FROM visitors WHERE visit_id = ?1", [visit_id])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO visitors (visit_id, position, name, id_number) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (position, visitor) in visitors.iter().enumerate() {
            insert.execute(params![
                visit_id,
                position as i64 + 1,
                visitor.name,
                visitor.id_number
            ])?;
        }
        tx.execute(
            "UPDATE visits SET revision = revision + 1, updated_at = ?2, visitors_purged_at = NULL
             WHERE id = ?1",
            params![visit_id, at.stamp()],
        )?;
        // The audit row counts people; it never holds an ID number.
        store::audit(
            tx,
            actor,
            AuditAction::VisitorListSet,
            &base.id,
            format!(
                "参观 {visit_id}（{}）：名单 {} 人",
                visit.unit,
                visitors.len()
            ),
            at,
        )?;
        listed(tx, visit_id)
    })
}

/// The visit's list, ID numbers masked.
pub fn visitors(
    conn: &Connection,
    actor: &Actor,
    visit_id: i64,
) -> Result<VisitorList, VisitError> {
    let visit = read::row(conn, visit_id)?;
    if !actor.sees_unit(&visit.unit) {
        return Err(VisitError::NotFound(visit_id));
    }
    listed(conn, visit_id)
}

fn listed(conn: &Connection, visit_id: i64) -> Result<VisitorList, VisitError> {
    let visitors = conn
        .prepare_cached(
            "SELECT position, name, id_number FROM visitors WHERE visit_id = ?1 ORDER BY position",
        )?
        .query_map([visit_id], |row| {
            let number: Option<String> = row.get(2)?;
            Ok(ListedVisitor {
                position: row.get(0)?,
                name: row.get(1)?,
                id_number: number.as_deref().map(id_number::mask),
            })
        })?
        .collect::<Result<_, _>>()?;
    let deleted_at = conn
        .query_row(
            "SELECT visitors_purged_at FROM visits WHERE id = ?1",
            [visit_id],
            |row| row.get(0),
        )
        .optional()?
        .flatten();
    Ok(VisitorList {
        visit_id,
        visitors,
        deleted_at,
    })
}

/// One row of the list the coordinator sends the base: the only place full ID
/// numbers are shown.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub unit_name: String,
    pub name: String,
    pub id_number: String,
}

/// Every listed visitor of the groups seated on a session, in full, for the base
/// (librarians), with an audit row naming how many numbers left the product.
pub fn export_session_visitors(
    conn: &mut Connection,
    actor: &Actor,
    session_id: i64,
    at: Moment,
) -> Result<(super::Session, Vec<ExportRow>), VisitError> {
    super::sessions::librarians_only(actor, "导出参观人员名单")?;
    store::write(conn, |tx| {
        let session = read::session(tx, session_id)?;
        let rows: Vec<ExportRow> = tx
            .prepare_cached(
                "SELECT coalesce(u.name, v.unit_code), p.name, p.id_number
                 FROM visits v JOIN visitors p ON p.visit_id = v.id
                      LEFT JOIN units u ON u.code = v.unit_code
                 WHERE v.session_id = ?1 AND v.status IN ('scheduled', 'confirmed', 'attended')
                   AND p.id_number IS NOT NULL
                 ORDER BY v.id, p.position",
            )?
            .query_map([session_id], |row| {
                Ok(ExportRow {
                    unit_name: row.get(0)?,
                    name: row.get(1)?,
                    id_number: row.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        store::audit(
            tx,
            actor,
            AuditAction::VisitorListExported,
            &session.base_id,
            format!(
                "导出场次 {} 的参观人员名单 {} 人（含完整身份证号）",
                session.describe(),
                rows.len()
            ),
            at,
        )?;
        Ok((session, rows))
    })
}
