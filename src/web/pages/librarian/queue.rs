//! The librarian's loan pages: `/librarian/queue` (a compact table of every unit's
//! loans — pending requests by default — filtered by state, unit, resource, format and
//! start date and sorted by start date, the filters kept in the address; approve,
//! reject, move, issue and check in from the rows, approve the selected rows at once;
//! below, the physical copies to hand out or check in) and
//! `/librarian/resources/{id}/calendar` (a month grid with the capacity used per day,
//! closed days and the bookings). The action forms post to `/loans/{id}/{action}` (see
//! `pages::loans`); a refused one comes back here with the reason beside it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;

use super::rows::{DeskRow, LoanRetry, unplaced};
use crate::accounts::{self, SessionUser, Unit};
use crate::app::AppState;
use crate::loans::{self, Action, Actor, LoanError, LoanStatus, TableFilter};
use crate::web::error::AppError;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::loans::done_notice;
use crate::web::pages::url::Query;
use crate::web::pages::{Chrome, PageError, Section, pages};

/// The filters as typed (shown again in the filter form and kept in every link).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub state: String,
    pub unit: String,
    pub resource: String,
    pub format: String,
    pub from: String,
    pub to: String,
    pub sort: String,
    pub page: String,
    /// The action just done (`approve`, `issue`, …).
    pub done: String,
    /// Loans just approved together (`1,2,3`).
    pub approved: String,
    /// A copy just handed out: offer its slip.
    pub slip: String,
    /// Only the loans of this batch (借阅清单).
    pub batch: String,
}

impl QueueQuery {
    /// The query of a `next` address of the queue (`/librarian/queue?…`).
    pub fn of_address(next: &str) -> Self {
        let next = next.split('#').next().unwrap_or("");
        next.parse::<axum::http::Uri>()
            .ok()
            .and_then(|uri| axum::extract::Query::<Self>::try_from_uri(&uri).ok())
            .map(|query| query.0)
            .unwrap_or_default()
    }

    /// The `month` of a calendar's address (`…/calendar?month=2027-03`).
    pub fn month_of_address(next: &str) -> Option<String> {
        #[derive(Deserialize)]
        struct Month {
            month: Option<String>,
        }
        let next = next.split('#').next().unwrap_or("");
        let uri = next.parse::<axum::http::Uri>().ok()?;
        axum::extract::Query::<Month>::try_from_uri(&uri)
            .ok()?
            .0
            .month
    }

    fn filter(&self) -> TableFilter {
        let some = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
        TableFilter {
            state: some(&self.state),
            unit: some(&self.unit),
            resource: some(&self.resource),
            format: some(&self.format),
            from: some(&self.from),
            to: some(&self.to),
            sort: some(&self.sort),
            page: self.page.trim().parse().ok(),
            batch: some(&self.batch),
            // Each pending batch is one line above the table.
            batches_apart: true,
        }
    }

    /// The queue's address with these filters on `page` (defaults left out).
    pub fn href(&self, page: u32) -> String {
        let state = if self.state.trim() == "pending" {
            ""
        } else {
            self.state.trim()
        };
        let sort = if self.sort.trim() == "start" {
            ""
        } else {
            self.sort.trim()
        };
        Query::new()
            .set("state", state)
            .set("unit", self.unit.trim())
            .set("resource", self.resource.trim())
            .set("format", self.format.trim())
            .set("from", self.from.trim())
            .set("to", self.to.trim())
            .set("sort", sort)
            .set("batch", self.batch.trim())
            .set(
                "page",
                if page > 1 {
                    page.to_string()
                } else {
                    String::new()
                },
            )
            .href("/librarian/queue")
    }
}

/// What a bulk approval did: the loans approved, and each refused one with why.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    pub approved: Vec<i64>,
    pub refused: Vec<(String, String)>,
}

/// A refusal or a bulk result to show on the queue built again after a post.
#[derive(Default)]
pub struct Shown {
    pub retry: Option<LoanRetry>,
    pub bulk: Option<BulkOutcome>,
    /// The bulk form itself was refused (nothing selected, too many).
    pub bulk_error: Option<String>,
}

/// A state offered by the filter.
pub struct StateOption {
    pub value: &'static str,
    pub label: &'static str,
}

fn state_options() -> Vec<StateOption> {
    let mut options = vec![StateOption {
        value: "pending",
        label: "待处理（待审批与候补）",
    }];
    options.extend(LoanStatus::ALL.iter().map(|s| StateOption {
        value: s.as_str(),
        label: s.label(),
    }));
    options.push(StateOption {
        value: "all",
        label: "全部",
    });
    options
}

