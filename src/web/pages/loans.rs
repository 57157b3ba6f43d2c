//! `/loans` (本单位借阅): the unit's loans with their states, queue places and the
//! actions each offers (cancel, renew, report after use), and the unit's
//! notifications. Also the loan request form of the resource page (`#loan`): its
//! availability check (a GET that reloads the page) and its POST. Every loan action
//! form posts to `/loans/{id}/{action}` with the session's `csrf` field; the domain
//! calls are those of the loans API.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::extract::{CsrfForm, FormData, PageQuery, PageUser};
use super::resource::{ResourceQuery, resource_page};
use super::url::encode_component;
use super::{Chrome, PageError, Section, pages, see_other};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::{Resource, Status};
use crate::loans::{
    self, Action, Actor, Command, Format, IssueRequest, Loan, LoanError, LoanFilter, LoanId,
    LoanRequest, MoveRequest, RejectRequest, RenewRequest, ReportRequest, ReturnRequest,
};
use crate::web::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/loans", get(show_loans))
        .route("/loans/notifications/read", post(mark_read))
        .route("/loans/{id}/{action}", post(act_on_loan))
        .route("/resources/{id}/loan", post(request_loan))
}

/// The availability of the chosen dates, as the form shows it.
pub struct AvailabilityView {
    pub fits: bool,
    pub start: String,
    pub end: String,
    /// The end moved off a closed day, in words (empty when not moved).
    pub moved_end: String,
    pub capacity: String,
    pub peak_used: u32,
    pub waiting: u32,
    pub suggestion: Option<(String, String)>,
}

/// The loan request form on the resource page.
pub struct LoanFormView {
    pub digital: bool,
    pub physical: bool,
    /// The format chosen: the one asked for if offered, else digital when offered.
    pub format: Format,
    pub start: String,
    pub end: String,
    pub purpose: String,
    pub audience: String,
    pub error: Option<String>,
    pub availability: Option<AvailabilityView>,
}

fn capacity_label(capacity: loans::Capacity) -> String {
    match capacity {
        None => "不限".to_owned(),
        Some(n) => n.to_string(),
    }
}

fn text(value: &Option<String>) -> String {
    value.as_deref().unwrap_or("").trim().to_owned()
}

/// The form for a borrower of a unit on a published resource, with the availability
/// of the chosen dates when asked (`check`).
pub(super) async fn loan_form(
    state: &AppState,
    user: &SessionUser,
    resource: &Resource,
    query: &ResourceQuery,
    error: Option<String>,
) -> Option<LoanFormView> {
    if user.unit.is_none() || resource.status != Status::Published {
        return None;
    }
    let digital = resource.holdings.licences != Some(0);
    let physical = resource.holdings.copies.iter().any(|c| c.in_circulation);
    if !digital && !physical {
        return None;
    }
    let asked = Format::parse(&text(&query.format)).ok();
    let format = if (asked == Some(Format::Physical) && physical) || !digital {
        Format::Physical
    } else {
        Format::Digital
    };
    let mut form = LoanFormView {
        digital,
        physical,
        format,
        start: text(&query.start),
        end: text(&query.end),
        purpose: text(&query.purpose),
        audience: text(&query.audience),
        error,
        availability: None,
    };
    if query.check.is_some() && form.error.is_none() {
        let (actor, today) = (Actor::user(user), state.clock.today());
        let (id, start, end) = (resource.id.clone(), form.start.clone(), form.end.clone());
        let checked = state
            .with_conn(move |conn| {
                loans::availability(
                    conn,
                    &actor,
                    &id,
                    Some(format.as_str()),
                    Some(start),
                    Some(end),
                    today,
                )
            })
            .await;
        match checked {
            Ok(a) => {
                form.availability = Some(AvailabilityView {
                    fits: a.fits,
                    start: a.start.to_string(),
                    end: a.end.to_string(),
                    moved_end: if a.end != a.requested_end {
                        format!("{} 为闭馆日，归还日顺延至 {}", a.requested_end, a.end)
                    } else {
                        String::new()
                    },
                    capacity: capacity_label(a.capacity),
                    peak_used: a.peak_used,
                    waiting: a.waiting,
                    suggestion: a
                        .suggestion
                        .filter(|_| !a.fits)
                        .map(|p| (p.start.to_string(), p.end.to_string())),
                })
            }
            Err(err) => form.error = Some(err.into_message()),
        }
    }
    Some(form)
}

