//! The forms of a base's week view: schedule or reject a request, close or cancel a
//! session, add a one-off session or a weekly template. Each calls one `visits`
//! function and goes back to the week (post/redirect/get); a refusal shows the week
//! again with the reason beside the form and what was typed.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use rusqlite::Connection;

use super::bases::{Retry, week_page};
use super::form::split_list;
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::clock::Moment;
use crate::loans::days::parse_date;
use crate::visits::{
    self, ReasonInput, ScheduleInput, SessionEnd, SessionInput, SessionReason, TemplateInput,
    VisitCommand, VisitError,
};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, FormData, librarians_only};
use crate::web::pages::{PageError, see_other};

/// The form's user if a librarian; others get the 403 page before anything is read.
fn librarian(form: CsrfForm) -> Result<(SessionUser, FormData), PageError> {
    if form.user.is_librarian() {
        Ok((form.user, form.form))
    } else {
        Err(librarians_only(&form.user))
    }
}

/// A number in the address, or the 404 page.
fn path_id(raw: &str, what: &str, user: &SessionUser) -> Result<i64, PageError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        PageError::not_found(format!(
            "没有编号为“{}”的{what}",
            raw.chars().take(40).collect::<String>()
        ))
        .for_user(user)
    })
}

/// The week the form was on (`week`), else `fallback`.
fn form_week(form: &FormData, fallback: Date) -> Date {
    parse_date("week", form.get("week").trim()).unwrap_or(fallback)
}

/// A whole number typed in `field`, empty as `None`.
fn typed_number(form: &FormData, field: &str, what: &str) -> Result<Option<i64>, VisitError> {
    let text = form.get(field).trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>().map(Some).map_err(|_| {
        VisitError::invalid(
            field,
            format!(
                "{what}“{}”应为整数",
                text.chars().take(20).collect::<String>()
            ),
        )
    })
}

fn week_address(base: &str, week: Date, done: &str, n: i64, anchor: &str) -> String {
    format!("/librarian/bases/{base}?week={week}&done={done}&n={n}#{anchor}")
}

/// The week again with the refusal beside the form; errors that are not the
/// librarian's to fix are the error page.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    base: &str,
    week: Date,
    err: PageError,
    retry: Retry,
) -> Result<Response, PageError> {
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(user));
    };
    let page = week_page(state, user, base, week, Retry { message, ..retry }).await?;
    Ok((status, page).into_response())
}

/// The base of visit `id`, to come back to after a refusal.
async fn base_of_visit(state: &AppState, user: &SessionUser, id: i64) -> Result<String, PageError> {
    let actor = Actor::user(user);
    state
        .with_conn(move |conn| visits::get(conn, &actor, id).map(|v| v.base_id))
        .await
        .map_err(|err| PageError::from(err).for_user(user))
}

/// The session `id` (its base and date).
async fn session_of(
    state: &AppState,
    user: &SessionUser,
    id: i64,
) -> Result<visits::Session, PageError> {
    state
        .with_conn(move |conn| visits::session(conn, id))
        .await
        .map_err(|err| PageError::from(err).for_user(user))
}

/// Runs a step on visit `id` and goes back to its base's week.
async fn visit_step(
    state: AppState,
    user: SessionUser,
    form: FormData,
    id: i64,
    command: VisitCommand,
    retry: Retry,
) -> Result<Response, PageError> {
    let week = form_week(&form, state.clock.today());
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let done = retry.form;
    let outcome = state
        .with_conn(move |conn| visits::act(conn, &actor, id, command, at))
        .await;
    match outcome {
        Ok(visit) => Ok(see_other(&week_address(
            &visit.base_id,
            week,
            done,
            id,
            "pending",
        ))),
        Err(err) => {
            let base = base_of_visit(&state, &user, id).await?;
            refused(&state, &user, &base, week, err.into(), retry).await
        }
    }
}

pub async fn schedule_visit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let id = path_id(&raw, "参观申请", &user)?;
    let typed = form.get("session_id").trim().to_owned();
    let retry = Retry {
        form: "schedule",
        id,
        typed: vec![("session_id", typed.clone())],
        ..Retry::default()
    };
    let command = match typed_number(&form, "session_id", "场次编号") {
        Ok(session_id) => VisitCommand::Schedule(ScheduleInput { session_id }),
        Err(err) => {
            let week = form_week(&form, state.clock.today());
            let base = base_of_visit(&state, &user, id).await?;
            return refused(&state, &user, &base, week, err.into(), retry).await;
        }
    };
    visit_step(state, user, form, id, command, retry).await
}

