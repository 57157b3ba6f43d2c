//! `/loans` (本单位借阅): the unit's loans with their states, queue places and the
//! actions each offers, and the unit's notifications.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::done_notice;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::{self, Action, Actor, Loan, LoanError, LoanFilter, LoanStatus};
use crate::web::pages::extract::{CsrfForm, PageQuery, PageUser};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// A loan as the pages list it.
pub struct LoanView {
    pub id: i64,
    pub resource_id: String,
    pub resource_title: String,
    pub unit_name: String,
    pub format_label: &'static str,
    pub physical: bool,
    pub start: String,
    pub end: String,
    pub moved_end: bool,
    pub requested_end: String,
    pub status: LoanStatus,
    pub status_label: &'static str,
    pub queue_position: Option<u32>,
    pub earliest_free: Option<(String, String)>,
    pub purpose: String,
    pub audience: u32,
    pub renewals_left: u32,
    pub barcode: String,
    pub reject_reason: String,
    pub cancel_reason: String,
    /// Recalled by the library: why (the end is then the day it is due back).
    pub recall_reason: Option<String>,
    /// The resource has been withdrawn from the catalogue.
    pub resource_withdrawn: bool,
    /// The loan is granted and not over (approved, active, overdue) and not recalled:
    /// a withdrawn resource's loan then runs to its end.
    pub runs_on: bool,
    pub report: Option<String>,
    /// The report form's values: the stored report, or what was typed when refused.
    pub report_form: ReportForm,
    pub requested_by: String,
    pub can_cancel: bool,
    pub can_renew: bool,
    pub can_report: bool,
    pub can_approve: bool,
    pub can_reject: bool,
    pub can_move: bool,
    pub can_issue: bool,
    pub can_return: bool,
    /// Why the renewal (or other action on this loan) just sent was refused.
    pub action_error: Option<String>,
    /// The end typed into the renew form when it was refused.
    pub renew_end: String,
    pub can_recall: bool,
    /// The loan batch (借阅清单) it was requested with.
    pub batch_id: Option<i64>,
}

impl LoanView {
    pub fn of(loan: &Loan) -> Self {
        let can = |action: Action| loan.actions.contains(&action.as_str());
        LoanView {
            id: loan.id.0,
            resource_id: loan.resource_id.clone(),
            resource_title: loan.resource_title.clone(),
            unit_name: loan.unit_name.clone(),
            format_label: loan.format_label,
            physical: loan.format == loans::Format::Physical,
            start: loan.start.to_string(),
            end: loan.end.to_string(),
            // A recall brings the end forward; only a closed day moves it later.
            moved_end: loan.end > loan.requested_end,
            requested_end: loan.requested_end.to_string(),
            status: loan.status,
            status_label: loan.status_label,
            queue_position: loan.queue_position,
            earliest_free: loan
                .earliest_free
                .map(|p| (p.start.to_string(), p.end.to_string())),
            purpose: loan.purpose.clone(),
            audience: loan.audience,
            renewals_left: loan.renewals_left,
            barcode: loan.barcode.clone().unwrap_or_default(),
            reject_reason: loan.reject_reason.clone().unwrap_or_default(),
            cancel_reason: loan.cancel_reason.clone().unwrap_or_default(),
            recall_reason: loan
                .recalled_at
                .as_ref()
                .map(|_| loan.recall_reason.clone().unwrap_or_default()),
            resource_withdrawn: loan.resource_withdrawn,
            runs_on: loan.recalled_at.is_none()
                && matches!(
                    loan.status,
                    LoanStatus::Approved | LoanStatus::Active | LoanStatus::Overdue
                ),
            report: loan.report.as_ref().map(|r| {
                let sessions = if r.sessions > 1 {
                    format!(" {} 场", r.sessions)
                } else {
                    String::new()
                };
                format!(
                    "{} 组织观看{sessions}，{} 人参加。{}",
                    r.held_on, r.participants, r.feedback
                )
            }),
            report_form: loan
                .report
                .as_ref()
                .map(|r| ReportForm {
                    held_on: r.held_on.to_string(),
                    sessions: r.sessions.to_string(),
                    participants: r.participants.to_string(),
                    feedback: r.feedback.clone(),
                    error: None,
                })
                .unwrap_or_default(),
            requested_by: loan.requested_by.clone(),
            can_cancel: can(Action::Cancel),
            // Offered once the loan runs: before it starts there is nothing to extend
            // yet (a librarian moves a booking instead).
            can_renew: can(Action::Renew) && loan.status == LoanStatus::Active,
            can_report: can(Action::Report),
            can_approve: can(Action::Approve),
            can_reject: can(Action::Reject),
            can_move: can(Action::Move),
            can_issue: can(Action::Issue),
            can_return: can(Action::Return),
            action_error: None,
            renew_end: String::new(),
            can_recall: can(Action::Recall),
            batch_id: loan.batch_id,
        }
    }
}

