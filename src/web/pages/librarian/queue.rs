//! The librarian's loan pages: `/librarian/queue` (pending requests oldest first with
//! their conflicts and a suggested free period: approve, reject with a reason, move;
//! physical loans to issue or check in) and `/librarian/resources/{id}/calendar`
//! (a month grid with the capacity used per day, closed days and the bookings). The
//! action forms post to `/loans/{id}/{action}` (see `pages::loans`).

use askama::Template;
use axum::extract::{Path, State};
use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::{self, Action, Actor, Format, LoanError, LoanFilter, LoanStatus};
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::loans::{LoanView, capacity_label, done_notice};
use crate::web::pages::{Chrome, PageError, Section, pages};

/// A pending request with what the librarian needs to decide.
pub struct QueueEntry {
    pub loan: LoanView,
    pub capacity: String,
    pub peak_used: u32,
    pub conflicts: Vec<String>,
    pub suggestion: Option<(String, String)>,
    /// The request's month, for the calendar link.
    pub month: String,
}

#[derive(Template)]
#[template(path = "librarian/queue.html")]
pub struct QueuePage {
    chrome: Chrome,
    notice: Option<String>,
    pending: Vec<QueueEntry>,
    /// All pending requests, of which `pending` is one page.
    pending_total: u64,
    /// This page starts after a loan id: it is not the first page.
    later_page: bool,
    /// Where the next page starts, when there is one.
    next_after: Option<i64>,
    /// This page's address, where the action forms come back to.
    here: String,
    physical: Vec<LoanView>,
}
pages!(QueuePage);

/// Requests on one page of the queue.
const QUEUE_PER_PAGE: u32 = 30;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    done: Option<String>,
    /// Show the requests after this loan id (the page after the one that ended there).
    after: Option<i64>,
}

pub async fn show_queue(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<QueueQuery>,
) -> Result<QueuePage, PageError> {
    let shown = queue_page(state, &user, query).await;
    shown.map_err(|err| err.for_user(&user))
}

async fn queue_page(
    state: AppState,
    user: &SessionUser,
    query: QueueQuery,
) -> Result<QueuePage, PageError> {
    let (actor, today) = (Actor::user(user), state.clock.today());
    let after = query.after.filter(|id| *id > 0);
    let (mut items, pending_total, out) = state
        .with_conn(move |conn| {
            let slice = loans::QueueSlice {
                after,
                // One more than shown tells whether a next page exists.
                limit: Some(QUEUE_PER_PAGE + 1),
            };
            let items = loans::queue(conn, &actor, today, slice)?;
            let total = loans::pending_count(conn)?;
            Ok::<_, LoanError>((items, total, physical_to_handle(conn, &actor, today)?))
        })
        .await?;
    let next_after = (items.len() > QUEUE_PER_PAGE as usize).then(|| {
        items.truncate(QUEUE_PER_PAGE as usize);
        items.last().map_or(0, |item| item.loan.id.0)
    });
    let notice = done_notice(query.done.as_deref());
    Ok(QueuePage {
        chrome: Chrome::for_user(user, Section::Loans),
        notice,
        pending_total,
        later_page: after.is_some(),
        next_after,
        here: match after {
            Some(id) => format!("/librarian/queue?after={id}"),
            None => "/librarian/queue".to_owned(),
        },
        pending: items
            .iter()
            .map(|item| QueueEntry {
                loan: LoanView::of(&item.loan),
                capacity: capacity_label(item.capacity),
                peak_used: item.peak_used,
                conflicts: item
                    .conflicts
                    .iter()
                    .map(|c| {
                        format!(
                            "#{} {}（{}）{} 至 {}",
                            c.id,
                            c.unit_name,
                            c.status.label(),
                            c.start,
                            c.end
                        )
                    })
                    .collect(),
                suggestion: item
                    .suggestion
                    .map(|p| (p.start.to_string(), p.end.to_string())),
                month: month_label(item.loan.start),
            })
            .collect(),
        physical: out.iter().map(LoanView::of).collect(),
    })
}

