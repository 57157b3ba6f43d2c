//! Usage reports as they are read back (issue 15): what each unit reported after a
//! loan (date held, sessions, participants, reflections), filtered by unit, resource
//! and the dates held, with the totals. Librarians read every unit's; a borrower only
//! their own unit's.

use std::collections::HashMap;

use jiff::civil::Date;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};

use super::LoanError;
use super::days::parse_date;
use super::model::{Actor, Format, LoanId};
use crate::catalog::holdings;

/// Filters of the report list, all optional; `from` and `to` bound the day held,
/// both inclusive.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ReportFilter {
    pub unit: Option<String>,
    pub resource_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub from: Option<String>,
    /// `YYYY-MM-DD`.
    pub to: Option<String>,
}

/// One report with its loan's unit and resource.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    pub loan_id: LoanId,
    pub unit: String,
    pub unit_name: String,
    pub resource_id: String,
    pub resource_title: String,
    pub format: Format,
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    pub sessions: u32,
    pub participants: u32,
    pub feedback: String,
    pub reported_by: String,
    pub reported_at: String,
}

/// The sums over every report the filters keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportTotals {
    pub reports: u32,
    pub sessions: u64,
    pub participants: u64,
    pub units: u32,
    pub resources: u32,
}

/// The reports the filters keep, newest held first, and their totals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportList {
    pub totals: ReportTotals,
    pub rows: Vec<ReportRow>,
    /// More reports matched than [`MAX_REPORT_ROWS`]; the totals count them all.
    pub truncated: bool,
}

/// At most this many rows in one answer (years of a busy library's reports).
pub const MAX_REPORT_ROWS: usize = 20_000;

fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The SQL condition (over `loan_reports r JOIN loans l`) and its values for what
/// `actor` may read under `filter`; refuses another unit's reports to a borrower and
/// dates that are not dates or in the wrong order.
fn conditions(actor: &Actor, filter: &ReportFilter) -> Result<(String, Vec<SqlValue>), LoanError> {
    let unit = match (actor.librarian, text(&filter.unit)) {
        (true, named) => named.map(str::to_owned),
        (false, named) => {
            let own = actor.unit.clone().ok_or(LoanError::NoUnit)?;
            if named.is_some_and(|u| u != own) {
                return Err(LoanError::OtherUnit);
            }
            Some(own)
        }
    };
    let from = text(&filter.from)
        .map(|d| parse_date("from", d))
        .transpose()?;
    let to = text(&filter.to).map(|d| parse_date("to", d)).transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(LoanError::invalid(
            "to",
            format!("截止日期 {to} 早于起始日期 {from}"),
        ));
    }
    let mut conditions = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    if let Some(unit) = unit {
        conditions.push("l.unit_code = ?");
        values.push(unit.into());
    }
    if let Some(resource) = text(&filter.resource_id) {
        conditions.push("l.resource_id = ?");
        values.push(resource.to_owned().into());
    }
    if let Some(from) = from {
        conditions.push("r.held_on >= ?");
        values.push(from.to_string().into());
    }
    if let Some(to) = to {
        conditions.push("r.held_on <= ?");
        values.push(to.to_string().into());
    }
    let clause = if conditions.is_empty() {
        "1".to_owned()
    } else {
        conditions.join(" AND ")
    };
    Ok((clause, values))
}

/// The usage reports `actor` may read under `filter`: a librarian any unit's, a
/// borrower their own unit's (naming another unit is refused).
pub fn reports(
    conn: &Connection,
    actor: &Actor,
    filter: &ReportFilter,
) -> Result<ReportList, LoanError> {
    let (clause, values) = conditions(actor, filter)?;
    let totals = conn.query_row(
        &format!(
            "SELECT count(*), coalesce(sum(r.sessions), 0), coalesce(sum(r.participants), 0),
                    count(DISTINCT l.unit_code), count(DISTINCT l.resource_id)
             FROM loan_reports r JOIN loans l ON l.id = r.loan_id WHERE {clause}"
        ),
        params_from_iter(values.iter()),
        |row| {
            Ok(ReportTotals {
                reports: row.get(0)?,
                sessions: row.get(1)?,
                participants: row.get(2)?,
                units: row.get(3)?,
                resources: row.get(4)?,
            })
        },
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT l.id, l.unit_code, coalesce(u.name, ''), l.resource_id, l.format, r.held_on,
                r.sessions, r.participants, r.feedback, r.reported_by, r.reported_at
         FROM loan_reports r JOIN loans l ON l.id = r.loan_id
         LEFT JOIN units u ON u.code = l.unit_code
         WHERE {clause} ORDER BY r.held_on DESC, l.id DESC LIMIT {}",
        MAX_REPORT_ROWS
    ))?;
    let raw = stmt
        .query_map(params_from_iter(values.iter()), |row| {
            Ok(RawReport {
                loan_id: row.get(0)?,
                unit: row.get(1)?,
                unit_name: row.get(2)?,
                resource_id: row.get(3)?,
                format: row.get(4)?,
                held_on: row.get(5)?,
                sessions: row.get(6)?,
                participants: row.get(7)?,
                feedback: row.get(8)?,
                reported_by: row.get(9)?,
                reported_at: row.get(10)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // Titles are the catalogue's, asked once per resource.
    let mut titles: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::with_capacity(raw.len());
    for report in raw {
        if !titles.contains_key(&report.resource_id) {
            let title = holdings::lendable(conn, &report.resource_id)?
                .map(|r| r.title)
                .unwrap_or_default();
            titles.insert(report.resource_id.clone(), title);
        }
        let title = titles[&report.resource_id].clone();
        rows.push(report.parse(title)?);
    }
    Ok(ReportList {
        truncated: (totals.reports as usize) > rows.len(),
        totals,
        rows,
    })
}

/// A report's columns as stored, parsed after the query.
struct RawReport {
    loan_id: i64,
    unit: String,
    unit_name: String,
    resource_id: String,
    format: String,
    held_on: String,
    sessions: u32,
    participants: u32,
    feedback: String,
    reported_by: String,
    reported_at: String,
}

impl RawReport {
    fn parse(self, resource_title: String) -> Result<ReportRow, LoanError> {
        Ok(ReportRow {
            loan_id: LoanId(self.loan_id),
            unit_name: if self.unit_name.is_empty() {
                self.unit.clone()
            } else {
                self.unit_name
            },
            unit: self.unit,
            resource_id: self.resource_id,
            resource_title,
            format: Format::parse(&self.format)?,
            held_on: parse_date("held_on", &self.held_on)?,
            sessions: self.sessions,
            participants: self.participants,
            feedback: self.feedback,
            reported_by: self.reported_by,
            reported_at: self.reported_at,
        })
    }
}

/// The resources some unit has reported on, by title (for the filter of the list).
pub fn reported_resources(conn: &Connection) -> Result<Vec<(String, String)>, LoanError> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT l.resource_id FROM loan_reports r JOIN loans l ON l.id = r.loan_id",
        )?;
        stmt.query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let title = holdings::lendable(conn, &id)?
            .map(|r| r.title)
            .unwrap_or_default();
        out.push((id, title));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}
