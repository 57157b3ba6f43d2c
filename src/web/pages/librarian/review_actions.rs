//! What the review page's forms post: redact, return to the unit, publish, keep a
//! finding. Each calls one domain function; success goes back to the review page with
//! a notice (post/redirect/get), a refusal shows the page again with the reason beside
//! the form and what was typed. Librarians only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::review::{ReviewPage, review_page};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::curation::CurationCommand;
use crate::catalog::{CatalogError, ResourceId, contributions, redaction};
use crate::privacy::Redaction;
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, librarians_only};
use crate::web::pages::url::Query;
use crate::web::pages::{PageError, see_other};
use crate::web::shared::resource_id;

/// The reason a refused form shows beside it (the catalogue's words, without the
/// field's code), or the error page when the failure is not the form's.
fn refusal(err: CatalogError, user: &SessionUser) -> Result<(StatusCode, String), PageError> {
    if let CatalogError::Invalid { message, .. } = err {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    let err = PageError::from(err);
    err.input_problem().ok_or_else(|| err.for_user(user))
}

/// Back to the review page: at `done`'s address (post/redirect/get), or shown again
/// with `show` putting the refusal beside its form.
async fn answer<T>(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    outcome: Result<T, CatalogError>,
    done: impl FnOnce(T) -> String,
    show: impl FnOnce(&mut ReviewPage, String),
) -> Result<Response, PageError> {
    let err = match outcome {
        Ok(value) => return Ok(see_other(&done(value))),
        Err(err) => err,
    };
    let (status, message) = refusal(err, user)?;
    let mut page = review_page(state, user, raw_id).await?;
    show(&mut page, message);
    Ok((status, page).into_response())
}

/// The contribution a librarian's form acts on; others are turned away.
fn target(user: &SessionUser, raw_id: &str) -> Result<ResourceId, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(user));
    }
    resource_id(raw_id).map_err(|err| PageError::from(err).for_user(user))
}

/// Runs one domain step on the database, keeping the catalogue's refusal apart from
/// the service failing (which is an error page).
async fn run<T: Send + 'static>(
    state: &AppState,
    user: &SessionUser,
    step: impl FnOnce(&mut rusqlite::Connection) -> Result<T, CatalogError> + Send + 'static,
) -> Result<Result<T, CatalogError>, PageError> {
    state
        .with_conn(move |conn| Ok::<_, AppError>(step(conn)))
        .await
        .map_err(|err| PageError::from(err).for_user(user))
}

fn review_href(raw_id: &str, done: &str) -> String {
    format!("/librarian/contributions/{raw_id}?done={done}")
}

pub async fn redact_contribution(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = target(&user, &raw_id)?;
    let keep_surname = !form.get("keep_surname").is_empty();
    let how = Redaction { keep_surname };
    let (actor, at, store) = (
        Actor::user(&user),
        state.clock.moment(),
        state.store.clone(),
    );
    let done = run(&state, &user, move |conn| {
        redaction::redact(conn, &store, &actor, &id, how, at)
    })
    .await?;
    if done.is_ok() {
        // The copies are what borrowers' search reads from now on.
        state.refresh_index_now();
    }
    let done_at = |done: redaction::Redacted| {
        Query::new()
            .set("done", "redacted")
            .set("copied", done.files.len().to_string())
            .set("fields", done.fields.join(","))
            .set("flagged", done.flagged.len().to_string())
            .set("open", done.open_findings.to_string())
            .href(&format!("/librarian/contributions/{raw_id}"))
    };
    answer(&state, &user, &raw_id, done, done_at, |page, message| {
        page.forms.redact_error = Some(message);
        page.forms.keep_surname = keep_surname;
    })
    .await
}

pub async fn return_contribution(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = target(&user, &raw_id)?;
    let comments = form.get("comments").to_owned();
    let (actor, at, typed) = (Actor::user(&user), state.clock.moment(), comments.clone());
    let done = run(&state, &user, move |conn| {
        contributions::return_to_unit(conn, &actor, &id, &typed, at)
    })
    .await?;
    let done_at = |_| review_href(&raw_id, "returned");
    answer(&state, &user, &raw_id, done, done_at, |page, message| {
        page.forms.return_error = Some(message);
        page.forms.comments = comments;
    })
    .await
}

pub async fn publish_contribution(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let id = target(&user, &raw_id)?;
    // Only a contribution is published from here; other resources from the editor.
    let key = id.clone();
    let known = run(&state, &user, move |conn| {
        contributions::is_contribution(conn, &key)
    })
    .await?;
    if !matches!(known, Ok(true)) {
        return Err(PageError::from(CatalogError::NotFound(raw_id)).for_user(&user));
    }
    let published = state
        .curate(Actor::user(&user), CurationCommand::Publish(id))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let done_at = |_| review_href(&raw_id, "published");
    answer(
        &state,
        &user,
        &raw_id,
        published,
        done_at,
        |page, message| {
            page.forms.publish_error = Some(message);
        },
    )
    .await
}

pub async fn acknowledge_finding(
    State(state): State<AppState>,
    Path((raw_id, raw_finding)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = target(&user, &raw_id)?;
    let Ok(finding) = raw_finding.parse::<i64>() else {
        return Err(PageError::not_found("没有这条脱敏检查发现").for_user(&user));
    };
    let reason = form.get("reason").to_owned();
    let (actor, at, typed) = (Actor::user(&user), state.clock.moment(), reason.clone());
    let done = run(&state, &user, move |conn| {
        crate::catalog::privacy::acknowledge(conn, &actor, &id, finding, &typed, at)
    })
    .await?;
    let done_at = |_| format!("{}#findings", review_href(&raw_id, "acknowledged"));
    answer(&state, &user, &raw_id, done, done_at, |page, message| {
        page.refuse_ack(Some(finding), message, reason);
    })
    .await
}
