//! The librarian's loan table (`/librarian/queue`): every unit's loans filtered by
//! state (as shown today), unit, resource, format and start date, sorted by start
//! date, one page at a time; each pending request comes with its [`Review`].

use jiff::civil::Date;
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde::Deserialize;

use super::LoanError;
use super::days::{OpeningDays, parse_date};
use super::model::{Actor, Format, Loan, LoanStatus};
use super::queue::{Review, pending_listed, review};
use super::read::view;
use super::store;
use crate::catalog::holdings;

/// Loans on one page of the table.
pub const TABLE_PAGE: u32 = 30;

/// The longest text a filter field takes.
pub const FILTER_MAX_CHARS: usize = 100;

/// The table's filters as the query string carries them; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TableFilter {
    /// `pending` (requested or waitlisted, the default), `all`, or one state.
    pub state: Option<String>,
    /// A unit code.
    pub unit: Option<String>,
    /// A resource id, or words of its title.
    pub resource: Option<String>,
    /// `digital` or `physical`.
    pub format: Option<String>,
    /// Loans starting on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Loans starting on or before this day.
    pub to: Option<String>,
    /// `start` (earliest start first, the default) or `-start`.
    pub sort: Option<String>,
    /// 1-based.
    pub page: Option<u32>,
    /// Only the loans of this batch (借阅清单).
    pub batch: Option<String>,
    /// Leave out the pending loans of batches (the queue shows each batch as one line).
    pub batches_apart: bool,
}

/// Which states the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Requested and waitlisted: what waits for a librarian.
    Pending,
    All,
    One(LoanStatus),
}

impl StateFilter {
    pub fn parse(value: &str) -> Result<Self, LoanError> {
        match value.trim() {
            "" | "pending" => Ok(StateFilter::Pending),
            "all" => Ok(StateFilter::All),
            other => LoanStatus::parse(other).map(StateFilter::One),
        }
    }

    fn states(self) -> Option<Vec<&'static str>> {
        match self {
            StateFilter::Pending => Some(vec!["requested", "waitlisted"]),
            StateFilter::All => None,
            StateFilter::One(status) => Some(vec![status.as_str()]),
        }
    }
}

/// The stored states a loan may have while it shows one of `shown` (the date moves
/// approved and active loans on before the sweep writes it): a condition on these
/// lets the state index find the rows instead of reading every loan ever made.
fn stored_states_shown_as(shown: &[&'static str]) -> Vec<&'static str> {
    let mut stored: Vec<&'static str> = shown
        .iter()
        .filter_map(|state| LoanStatus::parse(state).ok())
        .flat_map(|state| {
            store::stored_states_showing(state)
                .iter()
                .map(|s| s.as_str())
        })
        .collect();
    stored.sort_unstable();
    stored.dedup();
    stored
}

/// One row: the loan and, for a pending request, what deciding it needs.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub loan: Loan,
    pub review: Option<Review>,
}

/// One page of the table.
#[derive(Debug, Clone)]
pub struct LoanTable {
    pub rows: Vec<TableRow>,
    /// Loans matching the filters, on every page.
    pub total: u64,
    pub page: u32,
    pub pages: u32,
}

/// The state a loan shows on the day bound to `today` (see `store::status_on`, which
/// it must agree with): the date may have moved a loan on before the sweep wrote it.
fn shown_sql(today: &str) -> String {
    format!(
        "CASE
    WHEN format = 'digital' AND status IN ('approved', 'active') AND end_date < {today} THEN 'expired'
    WHEN format = 'digital' AND status = 'approved' AND start_date <= {today} THEN 'active'
    WHEN format = 'physical' AND status = 'active' AND end_date < {today} THEN 'overdue'
    ELSE status END"
    )
}

/// The filters as SQL conditions with numbered parameters.
#[derive(Default)]
struct Conditions {
    sql: Vec<String>,
    values: Vec<SqlValue>,
    /// `INDEXED BY …` when the filters are the queue's own (every pending request),
    /// whose index SQLite would not pick without statistics.
    index: &'static str,
    /// The filters are the queue's own and its total is kept by triggers: whether it
    /// leaves out the loans of batches.
    kept_total: Option<bool>,
}

impl Conditions {
    /// Binds `value`, answering its parameter (`?N`).
    fn bind(&mut self, value: SqlValue) -> String {
        self.values.push(value);
        format!("?{}", self.values.len())
    }

    /// Adds `template` with its `?` bound to `value`.
    fn push(&mut self, template: &str, value: SqlValue) {
        let param = self.bind(value);
        self.sql.push(template.replacen('?', &param, 1));
    }

    fn clause(&self) -> String {
        if self.sql.is_empty() {
            "1".to_owned()
        } else {
            self.sql.join(" AND ")
        }
    }
}

/// A filter's text, trimmed; `None` when empty; refused when longer than a person
/// would type.
fn text<'a>(
    field: &str,
    what: &str,
    value: &'a Option<String>,
) -> Result<Option<&'a str>, LoanError> {
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
    match value {
        Some(v) if v.chars().count() > FILTER_MAX_CHARS => Err(LoanError::invalid(
            field,
            format!("{what}筛选条件过长（最多 {FILTER_MAX_CHARS} 个字符）"),
        )),
        other => Ok(other),
    }
}

