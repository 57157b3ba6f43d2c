//! `/librarian/sessions/{id}/visitors.xlsx`: the visitor list the coordinator sends a
//! base for one session, the only place full ID numbers leave the product (audited).

use axum::extract::{Path, State};
use axum::response::Response;

use crate::actor::Actor;
use crate::app::AppState;
use crate::spreadsheet;
use crate::visits::visitor_list;
use crate::web::error::AppError;
use crate::web::pages::PageError;
use crate::web::pages::extract::PageLibrarian;

const HEADER: [&str; 4] = ["序号", "单位", "姓名", "身份证号"];

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/librarian/sessions/{id}/visitors.xlsx",
        axum::routing::get(export_visitors),
    )
}

async fn export_visitors(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| PageError::from(AppError::not_found("没有这个场次")).for_user(&user))?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let (session, rows) = state
        .with_conn(move |conn| visitor_list::export_session_visitors(conn, &actor, id, at))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let lines = rows
        .into_iter()
        .enumerate()
        .map(|(n, row)| vec![(n + 1).to_string(), row.unit_name, row.name, row.id_number]);
    let bytes = spreadsheet::xlsx_bytes(&format!("{} 名单", session.date), &HEADER, lines)
        .map_err(|err| PageError::from(AppError::internal(err)).for_user(&user))?;
    Ok(crate::web::pages::attachment(
        spreadsheet::XLSX_MIME,
        "attachment; filename=\"visitors.xlsx\"",
        bytes,
    ))
}
