//! The loan request form of the resource page (`#loan`): its availability check (a GET
//! that reloads the page) and its POST.

use crate::accounts::policy;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::{Resource, Status};
use crate::loans::{self, Actor, Format, LoanRequest};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, FormData};
use crate::web::pages::resource::{ResourceQuery, resource_page};
use crate::web::pages::see_other;
use jiff::civil::Date;

/// The availability of the chosen dates, as the form shows it.
pub struct AvailabilityView {
    pub fits: bool,
    pub start: String,
    pub end: String,
    /// The end moved off a closed day, in words (empty when not moved).
    pub moved_end: String,
    pub capacity: String,
    pub peak_used: u32,
    pub waiting: u32,
    pub suggestion: Option<(String, String)>,
}

/// The loan request form on the resource page.
pub struct LoanFormView {
    pub digital: bool,
    pub physical: bool,
    /// The format chosen: the one asked for if offered, else digital when offered.
    pub format: Format,
    pub start: String,
    pub end: String,
    pub purpose: String,
    pub audience: String,
    pub error: Option<String>,
    pub availability: Option<AvailabilityView>,
    /// The month of the chosen format, day by day.
    pub calendar: Option<MonthCalendar>,
    /// For an officer with a request basket: whether the resource is in it already
    /// (`None`: no "加入借阅清单" here).
    pub basket: Option<bool>,
}

impl LoanFormView {
    /// Whether the checked period is full: sending it joins the waitlist.
    pub fn waitlist(&self) -> bool {
        self.availability.as_ref().is_some_and(|a| !a.fits)
    }
}

/// A month of a resource's availability in one format: each day free, partly free,
/// full, closed or past; a day that can start a loan links to the check of a period
/// of the chosen length from it (the script fills the form instead).
pub struct MonthCalendar {
    pub label: String,
    pub format_label: &'static str,
    pub prev: Option<String>,
    pub next: String,
    pub weeks: Vec<Vec<Option<CalendarDay>>>,
    /// Days of the period a click chooses.
    pub length: i64,
}

pub struct CalendarDay {
    pub day: i8,
    pub date: String,
    pub state: &'static str,
    pub title: String,
    pub href: Option<String>,
}

/// The calendar's day in words (its tooltip and the screen reader's text).
fn day_words(day: &loans::MonthDay) -> String {
    let taken = match day.capacity {
        Some(cap) => format!("（已借 {}/{cap}）", day.used),
        None => String::new(),
    };
    match day.state {
        "past" => "已过".to_owned(),
        "closed" => match &day.name {
            Some(name) => format!("闭馆：{name}"),
            None => "闭馆".to_owned(),
        },
        "full" => format!("已满{taken}"),
        "partly" => format!("部分已借出{taken}"),
        _ => "空闲".to_owned(),
    }
}

/// The month shown: `?month=`, else the chosen start's, else this month.
fn shown_month(query: &ResourceQuery, start: &str, today: Date) -> Date {
    let month = text(&query.month);
    format!("{month}-01")
        .parse::<Date>()
        .ok()
        .filter(|_| month.len() == 7)
        .or_else(|| start.parse::<Date>().ok())
        .unwrap_or(today)
        .first_of_month()
}

