//! Loan batches (SPEC §10): one request of many items for one period, purpose and
//! audience. A batch is filed in one transaction with the rules of a single request
//! for each item (visibility, limits, capacity, waitlist, auto-approval, audit), or
//! not at all: one refused item refuses the whole batch, naming the item. Librarians
//! approve every loan of a batch that fits in one go; the others stay as they are.

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::capacity::period_fits;
use super::model::{Action, Actor, Format, Loan, LoanId, LoanStatus, Period};
use super::request::{
    Terms, approve_in, check_requestable, checked_period, create_in, purpose_and_audience,
    requesting_unit,
};
use super::store::{self, LoanRow, advance};
use super::{LoanError, read};
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// The most items one batch (and one basket) may hold.
pub const MAX_BATCH_ITEMS: usize = 50;

/// One item of `POST /api/v1/loan-batches`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BatchItem {
    pub resource_id: Option<String>,
    /// `digital` or `physical`.
    pub format: Option<String>,
}

/// `POST /api/v1/loan-batches`: the items and what they share. Every field is
/// optional here so that a missing one is answered in words.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BatchRequest {
    pub items: Vec<BatchItem>,
    #[schema(format = Date)]
    pub start: Option<String>,
    #[schema(format = Date)]
    pub end: Option<String>,
    pub purpose: Option<String>,
    pub audience: Option<i64>,
    /// The unit asked for; librarians filing for a unit must name it.
    pub unit: Option<String>,
}

/// What a batch's loans share: the unit, the period, the purpose and audience, who
/// asked and when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchHead {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    #[schema(value_type = String, format = Date)]
    pub start: Date,
    #[schema(value_type = String, format = Date)]
    pub end: Date,
    pub purpose: String,
    pub audience: u32,
    pub requested_by: String,
    pub created_at: String,
}

/// A batch as the API shows it, with its loans.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoanBatch {
    #[serde(flatten)]
    pub head: BatchHead,
    pub loans: Vec<Loan>,
}

impl std::ops::Deref for LoanBatch {
    type Target = BatchHead;

    fn deref(&self) -> &BatchHead {
        &self.head
    }
}

/// A loan of a batch that a batch approval left as it was, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotApproved {
    pub loan_id: LoanId,
    pub resource_id: String,
    pub resource_title: String,
    pub status: LoanStatus,
    pub reason: String,
}

/// `POST /api/v1/loan-batches/{id}/approve`: which loans were approved, which not
/// and why, and the batch as it now is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchApproval {
    pub id: i64,
    pub approved: Vec<LoanId>,
    pub not_approved: Vec<NotApproved>,
    pub batch: LoanBatch,
}

/// What the items of a batch share, as asked (checked when filed).
pub(crate) struct Asked {
    pub unit: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub purpose: String,
    pub audience: u32,
}

/// The items checked for what needs no database: at least one, at most
/// [`MAX_BATCH_ITEMS`], each naming a resource and a format, no resource and format
/// twice. A refused item is named.
pub(crate) fn checked_items(items: &[BatchItem]) -> Result<Vec<(String, Format)>, LoanError> {
    if items.is_empty() {
        return Err(LoanError::invalid(
            "items",
            "借阅清单是空的，请至少加入一项资源",
        ));
    }
    if items.len() > MAX_BATCH_ITEMS {
        return Err(LoanError::invalid(
            "items",
            format!(
                "一次最多申请 {MAX_BATCH_ITEMS} 项，本次有 {} 项；请分几次提交",
                items.len()
            ),
        ));
    }
    let mut checked: Vec<(String, Format)> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let raw = item.resource_id.as_deref().unwrap_or("").trim();
        let bad = |reason: LoanError| LoanError::BadItem {
            index,
            resource_id: raw.to_owned(),
            reason: Box::new(reason),
        };
        if raw.is_empty() {
            return Err(bad(LoanError::invalid("resource_id", "没有填写资源编号")));
        }
        let format = match item.format.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(bad(LoanError::invalid(
                    "format",
                    "请选择借阅形式（digital 或 physical）",
                )));
            }
            Some(format) => Format::parse(format).map_err(bad)?,
        };
        if let Some(first) = checked.iter().position(|(id, f)| id == raw && *f == format) {
            return Err(bad(LoanError::invalid(
                "items",
                format!(
                    "与第 {} 项重复（同一资源、同一借阅形式只能申请一次）",
                    first + 1
                ),
            )));
        }
        checked.push((raw.to_owned(), format));
    }
    Ok(checked)
}