/// `POST /resources/{id}/loan`: files the request and goes to `/loans`; a refused
/// request shows the resource page again with the typed values and the reason.
async fn request_loan(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Response {
    let query = ResourceQuery {
        t: None,
        format: Some(form.get("format").to_owned()),
        start: Some(form.get("start").to_owned()),
        end: Some(form.get("end").to_owned()),
        purpose: Some(form.get("purpose").to_owned()),
        audience: Some(form.get("audience").to_owned()),
        check: None,
    };
    let audience = form.get("audience").trim();
    let parsed_audience = if audience.is_empty() {
        Ok(None)
    } else {
        audience
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("参加人数“{audience}”应为整数"))
    };
    let outcome = match parsed_audience {
        Err(message) => Err(message),
        Ok(audience) => {
            let input = LoanRequest {
                resource_id: Some(raw_id.clone()),
                format: query.format.clone(),
                start: query.start.clone(),
                end: query.end.clone(),
                purpose: query.purpose.clone(),
                audience,
                unit: None,
            };
            let (actor, at) = (Actor::user(&user), state.clock.moment());
            state
                .with_conn(move |conn| loans::create(conn, &actor, input, at))
                .await
                .map_err(AppError::into_message)
        }
    };
    match outcome {
        Ok(loan) => see_other(&format!("/loans?created={}", loan.id)),
        Err(message) => {
            match resource_page(state, user.clone(), raw_id, query, Some(message)).await {
                Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
                Err(err) => err.for_user(&user).into_response(),
            }
        }
    }
}

/// A loan as the pages list it.
pub struct LoanView {
    pub id: i64,
    pub resource_id: String,
    pub resource_title: String,
    pub unit_name: String,
    pub format_label: &'static str,
    pub start: String,
    pub end: String,
    pub moved_end: bool,
    pub requested_end: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub queue_position: Option<u32>,
    pub earliest_free: Option<(String, String)>,
    pub purpose: String,
    pub audience: u32,
    pub renewals_left: u32,
    pub barcode: String,
    pub reject_reason: String,
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
}

impl LoanView {
    pub fn of(loan: &Loan) -> Self {
        let can = |action: &str| loan.actions.contains(&action);
        LoanView {
            id: loan.id.0,
            resource_id: loan.resource_id.clone(),
            resource_title: loan.resource_title.clone(),
            unit_name: loan.unit_name.clone(),
            format_label: loan.format_label,
            start: loan.start.to_string(),
            end: loan.end.to_string(),
            moved_end: loan.end != loan.requested_end,
            requested_end: loan.requested_end.to_string(),
            status: loan.status.as_str(),
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
            report: loan.report.as_ref().map(|r| {
                format!(
                    "{} 组织观看，{} 人参加。{}",
                    r.held_on, r.participants, r.feedback
                )
            }),
            report_form: loan
                .report
                .as_ref()
                .map(|r| ReportForm {
                    held_on: r.held_on.to_string(),
                    participants: r.participants.to_string(),
                    feedback: r.feedback.clone(),
                    error: None,
                })
                .unwrap_or_default(),
            requested_by: loan.requested_by.clone(),
            can_cancel: can("cancel"),
            can_renew: can("renew"),
            can_report: can("report"),
            can_approve: can("approve"),
            can_reject: can("reject"),
            can_move: can("move"),
            can_issue: can("issue"),
            can_return: can("return"),
        }
    }
}

/// The values of a loan's report form, and why the last try was refused.
#[derive(Default)]
pub struct ReportForm {
    pub held_on: String,
    pub participants: String,
    pub feedback: String,
    pub error: Option<String>,
}

/// A refused report, shown again on its loan's form.
struct ReportRetry {
    loan_id: i64,
    form: ReportForm,
}

