//! The unit officers' visit pages (SPEC §8): `/visits` (本单位参观, see `list`), the
//! booking form `/visits/new` (see `form`), one visit and its confirmation letter
//! (see `show`), and the unit's steps: every action form posts to
//! `/visits/{id}/{confirm|cancel|report}` with the session's `csrf` field and calls
//! `visits::act`, as the API does. A refused step comes back beside its form with what
//! was typed.

mod form;
mod list;
mod show;
mod visitors;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;

use super::extract::{CsrfForm, FormData};
use super::url::is_local_path;
use super::{PageError, see_other};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::Actor;
use crate::visits::{
    self, ReasonInput, ReportInput, Session, Visit, VisitAction, VisitCommand, VisitStatus,
};
use crate::web::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/visits", get(list::show_visits))
        .route(
            "/visits/new",
            get(form::show_form).post(form::request_visit),
        )
        .route("/visits/notifications/read", post(list::mark_read))
        .route("/visits/{id}", get(show::show_visit))
        .route("/visits/{id}/letter", get(show::show_letter))
        .route("/visits/{id}/visitors", post(visitors::save_typed))
        .route(
            "/visits/{id}/visitors/upload",
            post(visitors::save_sheet).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/visits/{id}/{action}", post(act_on_visit))
}

/// `2027-03-08（周一）`; anything that is not a date is shown as stored.
pub(crate) fn day_label(date: &str) -> String {
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    match date.parse::<Date>() {
        Ok(day) => {
            let index = day.weekday().to_monday_zero_offset() as usize;
            format!("{date}（周{}）", DAYS[index % 7])
        }
        Err(_) => date.to_owned(),
    }
}

/// A session as the visit pages show it.
pub struct SessionView {
    /// `2027-03-08（周一） 09:00–11:00`.
    pub when: String,
    pub label: String,
    pub capacity: u32,
    pub free: u32,
    /// Not open: closed or cancelled, in words.
    pub closed: Option<&'static str>,
}

impl SessionView {
    pub fn of(session: &Session) -> Self {
        SessionView {
            when: format!(
                "{} {}–{}",
                day_label(&session.date),
                session.start,
                session.end
            ),
            label: session.label.clone(),
            capacity: session.capacity,
            free: session.free(),
            closed: (session.status != visits::SessionStatus::Open).then(|| session.status.label()),
        }
    }
}

/// What was typed into a visit's action form when the step was refused, and why.
#[derive(Default)]
pub struct ActionRetry {
    pub action: String,
    pub error: String,
    pub reason: String,
    pub attended: String,
    pub reflections: String,
}

/// A visit as the unit's pages show it, with the steps it offers the viewer.
pub struct VisitView {
    pub id: i64,
    pub base_title: String,
    pub unit_name: String,
    pub status: VisitStatus,
    pub status_label: &'static str,
    pub headcount: u32,
    pub liaison_name: String,
    pub liaison_phone: String,
    pub purpose: String,
    pub share: bool,
    /// The session whose seats the group holds.
    pub held: Option<SessionView>,
    /// The sessions asked for, in order of preference.
    pub preferences: Vec<(u32, SessionView)>,
    pub reason: String,
    pub attended: Option<u32>,
    pub reflections: String,
    pub needs_visitor_list: bool,
    /// How many visitors are listed.
    pub visitors: u32,
    pub requested_by: String,
    pub created_at: String,
    pub can_confirm: bool,
    pub can_cancel: bool,
    pub can_report: bool,
    /// Confirmed, but the day has not come: when the report can be filed.
    pub report_from: Option<String>,
    /// A confirmation letter can be printed (scheduled or confirmed).
    pub has_letter: bool,
    /// The refused step's typed values and message (`action` empty when none).
    pub retry: ActionRetry,
}