fn conditions(
    conn: &Connection,
    filter: &TableFilter,
    today: Date,
) -> Result<Conditions, LoanError> {
    let mut c = Conditions::default();
    let state = StateFilter::parse(text("state", "状态", &filter.state)?.unwrap_or(""))?;
    if let Some(states) = state.states() {
        // The states are our own words, so they may stand in the statement as they are.
        let stored = stored_states_shown_as(&states)
            .iter()
            .map(|state| format!("'{state}'"))
            .collect::<Vec<_>>()
            .join(", ");
        c.sql.push(format!("status IN ({stored})"));
        let day = c.bind(today.to_string().into());
        let list = c.bind(serde_json::Value::from(states).to_string().into());
        let shown = shown_sql(&day);
        c.sql.push(format!(
            "({shown}) IN (SELECT value FROM json_each({list}))"
        ));
    }
    if let Some(batch) = text("batch", "借阅清单", &filter.batch)? {
        let id = batch
            .trim_start_matches('#')
            .parse::<i64>()
            .map_err(|_| LoanError::invalid("batch", format!("“{batch}”不是有效的借阅清单编号")))?;
        c.push("batch_id = ?", id.into());
    } else if filter.batches_apart && state == StateFilter::Pending {
        c.sql.push("batch_id IS NULL".to_owned());
    }
    if let Some(unit) = text("unit", "单位", &filter.unit)? {
        c.push("unit_code = ?", unit.to_owned().into());
    }
    if let Some(resource) = text("resource", "资源", &filter.resource)? {
        let ids = holdings::ids_matching(conn, resource, 500)?;
        c.push(
            "resource_id IN (SELECT value FROM json_each(?))",
            serde_json::Value::from(ids).to_string().into(),
        );
    }
    let format = text("format", "形式", &filter.format)?
        .map(Format::parse)
        .transpose()?;
    if let Some(format) = format {
        c.push("format = ?", format.as_str().to_owned().into());
    }
    let from = text("from", "开始日期", &filter.from)?
        .map(|d| parse_date("from", d))
        .transpose()?;
    let to = text("to", "开始日期", &filter.to)?
        .map(|d| parse_date("to", d))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(LoanError::invalid(
            "from",
            format!("开始日期的范围有误：{from} 晚于 {to}"),
        ));
    }
    let narrowed = filter.unit.as_deref().is_some_and(|u| !u.trim().is_empty())
        || filter
            .resource
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty())
        || filter
            .batch
            .as_deref()
            .is_some_and(|b| !b.trim().is_empty());
    if state == StateFilter::Pending && !narrowed {
        c.index = "INDEXED BY loans_pending";
    }
    if state == StateFilter::Pending && !narrowed && format.is_none() && (from, to) == (None, None)
    {
        c.kept_total = Some(filter.batches_apart);
    }
    if let Some(from) = from {
        c.push("start_date >= ?", from.to_string().into());
    }
    if let Some(to) = to {
        c.push("start_date <= ?", to.to_string().into());
    }
    Ok(c)
}

/// Whether the table runs from the latest start (`-start`) rather than the earliest.
pub fn newest_first(sort: Option<&str>) -> Result<bool, LoanError> {
    match sort.map(str::trim).unwrap_or("") {
        "" | "start" => Ok(false),
        "-start" => Ok(true),
        other => Err(LoanError::invalid(
            "sort",
            format!(
                "“{other}”不是有效的排序方式；应为 start（开始日期从早到晚）或 -start（从晚到早）"
            ),
        )),
    }
}