#[derive(Template)]
#[template(path = "librarian/queue.html")]
pub struct QueuePage {
    chrome: Chrome,
    notice: Option<String>,
    /// A copy just handed out, whose slip the notice offers.
    slip: Option<i64>,
    /// A refusal whose loan is not on this page.
    error: Option<String>,
    filter_error: Option<String>,
    bulk: Option<BulkOutcome>,
    bulk_error: Option<String>,
    query: QueueQuery,
    states: Vec<StateOption>,
    units: Vec<Unit>,
    /// The unit filtered on is not a known unit (shown as typed).
    unknown_unit: bool,
    rows: Vec<DeskRow>,
    /// Loans matching the filters, on every page.
    total: u64,
    page: u32,
    pages: u32,
    previous_page: Option<String>,
    next_page: Option<String>,
    /// Requests waiting (requested and waitlisted), whatever the filters.
    pending_total: u64,
    /// This page's address, where the action forms come back to.
    here: String,
    /// The most urgent physical copies to hand out or check in.
    physical: Vec<DeskRow>,
    /// Physical loans open in all (the section shows at most [`COPIES_SHOWN`]).
    physical_open: u64,
    /// Batches with loans pending, each one line (the default view only).
    batches: Vec<BatchLineView>,
    /// The batch the table is narrowed to.
    batch: Option<String>,
}
pages!(QueuePage);

/// A loan of a batch in its queue line.
pub struct BatchItemView {
    pub loan_id: i64,
    pub resource_id: String,
    pub title: String,
    pub format_label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    /// Requested, but its days have no room left: approval would be refused.
    pub blocked: bool,
}

/// A pending batch as one line of the queue.
pub struct BatchLineView {
    pub id: i64,
    pub unit_name: String,
    pub start: String,
    pub end: String,
    pub purpose: String,
    pub audience: u32,
    pub requested_by: String,
    pub requested: usize,
    pub waitlisted: usize,
    pub approvable: usize,
    pub items: Vec<BatchItemView>,
    /// The table narrowed to this batch, to handle its items one by one.
    pub href: String,
}

impl BatchLineView {
    fn of(line: &loans::BatchLine) -> Self {
        let head = &line.head;
        Self {
            id: head.id,
            unit_name: head.unit_name.clone(),
            start: head.start.to_string(),
            end: head.end.to_string(),
            purpose: head.purpose.clone(),
            audience: head.audience,
            requested_by: head.requested_by.clone(),
            requested: line.requested(),
            waitlisted: line.waitlisted(),
            approvable: line.approvable(),
            items: line
                .items
                .iter()
                .map(|item| BatchItemView {
                    loan_id: item.loan_id.0,
                    resource_id: item.resource_id.clone(),
                    title: item.resource_title.clone(),
                    format_label: item.format.label(),
                    status: item.status.as_str(),
                    status_label: item.status.label(),
                    blocked: item.status == LoanStatus::Requested && !item.approvable,
                })
                .collect(),
            href: QueueQuery {
                state: "all".to_owned(),
                batch: head.id.to_string(),
                ..QueueQuery::default()
            }
            .href(1),
        }
    }
}

impl QueuePage {
    /// Whether any row offers the bulk checkbox.
    fn any_approvable(&self) -> bool {
        self.rows.iter().any(|r| r.loan.can_approve)
    }

    fn filtered(&self) -> bool {
        self.query.href(1) != "/librarian/queue"
    }
}

pub async fn show_queue(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<QueueQuery>,
) -> Result<Response, PageError> {
    let page = queue_page(&state, &user, query, Shown::default()).await;
    match page {
        Ok(page) if page.filter_error.is_some() => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Ok(page) => Ok(page.into_response()),
        Err(err) => Err(err.for_user(&user)),
    }
}

/// "已批准 3 笔申请：#1、#2、#3。" from `approved=1,2,3`.
fn approved_notice(list: &str) -> Option<String> {
    let ids: Vec<String> = list
        .split(',')
        .take(100)
        .filter_map(|id| id.trim().parse::<i64>().ok().filter(|id| *id > 0))
        .map(|id| format!("#{id}"))
        .collect();
    (!ids.is_empty()).then(|| format!("已批准 {} 笔申请：{}。", ids.len(), ids.join("、")))
}

/// How many physical copies to handle the queue shows: the most urgent; the desk page
/// has the day's work and the table every loan (a national desk has thousands open).
const COPIES_SHOWN: usize = 20;

/// What the queue page reads, in one connection.
struct QueueData {
    table: Result<loans::LoanTable, String>,
    pending_total: u64,
    units: Vec<Unit>,
    liaisons: HashMap<String, accounts::Liaison>,
    physical: loans::CopiesToHandle,
    shelves: HashMap<String, Vec<String>>,
    batches: Vec<loans::BatchLine>,
}