async fn month_calendar(
    state: &AppState,
    user: &SessionUser,
    resource_id: &str,
    form: &LoanFormView,
    query: &ResourceQuery,
) -> Option<MonthCalendar> {
    let today = state.clock.today();
    let first = shown_month(query, &form.start, today);
    let length = match (form.start.parse::<Date>(), form.end.parse::<Date>()) {
        (Ok(start), Ok(end)) if start <= end => loans::days::length_days(start, end).min(92),
        _ => 3,
    };
    let (actor, id, format) = (Actor::user(user), resource_id.to_owned(), form.format);
    let days = state
        .with_conn(move |conn| loans::free_days_of_month(conn, &actor, &id, format, first, today))
        .await
        .ok()?;
    let month_href = |month: Date| {
        format!(
            "/resources/{resource_id}?format={}&month={}#loan",
            form.format.as_str(),
            month.strftime("%Y-%m")
        )
    };
    let physical = form.format == Format::Physical;
    let cells = days.iter().map(|day| {
        let startable = day.state != "past" && !(physical && day.state == "closed");
        let end = loans::days::add_days(day.date, length - 1);
        CalendarDay {
            day: day.date.day(),
            date: day.date.to_string(),
            state: day.state,
            title: day_words(day),
            href: startable.then(|| {
                format!(
                    "/resources/{resource_id}?format={}&start={}&end={end}&check=1&month={}#loan",
                    form.format.as_str(),
                    day.date,
                    first.strftime("%Y-%m")
                )
            }),
        }
    });
    let this_month = today.first_of_month();
    Some(MonthCalendar {
        label: first.strftime("%Y 年 %-m 月").to_string(),
        format_label: if physical {
            "实体拷贝"
        } else {
            "数字借阅"
        },
        prev: (first > this_month)
            .then(|| first.checked_sub(jiff::Span::new().months(1)).ok())
            .flatten()
            .map(month_href),
        next: month_href(
            first
                .checked_add(jiff::Span::new().months(1))
                .unwrap_or(first),
        ),
        weeks: crate::web::pages::librarian::weeks::weeks(first, cells),
        length,
    })
}

pub(crate) fn capacity_label(capacity: loans::Capacity) -> String {
    match capacity {
        None => "不限".to_owned(),
        Some(n) => n.to_string(),
    }
}

fn text(value: &Option<String>) -> String {
    value.as_deref().unwrap_or("").trim().to_owned()
}

/// The form for a borrower of a unit on a published resource, with the availability
/// of the chosen dates when asked (`check`).
pub(in crate::web::pages) async fn loan_form(
    state: &AppState,
    user: &SessionUser,
    resource: &Resource,
    query: &ResourceQuery,
    error: Option<String>,
) -> Option<LoanFormView> {
    let in_scope = user.unit.as_deref().is_some_and(|unit| {
        policy::reaches_unit(&resource.visibility(), unit, user.unit_sector.as_deref())
    });
    if !in_scope || resource.status != Status::Published {
        return None;
    }
    let digital = resource.holdings.licences != Some(0);
    let physical = resource.holdings.copies.iter().any(|c| c.in_circulation);
    if !digital && !physical {
        return None;
    }
    let asked = Format::parse(&text(&query.format)).ok();
    let format = if (asked == Some(Format::Physical) && physical) || !digital {
        Format::Physical
    } else {
        Format::Digital
    };
    let mut form = LoanFormView {
        digital,
        physical,
        format,
        start: text(&query.start),
        end: text(&query.end),
        purpose: text(&query.purpose),
        audience: text(&query.audience),
        error,
        availability: None,
        calendar: None,
        basket: None,
    };
    form.calendar = month_calendar(state, user, &resource.id, &form, query).await;
    form.basket = basket_offer(state, user, &resource.id).await;
    if query.check.is_some() && form.error.is_none() {
        let (actor, today) = (Actor::user(user), state.clock.today());
        let (id, start, end) = (resource.id.clone(), form.start.clone(), form.end.clone());
        let checked = state
            .with_conn(move |conn| {
                loans::availability(
                    conn,
                    &actor,
                    &id,
                    Some(format.as_str()),
                    Some(start),
                    Some(end),
                    today,
                )
            })
            .await;
        match checked {
            Ok(a) => {
                form.availability = Some(AvailabilityView {
                    fits: a.fits,
                    start: a.start.to_string(),
                    end: a.end.to_string(),
                    moved_end: if a.end != a.requested_end {
                        format!("{} 为闭馆日，归还日顺延至 {}", a.requested_end, a.end)
                    } else {
                        String::new()
                    },
                    capacity: capacity_label(a.capacity),
                    peak_used: a.peak_used,
                    waiting: a.waiting,
                    suggestion: a
                        .suggestion
                        .filter(|_| !a.fits)
                        .map(|p| (p.start.to_string(), p.end.to_string())),
                })
            }
            Err(err) => form.error = Some(err.into_message()),
        }
    }
    Some(form)
}

