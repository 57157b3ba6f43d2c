//! `/librarian/collections`: the librarian's list of every collection (drafts too), a
//! new one, and the editor of one (its fields, its items as lines in order, publish or
//! withdraw, the edit history). Saving follows post/redirect/get; a refused form is
//! shown again with what was typed and the reason beside the field.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::CollectionCard;
use super::form::{CollectionForm, FormError};
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::collections::{
    self, Collection, CollectionError, CollectionId, CollectionStatus, ListFilter, Revision,
};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, PageLibrarian, PageQuery, librarians_only};
use crate::web::pages::format::minute;
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

#[derive(Template)]
#[template(path = "collections/editor_list.html")]
pub struct EditorListPage {
    chrome: Chrome,
    cards: Vec<CollectionCard>,
}
pages!(EditorListPage);

pub async fn list_for_editing(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
) -> Result<EditorListPage, PageError> {
    let actor = Actor::user(&user);
    let found = state
        .with_conn(move |conn| collections::list(conn, &actor, &ListFilter::default()))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(EditorListPage {
        chrome: Chrome::for_user(&user, Section::CollectionEditor),
        cards: found.iter().map(CollectionCard::new).collect(),
    })
}

/// One line of the edit history.
pub struct HistoryLine {
    pub at: String,
    pub by: String,
    pub summary: String,
}

/// An item as the editor lists it under the form (the titles the ids stand for).
pub struct ItemLine {
    pub resource_id: String,
    pub title: String,
    pub kind_label: &'static str,
    pub unpublished: bool,
}

#[derive(Template)]
#[template(path = "collections/editor.html")]
pub struct EditorPage {
    chrome: Chrome,
    /// `None` while creating.
    id: Option<CollectionId>,
    status: CollectionStatus,
    form: CollectionForm,
    errors: Vec<FormError>,
    notice: Option<&'static str>,
    /// A refused publish or withdraw, beside its button.
    status_error: Option<String>,
    items: Vec<ItemLine>,
    history: Vec<HistoryLine>,
}
pages!(EditorPage);

impl EditorPage {
    fn creating(&self) -> bool {
        self.id.is_none()
    }

    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/librarian/collections/{id}"),
            None => "/librarian/collections".to_owned(),
        }
    }

    /// The message for `field`, or "".
    fn error(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
            .unwrap_or("")
    }

    fn published(&self) -> bool {
        self.status == CollectionStatus::Published
    }
}

fn blank(user: &SessionUser) -> EditorPage {
    EditorPage {
        chrome: Chrome::for_user(user, Section::CollectionEditor),
        id: None,
        status: CollectionStatus::Draft,
        form: CollectionForm::default(),
        errors: Vec::new(),
        notice: None,
        status_error: None,
        items: Vec::new(),
        history: Vec::new(),
    }
}

pub async fn new_collection(PageLibrarian(user): PageLibrarian) -> EditorPage {
    blank(&user)
}

