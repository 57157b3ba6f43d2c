//! The per-resource calendar (month view: capacity used per day and the bookings)
//! and the availability of a period for the request form.

use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::LoanError;
use super::capacity::{self, Capacity};
use super::days::{OpeningDays, add_days, length_days};
use super::model::{Actor, Format, HOLDING_SQL, LoanId, LoanStatus, Period};
use super::request::checked_period;
use super::store;

/// Use of one format on one day.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct DayUse {
    pub used: u32,
    /// `null` is unlimited.
    #[schema(value_type = Option<u32>)]
    pub capacity: Capacity,
}

/// One day of the month view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub open: bool,
    /// The holiday's or make-up day's name.
    pub note: Option<String>,
    pub digital: DayUse,
    pub physical: DayUse,
}

/// A booking shown on the calendar.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Booking {
    pub id: LoanId,
    pub unit: String,
    pub unit_name: String,
    pub format: Format,
    pub status: LoanStatus,
    pub status_label: &'static str,
    #[schema(value_type = String, format = Date)]
    pub start: Date,
    #[schema(value_type = String, format = Date)]
    pub end: Date,
}

/// `GET /api/v1/resources/{id}/calendar?month=YYYY-MM`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthView {
    pub resource_id: String,
    pub title: String,
    pub month: String,
    #[schema(value_type = Option<u32>)]
    pub licences: Capacity,
    #[schema(value_type = Option<u32>)]
    pub copies: Capacity,
    pub days: Vec<CalendarDay>,
    /// Bookings (holding a slot or waiting) that touch the month; borrowers see only
    /// their own unit's, and the counts of everyone's.
    pub bookings: Vec<Booking>,
}

/// Parses `YYYY-MM` into the month's first day (the current month when absent).
fn month_start(month: Option<&str>, today: Date) -> Result<Date, LoanError> {
    let Some(month) = month.map(str::trim).filter(|m| !m.is_empty()) else {
        return Ok(today.first_of_month());
    };
    let bad = || LoanError::invalid("month", format!("月份“{month}”无效，应为 YYYY-MM"));
    let (year, mon) = month.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || mon.len() != 2 {
        return Err(bad());
    }
    let year: i16 = year.parse().map_err(|_| bad())?;
    let mon: i8 = mon.parse().map_err(|_| bad())?;
    if !(1900..=2100).contains(&year) {
        return Err(bad());
    }
    Date::new(year, mon, 1).map_err(|_| bad())
}

/// The month view of a resource's bookings.
pub fn month(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
    month: Option<&str>,
    today: Date,
) -> Result<MonthView, LoanError> {
    let title = store::visible_title(conn, actor, resource_id)?;
    let first = month_start(month, today)?;
    let last = first.last_of_month();
    let licences = capacity::capacity_of(conn, resource_id, Format::Digital)?;
    let copies = capacity::capacity_of(conn, resource_id, Format::Physical)?;
    let days = month_days(conn, resource_id, (first, last), (licences, copies))?;
    let bookings = month_bookings(conn, actor, resource_id, first, last)?;
    Ok(MonthView {
        resource_id: resource_id.to_owned(),
        title,
        month: format!("{:04}-{:02}", first.year(), first.month()),
        licences,
        copies,
        days,
        bookings,
    })
}

/// Each day from `first` to `last`: open or closed, and the licences and copies in
/// use against the capacity of each.
fn month_days(
    conn: &Connection,
    resource_id: &str,
    (first, last): (Date, Date),
    (licences, copies): (Option<u32>, Option<u32>),
) -> Result<Vec<CalendarDay>, LoanError> {
    let opening = OpeningDays::load(conn)?;
    let used = |format| -> Result<Vec<u32>, LoanError> {
        capacity::day_use(conn, resource_id, format, first, last, None)
    };
    let (digital, physical) = (used(Format::Digital)?, used(Format::Physical)?);
    Ok(digital
        .iter()
        .zip(&physical)
        .enumerate()
        .map(|(offset, (d, p))| {
            let date = add_days(first, offset as i64);
            CalendarDay {
                date,
                open: opening.is_open(date),
                note: opening.name_of(date).map(str::to_owned),
                digital: DayUse {
                    used: *d,
                    capacity: licences,
                },
                physical: DayUse {
                    used: *p,
                    capacity: copies,
                },
            }
        })
        .collect())
}

/// The bookings that touch the month: every unit's for librarians, the viewer's own
/// unit's for borrowers.
fn month_bookings(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
    first: Date,
    last: Date,
) -> Result<Vec<Booking>, LoanError> {
    let sql = format!(
        "SELECT l.id, l.unit_code, coalesce(u.name, ''), l.format, l.status, l.start_date, l.end_date
         FROM loans l LEFT JOIN units u ON u.code = l.unit_code
         WHERE l.resource_id = ?1 AND (l.status IN {HOLDING_SQL} OR l.status = 'waitlisted')
           AND l.start_date <= ?3 AND l.end_date >= ?2 AND (?4 IS NULL OR l.unit_code = ?4)
         ORDER BY l.start_date, l.id"
    );
    let own_only = if actor.librarian {
        None
    } else {
        Some(actor.unit.clone().unwrap_or_default())
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(
            params![resource_id, first.to_string(), last.to_string(), own_only],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, unit, unit_name, format, status, start, end)| {
            let status = LoanStatus::parse(&status)?;
            Ok(Booking {
                id: LoanId(id),
                unit,
                unit_name,
                format: Format::parse(&format)?,
                status,
                status_label: status.label(),
                start: super::days::parse_date("start", &start)?,
                end: super::days::parse_date("end", &end)?,
            })
        })
        .collect()
}

