//! `/librarian/resources/{id}/loan-settings`: a resource's loan settings as a form
//! (auto-approval, open loans per unit, longest loan per format, how many days before
//! the start a copy may be handed out). The same change as
//! `PUT /api/v1/resources/{id}/loan-settings`; a refused value comes back beside its
//! field with what was typed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::holdings;
use crate::loans::{self, Actor, LoanError, LoanSettings, SettingsChange};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, FormData, PageLibrarian, PageQuery, librarians_only};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};
use crate::web::shared::resource_id;

/// The form's values as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub auto_approve: bool,
    pub max_open_per_unit: String,
    pub max_days_digital: String,
    pub max_days_physical: String,
    pub issue_lead_days: String,
}

impl SettingsForm {
    fn of(settings: &LoanSettings) -> Self {
        Self {
            auto_approve: settings.auto_approve,
            max_open_per_unit: settings.max_open_per_unit.to_string(),
            max_days_digital: settings.max_days_digital.to_string(),
            max_days_physical: settings.max_days_physical.to_string(),
            issue_lead_days: settings.issue_lead_days.to_string(),
        }
    }

    /// The typed values, each cut to what a number field could hold.
    fn typed(form: &FormData) -> Self {
        let field = |name: &str| form.get(name).trim().chars().take(20).collect();
        Self {
            auto_approve: !form.get("auto_approve").is_empty(),
            max_open_per_unit: field("max_open_per_unit"),
            max_days_digital: field("max_days_digital"),
            max_days_physical: field("max_days_physical"),
            issue_lead_days: field("issue_lead_days"),
        }
    }

    /// The change every field asks for: numbers as numbers, anything else as text,
    /// which the settings refuse in words.
    fn change(&self) -> SettingsChange {
        let value = |text: &str| match text.parse::<u64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::from(text),
        };
        SettingsChange {
            auto_approve: Some(self.auto_approve),
            max_open_per_unit: Some(value(&self.max_open_per_unit)),
            max_days_digital: Some(value(&self.max_days_digital)),
            max_days_physical: Some(value(&self.max_days_physical)),
            issue_lead_days: Some(value(&self.issue_lead_days)),
        }
    }
}

#[derive(Template)]
#[template(path = "librarian/loan_settings.html")]
pub struct SettingsPage {
    chrome: Chrome,
    id: String,
    title: String,
    form: SettingsForm,
    /// The field refused, and why.
    error: Option<(String, String)>,
    notice: Option<&'static str>,
    max_open: u32,
    max_days: i64,
    max_lead: u32,
}
pages!(SettingsPage);

impl SettingsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsQuery {
    done: String,
}

async fn settings_page(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
    form: Option<SettingsForm>,
) -> Result<SettingsPage, PageError> {
    let id = resource_id(raw_id)?.as_str().to_owned();
    let actor = Actor::user(user);
    let (id, title, settings) = state
        .with_conn(move |conn| -> Result<_, AppError> {
            let settings = loans::loan_settings(conn, &actor, &id)?;
            let title = holdings::lendable(conn, &id)?
                .map(|r| r.title)
                .unwrap_or_default();
            Ok((id, title, settings))
        })
        .await?;
    Ok(SettingsPage {
        chrome: Chrome::for_user(user, Section::Librarian),
        id,
        title,
        form: form.unwrap_or_else(|| SettingsForm::of(&settings)),
        error: None,
        notice: None,
        max_open: loans::MAX_OPEN_CEILING,
        max_days: loans::MAX_LOAN_DAYS,
        max_lead: loans::MAX_ISSUE_LEAD_DAYS,
    })
}

pub async fn show_loan_settings(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<SettingsQuery>,
) -> Result<SettingsPage, PageError> {
    let mut page = settings_page(&state, &user, &raw_id, None)
        .await
        .map_err(|err| err.for_user(&user))?;
    page.notice = (query.done == "saved").then_some("借阅设置已保存。");
    Ok(page)
}

pub async fn save_loan_settings(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let id = resource_id(&raw_id)
        .map_err(|err| PageError::from(err).for_user(&user))?
        .as_str()
        .to_owned();
    let typed = SettingsForm::typed(&form);
    let (actor, at, change) = (Actor::user(&user), state.clock.moment(), typed.change());
    let target = id.clone();
    let saved = state
        .with_conn(move |conn| {
            Ok::<_, AppError>(loans::change_loan_settings(
                conn, &actor, &target, change, at,
            ))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    match saved {
        Ok(_) => Ok(see_other(&format!(
            "/librarian/resources/{id}/loan-settings?done=saved"
        ))),
        Err(LoanError::Invalid { field, message }) => {
            let mut page = settings_page(&state, &user, &id, Some(typed))
                .await
                .map_err(|err| err.for_user(&user))?;
            page.error = Some((field, message));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(PageError::from(other).for_user(&user)),
    }
}
