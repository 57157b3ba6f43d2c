//! `/admin/accounts/{id}`: one account's page (name, roles, unit, e-mail; disable or
//! enable; a set-password link shown once; lifting a sign-in lock). A refused form
//! comes back with what was typed and the reason beside it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::accounts::{AccountForm, ShownLink};
use super::{AdminForm, PageAdmin, Problem, kept_nowhere, mail_base, problem_of};
use crate::accounts::links::{self, Purpose};
use crate::accounts::manage::{self, AccountChange};
use crate::accounts::throttle::AccountLock;
use crate::accounts::units::{self, UnitDetail};
use crate::accounts::users::{self, Role, UserSummary};
use crate::accounts::{AccountError, SessionUser};
use crate::actor::Actor;
use crate::app::AppState;
use crate::web::auth::unix_now;
use crate::web::error::AppError;
use crate::web::pages::extract::PageQuery;
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

#[derive(Template)]
#[template(path = "admin/account.html")]
pub struct AccountPage {
    chrome: Chrome,
    account: UserSummary,
    form: AccountForm,
    units: Vec<UnitDetail>,
    locks: Vec<AccountLock>,
    own: bool,
    created_at: String,
    problem: Problem,
    pub(super) notice: Option<&'static str>,
    pub(super) link: Option<ShownLink>,
}
pages!(AccountPage);

impl AccountPage {
    fn wait_words(&self, lock: &AccountLock) -> String {
        match lock.locked_for {
            Some(secs) if secs < 60 => format!("已锁定，还剩 {secs} 秒"),
            Some(secs) => format!("已锁定，还剩约 {} 分钟", (secs + 59) / 60),
            None => "未锁定".to_owned(),
        }
    }

    fn locked(&self) -> bool {
        self.locks.iter().any(|l| l.locked_for.is_some())
    }
}

fn parse_id(raw: &str, user: &SessionUser) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError::not_found("没有这个账号").for_user(user))
}

pub(super) async fn account_page(
    state: &AppState,
    user: &SessionUser,
    id: i64,
) -> Result<AccountPage, PageError> {
    let found = state
        .with_conn(move |conn| {
            let Some(account) = users::user_summary(conn, id)? else {
                return Ok::<_, AccountError>(None);
            };
            let locks = manage::sign_in_locks(conn, id, unix_now())?;
            Ok(Some((account, locks, units::unit_details(conn)?)))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let Some((account, locks, units)) = found else {
        return Err(PageError::not_found("没有这个账号").for_user(user));
    };
    Ok(AccountPage {
        chrome: Chrome::for_user(user, Section::Admin),
        form: AccountForm::from_account(&account),
        own: account.id == user.user_id,
        created_at: format::minute(&account.created_at),
        account,
        units,
        locks,
        problem: Problem::default(),
        notice: None,
        link: None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show_account(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(raw): Path<String>,
    PageQuery(query): PageQuery<DoneQuery>,
) -> Result<AccountPage, PageError> {
    let mut page = account_page(&state, &user, parse_id(&raw, &user)?).await?;
    page.notice = match query.done.as_deref() {
        Some("saved") => Some("已保存。"),
        Some("disabled") => Some("已停用该账号：其登录已结束，不能再登录。"),
        Some("enabled") => Some("已启用该账号。"),
        Some("unlocked") => Some("已解除登录锁定。"),
        _ => None,
    };
    Ok(page)
}

/// Shows the account again with the refusal beside the form (`field` names which).
async fn refused(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    err: AccountError,
    typed: Option<AccountForm>,
    field: Option<&str>,
) -> Result<Response, PageError> {
    let (status, mut problem) = problem_of(err, user)?;
    let mut page = account_page(state, user, id).await?;
    if let Some(typed) = typed {
        page.form = AccountForm {
            username: page.account.username.clone(),
            ..typed
        };
    }
    if let Some(field) = field {
        problem.field = field.to_owned();
    }
    page.problem = problem;
    Ok((status, page).into_response())
}

pub async fn update_account(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    AdminForm { user, form }: AdminForm,
) -> Result<Response, PageError> {
    let id = parse_id(&raw, &user)?;
    let typed = AccountForm::from_form(&form);
    let change = AccountChange {
        display_name: typed.display_name.clone(),
        roles: typed.roles.clone(),
        unit: typed.unit(),
        email: Some(typed.email.clone()),
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let saved = state
        .with_conn(move |conn| {
            Ok::<_, AppError>(manage::update_account(conn, &actor, id, &change, at))
        })
        .await?;
    match saved {
        Ok(_) => Ok(see_other(&format!("/admin/accounts/{id}?done=saved"))),
        Err(err) => refused(&state, &user, id, err, Some(typed), None).await,
    }
}

pub async fn disable_account(
    state: State<AppState>,
    raw: Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    set_active(state, raw, form, false).await
}

pub async fn enable_account(
    state: State<AppState>,
    raw: Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    set_active(state, raw, form, true).await
}

async fn set_active(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    AdminForm { user, .. }: AdminForm,
    active: bool,
) -> Result<Response, PageError> {
    let id = parse_id(&raw, &user)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let changed = state
        .with_conn(move |conn| Ok::<_, AppError>(users::set_active(conn, &actor, id, active, at)))
        .await?;
    match changed {
        Ok(()) => Ok(see_other(&format!(
            "/admin/accounts/{id}?done={}",
            if active { "enabled" } else { "disabled" }
        ))),
        Err(err) => refused(&state, &user, id, err, None, Some("active")).await,
    }
}

pub async fn make_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    AdminForm { user, .. }: AdminForm,
) -> Result<Response, PageError> {
    let id = parse_id(&raw, &user)?;
    let (actor, at, mail) = (
        Actor::user(&user),
        state.clock.moment(),
        mail_base(&state, &headers),
    );
    let made = state
        .with_conn(move |conn| {
            let purpose = match users::user_summary(conn, id)? {
                Some(account) if !account.has_password => Purpose::Welcome,
                _ => Purpose::Reset,
            };
            Ok::<_, AppError>(links::issue_link(
                conn,
                &actor,
                id,
                purpose,
                mail.as_deref(),
                at,
            ))
        })
        .await?;
    match made {
        Ok(link) => {
            let mut page = account_page(&state, &user, id).await?;
            page.link = Some(ShownLink::new(&state, &headers, &link));
            Ok(kept_nowhere(page.into_response()))
        }
        Err(err) => refused(&state, &user, id, err, None, Some("link")).await,
    }
}

pub async fn unlock_account(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    AdminForm { user, .. }: AdminForm,
) -> Result<Response, PageError> {
    let id = parse_id(&raw, &user)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let unlocked = state
        .with_conn(move |conn| {
            Ok::<_, AppError>(manage::unlock_sign_in(conn, &actor, id, unix_now(), at))
        })
        .await?;
    match unlocked {
        Ok(_) => Ok(see_other(&format!("/admin/accounts/{id}?done=unlocked"))),
        Err(err) => refused(&state, &user, id, err, None, Some("unlock")).await,
    }
}