/// `GET /api/v1/resources/{id}/availability`: whether a period would be granted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Availability {
    pub resource_id: String,
    pub format: Format,
    #[schema(value_type = String, format = Date)]
    pub start: Date,
    /// The end the loan would get (moved off a closed day).
    #[schema(value_type = String, format = Date)]
    pub end: Date,
    #[schema(value_type = String, format = Date)]
    pub requested_end: Date,
    #[schema(value_type = Option<u32>)]
    pub capacity: Capacity,
    /// The most loans holding a slot on one day of the period.
    pub peak_used: u32,
    /// Whether a request now would be `requested` (else `waitlisted`).
    pub fits: bool,
    /// Waitlisted requests sharing days with the period.
    pub waiting: u32,
    /// The earliest period of the same length that fits.
    pub suggestion: Option<Period>,
    pub days: Vec<DayAvailability>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayAvailability {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub open: bool,
    pub used: u32,
    #[schema(value_type = Option<u32>)]
    pub capacity: Capacity,
}

/// How far before the asked start a free period is looked for.
const LOOK_BACK_DAYS: i64 = 60;

/// The free period of `len` days nearest to `asked` (earlier or later, from today on);
/// a physical copy's period starts on an open day.
pub(super) fn nearest_free_period(
    conn: &Connection,
    resource_id: &str,
    format: Format,
    asked: Date,
    len: i64,
    today: Date,
    opening: &OpeningDays,
) -> Result<Option<Period>, LoanError> {
    let capacity = capacity::capacity_of(conn, resource_id, format)?;
    let earliest = today.max(add_days(asked, -LOOK_BACK_DAYS));
    let horizon = capacity::SEARCH_HORIZON_DAYS;
    let to = add_days(asked, horizon + len + 14);
    let window = capacity::Window {
        asked,
        earliest,
        len,
        horizon,
    };
    let per_day = capacity::day_use(conn, resource_id, format, window.from(), to, None)?;
    let physical = format == Format::Physical;
    Ok(capacity::nearest_fit_in(
        capacity,
        &per_day,
        window,
        |d| opening.next_open(d),
        |d| !physical || opening.is_open(d),
    ))
}

/// One day of a resource's month as a borrower sees it (`GET …/availability/month`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthDay {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// `free`, `partly` (some taken), `full`, `closed` or `past`.
    pub state: &'static str,
    pub used: u32,
    #[schema(value_type = Option<u32>)]
    pub capacity: Capacity,
    /// The closed day's name (国庆节), if it has one.
    pub name: Option<String>,
}

/// The days of the month of `day` for a resource in a format: free, partly free,
/// full, closed or past, for the borrower's calendar.
pub fn free_days_of_month(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
    format: Format,
    day: Date,
    today: Date,
) -> Result<Vec<MonthDay>, LoanError> {
    store::visible_title(conn, actor, resource_id)?;
    let first = day.first_of_month();
    let last = day.last_of_month();
    let opening = OpeningDays::load(conn)?;
    let capacity = capacity::capacity_of(conn, resource_id, format)?;
    let per_day = capacity::day_use(conn, resource_id, format, first, last, None)?;
    Ok(per_day
        .into_iter()
        .enumerate()
        .map(|(offset, used)| {
            let date = add_days(first, offset as i64);
            let full = capacity.is_some_and(|cap| used >= cap);
            let state = if date < today {
                "past"
            } else if !opening.is_open(date) {
                "closed"
            } else if full {
                "full"
            } else if used > 0 {
                "partly"
            } else {
                "free"
            };
            MonthDay {
                date,
                state,
                used,
                capacity,
                name: opening.name_of(date).map(str::to_owned),
            }
        })
        .collect())
}

/// The availability of a period for a resource and format.
pub fn availability(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
    format: Option<&str>,
    start: Option<String>,
    end: Option<String>,
    today: Date,
) -> Result<Availability, LoanError> {
    store::visible_title(conn, actor, resource_id)?;
    let format = Format::parse(format.unwrap_or(""))?;
    let (period, requested_end) = checked_period(conn, &start, &end, today)?;
    let opening = OpeningDays::load(conn)?;
    let capacity = capacity::capacity_of(conn, resource_id, format)?;
    let per_day = capacity::day_use(conn, resource_id, format, period.start, period.end, None)?;
    let fits = capacity.is_none_or(|cap| per_day.iter().all(|used| *used < cap));
    let waiting: u32 = conn.query_row(
        "SELECT count(*) FROM loans WHERE resource_id = ?1 AND format = ?2 AND status = 'waitlisted'
           AND start_date <= ?4 AND end_date >= ?3",
        params![resource_id, format.as_str(), period.start.to_string(), period.end.to_string()],
        |row| row.get(0),
    )?;
    let suggestion = if fits {
        Some(period)
    } else {
        nearest_free_period(
            conn,
            resource_id,
            format,
            period.start,
            length_days(period.start, requested_end),
            today,
            &opening,
        )?
    };
    Ok(Availability {
        resource_id: resource_id.to_owned(),
        format,
        start: period.start,
        end: period.end,
        requested_end,
        capacity,
        peak_used: per_day.iter().copied().max().unwrap_or(0),
        fits,
        waiting,
        suggestion,
        days: per_day
            .into_iter()
            .enumerate()
            .map(|(offset, used)| {
                let date = add_days(period.start, offset as i64);
                DayAvailability {
                    date,
                    open: opening.is_open(date),
                    used,
                    capacity,
                }
            })
            .collect(),
    })
}
