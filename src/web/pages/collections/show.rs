//! `/collections/{id}`: a collection's introduction and its items in order, each with
//! its note and, for a chosen period, whether a digital licence and a physical copy
//! are free (or the nearest free period); bases are booked as visits. A borrower adds
//! every loanable item to the unit's request basket with one button.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::{Kind, Status};
use crate::collections::{
    self, Collection, CollectionError, CollectionId, CollectionStatus, Fit, ItemAvailability,
};
use crate::loans::Format;
use crate::web::error::AppError;
use crate::web::pages::extract::{PageQuery, PageUser};
use crate::web::pages::{Chrome, PageError, Section, pages};

/// One format's line for an item.
pub struct FitLine {
    pub format: &'static str,
    /// `fits`, `full` or `none` (the CSS class).
    pub state: &'static str,
    pub text: String,
}

/// An item as the page shows it.
pub struct ItemView {
    pub number: usize,
    pub resource_id: String,
    pub href: String,
    pub title: String,
    pub kind_label: &'static str,
    pub base: bool,
    pub note: String,
    /// For librarians: the resource is not (yet) visible to units.
    pub hidden_note: Option<&'static str>,
    pub fits: Vec<FitLine>,
}

#[derive(Template)]
#[template(path = "collections/show.html")]
pub struct CollectionPage {
    chrome: Chrome,
    id: CollectionId,
    title: String,
    intro: Vec<String>,
    season: Option<(&'static str, String)>,
    sectors: String,
    status: CollectionStatus,
    librarian: bool,
    items: Vec<ItemView>,
    /// The items a unit can ask to borrow (everything but bases).
    loanable: Vec<String>,
    start: String,
    end: String,
    checked: bool,
    period_error: Option<String>,
}
pages!(CollectionPage);

impl CollectionPage {
    fn published(&self) -> bool {
        self.status == CollectionStatus::Published
    }

    fn status_label(&self) -> &'static str {
        self.status.label()
    }

    /// The page's own address with the period, where the basket sends people back.
    fn back(&self) -> String {
        format!("/collections/{}", self.id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PeriodQuery {
    start: Option<String>,
    end: Option<String>,
}

pub async fn show_collection(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<PeriodQuery>,
) -> Result<Response, PageError> {
    let id = CollectionId::parse(&raw)
        .map_err(|err| PageError::from(AppError::from(err)).for_user(&user))?;
    let start = query.start.unwrap_or_default().trim().to_owned();
    let end = query.end.unwrap_or_default().trim().to_owned();
    let asked = !start.is_empty() || !end.is_empty();
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let (period_start, period_end) = (start.clone(), end.clone());
    let (collection, answers) = state
        .with_conn(move |conn| {
            let collection = collections::get(conn, &actor, id)?;
            let answers = if asked {
                Some(collections::availability(
                    conn,
                    &actor,
                    id,
                    &period_start,
                    &period_end,
                    today,
                ))
            } else {
                None
            };
            Ok::<_, CollectionError>((collection, answers))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let (answers, period_error) = match answers {
        None => (Vec::new(), None),
        Some(Ok(answers)) => (answers, None),
        Some(Err(err)) => {
            let err = PageError::from(AppError::from(err));
            match err.input_problem() {
                Some((_, message)) => (Vec::new(), Some(message)),
                None => return Err(err.for_user(&user)),
            }
        }
    };
    let status = if period_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let checked = asked && period_error.is_none();
    let page = page_of(
        &user,
        collection,
        &answers,
        start,
        end,
        checked,
        period_error,
    );
    Ok((status, page).into_response())
}

fn page_of(
    user: &crate::accounts::SessionUser,
    collection: Collection,
    answers: &[ItemAvailability],
    start: String,
    end: String,
    checked: bool,
    period_error: Option<String>,
) -> CollectionPage {
    let librarian = user.is_librarian();
    let items: Vec<ItemView> = collection
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let answer = answers.iter().find(|a| a.resource_id == item.resource_id);
            let base = item.kind == Kind::Base;
            let mut fits = Vec::new();
            if let Some(answer) = answer {
                if let Some(fit) = &answer.digital {
                    fits.push(fit_line(Format::Digital, fit));
                }
                if let Some(fit) = &answer.physical {
                    fits.push(fit_line(Format::Physical, fit));
                }
            }
            ItemView {
                number: index + 1,
                href: format!("/resources/{}", item.resource_id),
                resource_id: item.resource_id.clone(),
                title: item.title.clone(),
                kind_label: item.kind_label,
                base,
                note: item.note.clone(),
                hidden_note: (librarian && item.resource_status != Status::Published)
                    .then_some("该资源未发布，各单位看不到这一项"),
                fits,
            }
        })
        .collect();
    let loanable = items
        .iter()
        .filter(|item| !item.base && item.hidden_note.is_none())
        .map(|item| item.resource_id.clone())
        .collect();
    CollectionPage {
        chrome: Chrome::for_user(user, Section::Collections),
        id: collection.id,
        intro: collection
            .intro
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        season: collection
            .season
            .zip(collection.season_label)
            .map(|(code, label)| (label, format!("/collections?season={code}"))),
        sectors: collection.sectors.join("、"),
        status: collection.status,
        title: collection.title,
        librarian,
        items,
        loanable,
        start,
        end,
        checked,
        period_error,
    }
}

fn fit_line(format: Format, fit: &Fit) -> FitLine {
    let (state, text) = match fit {
        Fit::Fits { .. } => ("fits", "该时段可借".to_owned()),
        Fit::Full {
            nearest: Some(period),
        } => (
            "full",
            format!("该时段已借满；最近可借 {} 至 {}", period.start, period.end),
        ),
        Fit::Full { nearest: None } => ("full", "该时段已借满，一年内没有空档".to_owned()),
        Fit::NotHeld => ("none", format!("本馆没有{}", format.unit_name())),
    };
    FitLine {
        format: format.label(),
        state,
        text,
    }
}
