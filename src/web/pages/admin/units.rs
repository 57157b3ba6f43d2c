//! `/admin/units` and `/admin/units/{code}`: the list of units with the form for a
//! new one, and one unit's page (name, sector, liaison; deactivate or reactivate;
//! its accounts). A refused form comes back with what was typed and the reason.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::{AdminForm, PageAdmin, Problem, problem_of};
use crate::accounts::units::{self, UnitDetail, UnitInput};
use crate::accounts::users::{self, UserSummary};
use crate::accounts::{AccountError, Liaison, SessionUser};
use crate::actor::Actor;
use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::pages::extract::{FormData, PageQuery};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// A unit's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct UnitForm {
    pub code: String,
    pub name: String,
    pub sector: String,
    pub liaison_name: String,
    pub liaison_mobile: String,
    pub liaison_email: String,
}

impl UnitForm {
    fn from_form(form: &FormData) -> Self {
        Self {
            code: form.get("code").trim().to_owned(),
            name: form.get("name").to_owned(),
            sector: form.get("sector").to_owned(),
            liaison_name: form.get("liaison_name").to_owned(),
            liaison_mobile: form.get("liaison_mobile").to_owned(),
            liaison_email: form.get("liaison_email").to_owned(),
        }
    }

    fn from_unit(detail: &UnitDetail) -> Self {
        Self {
            code: detail.unit.code.clone(),
            name: detail.unit.name.clone(),
            sector: detail.unit.sector.clone(),
            liaison_name: detail.liaison.name.clone(),
            liaison_mobile: detail.liaison.mobile.clone(),
            liaison_email: detail.liaison.email.clone(),
        }
    }