/// The values of a loan's report form, and why the last try was refused.
#[derive(Default)]
pub struct ReportForm {
    pub held_on: String,
    pub sessions: String,
    pub participants: String,
    pub feedback: String,
    pub error: Option<String>,
}

/// A refused report, shown again on its loan's form.
pub(super) struct ReportRetry {
    pub loan_id: i64,
    pub form: ReportForm,
    /// A refused renewal (or cancellation, early return): the message, and the end
    /// date typed into the renew form.
    pub other: Option<(String, String)>,
}

pub struct NoticeView {
    pub id: i64,
    pub message: String,
    pub created_at: String,
    pub unread: bool,
    /// Where to read more, and the link's words (none when it is about nothing shown).
    pub link: Option<(String, String)>,
}

impl NoticeView {
    fn of(n: loans::notify::Notification) -> Self {
        // A contribution's notice leads to the unit's contribution page, a holiday
        // reminder to the season's collections, the others to the resource (a
        // loan's, or the base of a visit).
        let season = n
            .season
            .as_deref()
            .and_then(|key| key.split_once(':'))
            .and_then(|(_, code)| crate::seasons::Season::parse(code));
        let link = match (season, n.resource_id) {
            (Some(season), _) => Some((
                crate::seasons::reminders::collections_path(season),
                format!("查看{}专题", season.label()),
            )),
            (None, Some(id)) if n.kind.starts_with("contribution_") => {
                Some((format!("/contributions/{id}"), "查看投稿".to_owned()))
            }
            (None, Some(id)) => Some((format!("/resources/{id}"), "查看资源".to_owned())),
            (None, None) => None,
        };
        NoticeView {
            id: n.id,
            message: n.message,
            created_at: crate::web::pages::format::minute(&n.created_at),
            unread: n.read_at.is_none(),
            link,
        }
    }
}

#[derive(Template)]
#[template(path = "loans.html")]
pub struct LoansPage {
    chrome: Chrome,
    unit_name: String,
    notice: Option<String>,
    loans: Vec<LoanView>,
    notices: Vec<NoticeView>,
    unread: u32,
    today: String,
    /// This page starts below a loan id: it is not the newest page.
    older_page: bool,
    /// Where the next (older) page starts, when there is one.
    next_before: Option<i64>,
}
pages!(LoansPage);

/// Loans on one page of `/loans`.
const LOANS_PER_PAGE: u32 = 30;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LoansQuery {
    created: Option<i64>,
    done: Option<String>,
    read: Option<String>,
    /// Show the loans older than this id (the page after the one that ended there).
    before: Option<i64>,
    /// A loan batch just sent from the basket.
    batch: Option<i64>,
}

pub(super) async fn show_loans(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<LoansQuery>,
) -> Result<LoansPage, PageError> {
    let shown = loans_page(state, &user, query, None).await;
    shown.map_err(|err| err.for_user(&user))
}