impl VisitView {
    /// The view of `visit` for `user` on `today`: the unit's officers get its steps;
    /// librarians read here (they coordinate on their own pages).
    pub fn of(visit: &Visit, user: &SessionUser, today: Date) -> Self {
        let officer = !user.is_librarian() && user.unit.as_deref() == Some(visit.unit.as_str());
        let may = |action: VisitAction| officer && action.next(visit.status).is_some();
        let day_came = visit
            .session
            .as_ref()
            .and_then(|s| s.date.parse::<Date>().ok())
            .is_some_and(|day| day <= today);
        VisitView {
            id: visit.id,
            base_title: visit.base_title.clone(),
            unit_name: visit.unit_name.clone(),
            status: visit.status,
            status_label: visit.status_label,
            headcount: visit.headcount,
            liaison_name: visit.liaison_name.clone(),
            liaison_phone: visit.liaison_phone.clone(),
            purpose: visit.purpose.clone(),
            share: visit.share,
            held: visit.session.as_ref().map(SessionView::of),
            preferences: visit
                .preferences
                .iter()
                .map(|p| (p.rank, SessionView::of(&p.session)))
                .collect(),
            reason: visit.reason.clone().unwrap_or_default(),
            attended: visit.attended,
            reflections: visit.reflections.clone().unwrap_or_default(),
            needs_visitor_list: visit.needs_visitor_list,
            visitors: visit.visitors,
            requested_by: visit.requested_by_name.clone(),
            created_at: super::format::minute(&visit.created_at),
            can_confirm: may(VisitAction::Confirm),
            can_cancel: may(VisitAction::Cancel),
            can_report: may(VisitAction::Report) && day_came,
            report_from: (may(VisitAction::Report) && !day_came)
                .then(|| visit.session.as_ref().map(|s| s.date.clone()))
                .flatten(),
            has_letter: matches!(
                visit.status,
                VisitStatus::Scheduled | VisitStatus::Confirmed
            ),
            retry: ActionRetry::default(),
        }
    }

    /// The visitor list is still missing before the unit may confirm.
    pub fn list_missing(&self) -> bool {
        self.needs_visitor_list && self.visitors == 0
    }

    /// The message of a refused step whose form the page does not offer (a report
    /// before the day, a step the visit's state no longer allows).
    pub fn unshown_error(&self) -> Option<&str> {
        let shown = match self.retry.action.as_str() {
            "confirm" => self.can_confirm,
            "cancel" => self.can_cancel,
            "report" => self.can_report,
            _ => false,
        };
        (!shown && !self.retry.error.is_empty()).then_some(self.retry.error.as_str())
    }

    /// The message of a refused `action` on this visit.
    pub fn error_of(&self, action: &str) -> Option<&str> {
        (self.retry.action == action && !self.retry.error.is_empty())
            .then_some(self.retry.error.as_str())
    }
}

/// The visit number in a page's path; anything else is a visit that does not exist.
fn visit_id_of(raw: &str) -> Result<i64, PageError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            let shown: String = raw.chars().take(40).collect();
            PageError::not_found(format!("没有编号为“{shown}”的参观申请"))
        })
}

/// The steps a unit takes from its pages.
fn unit_action(name: &str) -> Option<VisitAction> {
    VisitAction::parse(name).filter(|a| {
        matches!(
            a,
            VisitAction::Confirm | VisitAction::Cancel | VisitAction::Report
        )
    })
}

