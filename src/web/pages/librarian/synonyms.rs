//! `/librarian/synonyms`: the abbreviation dictionary search expands queries with
//! (检索词典). Lists the shipped entries and the librarians' own (filtered by a word),
//! adds an entry, deletes one, takes a shipped one out and restores it. A refused form
//! comes back with what was typed and the reason beside it; a change takes effect on
//! the next search.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::synonyms::{self, SynonymChange, SynonymEntry, SynonymInput};
use crate::search::normalize;
use crate::web::pages::extract::{CsrfForm, PageLibrarian, PageQuery};
use crate::web::pages::format::minute;
use crate::web::pages::url::Query;
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};
use crate::web::shared::synonyms::change;

/// One row of the list.
pub struct EntryRow {
    pub abbreviation: String,
    pub expansion: String,
    pub shipped: bool,
    pub removed: bool,
    /// "张三 · 2025-03-01 10:20" for a changed entry.
    pub changed: String,
}

#[derive(Template)]
#[template(path = "librarian/synonyms.html")]
pub struct SynonymsPage {
    chrome: Chrome,
    filter: String,
    rows: Vec<EntryRow>,
    total: usize,
    added: usize,
    removed: usize,
    notice: Option<String>,
    error: Option<String>,
    typed: SynonymInput,
}
pages!(SynonymsPage);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    done: String,
}

pub async fn show_synonyms(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<ListQuery>,
) -> Result<SynonymsPage, PageError> {
    let mut page = list_page(&state, &user, &query.q).await?;
    page.notice = done_message(&query.done);
    Ok(page)
}

fn done_message(done: &str) -> Option<String> {
    let text = match done {
        "added" => "已添加，下一次检索即按新词条扩展。",
        "restored" => "已恢复该词条。",
        "deleted" => "已删除该词条。",
        "removed" => "已停用该词条，检索不再按它扩展。",
        _ => return None,
    };
    Some(text.to_owned())
}

async fn list_page(
    state: &AppState,
    user: &SessionUser,
    filter: &str,
) -> Result<SynonymsPage, PageError> {
    let entries = state
        .with_conn(|conn| synonyms::list(conn))
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let (added, removed) = (
        entries.iter().filter(|e| !e.shipped).count(),
        entries.iter().filter(|e| e.removed).count(),
    );
    let total = entries.len();
    let filter: String = filter.trim().chars().take(64).collect();
    let needle = normalize(&filter);
    let rows = entries
        .into_iter()
        .filter(|e| e.abbreviation.contains(&needle) || e.expansion.contains(&needle))
        .map(row)
        .collect();
    Ok(SynonymsPage {
        chrome: Chrome::for_user(user, Section::Synonyms),
        filter,
        rows,
        total,
        added,
        removed,
        notice: None,
        error: None,
        typed: SynonymInput::default(),
    })
}

fn row(entry: SynonymEntry) -> EntryRow {
    let changed = match (&entry.changed_by, &entry.changed_at) {
        (Some(by), Some(at)) => format!("{by} · {}", minute(at)),
        _ => String::new(),
    };
    EntryRow {
        abbreviation: entry.abbreviation,
        expansion: entry.expansion,
        shipped: entry.shipped,
        removed: entry.removed,
        changed,
    }
}

fn typed(form: &crate::web::pages::extract::FormData) -> SynonymInput {
    SynonymInput {
        abbreviation: form.get("abbreviation").to_owned(),
        expansion: form.get("expansion").to_owned(),
    }
}

/// Where to go after a change: the list, filtered as it was, saying what happened.
fn done_href(filter: &str, done: SynonymChange) -> String {
    let done = match done {
        SynonymChange::Added => "added",
        SynonymChange::Restored => "restored",
        SynonymChange::Deleted => "deleted",
        SynonymChange::Removed => "removed",
    };
    let mut query = Query::new().set("done", done);
    if !filter.trim().is_empty() {
        query = query.set("q", filter.trim());
    }
    format!("{}#entries", query.href("/librarian/synonyms"))
}

/// Adds an entry, or restores a shipped one taken out (the restore buttons post here);
/// the list then shows the entry's abbreviation.
pub async fn add_synonym(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let (input, filter) = (typed(&form), form.get("q").to_owned());
    match change(&state, &user, input.clone(), false).await {
        Ok(changed) => Ok(see_other(&done_href(&changed.abbreviation, changed.change))),
        Err(err) => refused(&state, &user, &filter, err.into(), input).await,
    }
}

/// Deletes a librarian's entry or takes a shipped one out.
pub async fn remove_synonym(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let (input, filter) = (typed(&form), form.get("q").to_owned());
    match change(&state, &user, input, true).await {
        Ok(changed) => Ok(see_other(&done_href(&filter, changed.change))),
        Err(err) => refused(&state, &user, &filter, err.into(), SynonymInput::default()).await,
    }
}

/// Shows the list again with the refusal beside the add form and what was typed.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    filter: &str,
    err: PageError,
    typed: SynonymInput,
) -> Result<Response, PageError> {
    let Some((status, message)) = err.input_problem() else {
        return Err(err.for_user(user));
    };
    let mut page = list_page(state, user, filter).await?;
    page.error = Some(message);
    page.typed = typed;
    Ok((status, page).into_response())
}