    fn input(&self) -> UnitInput {
        UnitInput {
            name: self.name.clone(),
            sector: self.sector.clone(),
            liaison: Liaison {
                name: self.liaison_name.clone(),
                mobile: self.liaison_mobile.clone(),
                email: self.liaison_email.clone(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin/units.html")]
pub struct UnitsPage {
    chrome: Chrome,
    units: Vec<UnitDetail>,
    sectors: Vec<String>,
    form: UnitForm,
    problem: Problem,
    notice: Option<String>,
}
pages!(UnitsPage);

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
    code: Option<String>,
}

async fn units_page(state: &AppState, user: &SessionUser) -> Result<UnitsPage, PageError> {
    let units = state
        .with_conn(|conn| units::unit_details(conn))
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let mut sectors: Vec<String> = units
        .iter()
        .map(|u| u.unit.sector.clone())
        .filter(|s| !s.is_empty())
        .collect();
    sectors.sort();
    sectors.dedup();
    Ok(UnitsPage {
        chrome: Chrome::for_user(user, Section::Admin),
        units,
        sectors,
        form: UnitForm::default(),
        problem: Problem::default(),
        notice: None,
    })
}

pub async fn list_units(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    PageQuery(query): PageQuery<DoneQuery>,
) -> Result<UnitsPage, PageError> {
    let mut page = units_page(&state, &user).await?;
    page.notice = match (query.done.as_deref(), query.code) {
        (Some("created"), Some(code)) => Some(format!("已新建单位 {code}。")),
        _ => None,
    };
    Ok(page)
}

pub async fn create_unit(
    State(state): State<AppState>,
    AdminForm { user, form }: AdminForm,
) -> Result<Response, PageError> {
    let typed = UnitForm::from_form(&form);
    let (actor, at, code, input) = (
        Actor::user(&user),
        state.clock.moment(),
        typed.code.clone(),
        typed.input(),
    );
    let created = state
        .with_conn(move |conn| Ok::<_, AppError>(units::add_unit(conn, &actor, &code, &input, at)))
        .await?;
    match created {
        Ok(unit) => Ok(see_other(&format!(
            "/admin/units/{}?done=created",
            unit.unit.code
        ))),
        Err(err) => {
            let (status, problem) = problem_of(err, &user)?;
            let mut page = units_page(&state, &user).await?;
            page.form = typed;
            page.problem = problem;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "admin/unit.html")]
pub struct UnitPage {
    chrome: Chrome,
    unit: UnitDetail,
    form: UnitForm,
    accounts: Vec<UserSummary>,
    problem: Problem,
    notice: Option<&'static str>,
}
pages!(UnitPage);

async fn unit_page(
    state: &AppState,
    user: &SessionUser,
    code: &str,
) -> Result<UnitPage, PageError> {
    let wanted = code.to_owned();
    let found = state
        .with_conn(move |conn| {
            let Some(unit) = units::unit_detail(conn, &wanted)? else {
                return Ok::<_, AccountError>(None);
            };
            let accounts = users::list_users(conn)?
                .into_iter()
                .filter(|a| a.unit.as_deref() == Some(wanted.as_str()))
                .collect::<Vec<_>>();
            Ok(Some((unit, accounts)))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let Some((unit, accounts)) = found else {
        return Err(PageError::not_found(format!("没有代码为“{code}”的单位")).for_user(user));
    };
    Ok(UnitPage {
        chrome: Chrome::for_user(user, Section::Admin),
        form: UnitForm::from_unit(&unit),
        unit,
        accounts,
        problem: Problem::default(),
        notice: None,
    })
}

pub async fn show_unit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(code): Path<String>,
    PageQuery(query): PageQuery<DoneQuery>,
) -> Result<UnitPage, PageError> {
    let mut page = unit_page(&state, &user, &code).await?;
    page.notice = match query.done.as_deref() {
        Some("created") => Some("已新建该单位。"),
        Some("saved") => Some("已保存。"),
        Some("deactivated") => {
            Some("已停用该单位：其账号已退出登录，不能再登录或申请借阅；借阅记录和统计保留。")
        }
        Some("reactivated") => Some("已恢复该单位：其账号可以重新登录和申请借阅。"),
        _ => None,
    };
    Ok(page)
}

pub async fn update_unit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    AdminForm { user, form }: AdminForm,
) -> Result<Response, PageError> {
    let typed = UnitForm::from_form(&form);
    let (actor, at, input, wanted) = (
        Actor::user(&user),
        state.clock.moment(),
        typed.input(),
        code.clone(),
    );
    let saved = state
        .with_conn(move |conn| {
            Ok::<_, AppError>(units::update_unit(conn, &actor, &wanted, &input, at))
        })
        .await?;
    match saved {
        Ok(unit) => {
            // Who finds the unit's sector-shared contributions follows its sector.
            state.refresh_index().await?;
            Ok(see_other(&format!(
                "/admin/units/{}?done=saved",
                unit.unit.code
            )))
        }
        Err(err) => {
            let (status, problem) = problem_of(err, &user)?;
            let mut page = unit_page(&state, &user, &code).await?;
            page.form = UnitForm {
                code: page.unit.unit.code.clone(),
                ..typed
            };
            page.problem = problem;
            Ok((status, page).into_response())
        }
    }
}

pub async fn deactivate_unit(
    state: State<AppState>,
    code: Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    set_active(state, code, form, false).await
}

pub async fn reactivate_unit(
    state: State<AppState>,
    code: Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    set_active(state, code, form, true).await
}

async fn set_active(
    State(state): State<AppState>,
    Path(code): Path<String>,
    AdminForm { user, .. }: AdminForm,
    active: bool,
) -> Result<Response, PageError> {
    let (actor, at, wanted) = (Actor::user(&user), state.clock.moment(), code.clone());
    let changed = state
        .with_conn(move |conn| {
            Ok::<_, AppError>(units::set_unit_active(conn, &actor, &wanted, active, at))
        })
        .await?;
    match changed {
        Ok(unit) => Ok(see_other(&format!(
            "/admin/units/{}?done={}",
            unit.unit.code,
            if active { "reactivated" } else { "deactivated" }
        ))),
        Err(err) => {
            let (status, problem) = problem_of(err, &user)?;
            let mut page = unit_page(&state, &user, &code).await?;
            page.problem = Problem {
                field: "active".to_owned(),
                ..problem
            };
            Ok((status, page).into_response())
        }
    }
}
