//! The contribution form: what the unit typed, kept as text so that a refused form
//! shows it again, its conversion into `catalog::contributions`' inputs, and
//! `/contributions/new` with its post. The fields and the files come in one
//! multipart body; the files are stored first (the editor's rules) and attached once
//! the contribution exists, so a refused form leaves nothing behind.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::super::librarian::editor::{ACCEPT, Choice, choices};
use super::super::librarian::form::{BASE_VIOLATIONS, FieldErrors, ResourceForm, field_errors};
use super::{elsewhere, share_label};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::bootstrap::DEMO_UNITS;
use crate::catalog::contributions::{self, ContributionInput};
use crate::catalog::curation::ResourcePatch;
use crate::catalog::{CatalogError, Kind, Resource, Share};
use crate::loans::Actor;
use crate::web::error::AppError;
use crate::web::pages::extract::{FormData, PageUser, check_upload_token};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};
use crate::web::upload;

/// The refusal beside the declaration box.
const UNDECLARED: &str = "请勾选“本单位领导已同意共享该资料”：投稿须经本单位领导同意后才能提交";

/// The contribution's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct ContributionForm {
    /// The catalogue fields (the editor's form; holdings are not offered).
    pub fields: ResourceForm,
    /// `all`, `sector` or `committee`.
    pub share: String,
    /// The box "本单位领导已同意共享该资料" is ticked.
    pub declared: bool,
}

impl ContributionForm {
    /// An empty form: a case bulletin of the unit's own sector, lent on request, shared
    /// with every unit.
    pub fn blank(user: &SessionUser) -> Self {
        let mut fields = ResourceForm::blank("case");
        fields.sectors = user
            .unit_sector
            .iter()
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .collect();
        Self {
            fields,
            share: Share::All.as_str().to_owned(),
            declared: false,
        }
    }

    pub fn from_resource(resource: &Resource) -> Self {
        Self {
            fields: ResourceForm::from_resource(resource),
            share: resource.share.as_str().to_owned(),
            declared: true,
        }
    }

    pub fn from_form(form: &FormData) -> Self {
        Self {
            fields: ResourceForm::from_form(form),
            share: form.get("share").trim().to_owned(),
            declared: !form.get("declaration").is_empty(),
        }
    }

    /// The catalogue fields as the create request reads them, or what to fix.
    fn catalogue(&self, errors: &mut FieldErrors) -> Option<crate::catalog::ResourceInput> {
        if self.share.is_empty() {
            errors.insert("share".to_owned(), "请选择共享范围".to_owned());
        }
        match self.fields.to_input() {
            Ok(input) => Some(input),
            Err(found) => {
                errors.extend(found);
                None
            }
        }
    }

    /// The submission, or what to fix. A missing declaration is told together with
    /// the first refusal of the catalogue fields, so that one try shows both.
    pub fn to_input(&self) -> Result<ContributionInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !self.declared {
            errors.insert("declaration".to_owned(), UNDECLARED.to_owned());
        }
        let Some(input) = self.catalogue(&mut errors) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            if let Err(CatalogError::Invalid { field, message }) = input.validate() {
                errors.entry(field).or_insert(message);
            }
            return Err(errors);
        }
        Ok(ContributionInput {
            kind: input.kind,
            title: input.title,
            summary: input.summary,
            tags: input.tags,
            sectors: input.sectors,
            violations: input.violations,
            region: input.region,
            date: input.date,
            source: input.source,
            access: input.access,
            share: Some(self.share.clone()),
            declaration: Some(self.declared),
            ..ContributionInput::default()
        })
    }

    /// The change of every field the unit may edit, or what to fix.
    pub fn to_patch(&self) -> Result<ResourcePatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(input) = self.catalogue(&mut errors) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ResourcePatch {
            kind: Some(input.kind),
            title: Some(input.title),
            summary: input.summary,
            tags: Some(input.tags),
            sectors: Some(input.sectors),
            violations: Some(input.violations),
            region: input.region,
            date: Some(input.date),
            source: input.source,
            access: input.access,
            share: Some(self.share.clone()),
            ..ResourcePatch::default()
        })
    }
}

/// A sharing scope offered.
pub struct ShareChoice {
    pub value: &'static str,
    pub label: String,
    pub hint: &'static str,
    pub checked: bool,
    /// `sector` for a unit without a sector: it would reach nobody.
    pub disabled: bool,
}

/// The form's fields with their choices and messages, for the new form and the edit
/// form of a contribution (`contributions/fields.html`).
pub struct FormView {
    pub form: ContributionForm,
    pub kinds: Vec<Choice>,
    pub sectors: Vec<Choice>,
    pub violations: Vec<Choice>,
    pub shares: Vec<ShareChoice>,
    pub errors: FieldErrors,
}