/// The command for `action` from its form's fields.
fn command_from_form(action: VisitAction, form: &FormData) -> Result<VisitCommand, AppError> {
    let optional = |name: &str| {
        let value = form.get(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    };
    Ok(match action {
        VisitAction::Cancel => VisitCommand::Cancel(ReasonInput {
            reason: optional("reason"),
        }),
        VisitAction::Report => {
            let attended = optional("attended")
                .map(|typed| {
                    typed.parse::<i64>().map_err(|_| {
                        AppError::new(
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid",
                            format!("实际参观人数“{}”应为整数", short(&typed)),
                        )
                    })
                })
                .transpose()?;
            VisitCommand::Report(ReportInput {
                attended,
                reflections: optional("reflections"),
            })
        }
        _ => VisitCommand::Confirm,
    })
}

fn short(typed: &str) -> String {
    typed.chars().take(40).collect()
}

/// Where a step's form came from: `/visits/{id}` or the list.
fn back_to(form: &FormData, id: i64) -> String {
    let next = form.get("next");
    if is_local_path(next) && next.starts_with("/visits") {
        next.to_owned()
    } else {
        format!("/visits/{id}")
    }
}

/// `POST /visits/{id}/{confirm|cancel|report}`: the same step as the API's.
async fn act_on_visit(
    State(state): State<AppState>,
    Path((raw_id, action_name)): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = visit_id_of(&raw_id).map_err(|err| err.for_user(&user))?;
    let action = unit_action(&action_name).ok_or_else(|| {
        PageError::not_found(format!("参观没有“{}”这个操作", short(&action_name))).for_user(&user)
    })?;
    let next = back_to(&form, id);
    let done = match command_from_form(action, &form) {
        Ok(command) => {
            let (actor, at) = (Actor::user(&user), state.clock.moment());
            state
                .with_conn(move |conn| visits::act(conn, &actor, id, command, at))
                .await
        }
        Err(err) => Err(err),
    };
    let err = match done {
        Ok(_) => {
            let (path, anchor) = next.split_once('#').unwrap_or((&next, ""));
            let sep = if path.contains('?') { '&' } else { '?' };
            let anchor = if anchor.is_empty() {
                String::new()
            } else {
                format!("#{anchor}")
            };
            return Ok(see_other(&format!(
                "{path}{sep}done={}{anchor}",
                action.as_str()
            )));
        }
        Err(err) => PageError::from(err),
    };
    // A refusal of what was typed comes back beside the form, as typed.
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(&user));
    };
    let retry = ActionRetry {
        action: action.as_str().to_owned(),
        error: message,
        reason: form.get("reason").chars().take(400).collect(),
        attended: short(form.get("attended").trim()),
        reflections: form.get("reflections").chars().take(4000).collect(),
    };
    let page = if next.starts_with(&format!("/visits/{id}")) {
        show::visit_page(&state, &user, id, None, Some(retry))
            .await
            .map(IntoResponse::into_response)
    } else {
        list::visits_page(
            &state,
            &user,
            list::VisitsQuery::default(),
            Some((id, retry)),
        )
        .await
        .map(IntoResponse::into_response)
    };
    match page {
        Ok(page) => Ok((status, page).into_response()),
        Err(_) => Err(err.for_user(&user)),
    }
}

/// "已确认参观。" after a step's redirect (`done=confirm`); other values say nothing.
fn done_notice(done: Option<&str>) -> Option<String> {
    if done == Some("visitors") {
        return Some("已保存参观人员名单。".to_owned());
    }
    let action = unit_action(done?)?;
    Some(match action {
        VisitAction::Confirm => "已确认参观。可打印参观确认函，按时带队前往。".to_owned(),
        VisitAction::Cancel => "已取消这次参观。".to_owned(),
        _ => "已提交参观情况，谢谢。".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_named_with_their_weekday() {
        assert_eq!(day_label("2027-03-01"), "2027-03-01（周一）");
        assert_eq!(day_label("2027-03-07"), "2027-03-07（周日）");
        assert_eq!(day_label("不是日期"), "不是日期");
    }

    #[test]
    fn units_take_only_their_own_steps_here() {
        assert_eq!(unit_action("confirm"), Some(VisitAction::Confirm));
        assert_eq!(unit_action("report"), Some(VisitAction::Report));
        assert_eq!(unit_action("schedule"), None);
        assert_eq!(unit_action("no-show"), None);
        assert_eq!(unit_action("../x"), None);
    }

    #[test]
    fn a_form_goes_back_only_to_a_visit_page() {
        let form = |next: &str| FormData(vec![("next".into(), next.into())]);
        assert_eq!(back_to(&form("/visits#visit-3"), 3), "/visits#visit-3");
        assert_eq!(back_to(&form("//evil.example/"), 3), "/visits/3");
        assert_eq!(back_to(&form("/admin/"), 3), "/visits/3");
        assert_eq!(done_notice(Some("schedule")), None);
    }
}
