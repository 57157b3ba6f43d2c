//! `/admin/accounts`: the accounts with a filter and the form for a new one. A new
//! account gets no password: the page after creating it (the account's page) shows
//! its set-password link once, or says where it was mailed.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{AdminForm, PageAdmin, Problem, kept_nowhere, mail_base, problem_of};
use crate::accounts::links::IssuedLink;
use crate::accounts::manage::{self, AccountInput};
use crate::accounts::units::{self, UnitDetail};
use crate::accounts::users::{self, Role, UserSummary};
use crate::accounts::{AccountError, SessionUser};
use crate::actor::Actor;
use crate::app::AppState;
use crate::web::error::AppError;
use crate::web::pages::extract::{FormData, PageQuery};
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages};

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
    pub(super) fn from_form(form: &FormData) -> Self {
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

    pub(super) fn from_account(account: &UserSummary) -> Self {
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

    pub(super) fn unit(&self) -> Option<String> {
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
            let mut page = super::account::account_page(&state, &user, link.user_id).await?;
            page.link = Some(ShownLink::new(&state, &headers, &link));
            page.notice =
                Some("已新建账号。请把下面的设置密码链接交给本人，由本人设置密码后登录。");
            Ok(kept_nowhere((StatusCode::CREATED, page).into_response()))
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