impl FormView {
    /// `sector` is the contributing unit's.
    pub fn new(form: ContributionForm, errors: FieldErrors, sector: Option<&str>) -> Self {
        let sector = sector.map(str::trim).filter(|s| !s.is_empty());
        let mut base_sectors: Vec<String> = sector.into_iter().map(str::to_owned).collect();
        base_sectors.extend(DEMO_UNITS.iter().map(|u| u.2.to_owned()));
        let base_violations: Vec<String> =
            BASE_VIOLATIONS.iter().map(|v| (*v).to_owned()).collect();
        let typed = &form.fields;
        Self {
            kinds: Kind::ALL
                .iter()
                .filter(|kind| **kind != Kind::Base)
                .map(|kind| Choice {
                    value: kind.as_str().to_owned(),
                    label: kind.label().to_owned(),
                    checked: typed.kind == kind.as_str(),
                })
                .collect(),
            sectors: choices(&base_sectors, &[], &typed.sectors),
            violations: choices(&base_violations, &[], &typed.violations),
            shares: Share::ALL
                .iter()
                .map(|share| ShareChoice {
                    value: share.as_str(),
                    label: share_label(*share, sector),
                    hint: match share {
                        Share::All => "各单位都能检索和借阅",
                        Share::Sector => "只有与本单位同一行业的单位能检索和借阅",
                        Share::Committee => "只供工委资料室使用，其他单位看不到",
                    },
                    checked: form.share == share.as_str(),
                    disabled: *share == Share::Sector && sector.is_none(),
                })
                .collect(),
            errors,
            form,
        }
    }

    /// The message for `field`, or "".
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "contributions/new.html")]
pub struct NewContributionPage {
    chrome: Chrome,
    unit_name: String,
    fields: FormView,
    accept: &'static str,
}
pages!(NewContributionPage);

fn new_page(
    user: &SessionUser,
    form: ContributionForm,
    errors: FieldErrors,
) -> NewContributionPage {
    NewContributionPage {
        chrome: Chrome::for_user(user, Section::Contributions),
        unit_name: user.unit_name.clone().unwrap_or_default(),
        fields: FormView::new(form, errors, user.unit_sector.as_deref()),
        accept: ACCEPT,
    }
}

/// `GET /contributions/new`.
pub async fn new_contribution(PageUser(user): PageUser) -> Response {
    if let Some(elsewhere) = elsewhere(&user) {
        return elsewhere;
    }
    new_page(&user, ContributionForm::blank(&user), FieldErrors::new()).into_response()
}

/// The form again with what was typed and what to fix (the files must be chosen again).
fn refused(user: &SessionUser, form: ContributionForm, errors: FieldErrors) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        new_page(user, form, errors),
    )
        .into_response()
}

/// `POST /contributions`: `csrf` first, then the fields and the files. The files are
/// stored as they arrive, the contribution is submitted, and the files attached.
pub async fn submit_contribution(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    if let Some(elsewhere) = elsewhere(&user) {
        return Ok(elsewhere);
    }
    check_upload_token(&mut multipart, &user).await?;
    let received = match upload::receive_form(&state, multipart).await {
        Ok(received) => received,
        Err((fields, error)) => {
            if error.status.is_server_error() {
                return Err(PageError::from(error).for_user(&user));
            }
            let typed = ContributionForm::from_form(&FormData(fields));
            let errors = FieldErrors::from([("file".to_owned(), error.message)]);
            return Ok(refused(&user, typed, errors));
        }
    };
    let typed = ContributionForm::from_form(&FormData(received.fields));
    let input = match typed.to_input() {
        Ok(input) => input,
        Err(errors) => {
            upload::discard_received(&state, received.files).await;
            return Ok(refused(&user, typed, errors));
        }
    };
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let submitted = state
        .with_conn(move |conn| Ok::<_, AppError>(contributions::submit(conn, &actor, input, at)))
        .await;
    let id = match submitted {
        Ok(Ok(id)) => id,
        Ok(Err(err)) => {
            upload::discard_received(&state, received.files).await;
            let errors = field_errors(err).map_err(|err| PageError::from(err).for_user(&user))?;
            return Ok(refused(&user, typed, errors));
        }
        Err(err) => {
            upload::discard_received(&state, received.files).await;
            return Err(PageError::from(err).for_user(&user));
        }
    };
    let chosen = received.files.len();
    let (attached, _) = upload::attach_received(&state, &id, &user, received.files).await;
    state.refresh_index_now();
    let skipped = chosen - attached.len();
    Ok(see_other(&if skipped == 0 {
        format!("/contributions/{id}?notice=submitted")
    } else {
        format!("/contributions/{id}?notice=submitted&skipped={skipped}")
    }))
}
