//! `/visits/{id}`: one visit with its base, its session and preferences, its steps and
//! its visitor list; `/visits/{id}/letter` (参观确认函): the printable A4 letter of a
//! scheduled or confirmed visit.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::BaseView;
use super::{ActionRetry, VisitView, done_notice, visit_id_of};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::Actor;
use crate::visits::{self, Visit, VisitError};
use crate::web::pages::extract::{PageQuery, PageUser};
use crate::web::pages::{Chrome, PageError, Section, pages};

#[derive(Template)]
#[template(path = "visits/show.html")]
pub struct VisitPage {
    chrome: Chrome,
    notice: Option<String>,
    /// The step forms come back to this page, not the list.
    on_list: bool,
    visit: VisitView,
    base: Option<BaseView>,
    /// The listed visitors, ID numbers masked.
    visitors: Option<crate::visits::visitor_list::VisitorList>,
    /// Whether the unit may still change the list (before the visit).
    list_editable: bool,
    /// A refused list's problems, and the text typed.
    pub(super) list_error: Option<String>,
    pub(super) list_typed: String,
}
pages!(VisitPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VisitQuery {
    done: Option<String>,
    created: Option<String>,
}

/// The visit `id` as `user` may see it, with its base's details.
async fn visit_and_base(
    state: &AppState,
    user: &SessionUser,
    id: i64,
) -> Result<
    (
        Visit,
        Option<visits::Base>,
        crate::visits::visitor_list::VisitorList,
    ),
    PageError,
> {
    let actor = Actor::user(user);
    Ok(state
        .with_conn(move |conn| {
            let visit = visits::get(conn, &actor, id)?;
            let base = visits::base(conn, &visit.base_id)?;
            let listed = crate::visits::visitor_list::visitors(conn, &actor, id)?;
            Ok::<_, VisitError>((visit, base, listed))
        })
        .await?)
}

pub(super) async fn show_visit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<VisitQuery>,
) -> Result<VisitPage, PageError> {
    let id = visit_id_of(&raw_id).map_err(|err| err.for_user(&user))?;
    let notice = if query.created.is_some() {
        Some("已提交参观申请。工委安排场次后会通知本单位，届时请在此确认。".to_owned())
    } else {
        done_notice(query.done.as_deref())
    };
    visit_page(&state, &user, id, notice, None)
        .await
        .map_err(|err| err.for_user(&user))
}

/// The page of visit `id`, with a refused step shown beside its form.
pub(super) async fn visit_page(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    notice: Option<String>,
    retry: Option<ActionRetry>,
) -> Result<VisitPage, PageError> {
    let (visit, base, listed) = visit_and_base(state, user, id).await?;
    let list_editable = visit.needs_visitor_list
        && matches!(
            visit.status,
            visits::VisitStatus::Requested
                | visits::VisitStatus::Scheduled
                | visits::VisitStatus::Confirmed
        );
    let mut view = VisitView::of(&visit, user, state.clock.today());
    if let Some(retry) = retry {
        view.retry = retry;
    }
    Ok(VisitPage {
        chrome: Chrome::for_user(user, Section::Visits),
        notice,
        on_list: false,
        visit: view,
        base: base.as_ref().map(BaseView::of),
        visitors: visit.needs_visitor_list.then_some(listed),
        list_editable,
        list_error: None,
        list_typed: String::new(),
    })
}

#[derive(Template)]
#[template(path = "visits/letter.html")]
pub struct LetterPage {
    chrome: Chrome,
    visit: VisitView,
    base: Option<BaseView>,
    /// The day the letter is printed, `2027年3月1日`.
    issued_on: String,
}
pages!(LetterPage);

impl LetterPage {
    /// A letter exists for a visit holding seats that has not taken place.
    fn available(&self) -> bool {
        self.visit.has_letter && self.visit.held.is_some()
    }
}

/// `GET /visits/{id}/letter`: the letter of a scheduled or confirmed visit; any other
/// state answers a page that says why there is none (yet).
pub(super) async fn show_letter(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(raw_id): Path<String>,
) -> Result<Response, PageError> {
    let id = visit_id_of(&raw_id).map_err(|err| err.for_user(&user))?;
    let (visit, base, _) = visit_and_base(&state, &user, id)
        .await
        .map_err(|err| err.for_user(&user))?;
    let today = state.clock.today();
    let page = LetterPage {
        chrome: Chrome::for_user(&user, Section::Visits),
        visit: VisitView::of(&visit, &user, today),
        base: base.as_ref().map(BaseView::of),
        issued_on: today.strftime("%Y年%-m月%-d日").to_string(),
    };
    if page.available() {
        Ok(page.into_response())
    } else {
        // The letter does not exist in this state: the page says why.
        Ok((StatusCode::CONFLICT, page).into_response())
    }
}
