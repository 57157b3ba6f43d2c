//! `/basket` (借阅清单): the officer's request basket — its items with their format,
//! whether each fits the chosen period or would wait (with the nearest free period),
//! the period, purpose and audience, and 提交申请, which files everything as one loan
//! batch. The forms post to `/basket/…` and come back here (post/redirect/get); a
//! refused form is shown beside itself with what was typed.
//!
//! `POST /basket/items` is the contract other pages rely on: one or more
//! `resource_id` fields, the form token (`csrf` or `_csrf`) and an optional `back`
//! (a path of this site) to return to, where the next page says what was added.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::extract::{CsrfForm, FormData, PageQuery, PageUser};
use super::flash::Flash;
use super::url::is_local_path;
use super::{Chrome, PageError, Section, pages, see_other};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::{self, Actor, BasketTerms, Format, ItemCheck, ItemFormat};
use crate::web::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/basket", get(show_basket))
        .route("/basket/items", post(add_items))
        .route("/basket/remove", post(remove_item))
        .route("/basket/format", post(set_format))
        .route("/basket/terms", post(save_terms))
        .route("/basket/send", post(send))
}

/// An item as the page lists it.
pub struct ItemView {
    pub resource_id: String,
    pub title: String,
    pub digital: bool,
    pub physical: bool,
    pub format: Format,
    /// `fits`, `waitlist`, `refused` or `unchecked` (the row's class).
    pub check: &'static str,
    pub check_label: &'static str,
    pub problem: Option<String>,
    pub nearest: Option<(String, String)>,
    /// Why this item's form (format, removal) was just refused.
    pub error: Option<String>,
}

/// The period, purpose and audience as typed (or stored).
#[derive(Default, Clone)]
pub struct TermsForm {
    pub start: String,
    pub end: String,
    pub purpose: String,
    pub audience: String,
}

#[derive(Template)]
#[template(path = "basket.html")]
pub struct BasketPage {
    chrome: Chrome,
    notice: Option<String>,
    items: Vec<ItemView>,
    terms: TermsForm,
    /// Why saving or sending was refused (beside the form).
    terms_error: Option<String>,
    /// Why the stored period cannot be used.
    period_problem: Option<String>,
    /// The end the loans get when the chosen end is a closed day.
    moved_end: Option<String>,
    today: String,
    max_items: usize,
    fits: usize,
    waiting: usize,
    refused: usize,
    checked: bool,
}
pages!(BasketPage);

