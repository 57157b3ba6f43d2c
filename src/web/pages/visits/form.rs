//! `/visits/new` (预约参观): choose a published base, read what it asks of a group,
//! pick up to three of its coming sessions in order of preference, and send the
//! request. A refused request shows every problem beside the form with what was typed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{SessionView, day_label};
use crate::accounts::{self, SessionUser};
use crate::app::AppState;
use crate::loans::Actor;
use crate::loans::days::{OpeningDays, add_days};
use crate::visits::{self, Base, MAX_PREFERENCES, VisitError, VisitRequest};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, FormData, PageQuery, PageUser};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// How far ahead the form offers sessions.
const DAYS_AHEAD: i64 = 91;

/// A base to choose, with what a group needs to know first.
pub struct BaseView {
    pub id: String,
    pub title: String,
    pub address: String,
    pub directions: String,
    pub lead_days: u32,
    pub max_group: u32,
    pub requirements: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub needs_visitor_list: bool,
}

impl BaseView {
    pub fn of(base: &Base) -> Self {
        BaseView {
            id: base.id.clone(),
            title: base.title.clone(),
            address: base.address.clone(),
            directions: base.directions.clone(),
            lead_days: base.lead_days,
            max_group: base.max_group,
            requirements: base.requirements.clone(),
            contact_name: base.contact_name.clone(),
            contact_phone: base.contact_phone.clone(),
            needs_visitor_list: base.needs_visitor_list,
        }
    }
}

/// A session in the preference lists: choosable, or shown disabled with why.
pub struct SessionChoice {
    pub value: String,
    pub session: SessionView,
    /// Why it cannot be chosen (too near, full, closed); empty when it can.
    pub why: String,
}

/// The form's fields as typed, and what was wrong with them.
#[derive(Default)]
pub struct BookingForm {
    pub preferences: [String; MAX_PREFERENCES],
    pub headcount: String,
    pub liaison_name: String,
    pub liaison_phone: String,
    pub purpose: String,
    pub share: bool,
    /// `(field, message)`: the field the message is about (`""` for the whole form).
    pub problems: Vec<(String, String)>,
}

impl BookingForm {
    /// The message about `field`, if any.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn typed(form: &FormData) -> Self {
        let field = |name: &str, max: usize| form.get(name).chars().take(max).collect::<String>();
        BookingForm {
            preferences: ["pref1", "pref2", "pref3"].map(|name| field(name, 20).trim().to_owned()),
            headcount: field("headcount", 20).trim().to_owned(),
            // Kept a little over the limits, so that the refusal shows what was typed.
            liaison_name: field("liaison_name", 100),
            liaison_phone: field("liaison_phone", 100),
            purpose: field("purpose", 600),
            share: !form.get("share").is_empty(),
            problems: Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "visits/form.html")]
pub struct BookingPage {
    chrome: Chrome,
    unit_name: String,
    bases: Vec<BaseView>,
    base: Option<BaseView>,
    /// The first day a session may be booked, with its weekday.
    earliest: String,
    choices: Vec<SessionChoice>,
    form: BookingForm,
}
pages!(BookingPage);

/// One of the three preference lists.
pub struct RankField {
    pub name: &'static str,
    pub label: &'static str,
    pub chosen: String,
    pub first: bool,
}

impl BookingPage {
    /// Whether any session can be chosen.
    fn bookable(&self) -> bool {
        self.choices.iter().any(|c| c.why.is_empty())
    }

