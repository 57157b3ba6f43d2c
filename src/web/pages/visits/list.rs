//! `/visits` (本单位参观): the unit's visits, newest first, with their states and the
//! steps each offers, and the unit's visit notifications. Librarians read every
//! unit's visits here, filtered by unit.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{ActionRetry, VisitView, done_notice};
use crate::accounts::{self, SessionUser};
use crate::app::AppState;
use crate::loans::{self, Actor};
use crate::visits::{self, VisitFilter};
use crate::web::error::AppError;
use crate::web::pages::extract::{CsrfForm, PageQuery, PageUser};
use crate::web::pages::{Chrome, PageError, Section, pages, see_other};

/// A visit notification as the list shows it.
pub struct NoticeView {
    pub id: i64,
    pub message: String,
    pub created_at: String,
    pub unread: bool,
    pub visit_id: i64,
}

/// A unit to filter by (librarians).
pub struct UnitChoice {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "visits/list.html")]
pub struct VisitsPage {
    chrome: Chrome,
    librarian: bool,
    /// The step forms come back to this list.
    on_list: bool,
    unit_name: String,
    notice: Option<String>,
    visits: Vec<VisitView>,
    notices: Vec<NoticeView>,
    unread: usize,
    units: Vec<UnitChoice>,
    /// The unit filtered by (librarians).
    unit: String,
}
pages!(VisitsPage);

/// Notifications shown on the page.
const NOTICES_SHOWN: usize = 30;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VisitsQuery {
    done: Option<String>,
    read: Option<String>,
    unit: Option<String>,
}

pub(super) async fn show_visits(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(query): PageQuery<VisitsQuery>,
) -> Result<VisitsPage, PageError> {
    visits_page(&state, &user, query, None)
        .await
        .map_err(|err| err.for_user(&user))
}

/// The page, with a refused step shown beside its visit (`retry`).
pub(super) async fn visits_page(
    state: &AppState,
    user: &SessionUser,
    query: VisitsQuery,
    retry: Option<(i64, ActionRetry)>,
) -> Result<VisitsPage, PageError> {
    let librarian = user.is_librarian();
    if !librarian && user.unit.is_none() {
        return Err(PageError::forbidden(
            "“本单位参观”供各单位的账号使用；您的账号未关联单位。",
        ));
    }
    let unit_filter = query
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| librarian && !u.is_empty())
        .map(|u| u.chars().take(80).collect::<String>());
    let (actor, own_unit, today) = (Actor::user(user), user.unit.clone(), state.clock.today());
    let filter = VisitFilter {
        unit: unit_filter.clone(),
        ..VisitFilter::default()
    };
    let (list, notes, units) = state
        .with_conn(move |conn| {
            let list = visits::list(conn, &actor, &filter).map_err(AppError::from)?;
            let notes = match &own_unit {
                Some(unit) => Some(loans::notify::list(conn, unit, false, 200)?),
                None => None,
            };
            let units = if actor.librarian {
                accounts::units::list_units(conn)?
            } else {
                Vec::new()
            };
            Ok::<_, AppError>((list, notes, units))
        })
        .await?;
    let notices: Vec<NoticeView> = notes
        .map(|n| n.items)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| {
            Some(NoticeView {
                visit_id: n.visit_id?,
                id: n.id,
                message: n.message,
                created_at: crate::web::pages::format::minute(&n.created_at),
                unread: n.read_at.is_none(),
            })
        })
        .take(NOTICES_SHOWN)
        .collect();
    let mut views: Vec<VisitView> = list.iter().map(|v| VisitView::of(v, user, today)).collect();
    if let Some((id, retry)) = retry
        && let Some(view) = views.iter_mut().find(|v| v.id == id)
    {
        view.retry = retry;
    }
    let notice = match (&query.done, &query.read) {
        (Some(done), _) => done_notice(Some(done)),
        (None, Some(_)) => Some("已将参观通知标为已读。".to_owned()),
        _ => None,
    };
    Ok(VisitsPage {
        chrome: Chrome::for_user(user, Section::Visits),
        librarian,
        on_list: true,
        unit_name: user.unit_name.clone().unwrap_or_default(),
        notice,
        visits: views,
        unread: notices.iter().filter(|n| n.unread).count(),
        notices,
        units: units
            .into_iter()
            .map(|u| UnitChoice {
                code: u.code,
                name: u.name,
            })
            .collect(),
        unit: unit_filter.unwrap_or_default(),
    })
}

/// `POST /visits/notifications/read`: one visit notification (`id`) or all of them.
pub(super) async fn mark_read(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let Some(unit) = user.unit.clone() else {
        return Err(PageError::forbidden("只有单位账号有参观通知").for_user(&user));
    };
    let one = form.get("id").trim().parse::<i64>().ok();
    let at = state.clock.moment();
    state
        .with_conn(move |conn| {
            // "All" is all of the visit notifications, not the loans' too.
            let ids: Vec<i64> = match one {
                Some(id) => vec![id],
                None => loans::notify::list(conn, &unit, true, 500)?
                    .items
                    .into_iter()
                    .filter(|n| n.visit_id.is_some())
                    .map(|n| n.id)
                    .collect(),
            };
            for id in ids {
                loans::notify::mark_read(conn, &unit, Some(id), at)?;
            }
            Ok::<_, loans::LoanError>(())
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(see_other("/visits?read=1#notifications"))
}