/// "已提交借阅清单 #3：4 项，…；3 项待审批，1 项进入候补。" after sending a basket.
fn batch_notice(batch: &loans::LoanBatch) -> String {
    let count = |status: LoanStatus| batch.loans.iter().filter(|l| l.status == status).count();
    let mut text = format!(
        "已提交借阅清单 #{}：{} 项，{} 至 {}；{} 项待审批",
        batch.id,
        batch.loans.len(),
        batch.start,
        batch.end,
        count(LoanStatus::Requested)
    );
    for (status, words) in [
        (LoanStatus::Waitlisted, "进入候补"),
        (LoanStatus::Approved, "已自动批准"),
        (LoanStatus::Active, "已生效"),
    ] {
        let n = count(status);
        if n > 0 {
            text.push_str(&format!("，{n} 项{words}"));
        }
    }
    text.push('。');
    text
}

pub(super) async fn loans_page(
    state: AppState,
    user: &SessionUser,
    query: LoansQuery,
    retry: Option<ReportRetry>,
) -> Result<LoansPage, PageError> {
    let Some(unit) = user.unit.clone() else {
        return Err(PageError::forbidden(
            "“本单位借阅”供各单位的借阅账号使用；管理员请使用“借阅审批”。",
        ));
    };
    let (actor, today) = (Actor::user(user), state.clock.today());
    // A refused report is shown on the page that holds its loan.
    let before = match &retry {
        Some(retry) => Some(retry.loan_id + 1),
        None => query.before.filter(|id| *id > 0),
    };
    let sent = query.batch.filter(|id| *id > 0);
    let (mut list, notes, batch) = state
        .with_conn(move |conn| {
            let batch = match sent {
                Some(id) => match loans::get_batch(conn, &actor, id, today) {
                    Ok(batch) => Some(batch),
                    Err(LoanError::BatchNotFound(_)) => None,
                    Err(err) => return Err(err),
                },
                None => None,
            };
            let filter = LoanFilter {
                unit: Some(unit.clone()),
                before,
                // One more than shown tells whether an older page exists.
                limit: Some(LOANS_PER_PAGE + 1),
                ..LoanFilter::default()
            };
            let list = loans::list(conn, &actor, &filter, today)?;
            let notes = loans::notify::list(conn, &unit, false, 50)?;
            Ok::<_, LoanError>((list, notes, batch))
        })
        .await?;
    let next_before = (list.len() > LOANS_PER_PAGE as usize).then(|| {
        list.truncate(LOANS_PER_PAGE as usize);
        list.last().map_or(0, |l| l.id.0)
    });
    let notice = if let Some(batch) = batch {
        Some(batch_notice(&batch))
    } else if let Some(id) = query.created {
        list.iter().find(|l| l.id.0 == id).map(|l| {
            format!(
                "已提交借阅申请（编号 {}）：{}，当前状态：{}。",
                l.id, l.resource_title, l.status_label
            )
        })
    } else if query.done.is_some() {
        done_notice(query.done.as_deref())
    } else {
        query.read.map(|_| "已将通知标为已读。".to_owned())
    };
    let mut views: Vec<LoanView> = list.iter().map(LoanView::of).collect();
    if let Some(retry) = retry
        && let Some(view) = views.iter_mut().find(|v| v.id == retry.loan_id)
    {
        match retry.other {
            Some((message, end)) => {
                view.action_error = Some(message);
                view.renew_end = end;
            }
            None => view.report_form = retry.form,
        }
    }
    Ok(LoansPage {
        chrome: Chrome::for_user(user, Section::Loans),
        unit_name: user.unit_name.clone().unwrap_or_default(),
        notice,
        loans: views,
        unread: notes.unread,
        notices: notes.items.into_iter().map(NoticeView::of).collect(),
        today: today.to_string(),
        // A refused form is shown on the page holding its loan, not an older page.
        older_page: query.before.is_some_and(|id| id > 0),
        next_before,
    })
}

/// `POST /loans/notifications/read`: one notification (`id`) or all.
pub(super) async fn mark_read(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let Some(unit) = user.unit.clone() else {
        return Err(PageError::forbidden("只有单位账号有借阅通知").for_user(&user));
    };
    let id = form.get("id").trim().parse::<i64>().ok();
    let at = state.clock.moment();
    state
        .with_conn(move |conn| loans::notify::mark_read(conn, &unit, id, at))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(see_other("/loans?read=1#notifications"))
}