    /// The preference lists, first to third, with what was chosen in each.
    fn rank_fields(&self) -> Vec<RankField> {
        [
            ("pref1", "第一意向"),
            ("pref2", "第二意向"),
            ("pref3", "第三意向"),
        ]
        .into_iter()
        .zip(&self.form.preferences)
        .enumerate()
        .map(|(i, ((name, label), chosen))| RankField {
            name,
            label,
            chosen: chosen.clone(),
            first: i == 0,
        })
        .collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewVisitQuery {
    base: Option<String>,
}

/// Units book visits; an account of no unit is told so.
fn own_unit(user: &SessionUser) -> Result<String, PageError> {
    user.unit.clone().ok_or_else(|| {
        PageError::forbidden("预约参观由各单位的账号办理；工委管理员请在参观协调页面为单位安排。")
            .for_user(user)
    })
}

pub(super) async fn show_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<NewVisitQuery>,
) -> Result<BookingPage, PageError> {
    let unit = own_unit(&user)?;
    let base = query.base.unwrap_or_default();
    let mut form = BookingForm::default();
    if !base.trim().is_empty() {
        let liaison = state
            .with_conn(move |conn| accounts::units::liaison_of(conn, &unit))
            .await
            .map_err(|err| PageError::from(err).for_user(&user))?
            .unwrap_or_default();
        form.liaison_name = liaison.name;
        form.liaison_phone = liaison.mobile;
    }
    booking_page(&state, &user, base.trim(), form)
        .await
        .map_err(|err| err.for_user(&user))
}

/// The form for `base_id` (the choice of bases when empty) with `form`'s values.
async fn booking_page(
    state: &AppState,
    user: &SessionUser,
    base_id: &str,
    form: BookingForm,
) -> Result<BookingPage, PageError> {
    let (actor, today, id) = (Actor::user(user), state.clock.today(), base_id.to_owned());
    let (bases, chosen) = state
        .with_conn(move |conn| {
            let bases = visits::published_bases(conn)?;
            if id.is_empty() {
                return Ok::<_, AppError>((bases, None));
            }
            let to = add_days(today, DAYS_AHEAD).to_string();
            let sessions =
                visits::list_sessions(conn, &actor, &id, None, Some(to.as_str()), today)?;
            let base = visits::base(conn, &id)?.ok_or(VisitError::BaseNotFound(id))?;
            let opening = OpeningDays::load(conn).map_err(AppError::from)?;
            let earliest = visits::earliest_visit_day(&opening, today, base.lead_days);
            Ok((bases, Some((base, sessions, earliest))))
        })
        .await?;
    let mut page = BookingPage {
        chrome: Chrome::for_user(user, Section::Visits),
        unit_name: user.unit_name.clone().unwrap_or_default(),
        bases: bases.iter().map(BaseView::of).collect(),
        base: None,
        earliest: String::new(),
        choices: Vec::new(),
        form,
    };
    if let Some((base, sessions, earliest)) = chosen {
        page.earliest = day_label(&earliest.to_string());
        page.choices = sessions
            .iter()
            .filter(|s| s.status == visits::SessionStatus::Open)
            .map(|s| {
                let too_near = s
                    .date
                    .parse()
                    .is_ok_and(|day: jiff::civil::Date| day < earliest);
                let why = if too_near {
                    format!("需提前 {} 个工作日预约", base.lead_days)
                } else if s.free() == 0 {
                    "已约满".to_owned()
                } else {
                    String::new()
                };
                SessionChoice {
                    value: s.id.to_string(),
                    session: SessionView::of(s),
                    why,
                }
            })
            .collect();
        page.base = Some(BaseView::of(&base));
    }
    Ok(page)
}

/// What the form lacks or has malformed, all at once, before the request is tried.
fn form_problems(form: &BookingForm) -> (Vec<(String, String)>, Vec<i64>, Option<i64>) {
    let mut problems = Vec::new();
    let mut add = |field: &str, message: String| problems.push((field.to_owned(), message));
    let chosen: Vec<&String> = form.preferences.iter().filter(|p| !p.is_empty()).collect();
    let sessions: Vec<i64> = chosen.iter().filter_map(|p| p.parse().ok()).collect();
    if chosen.is_empty() {
        add("session_ids", "请至少选择一个意向场次".to_owned());
    } else if sessions.len() < chosen.len() {
        add("session_ids", "所选场次无效，请从列表中选择".to_owned());
    }
    let headcount = form.headcount.parse::<i64>().ok();
    if form.headcount.is_empty() {
        add("headcount", "请填写参观人数".to_owned());
    } else if headcount.is_none() {
        add("headcount", format!("参观人数“{}”应为整数", form.headcount));
    }
    for (field, message) in [
        ("liaison_name", "请填写联络员姓名"),
        ("liaison_phone", "请填写联络员手机号"),
        ("purpose", "请填写参观目的"),
    ] {
        let value = match field {
            "liaison_name" => &form.liaison_name,
            "liaison_phone" => &form.liaison_phone,
            _ => &form.purpose,
        };
        if value.trim().is_empty() {
            add(field, message.to_owned());
        }
    }
    (problems, sessions, headcount)
}

/// `POST /visits/new`: files the request and goes to the visit's page; a refusal
/// shows the form again with every problem and the values as typed.
pub(super) async fn request_visit(
    State(state): State<AppState>,
    CsrfForm { user, form: posted }: CsrfForm,
) -> Result<Response, PageError> {
    own_unit(&user)?;
    let base_id: String = posted.get("base_id").trim().chars().take(100).collect();
    let mut form = BookingForm::typed(&posted);
    let (problems, sessions, headcount) = form_problems(&form);
    if !problems.is_empty() {
        form.problems = problems;
        return refused(&state, &user, &base_id, form).await;
    }
    let input = VisitRequest {
        base_id: Some(base_id.clone()),
        session_ids: Some(sessions),
        headcount,
        liaison_name: Some(form.liaison_name.clone()),
        liaison_phone: Some(form.liaison_phone.clone()),
        purpose: Some(form.purpose.clone()),
        share: Some(form.share),
        unit: None,
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    // The domain's own error, to tell which field it is about.
    let outcome = state
        .with_conn(move |conn| Ok::<_, AppError>(visits::request(conn, &actor, input, at)))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    match outcome {
        Ok(visit) => Ok(see_other(&format!("/visits/{}?created=1", visit.id))),
        Err(VisitError::Invalid { field, message }) => {
            form.problems = vec![(field, message)];
            refused(&state, &user, &base_id, form).await
        }
        Err(err @ (VisitError::Db(_) | VisitError::Open(_))) => {
            Err(PageError::from(err).for_user(&user))
        }
        // Every other refusal is said in words beside the form.
        Err(err) => {
            form.problems = vec![(String::new(), err.to_string())];
            refused(&state, &user, &base_id, form).await
        }
    }
}

/// The form again, with its problems and values, as a 422.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    base_id: &str,
    form: BookingForm,
) -> Result<Response, PageError> {
    let problems = form.problems.clone();
    // A base that is not (or no longer) bookable: the choice of bases, with why.
    let page = match booking_page(state, user, base_id, form).await {
        Ok(page) => page,
        Err(_) => {
            let problems = if problems.iter().any(|(field, _)| field.is_empty()) {
                problems
            } else {
                let shown: String = base_id.chars().take(40).collect();
                vec![(
                    String::new(),
                    format!("没有编号为“{shown}”的警示教育基地，或该基地未发布，请重新选择"),
                )]
            };
            let form = BookingForm {
                problems,
                ..BookingForm::default()
            };
            booking_page(state, user, "", form)
                .await
                .map_err(|err| err.for_user(user))?
        }
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(pairs: &[(&str, &str)]) -> BookingForm {
        BookingForm::typed(&FormData(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ))
    }

    #[test]
    fn every_missing_field_is_named_at_once() {
        let (problems, _, _) = form_problems(&typed(&[("headcount", "十")]));
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "session_ids",
                "headcount",
                "liaison_name",
                "liaison_phone",
                "purpose"
            ]
        );
        assert!(problems[1].1.contains("应为整数"));
    }

    #[test]
    fn preferences_keep_their_order_and_skip_blanks() {
        let form = typed(&[
            ("pref1", "7"),
            ("pref2", ""),
            ("pref3", "5"),
            ("headcount", "20"),
            ("liaison_name", "李"),
            ("liaison_phone", "13800138000"),
            ("purpose", "警示教育"),
            ("share", "1"),
        ]);
        let (problems, sessions, headcount) = form_problems(&form);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(sessions, vec![7, 5]);
        assert_eq!(headcount, Some(20));
        assert!(form.share);
        let (problems, _, _) = form_problems(&typed(&[("pref1", "x")]));
        assert_eq!(problems[0].1, "所选场次无效，请从列表中选择");
    }
}
