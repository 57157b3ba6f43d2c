//! `/librarian/contributions`: the review queue of units' contributions (SPEC §9).
//! Those awaiting review come oldest first, each with its unit, kind, sharing scope
//! and the privacy check's findings (open of all); tabs show the returned, published
//! and withdrawn ones. The review page of one contribution is `review`.

use askama::Template;
use axum::extract::State;
use serde::Deserialize;

use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::Status;
use crate::catalog::contributions::{self, ContributionSummary};
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages};

/// The states a contribution is listed under, in the tabs' order.
const TABS: [Status; 4] = [
    Status::Submitted,
    Status::Returned,
    Status::Published,
    Status::Withdrawn,
];

/// One tab of the queue.
pub struct Tab {
    pub value: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub current: bool,
}

/// One contribution in the queue.
pub struct QueueRow {
    pub id: String,
    pub title: String,
    pub unit_name: String,
    pub kind_label: &'static str,
    /// When it was (last) sent for review, Beijing time.
    pub submitted: String,
    /// When it last changed, Beijing time.
    pub updated: String,
    pub share_label: &'static str,
    pub findings: usize,
    pub open_findings: usize,
    /// The comments it was returned with.
    pub comments: Option<String>,
}

impl QueueRow {
    fn of(summary: ContributionSummary) -> Self {
        QueueRow {
            submitted: summary
                .submitted_at
                .as_deref()
                .map(format::minute)
                .unwrap_or_default(),
            updated: format::minute(&summary.updated_at),
            kind_label: summary.kind.label(),
            share_label: summary.share.label(),
            findings: summary.findings,
            open_findings: summary.open_findings,
            comments: summary.comments,
            id: summary.id,
            title: summary.title,
            unit_name: if summary.unit_name.is_empty() {
                summary.contributed_by
            } else {
                summary.unit_name
            },
        }
    }
}

#[derive(Template)]
#[template(path = "librarian/contributions.html")]
pub struct ContributionQueuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    status: Status,
    rows: Vec<QueueRow>,
}
pages!(ContributionQueuePage);

impl ContributionQueuePage {
    fn awaiting(&self) -> bool {
        self.status == Status::Submitted
    }
}

/// The tab's name.
fn tab_label(status: Status) -> &'static str {
    match status {
        Status::Submitted => "待审核",
        Status::Returned => "已退回修改",
        Status::Published => "已发布",
        _ => "已撤回",
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    status: String,
}

pub async fn show_queue(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<QueueQuery>,
) -> Result<ContributionQueuePage, PageError> {
    let status = match query.status.trim() {
        "" => Status::Submitted,
        typed => TABS
            .into_iter()
            .find(|s| s.as_str() == typed)
            .ok_or_else(|| {
                PageError::bad_request(
                    "没有这种投稿状态；应为 submitted、returned、published 或 withdrawn",
                )
                .for_user(&user)
            })?,
    };
    let actor = Actor::user(&user);
    let all = state
        .with_conn(move |conn| contributions::list(conn, &actor, None))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let tabs = TABS
        .into_iter()
        .map(|tab| Tab {
            value: tab.as_str(),
            label: tab_label(tab),
            count: all.iter().filter(|c| c.status == tab).count(),
            current: tab == status,
        })
        .collect();
    // `list` gives those awaiting review oldest first, the others newest first.
    let rows = all
        .into_iter()
        .filter(|c| c.status == status)
        .map(QueueRow::of)
        .collect();
    Ok(ContributionQueuePage {
        chrome: Chrome::for_user(&user, Section::Review),
        tabs,
        status,
        rows,
    })
}
