//! `/librarian/sessions/{id}/sheet`: the reception sheet (接待单) a base receives for
//! a session — base, date and time, each group with its liaison, headcount and
//! whether the unit confirmed, the totals and signature lines — printed on A4 (the
//! print style hides the site around it).

use askama::Template;
use axum::extract::{Path, State};

use crate::actor::Actor;
use crate::app::AppState;
use crate::loans::days::parse_date;
use crate::visits::coordination::{self, ReceptionSheet, weekday_label};
use crate::visits::{Visit, VisitStatus};
use crate::web::pages::extract::PageLibrarian;
use crate::web::pages::{Chrome, PageError, Section, pages};

#[derive(Template)]
#[template(path = "librarian/bases/sheet.html")]
pub struct SheetPage {
    chrome: Chrome,
    sheet: ReceptionSheet,
    /// `2027-03-09（周二）`.
    day: String,
    /// The week view the sheet belongs to.
    back: String,
}
pages!(SheetPage);

impl SheetPage {
    fn confirmed(&self, visit: &Visit) -> bool {
        !matches!(visit.status, VisitStatus::Scheduled)
    }
}

pub async fn show_sheet(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw): Path<String>,
) -> Result<SheetPage, PageError> {
    let id = raw
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            PageError::not_found(format!(
                "没有编号为“{}”的场次",
                raw.chars().take(40).collect::<String>()
            ))
            .for_user(&user)
        })?;
    let actor = Actor::user(&user);
    let sheet = state
        .with_conn(move |conn| coordination::reception_sheet(conn, &actor, id))
        .await
        .map_err(|err| PageError::from(err).for_user(&user))?;
    let day = match parse_date("date", &sheet.session.date) {
        Ok(date) => format!("{date}（{}）", weekday_label(date.weekday())),
        Err(_) => sheet.session.date.clone(),
    };
    Ok(SheetPage {
        chrome: Chrome::for_user(&user, Section::Coordination),
        back: format!(
            "/librarian/bases/{}?week={}#session-{}",
            sheet.base.id, sheet.session.date, sheet.session.id
        ),
        day,
        sheet,
    })
}
