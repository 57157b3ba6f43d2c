//! `/librarian/loans/{id}/slip`: the loan slip (出借凭证) of a physical copy handed
//! out — unit and liaison, resource, barcode, period, who handed it out and when
//! (Beijing time), and lines for the receiver's and the librarian's signatures —
//! laid out to print on A5 or A4 (the print style hides the site around it).

use askama::Template;
use axum::extract::{Path, State};

use super::rows::LiaisonView;
use crate::app::AppState;
use crate::loans::days::length_days;
use crate::loans::{self, Actor, LoanId};
use crate::web::error::AppError;
use crate::web::pages::extract::PageLibrarian;
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages};

#[derive(Template)]
#[template(path = "librarian/slip.html")]
pub struct SlipPage {
    chrome: Chrome,
    id: i64,
    unit_name: String,
    liaison: Option<LiaisonView>,
    resource_id: String,
    title: String,
    barcode: String,
    start: String,
    end: String,
    days: i64,
    purpose: String,
    audience: u32,
    status_label: &'static str,
    issued_by: String,
    issued_at: String,
    returned_on: String,
}
pages!(SlipPage);

pub async fn show_slip(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
) -> Result<SlipPage, PageError> {
    let id = raw_id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(LoanId)
        .ok_or_else(|| {
            PageError::not_found(format!("没有编号为“{raw_id}”的借阅")).for_user(&user)
        })?;
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let (loan, liaison) = state
        .with_conn(move |conn| -> Result<_, AppError> {
            let loan = loans::slip(conn, &actor, id, today)?;
            let liaison = crate::accounts::units::liaison_of(conn, &loan.unit)?;
            Ok((loan, liaison))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    Ok(SlipPage {
        chrome: Chrome::for_user(&user, Section::Loans),
        id: loan.id.0,
        unit_name: loan.unit_name.clone(),
        liaison: liaison.as_ref().and_then(LiaisonView::of),
        resource_id: loan.resource_id.clone(),
        title: loan.resource_title.clone(),
        barcode: loan.barcode.clone().unwrap_or_default(),
        start: loan.start.to_string(),
        end: loan.end.to_string(),
        days: length_days(loan.start, loan.end),
        purpose: loan.purpose.clone(),
        audience: loan.audience,
        status_label: loan.status_label,
        issued_by: loan.issued_by.clone().unwrap_or_default(),
        issued_at: loan
            .issued_at
            .as_deref()
            .map(format::minute)
            .unwrap_or_default(),
        returned_on: loan.returned_on.map(|d| d.to_string()).unwrap_or_default(),
    })
}
