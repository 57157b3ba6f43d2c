//! The coordinator's pages for bases (参观协调): `/librarian/bases`, every base with
//! its pending requests and next sessions, and `/librarian/bases/{id}?week=`, a base's
//! week — sessions with seats held and the groups on them, pending requests with
//! their preferences and conflicts, the schedule, reject, close and cancel forms, a
//! one-off session and the weekly templates. The forms are in `bases_forms`; a
//! refused one comes back here with the reason beside it and what was typed.

use std::borrow::Borrow;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::loans::days::{add_days, parse_date};
use crate::visits::coordination::{self, BaseOverview, Week, weekday_label};
use crate::visits::sessions::weekday_name;
use crate::visits::{Session, SessionStatus};
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages};

/// The coordinator's routes: the bases, a base's week and its forms, the reception
/// sheet.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/librarian/bases", get(list_bases))
        .route("/librarian/bases/{id}", get(show_week))
        .route(
            "/librarian/bases/{id}/sessions",
            post(super::bases_forms::add_session),
        )
        .route(
            "/librarian/bases/{id}/templates",
            post(super::bases_forms::add_template),
        )
        .route(
            "/librarian/sessions/{id}/close",
            post(super::bases_forms::close_session),
        )
        .route(
            "/librarian/sessions/{id}/cancel",
            post(super::bases_forms::cancel_session),
        )
        .route(
            "/librarian/sessions/{id}/sheet",
            get(super::bases_sheet::show_sheet),
        )
        .route(
            "/librarian/visits/{id}/schedule",
            post(super::bases_forms::schedule_visit),
        )
        .route(
            "/librarian/visits/{id}/reject",
            post(super::bases_forms::reject_visit),
        )
}

#[derive(Template)]
#[template(path = "librarian/bases/list.html")]
pub struct BasesPage {
    chrome: Chrome,
    bases: Vec<BaseOverview>,
    pending_total: u32,
}
pages!(BasesPage);

impl BasesPage {
    fn status_label(&self, status: &str) -> &'static str {
        format::status_label(status)
    }
}

pub async fn list_bases(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
) -> Result<BasesPage, PageError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let bases = state
        .with_conn(move |conn| coordination::bases_overview(conn, &actor, today))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(BasesPage {
        chrome: Chrome::for_user(&user, Section::Coordination),
        pending_total: bases.iter().map(|b| b.pending).sum(),
        bases,
    })
}

/// `?week=YYYY-MM-DD` (any day of the week) and what was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WeekQuery {
    pub week: String,
    pub done: String,
    /// The visit or session the notice is about.
    pub n: String,
}

/// Which form was refused, the reason and what it had typed.
#[derive(Debug, Default, Clone)]
pub struct Retry {
    /// `schedule`, `reject`, `close`, `cancel`, `session` or `template`.
    pub form: &'static str,
    /// The visit or session the form was for (0 for the add forms).
    pub id: i64,
    pub message: String,
    pub typed: Vec<(&'static str, String)>,
}

/// A day column of the week.
pub struct DayView {
    pub date: String,
    /// `周一 3月1日`.
    pub heading: String,
    pub open: bool,
    pub name: String,
    pub today: bool,
    pub sessions: Vec<coordination::SessionSlot>,
}

#[derive(Template)]
#[template(path = "librarian/bases/week.html")]
pub struct WeekPage {
    chrome: Chrome,
    base_id: String,
    title: String,
    published: bool,
    capacity: u32,
    lead_days: u32,
    max_group: u32,
    needs_visitor_list: bool,
    /// The Monday, as in `?week=`.
    week: String,
    /// `2027-03-01 至 2027-03-07`.
    span: String,
    previous: String,
    next: String,
    this_week: Option<String>,
    days: Vec<DayView>,
    pending: Vec<coordination::PendingRequest>,
    bookable: Vec<Session>,
    templates: Vec<crate::visits::Template>,
    other_weeks: Vec<(String, String, u32)>,
    earliest: String,
    notice: Option<String>,
    /// A refusal whose form is not on this week.
    error: Option<String>,
    retry: Retry,
    /// 一键排期's proposal, once asked for (`bases_proposal`).
    pub(super) proposal: Option<super::bases_proposal::ShownProposal>,
}
pages!(WeekPage);

impl WeekPage {
    /// The Monday shown, `YYYY-MM-DD`.
    pub(super) fn week_start(&self) -> String {
        self.week.clone()
    }

    /// The week's pending requests.
    pub(super) fn pending_requests(&self) -> &[coordination::PendingRequest] {
        &self.pending
    }

    /// The refusal of form `form` for `id` (a field or a literal: the template
    /// passes either), if it is the one refused.
    fn error_of(&self, form: &str, id: impl Borrow<i64>) -> Option<&str> {
        (self.retry.form == form && self.retry.id == *id.borrow())
            .then_some(self.retry.message.as_str())
    }

    /// What form `form` for `id` had typed in `field`, kept after a refusal.
    fn kept(&self, form: &str, id: impl Borrow<i64>, field: &str) -> &str {
        if self.retry.form != form || self.retry.id != *id.borrow() {
            return "";
        }
        self.retry
            .typed
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    fn weekday_name(&self, weekday: &u8) -> &'static str {
        weekday_name(*weekday)
    }

