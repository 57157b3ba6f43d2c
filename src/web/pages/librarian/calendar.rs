//! `/librarian/resources/{id}/calendar`: a month grid with the capacity used per
//! day, closed days and the bookings, which can be moved from here; a refused move
//! comes back with the reason beside its booking and the dates typed.

use askama::Template;
use axum::extract::{Path, State};
use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use super::rows::LoanRetry;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::{self, Action, Actor};
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::loans::{capacity_label, done_notice};
use crate::web::pages::{Chrome, PageError, Section, pages};

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
    /// The move form's dates: the booking's, or those typed when refused.
    pub move_start: String,
    pub move_end: String,
    /// Why the last move of this booking was refused.
    pub error: Option<String>,
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
    /// A refused move whose booking is not in this month.
    error: Option<String>,
}
pages!(CalendarPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MonthQuery {
    pub month: Option<String>,
    pub done: Option<String>,
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
    calendar_page(&state, &user, id, query, None)
        .await
        .map_err(|err| err.for_user(&user))
}

/// The month of `query` (a refused move shown beside its booking when given).
pub(super) async fn calendar_page(
    state: &AppState,
    user: &SessionUser,
    id: String,
    query: MonthQuery,
    retry: Option<LoanRetry>,
) -> Result<CalendarPage, PageError> {
    let (actor, today) = (Actor::user(user), state.clock.today());
    let notice = done_notice(query.done.as_deref());
    let view = state
        .with_conn(move |conn| loans::month(conn, &actor, &id, query.month.as_deref(), today))
        .await?;
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
    let bookings: Vec<BookingRow> = view
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
            move_start: b.start.to_string(),
            move_end: b.end.to_string(),
            error: None,
        })
        .map(|mut row| {
            if let Some(r) = retry.as_ref().filter(|r| r.loan_id == row.id) {
                (row.move_start, row.move_end) = (r.start.clone(), r.end.clone());
                row.error = Some(r.message.clone());
            }
            row
        })
        .collect();
    let placed = bookings.iter().any(|b| b.error.is_some());
    Ok(CalendarPage {
        chrome: Chrome::for_user(user, Section::Loans),
        error: super::rows::unplaced(&retry, placed),
        id: view.resource_id.clone(),
        title: view.title.clone(),
        month: view.month.clone(),
        previous,
        next,
        licences: capacity_label(view.licences),
        copies: capacity_label(view.copies),
        weeks,
        bookings,
        notice,
    })
}