pub async fn reject_visit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let id = path_id(&raw, "参观申请", &user)?;
    let reason = form.get("reason").to_owned();
    let retry = Retry {
        form: "reject",
        id,
        typed: vec![("reason", reason.clone())],
        ..Retry::default()
    };
    let command = VisitCommand::Reject(ReasonInput {
        reason: Some(reason),
    });
    visit_step(state, user, form, id, command, retry).await
}

/// Closes (`how` = close) or cancels a session with the reason typed.
async fn end_session(
    state: AppState,
    raw: String,
    form: CsrfForm,
    how: SessionEnd,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let id = path_id(&raw, "场次", &user)?;
    let session = session_of(&state, &user, id).await?;
    let fallback = parse_date("date", &session.date).unwrap_or(state.clock.today());
    let week = form_week(&form, fallback);
    let reason = form.get("reason").to_owned();
    let name = match how {
        SessionEnd::Close => "close",
        SessionEnd::Cancel => "cancel",
    };
    let retry = Retry {
        form: name,
        id,
        typed: vec![("reason", reason.clone())],
        ..Retry::default()
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let input = SessionReason {
        reason: Some(reason),
    };
    let outcome = state
        .with_conn(move |conn| visits::end_session(conn, &actor, id, how, input, at))
        .await;
    match outcome {
        Ok(_) => Ok(see_other(&week_address(
            &session.base_id,
            week,
            name,
            id,
            &format!("session-{id}"),
        ))),
        Err(err) => refused(&state, &user, &session.base_id, week, err.into(), retry).await,
    }
}

pub async fn close_session(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    end_session(state, raw, form, SessionEnd::Close).await
}

pub async fn cancel_session(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    end_session(state, raw, form, SessionEnd::Cancel).await
}

/// What an add form typed, kept for a refusal.
fn kept(form: &FormData, fields: &[&'static str]) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .map(|field| (*field, form.get(field).to_owned()))
        .collect()
}

/// The step adding a session or a template to a base.
type AddStep<I, T> = fn(&mut Connection, &Actor, &str, I, Moment) -> Result<T, VisitError>;

/// Runs `step` on base `base` with the input read from the form (or its refusal).
async fn add_to_base<I, T>(
    state: &AppState,
    user: &SessionUser,
    base: &str,
    input: Result<I, VisitError>,
    step: AddStep<I, T>,
) -> Result<T, AppError>
where
    I: Send + 'static,
    T: Send + 'static,
{
    let input = input?;
    let (actor, at, id) = (Actor::user(user), state.clock.moment(), base.to_owned());
    state
        .with_conn(move |conn| step(conn, &actor, &id, input, at))
        .await
}

pub async fn add_session(
    State(state): State<AppState>,
    Path(base): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let week = form_week(&form, state.clock.today());
    let retry = Retry {
        form: "session",
        typed: kept(
            &form,
            &["date", "start", "end", "capacity", "label", "sectors"],
        ),
        ..Retry::default()
    };
    let input = typed_number(&form, "capacity", "每场人数").map(|capacity| SessionInput {
        date: Some(form.get("date").to_owned()),
        start: Some(form.get("start").to_owned()),
        end: Some(form.get("end").to_owned()),
        capacity,
        label: Some(form.get("label").to_owned()),
        sectors: Some(split_list(form.get("sectors"))),
    });
    match add_to_base(&state, &user, &base, input, visits::add_session).await {
        Ok(session) => {
            let shown = parse_date("date", &session.date).unwrap_or(week);
            Ok(see_other(&week_address(
                &base,
                shown,
                "session",
                session.id,
                &format!("session-{}", session.id),
            )))
        }
        Err(err) => refused(&state, &user, &base, week, err.into(), retry).await,
    }
}

pub async fn add_template(
    State(state): State<AppState>,
    Path(base): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let week = form_week(&form, state.clock.today());
    let retry = Retry {
        form: "template",
        typed: kept(&form, &["weekday", "start", "end", "capacity"]),
        ..Retry::default()
    };
    let input = typed_number(&form, "weekday", "星期").and_then(|weekday| {
        Ok(TemplateInput {
            weekday,
            start: Some(form.get("start").to_owned()),
            end: Some(form.get("end").to_owned()),
            capacity: typed_number(&form, "capacity", "每场人数")?,
        })
    });
    match add_to_base(&state, &user, &base, input, visits::add_template).await {
        Ok(template) => Ok(see_other(&week_address(
            &base,
            week,
            "template",
            i64::from(template.sessions_made),
            "templates",
        ))),
        Err(err) => refused(&state, &user, &base, week, err.into(), retry).await,
    }
}
