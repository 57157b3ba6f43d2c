//! `/librarian/closed-days`: the year at a glance (closed holidays, weekends, make-up
//! working days), adding and removing a day, and filling a whole year by pasting the
//! State Council's holiday notice. A refused form comes back with what was typed and
//! the reason beside it.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::loans::days::{self, DayKind, LibraryDay, OpeningDays};
use crate::loans::notice::{self, YEARS};
use crate::web::pages::extract::{CsrfForm, PageLibrarian, PageQuery};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// One day of the year view.
pub struct DayCell {
    pub day: i8,
    pub date: String,
    pub look: DayLook,
    /// The holiday's or make-up day's name.
    pub name: String,
}

/// How a day is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DayLook {
    Open,
    Weekend,
    Holiday,
    Workday,
}

impl DayLook {
    pub fn class(self) -> &'static str {
        match self {
            DayLook::Open => "open",
            DayLook::Weekend => "weekend",
            DayLook::Holiday => "holiday",
            DayLook::Workday => "workday",
        }
    }
}

/// A month: weeks from Monday, blanks outside the month.
pub struct MonthGrid {
    pub month: i8,
    pub weeks: Vec<Vec<Option<DayCell>>>,
}

/// What the forms had typed, shown again when refused.
#[derive(Default)]
pub struct Typed {
    pub date: String,
    pub kind: String,
    pub name: String,
    pub notice: String,
}

#[derive(Template)]
#[template(path = "librarian/closed_days.html")]
pub struct ClosedDaysPage {
    chrome: Chrome,
    year: i16,
    months: Vec<MonthGrid>,
    listed: Vec<LibraryDay>,
    notice: Option<String>,
    day_error: Option<String>,
    notice_error: Option<String>,
    typed: Typed,
}
pages!(ClosedDaysPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: Option<i16>,
    done: Option<String>,
}

pub async fn show_closed_days(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<YearQuery>,
) -> Result<ClosedDaysPage, PageError> {
    let year = query
        .year
        .filter(|year| YEARS.contains(year))
        .unwrap_or_else(|| state.clock.today().year());
    let mut page = year_page(&state, &user, year).await?;
    page.notice = query.done.as_deref().and_then(done_message);
    Ok(page)
}

fn done_message(done: &str) -> Option<String> {
    let text = match done {
        "added" => "已保存。",
        "removed" => "已取消该日期。",
        "notice" => "已按放假通知设置全年的闭馆日和调休上班日。",
        _ => return None,
    };
    Some(text.to_owned())
}

async fn year_page(
    state: &AppState,
    user: &SessionUser,
    year: i16,
) -> Result<ClosedDaysPage, PageError> {
    let listed = state
        .with_conn(move |conn| days::list_days(conn, Some(year)))
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let opening = OpeningDays::new(listed.iter().cloned());
    Ok(ClosedDaysPage {
        chrome: Chrome::for_user(user, Section::Loans),
        year,
        months: (1..=12)
            .map(|month| month_grid(year, month, &opening))
            .collect(),
        listed,
        notice: None,
        day_error: None,
        notice_error: None,
        typed: Typed::default(),
    })
}

fn month_grid(year: i16, month: i8, opening: &OpeningDays) -> MonthGrid {
    let Ok(first) = Date::new(year, month, 1) else {
        return MonthGrid {
            month,
            weeks: Vec::new(),
        };
    };
    let cells = (0..first.days_in_month()).map(|offset| {
        let date = days::add_days(first, offset.into());
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        let name = opening.name_of(date).unwrap_or_default().to_owned();
        let look = match (opening.is_open(date), name.is_empty(), weekend) {
            (false, false, _) => DayLook::Holiday,
            (false, true, _) => DayLook::Weekend,
            (true, false, true) => DayLook::Workday,
            (true, _, _) => DayLook::Open,
        };
        DayCell {
            day: date.day(),
            date: date.to_string(),
            look,
            name,
        }
    });
    MonthGrid {
        month,
        weeks: super::weeks::weeks(first, cells),
    }
}

/// The year a form acts on, for coming back to it.
fn form_year(form_year: &str, fallback: i16) -> i16 {
    form_year
        .trim()
        .parse()
        .ok()
        .filter(|year| YEARS.contains(year))
        .unwrap_or(fallback)
}

/// Shows the year again with the refusal beside the form that caused it.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    year: i16,
    err: PageError,
    typed: Typed,
    notice_form: bool,
) -> Result<Response, PageError> {
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(user));
    };
    let mut page = year_page(state, user, year).await?;
    if notice_form {
        page.notice_error = Some(message);
    } else {
        page.day_error = Some(message);
    }
    page.typed = typed;
    Ok((status, page).into_response())
}

pub async fn add_day(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let typed = Typed {
        date: form.get("date").trim().to_owned(),
        kind: form.get("kind").to_owned(),
        name: form.get("name").to_owned(),
        notice: String::new(),
    };
    let year = form_year(
        typed.date.get(..4).unwrap_or(""),
        state.clock.today().year(),
    );
    let parsed = days::parse_date("date", &typed.date).and_then(|date| {
        Ok(LibraryDay {
            date,
            kind: DayKind::parse(&typed.kind)?,
            name: typed.name.trim().to_owned(),
        })
    });
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let saved = match parsed {
        Ok(day) => {
            state
                .with_conn(move |conn| days::set_day(conn, &actor, &day, at))
                .await
        }
        Err(err) => Err(err.into()),
    };
    match saved {
        Ok(()) => Ok(see_other(&format!(
            "/librarian/closed-days?year={year}&done=added#year"
        ))),
        Err(err) => refused(&state, &user, year, err.into(), typed, false).await,
    }
}

pub async fn remove_day(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let date = days::parse_date("date", form.get("date"))
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    state
        .with_conn(move |conn| days::remove_day(conn, &actor, date, at))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(see_other(&format!(
        "/librarian/closed-days?year={}&done=removed#listed",
        date.year()
    )))
}

pub async fn apply_notice(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let typed = Typed {
        notice: form.get("notice").to_owned(),
        ..Typed::default()
    };
    let year = form_year(form.get("year"), state.clock.today().year());
    let (actor, at, text) = (
        Actor::user(&user),
        state.clock.moment(),
        typed.notice.clone(),
    );
    let applied = state
        .with_conn(move |conn| notice::apply_notice(conn, &actor, &text, Some(year), at))
        .await;
    match applied {
        Ok(_) => Ok(see_other(&format!(
            "/librarian/closed-days?year={year}&done=notice#year"
        ))),
        Err(err) => refused(&state, &user, year, err.into(), typed, true).await,
    }
}
