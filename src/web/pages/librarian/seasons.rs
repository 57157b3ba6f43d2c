//! `/librarian/seasons` (节点日期): a year's holiday periods with their dates, the ones
//! only proposed by the closed-days calendar marked as such, the reminders' lead time,
//! and the reminders sent for the year. A refused form comes back with what was typed
//! and the reason beside it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::seasons::periods::{self, Source, WEEKS};
use crate::seasons::{self, PeriodInput, Season, SeasonYear, SeasonsChange, reminders};
use crate::web::pages::extract::{CsrfForm, PageLibrarian, PageQuery};
use crate::web::pages::format::minute;
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// The page and its form.
pub fn router() -> Router<AppState> {
    Router::new().route("/librarian/seasons", get(show_seasons).post(save_seasons))
}

/// One season's row of the form.
pub struct PeriodRow {
    pub code: &'static str,
    pub label: &'static str,
    pub start: String,
    pub end: String,
    /// 已确认, 根据休息日推算，未确认 or 未设置.
    pub state: &'static str,
    pub confirmed: bool,
    /// The refusal was about this row.
    pub invalid: bool,
}

/// A reminder sent, as listed.
pub struct SentRow {
    pub unit_name: String,
    pub unit_code: String,
    pub season: &'static str,
    pub sent_at: String,
}

#[derive(Template)]
#[template(path = "librarian/seasons.html")]
pub struct SeasonsPage {
    chrome: Chrome,
    year: i16,
    rows: Vec<PeriodRow>,
    weeks: String,
    weeks_invalid: bool,
    min_weeks: u8,
    max_weeks: u8,
    sent: Vec<SentRow>,
    notice: Option<String>,
    error: Option<String>,
}
pages!(SeasonsPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: Option<String>,
    done: Option<String>,
}

/// The year asked for, or this year.
fn chosen_year(state: &AppState, asked: Option<&str>) -> i16 {
    asked
        .and_then(|text| periods::parse_year(text).ok())
        .unwrap_or_else(|| state.clock.today().year())
}

async fn show_seasons(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<YearQuery>,
) -> Result<SeasonsPage, PageError> {
    let year = chosen_year(&state, query.year.as_deref());
    let mut page = year_page(&state, &user, year).await?;
    page.notice =
        (query.done.as_deref() == Some("saved")).then(|| format!("已保存 {year} 年的节点日期。"));
    Ok(page)
}

async fn year_page(
    state: &AppState,
    user: &SessionUser,
    year: i16,
) -> Result<SeasonsPage, PageError> {
    let (shown, sent) = state
        .with_conn(move |conn| {
            Ok::<_, seasons::SeasonError>((
                seasons::season_year(conn, year)?,
                reminders::sent(conn, year)?,
            ))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    Ok(SeasonsPage {
        chrome: Chrome::for_user(user, Section::Loans),
        year,
        rows: rows_of(&shown),
        weeks: shown.reminder_weeks.to_string(),
        weeks_invalid: false,
        min_weeks: *WEEKS.start(),
        max_weeks: *WEEKS.end(),
        sent: sent
            .into_iter()
            .map(|r| SentRow {
                unit_name: r.unit_name,
                unit_code: r.unit_code,
                season: r.season.label(),
                sent_at: minute(&r.sent_at),
            })
            .collect(),
        notice: None,
        error: None,
    })
}

fn rows_of(shown: &SeasonYear) -> Vec<PeriodRow> {
    shown
        .periods
        .iter()
        .map(|period| PeriodRow {
            code: period.season.code(),
            label: period.label,
            start: period.start.map(|d| d.to_string()).unwrap_or_default(),
            end: period.end.map(|d| d.to_string()).unwrap_or_default(),
            state: match period.source {
                Source::Saved => "已确认",
                Source::ClosedDays => "根据休息日推算，未确认",
                Source::Missing => "未设置",
            },
            confirmed: period.confirmed,
            invalid: false,
        })
        .collect()
}

/// `POST /librarian/seasons`: saves every row of the form (a row left empty is not
/// kept) and the lead time.
async fn save_seasons(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let year = match periods::parse_year(form.get("year")) {
        Ok(year) => year,
        Err(err) => return Err(PageError::from(err).for_user(&user)),
    };
    let field = |code: &str, end: &str| form.get(&format!("{code}_{end}")).trim().to_owned();
    let typed: Vec<(Season, String, String)> = Season::ALL
        .into_iter()
        .map(|season| {
            (
                season,
                field(season.code(), "start"),
                field(season.code(), "end"),
            )
        })
        .collect();
    let weeks = form.get("reminder_weeks").trim().to_owned();
    let change = SeasonsChange {
        periods: typed
            .iter()
            .map(|(season, start, end)| PeriodInput {
                season: Value::from(season.code()),
                start: Value::from(start.as_str()),
                end: Value::from(end.as_str()),
            })
            .collect(),
        reminder_weeks: Some(Value::from(weeks.as_str())),
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    // The domain's error is kept whole: it names the period to mark.
    let saved = state
        .with_conn(move |conn| {
            Ok::<_, seasons::SeasonError>(seasons::save(conn, &actor, year, &change, at))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let err = match saved {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/librarian/seasons?year={year}&done=saved"
            )));
        }
        Err(err) => err,
    };
    let field = match &err {
        seasons::SeasonError::Invalid { field, .. } => field.clone(),
        _ => String::new(),
    };
    let marked = Season::parse(&field);
    let err = PageError::from(err);
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(&user));
    };
    // The form again as typed, the row the refusal names marked.
    let mut page = year_page(&state, &user, year).await?;
    for (row, (season, start, end)) in page.rows.iter_mut().zip(&typed) {
        row.start.clone_from(start);
        row.end.clone_from(end);
        row.invalid = marked == Some(*season);
    }
    page.weeks = weeks;
    page.weeks_invalid = field == "reminder_weeks";
    page.error = Some(message);
    Ok((status, page).into_response())
}
