//! `/admin/accounts` and `/admin/accounts/{id}`: the accounts with a filter and the
//! form for a new one, and one account's page (name, roles, unit, e-mail; disable or
//! enable; a set-password link; lifting a sign-in lock). A new account gets no
//! password: the page after creating it shows its set-password link once (or says
//! where it was mailed).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{AdminForm, PageAdmin, Problem, mail_base, problem_of};
use crate::accounts::links::{self, IssuedLink, Purpose};
use crate::accounts::manage::{self, AccountChange, AccountInput};
use crate::accounts::throttle::AccountLock;
use crate::accounts::units::{self, UnitDetail};
use crate::accounts::users::{self, Role, UserSummary};
use crate::accounts::{AccountError, SessionUser};
use crate::actor::Actor;
use crate::app::AppState;
use crate::web::auth::unix_now;
use crate::web::error::AppError;
use crate::web::pages::extract::{FormData, PageQuery};
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// An account's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct AccountForm {
    pub username: String,
    pub display_name: String,
    pub unit: String,
    pub roles: Vec<Role>,
    pub email: String,
}

impl AccountForm {
    fn from_form(form: &FormData) -> Self {
        Self {
            username: form.get("username").trim().to_owned(),
            display_name: form.get("display_name").to_owned(),
            unit: form.get("unit").trim().to_owned(),
            roles: form
                .all("roles")
                .iter()
                .filter_map(|r| Role::parse(r).ok())
                .collect(),
            email: form.get("email").trim().to_owned(),
        }
    }

    fn from_account(account: &UserSummary) -> Self {
        Self {
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            unit: account.unit.clone().unwrap_or_default(),
            roles: account.roles.clone(),
            email: account.email.clone().unwrap_or_default(),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn unit(&self) -> Option<String> {
        Some(self.unit.clone()).filter(|u| !u.is_empty())
    }
}

/// A set-password link just made, as the page shows it once.
pub struct ShownLink {
    pub url: String,
    pub expires: String,
    pub mailed_to: Option<String>,
}

impl ShownLink {
    pub fn new(state: &AppState, headers: &HeaderMap, link: &IssuedLink) -> Self {
        Self {
            url: format!(
                "{}{}",
                crate::web::shared::site_base(state, headers),
                link.path()
            ),
            expires: format::minute(&link.expires_at.stamp()),
            mailed_to: link.mailed_to.clone(),
        }
    }
}

/// The filter of the list.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: Option<String>,
    unit: Option<String>,
    state: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<UserSummary>,
    total: usize,
    units: Vec<UnitDetail>,
    q: String,
    unit: String,
    state: String,
    form: AccountForm,
    problem: Problem,
}
pages!(AccountsPage);

impl AccountsPage {
    fn unit_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.units
            .iter()
            .find(|u| u.unit.code == code)
            .map_or(code, |u| u.unit.name.as_str())
    }
}

async fn accounts_page(
    state: &AppState,
    user: &SessionUser,
    query: ListQuery,
) -> Result<AccountsPage, PageError> {
    let (accounts, units) = state
        .with_conn(|conn| {
            Ok::<_, AccountError>((users::list_users(conn)?, units::unit_details(conn)?))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let q = query.q.unwrap_or_default().trim().to_owned();
    let unit = query.unit.unwrap_or_default().trim().to_owned();
    let wanted_state = query.state.unwrap_or_default();
    let total = accounts.len();
    let needle = q.to_lowercase();
    let accounts = accounts
        .into_iter()
        .filter(|a| {
            needle.is_empty()
                || a.username.to_lowercase().contains(&needle)
                || a.display_name.to_lowercase().contains(&needle)
                || a.email
                    .as_deref()
                    .is_some_and(|e| e.to_lowercase().contains(&needle))
        })
        .filter(|a| unit.is_empty() || a.unit.as_deref() == Some(unit.as_str()))
        .filter(|a| match wanted_state.as_str() {
            "active" => a.active && a.unit_active,
            "disabled" => !a.active || !a.unit_active,
            "no_password" => !a.has_password,
            _ => true,
        })
        .collect();
    Ok(AccountsPage {
        chrome: Chrome::for_user(user, Section::Admin),
        accounts,
        total,
        form: AccountForm {
            unit: unit.clone(),
            roles: vec![Role::Borrower],
            ..AccountForm::default()
        },
        units,
        q,
        unit,
        state: wanted_state,
        problem: Problem::default(),
    })
}

pub async fn list_accounts(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    PageQuery(query): PageQuery<ListQuery>,
) -> Result<AccountsPage, PageError> {
    accounts_page(&state, &user, query).await
}

pub async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminForm { user, form }: AdminForm,
) -> Result<Response, PageError> {
    let typed = AccountForm::from_form(&form);
    let input = AccountInput {
        username: typed.username.clone(),
        display_name: typed.display_name.clone(),
        roles: typed.roles.clone(),
        unit: typed.unit(),
        email: Some(typed.email.clone()),
    };
    let (actor, at, mail) = (
        Actor::user(&user),
        state.clock.moment(),
        mail_base(&state, &headers),
    );
    let created = state
        .with_conn(move |conn| {
            Ok::<_, AppError>(manage::create_account(
                conn,
                &actor,
                &input,
                mail.as_deref(),
                at,
            ))
        })
        .await?;
    match created {
        Ok(link) => {
            let mut page = account_page(&state, &user, link.user_id).await?;
            page.link = Some(ShownLink::new(&state, &headers, &link));
            page.notice =
                Some("已新建账号。请把下面的设置密码链接交给本人，由本人设置密码后登录。");
            Ok((StatusCode::CREATED, page).into_response())
        }
        Err(err) => {
            let (status, problem) = problem_of(err, &user)?;
            let mut page = accounts_page(&state, &user, ListQuery::default()).await?;
            page.form = typed;
            page.problem = problem;
            Ok((status, page).into_response())
        }
    }
}

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
    notice: Option<&'static str>,
    link: Option<ShownLink>,
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

async fn account_page(
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
            Ok(page.into_response())
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