impl QueueData {
    /// The table for `filter` (or why the filter is refused), the physical copies to
    /// handle, and what the rows show besides.
    async fn load(
        state: &AppState,
        actor: Actor,
        filter: TableFilter,
        today: Date,
    ) -> Result<Self, PageError> {
        // The batch lines go with the table's default (pending) view.
        let pending_view = filter.batch.is_none()
            && matches!(
                loans::StateFilter::parse(filter.state.as_deref().unwrap_or("")),
                Ok(loans::StateFilter::Pending)
            );
        let data = state
            .with_conn(move |conn| -> Result<QueueData, AppError> {
                let batches = if pending_view {
                    let unit = filter
                        .unit
                        .as_deref()
                        .map(str::trim)
                        .filter(|u| !u.is_empty());
                    loans::pending_batches(conn, &actor, unit, today)?
                } else {
                    Vec::new()
                };
                let table = match loans::loan_table(conn, &actor, &filter, today) {
                    Ok(table) => Ok(table),
                    Err(err @ LoanError::Invalid { .. }) => Err(err.to_string()),
                    Err(err) => return Err(err.into()),
                };
                let physical = loans::physical_to_handle(conn, &actor, today, COPIES_SHOWN)?;
                let mut shelves = HashMap::new();
                let listed = table.iter().flat_map(|t| t.rows.iter().map(|r| &r.loan));
                for loan in listed.chain(&physical.loans) {
                    if loan.actions.contains(&Action::Issue.as_str())
                        && !shelves.contains_key(&loan.resource_id)
                    {
                        let shelf = loans::shelf_copies(conn, &loan.resource_id)?;
                        shelves.insert(loan.resource_id.clone(), shelf);
                    }
                }
                Ok(QueueData {
                    pending_total: loans::pending_count(conn)?,
                    units: accounts::list_units(conn)?,
                    liaisons: accounts::units::liaisons(conn)?,
                    table,
                    physical,
                    shelves,
                    batches,
                })
            })
            .await?;
        Ok(data)
    }

    fn row(&self, loan: &loans::Loan, review: Option<&loans::Review>) -> DeskRow {
        let mut row = DeskRow::of(loan, review, &self.liaisons);
        if let Some(shelf) = self.shelves.get(&loan.resource_id) {
            row.shelf = shelf.clone();
        }
        row
    }
}

/// The queue for `query`, with a refused form or a bulk result when one is given.
pub(super) async fn queue_page(
    state: &AppState,
    user: &SessionUser,
    query: QueueQuery,
    shown: Shown,
) -> Result<QueuePage, PageError> {
    let today = state.clock.today();
    let data = QueueData::load(state, Actor::user(user), query.filter(), today).await?;
    let (mut rows, total, page, pages, filter_error) = match &data.table {
        Ok(table) => (
            table
                .rows
                .iter()
                .map(|r| data.row(&r.loan, r.review.as_ref()))
                .collect::<Vec<_>>(),
            table.total,
            table.page,
            table.pages,
            None,
        ),
        Err(message) => (Vec::new(), 0, 1, 1, Some(message.clone())),
    };
    let mut physical: Vec<DeskRow> = data
        .physical
        .loans
        .iter()
        .map(|l| data.row(l, None))
        .collect();
    let selected: Vec<i64> = shown
        .bulk
        .as_ref()
        .map(|b| {
            b.refused
                .iter()
                .filter_map(|(id, _)| id.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut placed = false;
    for row in rows.iter_mut().chain(physical.iter_mut()) {
        row.selected = selected.contains(&row.loan.id);
        placed |= row.take_retry(&shown.retry);
    }
    let unit = query.unit.trim();
    let unknown_unit = !unit.is_empty() && !data.units.iter().any(|u| u.code == unit);
    Ok(QueuePage {
        chrome: Chrome::for_user(user, Section::Loans),
        notice: approved_notice(&query.approved).or_else(|| done_notice(Some(&query.done))),
        slip: query.slip.trim().parse().ok().filter(|id| *id > 0),
        error: unplaced(&shown.retry, placed),
        filter_error,
        bulk: shown.bulk,
        bulk_error: shown.bulk_error,
        states: state_options(),
        units: data.units,
        unknown_unit,
        rows,
        total,
        page,
        pages,
        previous_page: (page > 1).then(|| query.href(page - 1)),
        next_page: (page < pages).then(|| query.href(page + 1)),
        pending_total: data.pending_total,
        here: query.href(page),
        physical,
        physical_open: data.physical.open,
        batches: data.batches.iter().map(BatchLineView::of).collect(),
        batch: Some(query.batch.trim().to_owned()).filter(|b| !b.is_empty()),
        query,
    })
}
