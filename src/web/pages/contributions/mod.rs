//! The unit's side of contributions (SPEC §9): `/contributions` (我单位的投稿) lists the
//! unit's submissions with their state and the committee's comments, `/contributions/new`
//! submits material with its files (see `form`), and `/contributions/{id}` shows one
//! with its conversation, where the unit edits, adds files, resubmits or withdraws it
//! while it is under review (see `show`). Librarians review on their own pages and are
//! sent there.

mod form;
mod show;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::extract::PageUser;
use super::{Chrome, PageError, Section, format, pages, see_other};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::contributions::{self, ContributionSummary};
use crate::catalog::{Share, Status};
use crate::loans::Actor;
use crate::web::upload;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/contributions",
            get(list_contributions)
                .merge(post(form::submit_contribution).layer(upload::streaming())),
        )
        .route("/contributions/new", get(form::new_contribution))
        .route(
            "/contributions/{id}",
            get(show::show_contribution).post(show::edit_contribution),
        )
        .route(
            "/contributions/{id}/files",
            post(show::add_files).layer(upload::streaming()),
        )
        .route(
            "/contributions/{id}/resubmit",
            post(show::resubmit_contribution),
        )
        .route(
            "/contributions/{id}/withdraw",
            post(show::withdraw_contribution),
        )
}

/// Where librarians review contributions (their own pages).
const REVIEW_QUEUE: &str = "/librarian/contributions";

/// The refusal for a signed-in user without a unit who is not a librarian.
fn units_only(user: &SessionUser) -> PageError {
    PageError::forbidden(
        "“我单位的投稿”供各单位的借阅账号使用：投稿以单位名义提交。工委的资料请在“资源管理”中新建。",
    )
    .for_user(user)
}

/// Where a user who does not contribute goes instead: librarians review
/// contributions; a user of no unit has nothing to contribute.
fn elsewhere(user: &SessionUser) -> Option<Response> {
    if user.is_librarian() {
        return Some(see_other(REVIEW_QUEUE));
    }
    user.unit
        .is_none()
        .then(|| units_only(user).into_response())
}

/// A sharing scope in words; `sector` names the contributor's sector when known.
pub(in crate::web::pages) fn share_label(share: Share, sector: Option<&str>) -> String {
    match (share, sector.filter(|s| !s.trim().is_empty())) {
        (Share::Sector, Some(sector)) => format!("本行业单位（{sector}）"),
        (share, _) => share.label().to_owned(),
    }
}

/// A contribution as the unit's list shows it.
pub struct ContributionRow {
    pub href: String,
    pub title: String,
    pub kind_label: &'static str,
    pub status: Status,
    pub status_label: &'static str,
    pub share_label: String,
    pub submitted_at: String,
    /// The committee's comments, while it is returned for changes.
    pub comments: Option<String>,
}

impl ContributionRow {
    fn of(summary: ContributionSummary, sector: Option<&str>) -> Self {
        Self {
            href: format!("/contributions/{}", summary.id),
            title: summary.title,
            kind_label: summary.kind.label(),
            status: summary.status,
            status_label: format::status_name(summary.status),
            share_label: share_label(summary.share, sector),
            submitted_at: summary
                .submitted_at
                .as_deref()
                .map(format::minute)
                .unwrap_or_default(),
            comments: summary.comments.filter(|c| !c.trim().is_empty()),
        }
    }
}

#[derive(Template)]
#[template(path = "contributions/list.html")]
pub struct ContributionsPage {
    chrome: Chrome,
    unit_name: String,
    rows: Vec<ContributionRow>,
}
pages!(ContributionsPage);

impl ContributionsPage {
    /// How many wait for the unit's changes.
    fn returned(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.status == Status::Returned)
            .count()
    }
}

/// `GET /contributions`: the unit's contributions, those under review first.
async fn list_contributions(
    State(state): State<AppState>,
    PageUser(user): PageUser,
) -> Result<Response, PageError> {
    if let Some(elsewhere) = elsewhere(&user) {
        return Ok(elsewhere);
    }
    let actor = Actor::user(&user);
    let found = state
        .with_conn(move |conn| contributions::list(conn, &actor, None))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let sector = user.unit_sector.as_deref();
    Ok(ContributionsPage {
        chrome: Chrome::for_user(&user, Section::Contributions),
        unit_name: user.unit_name.clone().unwrap_or_default(),
        rows: found
            .into_iter()
            .map(|c| ContributionRow::of(c, sector))
            .collect(),
    }
    .into_response())
}