pub struct NoticeView {
    pub id: i64,
    pub message: String,
    pub created_at: String,
    pub unread: bool,
    pub resource_id: String,
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
struct LoansQuery {
    created: Option<i64>,
    done: Option<String>,
    read: Option<String>,
    /// Show the loans older than this id (the page after the one that ended there).
    before: Option<i64>,
}

async fn show_loans(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<LoansQuery>,
) -> Result<LoansPage, PageError> {
    let shown = loans_page(state, &user, query, None).await;
    shown.map_err(|err| err.for_user(&user))
}

async fn loans_page(
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
    let (mut list, notes) = state
        .with_conn(move |conn| {
            let filter = LoanFilter {
                unit: Some(unit.clone()),
                before,
                // One more than shown tells whether an older page exists.
                limit: Some(LOANS_PER_PAGE + 1),
                ..LoanFilter::default()
            };
            let list = loans::list(conn, &actor, &filter, today)?;
            let notes = loans::notify::list(conn, &unit, false, 50)?;
            Ok::<_, LoanError>((list, notes))
        })
        .await?;
    let next_before = (list.len() > LOANS_PER_PAGE as usize).then(|| {
        list.truncate(LOANS_PER_PAGE as usize);
        list.last().map_or(0, |l| l.id.0)
    });
    let notice = if let Some(id) = query.created {
        list.iter().find(|l| l.id.0 == id).map(|l| {
            format!(
                "已提交借阅申请（编号 {}）：{}，当前状态：{}。",
                l.id, l.resource_title, l.status_label
            )
        })
    } else if let Some(done) = query.done.as_deref() {
        Action::REQUESTABLE
            .into_iter()
            .find(|a| a.as_str() == done)
            .map(|a| format!("已{}。", a.label()))
    } else {
        query.read.map(|_| "已将通知标为已读。".to_owned())
    };
    let mut views: Vec<LoanView> = list.iter().map(LoanView::of).collect();
    if let Some(retry) = retry
        && let Some(view) = views.iter_mut().find(|v| v.id == retry.loan_id)
    {
        view.report_form = retry.form;
    }
    Ok(LoansPage {
        chrome: Chrome::for_user(user, Section::Loans),
        unit_name: user.unit_name.clone().unwrap_or_default(),
        notice,
        loans: views,
        unread: notes.unread,
        notices: notes
            .items
            .into_iter()
            .map(|n| NoticeView {
                id: n.id,
                message: n.message,
                created_at: n
                    .created_at
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
                unread: n.read_at.is_none(),
                resource_id: n.resource_id.unwrap_or_default(),
            })
            .collect(),
        today: today.to_string(),
        older_page: before.is_some(),
        next_before,
    })
}

/// `POST /loans/notifications/read`: one notification (`id`) or all.
async fn mark_read(
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

/// Where to go after an action: the form's `next` if it is a path of this site.
fn next_of(form: &FormData, fallback: &str) -> String {
    let next = form.get("next");
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        fallback.to_owned()
    }
}

fn optional(form: &FormData, name: &str) -> Option<String> {
    let value = form.get(name).trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `POST /loans/{id}/{action}` from the pages: the same steps as the API.
async fn act_on_loan(
    State(state): State<AppState>,
    Path((raw_id, action)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let done = act(&state, &user, &raw_id, &action, &form).await;
    match done {
        Ok(action) => {
            let fallback = if user.is_librarian() {
                "/librarian/queue"
            } else {
                "/loans"
            };
            let next = next_of(&form, fallback);
            let (path, anchor) = match next.split_once('#') {
                Some((p, a)) => (p.to_owned(), format!("#{a}")),
                None => (next.clone(), String::new()),
            };
            let sep = if path.contains('?') { '&' } else { '?' };
            Ok(see_other(&format!(
                "{path}{sep}done={}{anchor}",
                encode_component(action.as_str())
            )))
        }
        Err(err) => match (action.as_str(), err.input_problem(), raw_id.parse::<i64>()) {
            // A refused report comes back on /loans with the typed values and why.
            ("report", Some((status, message)), Ok(loan_id)) if user.unit.is_some() => {
                let retry = ReportRetry {
                    loan_id,
                    form: ReportForm {
                        held_on: form.get("held_on").trim().to_owned(),
                        participants: form.get("participants").trim().to_owned(),
                        feedback: form.get("feedback").to_owned(),
                        error: Some(message),
                    },
                };
                let page = loans_page(state, &user, LoansQuery::default(), Some(retry)).await;
                match page {
                    Ok(page) => Ok((status, page).into_response()),
                    Err(_) => Err(err.for_user(&user)),
                }
            }
            _ => Err(err.for_user(&user)),
        },
    }
}

async fn act(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    action: &str,
    form: &FormData,
) -> Result<Action, PageError> {
    let id = raw_id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(LoanId)
        .ok_or_else(|| PageError::not_found(format!("没有编号为“{raw_id}”的借阅")))?;
    let action = Command::action_named(action)
        .ok_or_else(|| PageError::not_found(format!("借阅没有“{action}”这个操作")))?;
    let command = command_from_form(action, form)?;
    let (actor, at) = (Actor::user(user), state.clock.moment());
    state
        .with_conn(move |conn| loans::act(conn, &actor, id, command, at))
        .await?;
    Ok(action)
}

/// The command for `action` from the fields of its form.
fn command_from_form(action: Action, form: &FormData) -> Result<Command, AppError> {
    Ok(match action {
        Action::Approve => Command::Approve,
        Action::Cancel => Command::Cancel,
        Action::Reject => Command::Reject(RejectRequest {
            reason: optional(form, "reason"),
        }),
        Action::Issue => Command::Issue(IssueRequest {
            barcode: optional(form, "barcode"),
        }),
        Action::Return => Command::Return(ReturnRequest {
            condition: optional(form, "condition"),
        }),
        Action::Renew => Command::Renew(RenewRequest {
            end: optional(form, "end"),
        }),
        Action::Report => {
            let participants = match optional(form, "participants") {
                None => None,
                Some(p) => Some(p.parse::<i64>().map_err(|_| {
                    AppError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid",
                        format!("参加人数“{p}”应为整数"),
                    )
                })?),
            };
            Command::Report(ReportRequest {
                held_on: optional(form, "held_on"),
                participants,
                feedback: optional(form, "feedback"),
            })
        }
        Action::Move => Command::Move(MoveRequest {
            start: optional(form, "start"),
            end: optional(form, "end"),
        }),
        // Not requestable: only the background task does these.
        Action::Activate | Action::Expire | Action::MarkOverdue | Action::Promote => {
            return Err(AppError::not_found("没有这个操作"));
        }
    })
}