    fn may_cancel(&self, session: &Session) -> bool {
        session.status != SessionStatus::Cancelled
    }

    fn may_close(&self, session: &Session) -> bool {
        session.status == SessionStatus::Open
    }

    /// `周二 03-02 09:00–11:00（label）· 余 35 座`, for the select of any session.
    fn option_label(&self, session: &Session) -> String {
        let weekday = parse_date("date", &session.date)
            .map(|d| weekday_label(d.weekday()))
            .unwrap_or("");
        format!(
            "{weekday} {} · 余 {} 座",
            session.describe(),
            session.free()
        )
    }
}

pub async fn show_week(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(id): Path<String>,
    PageQuery(query): PageQuery<WeekQuery>,
) -> Result<Response, PageError> {
    let today = state.clock.today();
    let typed = query.week.trim();
    let (day, bad_week) = if typed.is_empty() {
        (today, None)
    } else {
        match parse_date("week", typed) {
            Ok(day) => (day, None),
            Err(_) => (
                today,
                Some(format!(
                    "日期“{}”无效，应为 YYYY-MM-DD；下面是本周。",
                    typed.chars().take(40).collect::<String>()
                )),
            ),
        }
    };
    let mut page = week_page(&state, &user, &id, day, Retry::default()).await?;
    page.notice = done_notice(&query.done, &query.n);
    if let Some(message) = bad_week {
        page.error = Some(message);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    Ok(page.into_response())
}

fn done_notice(done: &str, n: &str) -> Option<String> {
    let n = n.trim().parse::<i64>().ok().filter(|n| *n >= 0)?;
    Some(match done {
        "schedule" => format!("已安排参观申请 #{n}，单位已收到通知，待其确认。"),
        "reject" => format!("已不予安排参观申请 #{n}，单位已收到原因。"),
        "close" => format!("场次 #{n} 已停止预约；已安排的参观不受影响。"),
        "cancel" => format!("场次 #{n} 已取消；其上的参观团已收到通知和可改约的场次。"),
        "session" => format!("已添加场次 #{n}。"),
        "template" => format!("已添加每周开放时间，生成 {n} 个场次。"),
        "proposal" => format!("已应用排期方案，安排 {n} 个申请；各单位已收到通知。"),
        _ => return None,
    })
}

/// The Monday of `day` as `?week=`.
fn week_href(base: &str, monday: Date) -> String {
    format!("/librarian/bases/{base}?week={monday}")
}

/// The week of `base_id` around `day`, with `retry` shown beside its form.
pub(super) async fn week_page(
    state: &AppState,
    user: &SessionUser,
    base_id: &str,
    day: Date,
    retry: Retry,
) -> Result<WeekPage, PageError> {
    let (actor, today, id) = (Actor::user(user), state.clock.today(), base_id.to_owned());
    let week: Week = state
        .with_conn(move |conn| coordination::week(conn, &actor, &id, day, today))
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let monday = week.monday;
    let sunday = add_days(monday, 6);
    let placed = match retry.form {
        "" | "session" | "template" => true,
        "schedule" | "reject" => week.pending.iter().any(|p| p.visit.id == retry.id),
        // Beside a session's form only while the session still offers it.
        form => week.days.iter().any(|d| {
            d.sessions.iter().any(|s| {
                s.session.id == retry.id
                    && match form {
                        "close" => s.session.status == SessionStatus::Open,
                        _ => s.session.status != SessionStatus::Cancelled,
                    }
            })
        }),
    };
    let base = week.base;
    Ok(WeekPage {
        chrome: Chrome::for_user(user, Section::Coordination),
        span: format!("{monday} 至 {sunday}"),
        previous: week_href(&base.id, add_days(monday, -7)),
        next: week_href(&base.id, add_days(monday, 7)),
        this_week: (coordination::monday_of(today) != monday)
            .then(|| week_href(&base.id, coordination::monday_of(today))),
        week: monday.to_string(),
        days: week
            .days
            .into_iter()
            .map(|d| DayView {
                date: d.date.to_string(),
                heading: format!(
                    "{} {}月{}日",
                    weekday_label(d.date.weekday()),
                    d.date.month(),
                    d.date.day()
                ),
                open: d.open,
                name: d.name.unwrap_or_default(),
                today: d.date == today,
                sessions: d.sessions,
            })
            .collect(),
        pending: week.pending,
        bookable: week.bookable,
        templates: week.templates,
        other_weeks: week
            .other_weeks
            .into_iter()
            .map(|(w, n)| (week_href(&base.id, w), w.to_string(), n))
            .collect(),
        earliest: week.earliest.to_string(),
        notice: None,
        error: (!placed).then(|| retry.message.clone()),
        retry,
        proposal: None,
        base_id: base.id,
        title: base.title,
        published: base.published,
        capacity: base.capacity,
        lead_days: base.lead_days,
        max_group: base.max_group,
        needs_visitor_list: base.needs_visitor_list,
    })
}