/// The editor of collection `raw` as stored, with its history.
async fn stored(state: &AppState, user: &SessionUser, raw: &str) -> Result<EditorPage, PageError> {
    let id = CollectionId::parse(raw)
        .map_err(|err| PageError::from(AppError::from(err)).for_user(user))?;
    let actor = Actor::user(user);
    let (collection, revisions) = state
        .with_conn(move |conn| {
            let collection = collections::get(conn, &actor, id)?;
            let revisions = collections::history(conn, &actor, id)?;
            Ok::<_, CollectionError>((collection, revisions))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    Ok(page_of(user, &collection, &revisions))
}

fn page_of(user: &SessionUser, collection: &Collection, revisions: &[Revision]) -> EditorPage {
    EditorPage {
        id: Some(collection.id),
        status: collection.status,
        form: CollectionForm::from_collection(collection),
        items: collection
            .items
            .iter()
            .map(|item| ItemLine {
                resource_id: item.resource_id.clone(),
                title: item.title.clone(),
                kind_label: item.kind_label,
                unpublished: item.resource_status != crate::catalog::Status::Published,
            })
            .collect(),
        history: revisions
            .iter()
            .map(|r| HistoryLine {
                at: minute(&r.revised_at),
                by: r.revised_by.clone(),
                summary: r.summary.clone(),
            })
            .collect(),
        ..blank(user)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_of(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "已新建专题（草稿）。确认内容后点“发布”，各单位即可看到。",
        "saved" => "已保存。",
        "unchanged" => "没有改动。",
        "published" => "已发布，各单位现在可以看到这个专题。",
        "withdrawn" => "已撤回，各单位不再看到这个专题。",
        _ => return None,
    })
}

pub async fn edit_collection(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<NoticeQuery>,
) -> Result<EditorPage, PageError> {
    let mut page = stored(&state, &user, &raw).await?;
    page.notice = query.notice.as_deref().and_then(notice_of);
    Ok(page)
}

/// The editor again with what was typed and the refusal beside its field.
fn refused(mut page: EditorPage, typed: CollectionForm, error: FormError) -> Response {
    page.form = typed;
    page.errors = vec![error];
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub async fn create_collection(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let typed = CollectionForm::from_form(&form);
    let (actor, at, input) = (Actor::user(&user), state.clock.moment(), typed.to_input());
    let created = state
        .with_conn(move |conn| Ok::<_, AppError>(collections::create(conn, &actor, input, at)))
        .await?;
    match created {
        Ok(id) => Ok(see_other(&format!(
            "/librarian/collections/{id}?notice=created"
        ))),
        Err(err) => match FormError::of(&err) {
            Some(error) => Ok(refused(blank(&user), typed, error)),
            None => Err(PageError::from(err).for_user(&user)),
        },
    }
}

pub async fn update_collection(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let page = stored(&state, &user, &raw).await?;
    let Some(id) = page.id else {
        return Err(PageError::not_found("没有这个专题").for_user(&user));
    };
    let typed = CollectionForm::from_form(&form);
    let (actor, at, patch) = (Actor::user(&user), state.clock.moment(), typed.to_patch());
    let saved = state
        .with_conn(move |conn| Ok::<_, AppError>(collections::update(conn, &actor, id, patch, at)))
        .await?;
    match saved {
        Ok(saved) => Ok(see_other(&format!(
            "/librarian/collections/{id}?notice={}",
            if saved.changed { "saved" } else { "unchanged" }
        ))),
        Err(err) => match FormError::of(&err) {
            Some(error) => Ok(refused(page, typed, error)),
            None => Err(PageError::from(err).for_user(&user)),
        },
    }
}

/// Publishes or withdraws; a refusal (nothing to publish, already published) is
/// shown beside the buttons.
async fn change_status(
    state: AppState,
    user: SessionUser,
    raw: String,
    step: collections::StatusStep,
    done: &'static str,
) -> Result<Response, PageError> {
    if !user.is_librarian() {
        return Err(librarians_only(&user));
    }
    let id = CollectionId::parse(&raw)
        .map_err(|err| PageError::from(AppError::from(err)).for_user(&user))?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let outcome = state
        .with_conn(move |conn| Ok::<_, AppError>(step(conn, &actor, id, at)))
        .await?;
    match outcome {
        Ok(_) => Ok(see_other(&format!(
            "/librarian/collections/{id}?notice={done}"
        ))),
        Err(err) => {
            let err = PageError::from(AppError::from(err));
            let Some((status, message)) = err.input_problem() else {
                return Err(err.for_user(&user));
            };
            let mut page = stored(&state, &user, &raw).await?;
            page.status_error = Some(message);
            Ok((status, page).into_response())
        }
    }
}

pub async fn publish_collection(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    change_status(state, user, raw, collections::publish, "published").await
}

pub async fn withdraw_collection(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<Response, PageError> {
    change_status(state, user, raw, collections::withdraw, "withdrawn").await
}
