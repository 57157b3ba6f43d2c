//! 一键排期 on a base's week: the proposal for the week's pending requests shown
//! beside today's state, each line changeable (another preferred session, or none),
//! and applied in one transaction; a request changed since is refused, not
//! overwritten.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::bases::{Retry, WeekPage, week_page};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::loans::days::{add_days, parse_date};
use crate::visits::proposal::{self, ApplyInput, ProposedSeat};
use crate::web::pages::extract::{CsrfForm, FormData, librarians_only};
use crate::web::pages::{PageError, see_other};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/librarian/bases/{id}/proposal",
            axum::routing::post(propose),
        )
        .route(
            "/librarian/bases/{id}/proposal/apply",
            axum::routing::post(apply),
        )
}

/// A proposal as the week view shows it.
#[derive(Debug, Clone, Default)]
pub struct ShownProposal {
    pub token: String,
    pub lines: Vec<ProposalLine>,
    /// Requests it could not seat: unit and headcount.
    pub unassigned: Vec<(i64, String, u32)>,
}

/// One request of the proposal, with the sessions the librarian may choose instead.
#[derive(Debug, Clone)]
pub struct ProposalLine {
    pub visit_id: i64,
    pub unit_name: String,
    pub headcount: u32,
    pub seats: u32,
    pub session_id: i64,
    /// Session id and its label, the request's preferences first.
    pub options: Vec<(i64, String)>,
}

fn librarian(form: CsrfForm) -> Result<(SessionUser, FormData), PageError> {
    if form.user.is_librarian() {
        Ok((form.user, form.form))
    } else {
        Err(librarians_only(&form.user))
    }
}

/// `POST /librarian/bases/{id}/proposal`: the week's proposal, applied to nothing.
async fn propose(
    State(state): State<AppState>,
    Path(base): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let monday = parse_date("week", form.get("week").trim()).unwrap_or(state.clock.today());
    let mut page = week_page(&state, &user, &base, monday, Retry::default()).await?;
    let monday = parse_date("week", &page.week_start()).unwrap_or(monday);
    let (actor, at, id) = (Actor::user(&user), state.clock.moment(), base.clone());
    let (from, to) = (monday.to_string(), add_days(monday, 6).to_string());
    let made = state
        .with_conn(move |conn| proposal::make(conn, &actor, &id, Some(&from), Some(&to), at))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let shown = shown(&page, made);
    page.proposal = Some(shown);
    Ok(page.into_response())
}

fn shown(page: &WeekPage, made: proposal::ProposalView) -> ShownProposal {
    let pending = page.pending_requests();
    let lines = made
        .assignments
        .iter()
        .filter_map(|line| {
            let request = pending.iter().find(|p| p.visit.id == line.visit_id)?;
            let mut options: Vec<(i64, String)> = request
                .visit
                .preferences
                .iter()
                .map(|p| {
                    (
                        p.session.id,
                        format!("第{}志愿 {}", p.rank, p.session.describe()),
                    )
                })
                .collect();
            if !options.iter().any(|(id, _)| *id == line.session_id) {
                options.push((line.session_id, format!("场次 #{}", line.session_id)));
            }
            Some(ProposalLine {
                visit_id: line.visit_id,
                unit_name: request.visit.unit_name.clone(),
                headcount: request.visit.headcount,
                seats: line.seats.unwrap_or(request.visit.headcount),
                session_id: line.session_id,
                options,
            })
        })
        .collect();
    let unassigned = made
        .unassigned
        .iter()
        .filter_map(|id| {
            let request = pending.iter().find(|p| p.visit.id == *id)?;
            Some((
                *id,
                request.visit.unit_name.clone(),
                request.visit.headcount,
            ))
        })
        .collect();
    ShownProposal {
        token: made.token,
        lines,
        unassigned,
    }
}

/// The lines as the librarian left them: `line_{visit}` holds a session id, or
/// nothing to leave that request for later; `seats_{visit}` the seats proposed.
fn lines_of(form: &FormData) -> Vec<ProposedSeat> {
    form.0
        .iter()
        .filter_map(|(name, value)| {
            let visit_id = name.strip_prefix("line_")?.parse::<i64>().ok()?;
            let session_id = value.trim().parse::<i64>().ok()?;
            let seats = form
                .get(&format!("seats_{visit_id}"))
                .trim()
                .parse::<u32>()
                .ok();
            Some(ProposedSeat {
                visit_id,
                session_id,
                seats,
            })
        })
        .take(proposal::MAX_LINES)
        .collect()
}

/// `POST /librarian/bases/{id}/proposal/apply`.
async fn apply(
    State(state): State<AppState>,
    Path(base): Path<String>,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let (user, form) = librarian(form)?;
    let week = parse_date("week", form.get("week").trim()).unwrap_or(state.clock.today());
    let input = ApplyInput {
        assignments: Some(lines_of(&form)),
        token: Some(form.get("token").to_owned()),
    };
    let (actor, at, id) = (Actor::user(&user), state.clock.moment(), base.clone());
    let applied = state
        .with_conn(move |conn| proposal::apply(conn, &actor, &id, input, at))
        .await;
    match applied {
        Ok(applied) => Ok(see_other(&format!(
            "/librarian/bases/{base}?week={week}&done=proposal&n={}#proposal",
            applied.scheduled.len()
        ))),
        Err(err) => {
            let err = PageError::from(err);
            let Some((status, message)) = err.input_problem() else {
                return Err(err.for_user(&user));
            };
            let retry = Retry {
                form: "proposal",
                id: 0,
                message,
                typed: Vec::new(),
            };
            let page = week_page(&state, &user, &base, week, retry).await?;
            Ok((status, page).into_response())
        }
    }
}