/// One page of every unit's loans that match `filter`, for librarians.
pub fn loan_table(
    conn: &Connection,
    actor: &Actor,
    filter: &TableFilter,
    today: Date,
) -> Result<LoanTable, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "查看借阅审批表",
        });
    }
    let desc = newest_first(filter.sort.as_deref())?;
    let c = conditions(conn, filter, today)?;
    let clause = c.clause();
    let total: u64 = match c.kept_total {
        Some(batches_apart) => pending_listed(conn, batches_apart)?,
        None => conn.query_row(
            &format!("SELECT count(*) FROM loans {} WHERE {clause}", c.index),
            rusqlite::params_from_iter(c.values.iter()),
            |row| row.get(0),
        )?,
    };
    let pages = u32::try_from(total.div_ceil(u64::from(TABLE_PAGE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let page = filter.page.unwrap_or(1).clamp(1, pages);
    let order = if desc {
        "start_date DESC, id DESC"
    } else {
        "start_date, id"
    };
    let sql = format!(
        "SELECT {} FROM loans {} WHERE {clause} ORDER BY {order} LIMIT {TABLE_PAGE} OFFSET {}",
        store::ROW_COLUMNS,
        c.index,
        u64::from(page - 1) * u64::from(TABLE_PAGE),
    );
    let raw = {
        let mut stmt = conn.prepare(&sql)?;
        stmt.query_map(rusqlite::params_from_iter(c.values.iter()), store::row_from)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let days = OpeningDays::load(conn)?;
    let mut rows = Vec::with_capacity(raw.len());
    for raw in raw {
        let loan = raw.parse()?;
        let pending = matches!(
            store::status_on(&loan, today),
            LoanStatus::Requested | LoanStatus::Waitlisted
        );
        let review = if pending {
            Some(review(conn, &loan, today, &days)?)
        } else {
            None
        };
        rows.push(TableRow {
            loan: view(conn, &loan, actor, today)?,
            review,
        });
    }
    Ok(LoanTable {
        rows,
        total,
        page,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::model::LoanId;
    use crate::loans::store::LoanRow;
    use jiff::civil::date;

    /// A loan of `status` and `format` running `start..=end`.
    fn loan_row(status: LoanStatus, format: Format, start: Date, end: Date) -> LoanRow {
        LoanRow {
            id: LoanId(1),
            resource_id: "r".into(),
            unit: "u".into(),
            format,
            start,
            end,
            requested_end: end,
            status,
            renewals: 0,
            copy_id: None,
            recalled: false,
        }
    }

    /// The SQL's shown state agrees with `status_on` for every state, format and
    /// position of today against the period.
    #[test]
    fn the_shown_state_in_sql_is_the_one_readers_show() {
        let conn = Connection::open_in_memory().unwrap();
        let (start, end) = (date(2027, 3, 2), date(2027, 3, 4));
        let days = [
            date(2027, 3, 1),
            start,
            date(2027, 3, 3),
            end,
            date(2027, 3, 5),
        ];
        for status in LoanStatus::ALL {
            for format in [Format::Digital, Format::Physical] {
                let row = loan_row(status, format, start, end);
                for today in days {
                    let shown: String = conn
                        .query_row(
                            &format!(
                                "SELECT {} FROM (SELECT ?2 AS format, ?3 AS status,
                                   ?4 AS start_date, ?5 AS end_date)",
                                shown_sql("?1")
                            ),
                            rusqlite::params![
                                today.to_string(),
                                format.as_str(),
                                status.as_str(),
                                start.to_string(),
                                end.to_string()
                            ],
                            |r| r.get(0),
                        )
                        .unwrap();
                    assert_eq!(
                        shown,
                        store::status_on(&row, today).as_str(),
                        "{status:?} {format:?} on {today}"
                    );
                }
            }
        }
    }

    /// Every stored state that can show as a state is among the stored states the
    /// table's index condition lets through for it.
    #[test]
    fn the_stored_state_condition_keeps_every_loan_that_shows_the_state() {
        let (start, end) = (date(2027, 3, 2), date(2027, 3, 4));
        for status in LoanStatus::ALL {
            for format in [Format::Digital, Format::Physical] {
                let row = loan_row(status, format, start, end);
                for today in [date(2027, 3, 1), start, end, date(2027, 3, 5)] {
                    let shown = store::status_on(&row, today).as_str();
                    assert!(
                        stored_states_shown_as(&[shown]).contains(&status.as_str()),
                        "{status:?} {format:?} shows {shown} on {today}"
                    );
                }
            }
        }
        assert_eq!(stored_states_shown_as(&["requested"]), vec!["requested"]);
    }

    #[test]
    fn filters_read_in_words() {
        assert_eq!(StateFilter::parse("").unwrap(), StateFilter::Pending);
        assert_eq!(StateFilter::parse(" all ").unwrap(), StateFilter::All);
        assert_eq!(
            StateFilter::parse("overdue").unwrap(),
            StateFilter::One(LoanStatus::Overdue)
        );
        assert!(StateFilter::parse("<b>").is_err());
        assert!(!newest_first(None).unwrap());
        assert!(newest_first(Some("-start")).unwrap());
        let refused = newest_first(Some("random()")).unwrap_err().to_string();
        assert!(refused.contains("random()"), "{refused}");
        let long = Some("长".repeat(FILTER_MAX_CHARS + 1));
        assert!(text("unit", "单位", &long).is_err());
        assert_eq!(text("unit", "单位", &Some("  ".into())).unwrap(), None);
    }
}