/// What to show again after a refused post.
#[derive(Default)]
struct Retry {
    terms: Option<TermsForm>,
    terms_error: Option<String>,
    item: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BasketQuery {
    /// `saved` (terms saved), `removed`, `format`.
    done: Option<String>,
}

async fn show_basket(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<BasketQuery>,
) -> Result<BasketPage, PageError> {
    let notice = match query.done.as_deref() {
        Some("saved") => Some("已保存借阅期间、用途和人数，下方已按所选期间检查每一项。"),
        Some("removed") => Some("已从借阅清单中移除。"),
        Some("format") => Some("已更改借阅形式。"),
        _ => None,
    };
    basket_page(&state, &user, notice.map(str::to_owned), Retry::default())
        .await
        .map_err(|err| err.for_user(&user))
}

fn check_label(check: ItemCheck) -> (&'static str, &'static str) {
    match check {
        ItemCheck::Fits => ("fits", "可借"),
        ItemCheck::Waitlist => ("waitlist", "将进入候补"),
        ItemCheck::Refused => ("refused", "不能借阅"),
        ItemCheck::Unchecked => ("unchecked", "待选择期间"),
    }
}

async fn basket_page(
    state: &AppState,
    user: &SessionUser,
    notice: Option<String>,
    retry: Retry,
) -> Result<BasketPage, PageError> {
    let (actor, today) = (Actor::user(user), state.clock.today());
    let basket = state
        .with_conn(move |conn| loans::basket(conn, &actor, today))
        .await?;
    let stored = TermsForm {
        start: basket.start.clone().unwrap_or_default(),
        end: basket.end.clone().unwrap_or_default(),
        purpose: basket.purpose.clone(),
        audience: basket.audience.map(|n| n.to_string()).unwrap_or_default(),
    };
    let moved_end = match (&basket.loan_end, &basket.end) {
        (Some(loan_end), Some(end)) if loan_end.to_string() != *end => {
            Some(format!("{end} 为闭馆日，归还日顺延至 {loan_end}"))
        }
        _ => None,
    };
    let items = basket
        .items
        .iter()
        .map(|item| {
            let (check, check_label) = check_label(item.check);
            ItemView {
                resource_id: item.resource_id.clone(),
                title: item.title.clone(),
                digital: item.digital,
                physical: item.physical,
                format: item.format,
                check,
                check_label,
                problem: item.problem.clone(),
                nearest: item
                    .nearest
                    .map(|p| (p.start.to_string(), p.end.to_string())),
                error: retry
                    .item
                    .as_ref()
                    .filter(|(id, _)| *id == item.resource_id)
                    .map(|(_, message)| message.clone()),
            }
        })
        .collect();
    let count = |check: ItemCheck| basket.items.iter().filter(|i| i.check == check).count();
    // A refused item form whose item is gone (removed meanwhile) is said at the top.
    let lost = retry
        .item
        .as_ref()
        .filter(|(id, _)| !basket.items.iter().any(|i| i.resource_id == *id));
    Ok(BasketPage {
        chrome: Chrome::for_user(user, Section::Basket),
        notice: lost.map(|(_, message)| message.clone()).or(notice),
        items,
        terms: retry.terms.unwrap_or(stored),
        terms_error: retry.terms_error,
        period_problem: basket.period_problem.clone(),
        moved_end,
        today: today.to_string(),
        max_items: basket.max_items,
        fits: count(ItemCheck::Fits),
        waiting: count(ItemCheck::Waitlist),
        refused: count(ItemCheck::Refused),
        checked: basket.loan_end.is_some(),
    })
}

/// Where `POST /basket/items` returns: `back` when it is a path of this site (never
/// another site, nor the sign-in page), else the basket.
fn back_of(form: &FormData) -> String {
    let back = form.get("back").trim();
    if is_local_path(back) && !back.starts_with("/login") && back.len() <= 2000 {
        back.to_owned()
    } else {
        "/basket".to_owned()
    }
}

/// `POST /basket/items`: adds the `resource_id`s and goes `back`, where the page
/// says how many were added (and how many could not be).
async fn add_items(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let ids = form.all("resource_id");
    let asked = ids.len();
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let added = state
        .with_conn(move |conn| loans::add_to_basket(conn, &actor, &ids, at))
        .await;
    let flash = match added {
        Ok(addition) => Flash::BasketAdded {
            added: addition.added.len(),
            already: addition.already.len(),
            refused: addition.refused.len(),
        },
        // Nothing could be added: the next page says so.
        Err(err) if err.status == StatusCode::UNPROCESSABLE_ENTITY => Flash::BasketAdded {
            added: 0,
            already: 0,
            refused: asked.clamp(1, 1000),
        },
        Err(err) => return Err(PageError::from(err).for_user(&user)),
    };
    let secure = crate::web::auth::cookie_is_secure(state.settings.public_url.as_ref(), &headers);
    let mut response = see_other(&back_of(&form));
    if let Ok(value) = HeaderValue::from_str(&flash.cookie(secure).to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// An item's form refused: the basket again, the reason beside the item.
async fn item_refused(
    state: &AppState,
    user: &SessionUser,
    resource_id: String,
    err: AppError,
) -> Result<Response, PageError> {
    let status = err.status;
    if !matches!(status.as_u16(), 404 | 409 | 422) {
        return Err(PageError::from(err).for_user(user));
    }
    let retry = Retry {
        item: Some((resource_id, err.into_message())),
        ..Retry::default()
    };
    let page = basket_page(state, user, None, retry)
        .await
        .map_err(|e| e.for_user(user))?;
    Ok((status, page).into_response())
}

/// `POST /basket/remove`: takes `resource_id` out.
async fn remove_item(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = form.get("resource_id").trim().to_owned();
    let (actor, at, removing) = (Actor::user(&user), state.clock.moment(), id.clone());
    let removed = state
        .with_conn(move |conn| loans::remove_from_basket(conn, &actor, &removing, at))
        .await;
    match removed {
        Ok(()) => Ok(see_other("/basket?done=removed")),
        Err(err) => item_refused(&state, &user, id, err).await,
    }
}

/// `POST /basket/format`: `resource_id`'s `format`.
async fn set_format(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = form.get("resource_id").trim().to_owned();
    let input = ItemFormat {
        format: Some(form.get("format").to_owned()),
    };
    let (actor, at, item) = (Actor::user(&user), state.clock.moment(), id.clone());
    let changed = state
        .with_conn(move |conn| loans::set_item_format(conn, &actor, &item, input, at))
        .await;
    match changed {
        Ok(()) => Ok(see_other(&format!(
            "/basket?done=format#item-{}",
            super::url::encode_component(&id)
        ))),
        Err(err) => item_refused(&state, &user, id, err).await,
    }
}

/// The terms form as typed.
fn typed_terms(form: &FormData) -> TermsForm {
    let typed = |name: &str, max: usize| form.get(name).trim().chars().take(max).collect();
    TermsForm {
        start: typed("start", 40),
        end: typed("end", 40),
        purpose: form.get("purpose").chars().take(1000).collect(),
        audience: typed("audience", 40),
    }
}

/// Saves the typed terms; a refusal comes back as the message to show.
async fn store_terms(
    state: &AppState,
    user: &SessionUser,
    typed: &TermsForm,
) -> Result<(), AppError> {
    let audience = match typed.audience.trim() {
        "" => None,
        n => Some(n.parse::<i64>().map_err(|_| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("参加人数“{n}”应为整数"),
            )
        })?),
    };
    let input = BasketTerms {
        start: Some(typed.start.clone()),
        end: Some(typed.end.clone()),
        purpose: Some(typed.purpose.clone()),
        audience,
    };
    let (actor, at) = (Actor::user(user), state.clock.moment());
    state
        .with_conn(move |conn| loans::set_terms(conn, &actor, input, at))
        .await
}

/// The terms form refused: the basket again with what was typed and why.
async fn terms_refused(
    state: &AppState,
    user: &SessionUser,
    typed: TermsForm,
    err: AppError,
) -> Result<Response, PageError> {
    let status = err.status;
    if !matches!(status.as_u16(), 400 | 404 | 409 | 422) {
        return Err(PageError::from(err).for_user(user));
    }
    let retry = Retry {
        terms: Some(typed),
        terms_error: Some(err.into_message()),
        item: None,
    };
    let page = basket_page(state, user, None, retry)
        .await
        .map_err(|e| e.for_user(user))?;
    Ok((status, page).into_response())
}

/// `POST /basket/terms`: saves the period, purpose and audience; the page then
/// checks each item against the period.
async fn save_terms(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let typed = typed_terms(&form);
    match store_terms(&state, &user, &typed).await {
        Ok(()) => Ok(see_other("/basket?done=saved#items")),
        Err(err) => terms_refused(&state, &user, typed, err).await,
    }
}

/// `POST /basket/send` (提交申请): saves the typed terms and sends the basket as one
/// loan batch; the unit's loans page then shows it.
async fn send(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let typed = typed_terms(&form);
    if let Err(err) = store_terms(&state, &user, &typed).await {
        return terms_refused(&state, &user, typed, err).await;
    }
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let sent = state
        .with_conn(move |conn| loans::send_basket(conn, &actor, at))
        .await;
    match sent {
        Ok(batch) => Ok(see_other(&format!("/loans?batch={}", batch.id))),
        Err(err) => terms_refused(&state, &user, typed, err).await,
    }
}