/// An item's refusal, named; what is not the item's fault (the unit, the database)
/// passes as it is.
fn item_error(index: usize, resource_id: &str, err: LoanError) -> LoanError {
    match err {
        LoanError::Db(_)
        | LoanError::Open(_)
        | LoanError::UnitInactive(_)
        | LoanError::NoUnit
        | LoanError::OtherUnit => err,
        LoanError::Invalid { ref field, .. } if field == "unit" => err,
        reason => LoanError::BadItem {
            index,
            resource_id: resource_id.to_owned(),
            reason: Box::new(reason),
        },
    }
}

/// `POST /api/v1/loan-batches`: files every item for the actor's unit (or, for a
/// librarian, the unit named) in one transaction, or nothing.
pub fn create_batch(
    conn: &mut Connection,
    actor: &Actor,
    input: BatchRequest,
    at: Moment,
) -> Result<LoanBatch, LoanError> {
    let unit = requesting_unit(actor, input.unit.as_deref())?;
    let items = checked_items(&input.items)?;
    let (purpose, audience) = purpose_and_audience(&input.purpose, input.audience)?;
    let asked = Asked {
        unit,
        start: input.start,
        end: input.end,
        purpose,
        audience,
    };
    store::write(conn, |tx| {
        let id = create_batch_in(tx, actor, &asked, &items, at)?;
        batch_view(tx, actor, id, at.today())
    })
}

/// Files a batch inside the caller's transaction (the API's, or the basket's send):
/// the period checked once, then each item as a single request would be, naming the
/// batch; the batch's audit row last. Answers the batch's number.
pub(crate) fn create_batch_in(
    tx: &Connection,
    actor: &Actor,
    asked: &Asked,
    items: &[(String, Format)],
    at: Moment,
) -> Result<i64, LoanError> {
    let today = at.today();
    // An unknown or unshared first item is told before a bad period, as for one loan.
    if let Some((first, _)) = items.first() {
        check_requestable(tx, actor, first, &asked.unit).map_err(|e| item_error(0, first, e))?;
    }
    let (period, asked_end) = checked_period(tx, &asked.start, &asked.end, today)?;
    tx.execute(
        "INSERT INTO loan_batches (unit_code, requested_by, requested_by_name, start_date,
                                   end_date, purpose, audience, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            asked.unit,
            actor.user_id,
            actor.username,
            period.start.to_string(),
            period.end.to_string(),
            asked.purpose,
            asked.audience,
            at.stamp()
        ],
    )?;
    let id = tx.last_insert_rowid();
    let terms = Terms {
        unit: asked.unit.clone(),
        period,
        asked_end,
        purpose: asked.purpose.clone(),
        audience: asked.audience,
    };
    let mut counts = [0usize; 3];
    for (index, (resource_id, format)) in items.iter().enumerate() {
        let loan = create_in(tx, actor, &terms, resource_id, *format, Some(id), at)
            .map_err(|e| item_error(index, resource_id, e))?;
        counts[match loan.status {
            LoanStatus::Waitlisted => 1,
            LoanStatus::Requested => 0,
            _ => 2,
        }] += 1;
    }
    let unit_name = crate::accounts::units::name_and_state(tx, &asked.unit)?
        .map(|(name, _)| name)
        .unwrap_or_else(|| asked.unit.clone());
    let mut detail = format!(
        "借阅清单 #{id}（{unit_name}）：{} 项，{} 至 {}；待审批 {}、候补 {}",
        items.len(),
        period.start,
        period.end,
        counts[0],
        counts[1]
    );
    if counts[2] > 0 {
        detail.push_str(&format!("、自动批准 {}", counts[2]));
    }
    AuditEvent::by(actor, AuditAction::LoanBatchRequested)
        .detail(detail)
        .record(tx, at)?;
    Ok(id)
}

fn find_batch(conn: &Connection, id: i64) -> Result<Option<BatchHead>, LoanError> {
    let row = conn
        .query_row(
            "SELECT b.unit_code, coalesce(u.name, b.unit_code), b.start_date, b.end_date,
                    b.purpose, b.audience, b.requested_by_name, b.created_at
             FROM loan_batches b LEFT JOIN units u ON u.code = b.unit_code WHERE b.id = ?1",
            [id],
            |row| {
                Ok((
                    (row.get::<_, String>(0)?, row.get::<_, String>(1)?),
                    (row.get::<_, String>(2)?, row.get::<_, String>(3)?),
                    (row.get::<_, String>(4)?, row.get::<_, u32>(5)?),
                    (row.get::<_, String>(6)?, row.get::<_, String>(7)?),
                ))
            },
        )
        .optional()?;
    let Some(((unit, unit_name), (start, end), (purpose, audience), (requested_by, created_at))) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(BatchHead {
        id,
        unit,
        unit_name,
        start: super::days::parse_date("start", &start)?,
        end: super::days::parse_date("end", &end)?,
        purpose,
        audience,
        requested_by,
        created_at,
    }))
}

