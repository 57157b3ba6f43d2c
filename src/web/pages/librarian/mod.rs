//! The librarian's pages under `/librarian/`: the catalogue list, the resource editor
//! (create, edit, upload, publish, withdraw), a resource's edit history, the audit log.

mod audit;
mod catalogue;
mod closed_days;
mod editor;
mod edits;
mod form;
mod history;
pub(super) mod loan;
mod queue;
mod reports;
mod weeks;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::web::upload;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/librarian", get(catalogue::redirect_to_list))
        .route("/librarian/", get(catalogue::list_catalogue))
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
            post(edits::upload_file).layer(upload::streaming()),
        )
        .route(
            "/librarian/resources/{id}/history",
            get(history::show_history),
        )
        .route("/librarian/audit", get(audit::show_audit))
        .route("/librarian/audit.csv", get(audit::export_audit))
        .route("/librarian/queue", get(queue::show_queue))
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
        .route(
            "/librarian/resources/{id}/calendar",
            get(queue::show_calendar),
        )
        .route("/librarian/loans/{id}", get(loan::show_loan))
        .route("/librarian/reports", get(reports::show_reports))
        .route("/librarian/reports.csv", get(reports::export_csv))
        .route("/librarian/reports.xlsx", get(reports::export_xlsx))
}
