//! The librarian's pages under `/librarian/`: the catalogue list (filters, loan counts,
//! export, publish or withdraw the selected rows), the resource editor (create, edit,
//! upload, replace and remove files, publish, withdraw), a resource's edit history, the
//! audit log, the loan queue, today's desk, loan slips, a resource's loan settings, and
//! the coordination of visits to bases (参观协调), and the review of units'
//! contributions (投稿审核).

mod audit;
mod bases;
mod bases_forms;
mod bases_proposal;
mod bases_sheet;
mod bulk;
mod calendar;
mod catalogue;
mod catalogue_bulk;
mod closed_days;
mod contributions;
mod desk;
pub(in crate::web::pages) mod editor;
mod edits;
mod file_edits;
pub(in crate::web::pages) mod form;
mod history;
pub(super) mod loan;
mod loan_settings;
mod queue;
mod refused;
mod reports;
mod review;
mod review_actions;
mod rows;
mod seasons;
mod slip;
mod synonyms;
mod transcript;
mod visitor_export;
pub(in crate::web::pages) mod weeks;

pub(super) use refused::refused_loan_form;
pub(super) use rows::LoanRetry;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::web::upload;

/// Correcting what the machine read, and having a file read again.
fn machine_reading_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/librarian/resources/{id}/files/{file_id}/transcript",
            get(transcript::show_transcript)
                .post(transcript::save_transcript)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::catalog::machine_read::MAX_CORRECTION_BODY,
                )),
        )
        .route(
            "/librarian/resources/{id}/files/{file_id}/read-again",
            post(transcript::read_again),
        )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/librarian", get(catalogue::redirect_to_list))
        .route("/librarian/", get(catalogue::list_catalogue))
        .route(
            "/librarian/catalogue",
            post(catalogue_bulk::change_selected),
        )
        .route("/librarian/catalogue.csv", get(catalogue_bulk::export_csv))
        .route(
            "/librarian/catalogue.xlsx",
            get(catalogue_bulk::export_xlsx),
        )
        .route(
            "/librarian/resources",
            get(catalogue::redirect_to_list).post(edits::create_resource),
        )
        .route("/librarian/resources/new", get(editor::new_resource))
        .route(
            "/librarian/resources/{id}",
            get(editor::edit_resource).post(edits::update_resource),
        )
        .route(
            "/librarian/resources/{id}/publish",
            post(edits::publish_resource),
        )
        .route(
            "/librarian/resources/{id}/withdraw",
            post(edits::withdraw_resource),
        )
        .route(
            "/librarian/resources/{id}/upload",
            post(file_edits::upload_files).layer(upload::streaming()),
        )
        .route(
            "/librarian/resources/{id}/files/{file_id}/replace",
            post(file_edits::replace_file).layer(upload::streaming()),
        )
        .route(
            "/librarian/resources/{id}/files/{file_id}/remove",
            post(file_edits::remove_file),
        )
        .route(
            "/librarian/resources/{id}/files/{file_id}/default",
            post(file_edits::set_default_subtitle),
        )
        .route(
            "/librarian/resources/{id}/history",
            get(history::show_history),
        )
        .route("/librarian/audit", get(audit::show_audit))
        .route("/librarian/audit.csv", get(audit::export_audit))
        .route("/librarian/queue", get(queue::show_queue))
        .merge(bulk::router())
        .merge(machine_reading_routes())
        .route("/librarian/today", get(desk::show_today))
        .route("/librarian/loans/{id}/slip", get(slip::show_slip))
        .route(
            "/librarian/resources/{id}/loan-settings",
            get(loan_settings::show_loan_settings).post(loan_settings::save_loan_settings),
        )
        .route(
            "/librarian/resources/{id}/calendar",
            get(calendar::show_calendar),
        )
        .route("/librarian/loans/{id}", get(loan::show_loan))
        .route("/librarian/reports", get(reports::show_reports))
        .route("/librarian/reports.csv", get(reports::export_csv))
        .route("/librarian/reports.xlsx", get(reports::export_xlsx))
        .merge(visits_router().merge(review_router()))
        .merge(days_router())
        .route(
            "/librarian/synonyms",
            get(synonyms::show_synonyms).post(synonyms::add_synonym),
        )
        .route("/librarian/synonyms/remove", post(synonyms::remove_synonym))
}

/// The library's closed days and the holiday periods units are reminded of.
fn days_router() -> Router<AppState> {
    Router::new()
        .route(
            "/librarian/closed-days",
            get(closed_days::show_closed_days).post(closed_days::add_day),
        )
        .route(
            "/librarian/closed-days/remove",
            post(closed_days::remove_day),
        )
        .route(
            "/librarian/closed-days/notice",
            post(closed_days::apply_notice),
        )
        .merge(seasons::router())
}

/// The review of units' contributions.
fn review_router() -> Router<AppState> {
    Router::new()
        .route("/librarian/contributions", get(contributions::show_queue))
        .route("/librarian/contributions/{id}", get(review::show_review))
        .route(
            "/librarian/contributions/{id}/redact",
            post(review_actions::redact_contribution),
        )
        .route(
            "/librarian/contributions/{id}/return",
            post(review_actions::return_contribution),
        )
        .route(
            "/librarian/contributions/{id}/publish",
            post(review_actions::publish_contribution),
        )
        .route(
            "/librarian/contributions/{id}/findings/{finding_id}/ack",
            post(review_actions::acknowledge_finding),
        )
}

/// The coordinator's pages for bases and visits.
fn visits_router() -> Router<AppState> {
    bases::router()
        .merge(bases_proposal::router())
        .merge(visitor_export::router())
}