/// The batch if the actor may see it (their unit's, or any for librarians); another
/// unit's batch does not exist for them.
fn visible_batch(conn: &Connection, actor: &Actor, id: i64) -> Result<BatchHead, LoanError> {
    match find_batch(conn, id)? {
        Some(batch) if actor.sees_unit(&batch.unit) => Ok(batch),
        _ => Err(LoanError::BatchNotFound(id)),
    }
}

/// The loans of a batch in the order they were filed.
fn loans_of(conn: &Connection, id: i64) -> Result<Vec<LoanRow>, LoanError> {
    let sql = format!(
        "SELECT {} FROM loans WHERE batch_id = ?1 ORDER BY id",
        store::ROW_COLUMNS
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([id], store::row_from)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(|raw| raw.parse()).collect()
}

pub(crate) fn batch_view(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    today: Date,
) -> Result<LoanBatch, LoanError> {
    let head = visible_batch(conn, actor, id)?;
    let loans = loans_of(conn, id)?
        .iter()
        .map(|loan| read::view(conn, loan, actor, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(LoanBatch { head, loans })
}

/// `GET /api/v1/loan-batches/{id}`: one batch, if the actor may see it.
pub fn get_batch(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    today: Date,
) -> Result<LoanBatch, LoanError> {
    batch_view(conn, actor, id, today)
}

/// Why a loan of a batch in `status` is not approved with it.
fn left_as_it_is(status: LoanStatus) -> String {
    match status {
        LoanStatus::Waitlisted => {
            "候补中：该时段已没有空余名额，有名额时自动转为申请后再审批".to_owned()
        }
        LoanStatus::Rejected | LoanStatus::Cancelled => format!("已{}", status.label()),
        other => format!("当前状态为“{}”，无需批准", other.label()),
    }
}

/// A librarian approves every `requested` loan of the batch that fits, in one
/// transaction; each is approved as its own button would (state, dates, capacity,
/// notice, audit), and one that cannot be stays as it is, with the reason.
pub fn approve_batch(
    conn: &mut Connection,
    actor: &Actor,
    id: i64,
    at: Moment,
) -> Result<BatchApproval, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrarianOnly {
            action: Action::Approve,
        });
    }
    let today = at.today();
    store::write(conn, |tx| {
        let batch = visible_batch(tx, actor, id)?;
        let mut approved = Vec::new();
        let mut not_approved = Vec::new();
        for mut loan in loans_of(tx, id)? {
            advance(tx, &mut loan, at)?;
            let refusal = if loan.status == LoanStatus::Requested {
                // A refused approval leaves nothing behind, whatever it had written.
                tx.execute_batch("SAVEPOINT batch_item")?;
                match approve_in(tx, actor, &mut loan, at) {
                    Ok(()) => {
                        tx.execute_batch("RELEASE batch_item")?;
                        approved.push(loan.id);
                        None
                    }
                    Err(err @ (LoanError::Db(_) | LoanError::Open(_))) => return Err(err),
                    Err(err) => {
                        tx.execute_batch("ROLLBACK TO batch_item; RELEASE batch_item")?;
                        Some(err.to_string())
                    }
                }
            } else {
                Some(left_as_it_is(loan.status))
            };
            if let Some(reason) = refusal {
                let stored = store::find(tx, loan.id)?.ok_or(LoanError::NotFound(loan.id))?;
                not_approved.push(NotApproved {
                    loan_id: loan.id,
                    resource_title: store::resource_title(tx, &loan.resource_id)?,
                    resource_id: loan.resource_id,
                    status: store::status_on(&stored, today),
                    reason,
                });
            }
        }
        AuditEvent::by(actor, AuditAction::LoanBatchApproved)
            .detail(format!(
                "借阅清单 #{id}（{}）：批准 {} 项，未批准 {} 项",
                batch.unit_name,
                approved.len(),
                not_approved.len()
            ))
            .record(tx, at)?;
        Ok(BatchApproval {
            id,
            approved,
            not_approved,
            batch: batch_view(tx, actor, id, today)?,
        })
    })
}

/// One loan of a batch as the librarian's queue line lists it.
#[derive(Debug, Clone)]
pub struct BatchLineItem {
    pub loan_id: LoanId,
    pub resource_id: String,
    pub resource_title: String,
    pub format: Format,
    pub status: LoanStatus,
    /// A request whose approval would pass now (its days still have room).
    pub approvable: bool,
}