/// Whether the resource is in the officer's basket (`Some(true)`), could be added
/// (`Some(false)`), or neither.
async fn basket_offer(state: &AppState, user: &SessionUser, resource_id: &str) -> Option<bool> {
    if user.is_librarian() {
        return None;
    }
    let (actor, ids) = (Actor::user(user), vec![resource_id.to_owned()]);
    let marks = state
        .with_conn(move |conn| loans::basket_marks(conn, &actor, &ids))
        .await
        .ok()??;
    if marks.in_basket.contains(resource_id) {
        Some(true)
    } else {
        marks.addable.contains(resource_id).then_some(false)
    }
}

/// The request form's fields as typed.
fn typed_request(form: &FormData, check: bool) -> ResourceQuery {
    ResourceQuery {
        t: None,
        format: Some(form.get("format").to_owned()),
        start: Some(form.get("start").to_owned()),
        end: Some(form.get("end").to_owned()),
        purpose: Some(form.get("purpose").to_owned()),
        audience: Some(form.get("audience").to_owned()),
        check: check.then(|| "1".to_owned()),
        month: None,
    }
}

/// `POST /resources/{id}/loan/check`: the resource page with the availability of the
/// typed period and the form as typed. Posted, so that neither the form's token nor
/// the purpose ends up in the address bar, the history or a proxy's log.
pub(super) async fn check_availability(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Response {
    let query = typed_request(&form, true);
    match resource_page(state, user.clone(), raw_id, query, None).await {
        Ok(page) => page.into_response(),
        Err(err) => err.for_user(&user).into_response(),
    }
}

/// What the request form lacks, all at once: each empty required field, and a
/// number of participants that is not one.
fn missing_fields(form: &FormData, bad_audience: Option<&String>) -> Vec<String> {
    let mut missing: Vec<String> = [
        ("start", "请选择开始日期"),
        ("end", "请选择结束日期"),
        ("purpose", "请填写用途"),
        ("audience", "请填写参加人数"),
    ]
    .into_iter()
    .filter(|(name, _)| form.get(name).trim().is_empty())
    .map(|(_, message)| message.to_owned())
    .collect();
    if let Some(message) = bad_audience {
        missing.push(message.clone());
    }
    // One problem alone is the domain's to word (with its own checks of the dates).
    if missing.len() < 2 {
        missing.clear();
    }
    missing
}

/// `POST /resources/{id}/loan`: files the request and goes to `/loans`; a refused
/// request shows the resource page again with the typed values and the reason.
pub(super) async fn request_loan(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Response {
    let query = typed_request(&form, false);
    let audience = form.get("audience").trim();
    let parsed_audience = if audience.is_empty() {
        Ok(None)
    } else {
        audience
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("参加人数“{audience}”应为整数"))
    };
    let missing = missing_fields(&form, parsed_audience.as_ref().err());
    let outcome = match parsed_audience {
        // Every problem the form shows at once, rather than one per attempt.
        _ if !missing.is_empty() => Err(missing.join("；")),
        Err(message) => Err(message),
        Ok(audience) => {
            let input = LoanRequest {
                resource_id: Some(raw_id.clone()),
                format: query.format.clone(),
                start: query.start.clone(),
                end: query.end.clone(),
                purpose: query.purpose.clone(),
                audience,
                unit: None,
            };
            let (actor, at) = (Actor::user(&user), state.clock.moment());
            state
                .with_conn(move |conn| loans::create(conn, &actor, input, at))
                .await
                .map_err(AppError::into_message)
        }
    };
    match outcome {
        Ok(loan) => see_other(&format!("/loans?created={}", loan.id)),
        Err(message) => {
            match resource_page(state, user.clone(), raw_id, query, Some(message)).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
                Err(err) => err.for_user(&user).into_response(),
            }
        }
    }
}