/// Physical loans waiting to be handed out (approved) or checked in (active or
/// overdue), oldest first.
fn physical_to_handle(
    conn: &rusqlite::Connection,
    actor: &Actor,
    today: Date,
) -> Result<Vec<loans::Loan>, LoanError> {
    let mut out = Vec::new();
    let can = |loan: &loans::Loan, action: Action| loan.actions.contains(&action.as_str());
    for status in [
        LoanStatus::Approved,
        LoanStatus::Active,
        LoanStatus::Overdue,
    ] {
        let filter = LoanFilter {
            format: Some(Format::Physical.as_str().to_owned()),
            status: Some(status.as_str().to_owned()),
            limit: Some(500),
            ..LoanFilter::default()
        };
        out.extend(
            loans::list(conn, actor, &filter, today)?
                .into_iter()
                .filter(|l| can(l, Action::Issue) || can(l, Action::Return)),
        );
    }
    out.sort_by_key(|l| l.id.0);
    Ok(out)
}

/// One cell of the month grid.
pub struct DayCell {
    pub day: i8,
    pub date: String,
    pub open: bool,
    pub note: String,
    pub digital: String,
    pub physical: String,
    pub full: bool,
}

pub struct BookingRow {
    pub id: i64,
    pub unit_name: String,
    pub format_label: &'static str,
    pub status_label: &'static str,
    pub start: String,
    pub end: String,
    /// A booking not yet handed out can be moved from the calendar.
    pub can_move: bool,
}

#[derive(Template)]
#[template(path = "librarian/calendar.html")]
pub struct CalendarPage {
    chrome: Chrome,
    id: String,
    title: String,
    month: String,
    previous: String,
    next: String,
    licences: String,
    copies: String,
    weeks: Vec<Vec<Option<DayCell>>>,
    bookings: Vec<BookingRow>,
    notice: Option<String>,
}
pages!(CalendarPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MonthQuery {
    month: Option<String>,
    done: Option<String>,
}

fn month_label(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn used_label(used: u32, capacity: loans::Capacity) -> String {
    format!("{used}/{}", capacity_label(capacity))
}

pub async fn show_calendar(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(id): Path<String>,
    PageQuery(query): PageQuery<MonthQuery>,
) -> Result<CalendarPage, PageError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let notice = done_notice(query.done.as_deref());
    let view = state
        .with_conn(move |conn| loans::month(conn, &actor, &id, query.month.as_deref(), today))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let first = view.days.first().map(|d| d.date).unwrap_or(today);
    let full = |used: u32, cap: loans::Capacity| cap.is_some_and(|c| used >= c && c > 0);
    let cells = view.days.iter().map(|day| DayCell {
        day: day.date.day(),
        date: day.date.to_string(),
        open: day.open,
        note: day.note.clone().unwrap_or_else(|| {
            if day.open {
                String::new()
            } else if matches!(day.date.weekday(), Weekday::Saturday | Weekday::Sunday) {
                "周末".to_owned()
            } else {
                "闭馆".to_owned()
            }
        }),
        digital: used_label(day.digital.used, day.digital.capacity),
        physical: used_label(day.physical.used, day.physical.capacity),
        full: full(day.digital.used, day.digital.capacity)
            || full(day.physical.used, day.physical.capacity),
    });
    let weeks = super::weeks::weeks(first, cells);
    let previous = first
        .checked_sub(jiff::Span::new().months(1))
        .map(month_label)
        .unwrap_or_default();
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .map(month_label)
        .unwrap_or_default();
    Ok(CalendarPage {
        chrome: Chrome::for_user(&user, Section::Loans),
        id: view.resource_id.clone(),
        title: view.title.clone(),
        month: view.month.clone(),
        previous,
        next,
        licences: capacity_label(view.licences),
        copies: capacity_label(view.copies),
        weeks,
        bookings: view
            .bookings
            .iter()
            .map(|b| BookingRow {
                id: b.id.0,
                unit_name: if b.unit_name.is_empty() {
                    b.unit.clone()
                } else {
                    b.unit_name.clone()
                },
                format_label: b.format.label(),
                status_label: b.status_label,
                start: b.start.to_string(),
                end: b.end.to_string(),
                can_move: loans::next_status(b.status, Action::Move, b.format).is_some(),
            })
            .collect(),
        notice,
    })
}