/// A batch with loans still waiting for a librarian, as one line of the queue.
#[derive(Debug, Clone)]
pub struct BatchLine {
    pub head: BatchHead,
    pub items: Vec<BatchLineItem>,
}

impl BatchLine {
    fn count(&self, status: LoanStatus) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }

    pub fn requested(&self) -> usize {
        self.count(LoanStatus::Requested)
    }

    pub fn waitlisted(&self) -> usize {
        self.count(LoanStatus::Waitlisted)
    }

    /// How many a batch approval would approve now.
    pub fn approvable(&self) -> usize {
        self.items.iter().filter(|i| i.approvable).count()
    }
}

/// The batches with a loan still requested or waitlisted, oldest first (of `unit`
/// only, when named), for the librarian's queue.
pub fn pending_batches(
    conn: &Connection,
    actor: &Actor,
    unit: Option<&str>,
    today: Date,
) -> Result<Vec<BatchLine>, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "查看待审批的借阅清单",
        });
    }
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare_cached(
            "SELECT b.id FROM loan_batches b
             WHERE (?1 IS NULL OR b.unit_code = ?1)
               AND EXISTS (SELECT 1 FROM loans l WHERE l.batch_id = b.id
                             AND l.status IN ('requested', 'waitlisted'))
             ORDER BY b.id LIMIT 100",
        )?;
        stmt.query_map([unit], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut lines = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(batch) = find_batch(conn, id)? else {
            continue;
        };
        let mut items = Vec::new();
        for loan in loans_of(conn, id)? {
            let status = store::status_on(&loan, today);
            let period = Period {
                start: loan.start,
                end: loan.end,
            };
            let approvable = status == LoanStatus::Requested
                && loan.end >= today
                && period_fits(conn, &loan.resource_id, loan.format, period, Some(loan.id))?;
            items.push(BatchLineItem {
                loan_id: loan.id,
                resource_title: store::resource_title(conn, &loan.resource_id)?,
                resource_id: loan.resource_id,
                format: loan.format,
                status,
                approvable,
            });
        }
        lines.push(BatchLine { head: batch, items });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, format: &str) -> BatchItem {
        BatchItem {
            resource_id: Some(id.to_owned()),
            format: Some(format.to_owned()),
        }
    }

    fn refused_at(items: &[BatchItem]) -> Option<(usize, String)> {
        match checked_items(items) {
            Err(LoanError::BadItem { index, reason, .. }) => Some((index, reason.to_string())),
            _ => None,
        }
    }

    #[test]
    fn items_are_checked_in_order_and_named() {
        let good = checked_items(&[item("a", "digital"), item(" a ", "physical")]).unwrap();
        assert_eq!(
            good,
            [
                ("a".to_owned(), Format::Digital),
                ("a".to_owned(), Format::Physical)
            ]
        );
        let (index, why) = refused_at(&[item("a", "digital"), item("b", "vhs")]).unwrap();
        assert_eq!(index, 1);
        assert!(why.contains("vhs"), "{why}");
        let (index, why) = refused_at(&[
            item("a", "digital"),
            item("b", "digital"),
            item("a", "digital"),
        ])
        .unwrap();
        assert_eq!(index, 2);
        assert!(why.contains("第 1 项重复"), "{why}");
        assert_eq!(refused_at(&[item(" ", "digital")]).map(|r| r.0), Some(0));
        assert_eq!(refused_at(&[item("a", "")]).map(|r| r.0), Some(0));
        assert!(matches!(checked_items(&[]), Err(LoanError::Invalid { .. })));
        let many: Vec<BatchItem> = (0..=MAX_BATCH_ITEMS)
            .map(|i| item(&format!("r{i}"), "digital"))
            .collect();
        assert!(matches!(
            checked_items(&many),
            Err(LoanError::Invalid { .. })
        ));
        assert!(checked_items(&many[..MAX_BATCH_ITEMS]).is_ok());
    }

    #[test]
    fn the_unit_and_the_database_are_not_an_items_fault() {
        assert!(matches!(
            item_error(3, "x", LoanError::NoUnit),
            LoanError::NoUnit
        ));
        assert!(matches!(
            item_error(3, "x", LoanError::invalid("unit", "没有这个单位")),
            LoanError::Invalid { .. }
        ));
        let named = item_error(3, "x", LoanError::ResourceNotFound("x".into()));
        assert_eq!(
            named.to_string(),
            "第 4 项（x）：没有编号为“x”的资源，或该资源未发布"
        );
    }
}
