//! `/librarian/loans/{id}`: one loan as the desk handles it (issue 15): its facts, the
//! unit's liaison, what has been done to it (the audit rows, reasons included), and
//! the library's forms to cancel it or recall it with a reason. The forms post to
//! `/loans/{id}/{action}` like every loan form; a refusal comes back here with the
//! message beside the form and what was typed.

use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::accounts::{self, SessionUser};
use crate::app::AppState;
use crate::audit::{self, AuditAction};
use crate::loans::{self, Actor, Format};
use crate::web::error::AppError;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::loans::{LoanView, done_notice, loan_id_of};
use crate::web::pages::{Chrome, PageError, Section, pages};

/// What the cancel or recall form had typed when it was refused, and why.
#[derive(Default)]
pub struct Retry {
    /// `cancel` or `recall`.
    pub action: String,
    pub reason: String,
    pub due: String,
    pub error: String,
}

/// One step of the loan's history.
pub struct Step {
    pub at: String,
    pub who: String,
    pub action: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "librarian/loan.html")]
pub struct LoanPage {
    chrome: Chrome,
    loan: LoanView,
    liaison: String,
    notice: Option<String>,
    cancel: Retry,
    recall: Retry,
    steps: Vec<Step>,
}
pages!(LoanPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoanQuery {
    done: Option<String>,
}

pub async fn show_loan(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<LoanQuery>,
) -> Result<LoanPage, PageError> {
    let mut page = loan_page(&state, &user, &raw_id, None)
        .await
        .map_err(|err| err.for_user(&user))?;
    page.notice = done_notice(query.done.as_deref());
    Ok(page)
}

/// The page of loan `raw_id`, with a refused form shown again when there is one.
pub(in crate::web::pages) async fn loan_page(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    retry: Option<Retry>,
) -> Result<LoanPage, PageError> {
    let id = loan_id_of(raw_id)?;
    let (actor, today) = (Actor::user(user), state.clock.today());
    let (loan, liaison, entries, due) = state
        .with_conn(move |conn| {
            let loan = loans::get(conn, &actor, id, today)?;
            let due = loans::default_recall_due(conn, loan.end, today)?;
            let liaison = accounts::units::liaison_of(conn, &loan.unit)?;
            // The loan's own audit rows: its resource's, whose detail names it.
            let prefix = format!("借阅 {id}（");
            let entries = audit::list_about(conn, &loan.resource_id, &prefix)?;
            Ok::<_, AppError>((loan, liaison, entries, due))
        })
        .await?;
    let recall_due = if loan.format == Format::Physical {
        due.to_string()
    } else {
        String::new()
    };
    let (mut cancel, mut recall) = (Retry::default(), Retry::default());
    match retry {
        Some(retry) if retry.action == "recall" => recall = retry,
        Some(retry) => cancel = retry,
        None => {}
    }
    // The recall form proposes the default due day of a physical loan.
    if recall.due.is_empty() {
        recall.due = recall_due;
    }
    Ok(LoanPage {
        chrome: Chrome::for_user(user, Section::Loans),
        liaison: liaison
            .filter(|l| !l.is_empty())
            .map(|l| {
                [l.name, l.mobile, l.email]
                    .into_iter()
                    .filter(|part| !part.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default(),
        loan: LoanView::of(&loan),
        notice: None,
        cancel,
        recall,
        steps: entries
            .into_iter()
            .map(|entry| Step {
                at: format::minute(&entry.at),
                who: audit::actor_label(&entry),
                action: AuditAction::from_code(&entry.action)
                    .map_or(entry.action.clone(), |a| a.label().to_owned()),
                detail: entry
                    .detail
                    .split_once('：')
                    .map_or(entry.detail.clone(), |(_, rest)| rest.to_owned()),
            })
            .collect(),
    })
}
