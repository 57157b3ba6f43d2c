//! `/admin/import`: creating many units or accounts from an uploaded CSV or XLSX
//! sheet, all or nothing; the result lists what was created (with each new
//! account's set-password link, shown once) or every wrong row with its number.
//! Also the two template sheets to fill in.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::accounts::ShownLink;
use super::{PageAdmin, mail_base};
use crate::accounts::sheet::{self, Imported, MAX_SHEET_ROWS, SheetKind};
use crate::accounts::units::UnitDetail;
use crate::accounts::{AccountError, RowProblem, SessionUser};
use crate::actor::Actor;
use crate::app::AppState;
use crate::spreadsheet;
use crate::web::error::AppError;
use crate::web::pages::extract::check_upload_token;
use crate::web::pages::{Chrome, PageError, Section, pages};
use crate::web::sheet_upload::{SheetRefusal, read_sheet, unpacks_too_far};

/// The largest sheet accepted (2,000 rows of an account sheet are far below).
pub const MAX_SHEET_BYTES: usize = 2 * 1024 * 1024;
/// What an XLSX may unpack to at most, against a small file that expands hugely.
const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/import",
            get(show_import)
                .post(import_sheet)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/admin/import/units.xlsx", get(units_template))
        .route("/admin/import/accounts.xlsx", get(accounts_template))
}

/// A new account as the result lists it.
pub struct AccountRow {
    pub username: String,
    pub display_name: String,
    pub unit: String,
    pub roles: String,
    pub link: ShownLink,
}

#[derive(Template)]
#[template(path = "admin/import.html")]
pub struct ImportPage {
    chrome: Chrome,
    max_rows: usize,
    max_mb: usize,
    file_name: String,
    /// A problem with the file as a whole.
    error: Option<String>,
    /// The wrong rows (nothing was created).
    problems: Vec<RowProblem>,
    units: Vec<UnitDetail>,
    accounts: Vec<AccountRow>,
    mails: bool,
}
pages!(ImportPage);

fn import_page(state: &AppState, user: &SessionUser) -> ImportPage {
    ImportPage {
        chrome: Chrome::for_user(user, Section::Admin),
        max_rows: MAX_SHEET_ROWS,
        max_mb: MAX_SHEET_BYTES / (1024 * 1024),
        file_name: String::new(),
        error: None,
        problems: Vec::new(),
        units: Vec::new(),
        accounts: Vec::new(),
        mails: state.mails(),
    }
}

async fn show_import(State(state): State<AppState>, PageAdmin(user): PageAdmin) -> ImportPage {
    import_page(&state, &user)
}

async fn import_sheet(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAdmin(user): PageAdmin,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    check_upload_token(&mut multipart, &user).await?;
    let mut page = import_page(&state, &user);
    let idle = state.limits.upload_idle_timeout;
    let too_large = format!("一次最多导入 {MAX_SHEET_ROWS} 行，请拆分后分批上传");
    let (file_name, bytes) =
        match read_sheet(&mut multipart, idle, MAX_SHEET_BYTES, &too_large).await {
            Ok(file) => file,
            Err(SheetRefusal(status, message)) => {
                page.error = Some(message);
                return Ok((status, page).into_response());
            }
        };
    page.file_name = file_name.clone();
    let (actor, at, mail) = (
        Actor::user(&user),
        state.clock.moment(),
        mail_base(&state, &headers),
    );
    let name = file_name.clone();
    let outcome = state
        .with_conn(move |conn| {
            if unpacks_too_far(&bytes, MAX_UNPACKED_BYTES) {
                return Ok::<_, AppError>(Err(AccountError::SheetTooLarge(format!(
                    "表格解压后超过 {} MB，无法读取；请删去多余的工作表或格式后重试",
                    MAX_UNPACKED_BYTES / (1024 * 1024)
                ))));
            }
            let rows = match spreadsheet::read_numbered_rows(&name, &bytes) {
                Ok(rows) => rows,
                Err(err) => return Ok(Err(AccountError::Sheet(err.to_string()))),
            };
            Ok(sheet::import_sheet(
                conn,
                &actor,
                &name,
                &rows,
                mail.as_deref(),
                at,
            ))
        })
        .await?;
    match outcome {
        Ok(imported) => {
            fill_result(&state, &headers, &mut page, imported);
            Ok(super::kept_nowhere(page.into_response()))
        }
        Err(AccountError::SheetRows(problems)) => {
            page.problems = problems;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => {
            let error = AppError::from(err);
            if error.status.is_server_error() || error.status == StatusCode::FORBIDDEN {
                return Err(PageError::from(error).for_user(&user));
            }
            let status = error.status;
            page.error = Some(error.message);
            Ok((status, page).into_response())
        }
    }
}

fn fill_result(state: &AppState, headers: &HeaderMap, page: &mut ImportPage, imported: Imported) {
    match imported.kind {
        SheetKind::Units => page.units = imported.units,
        SheetKind::Accounts => {
            page.accounts = imported
                .accounts
                .into_iter()
                .map(|account| AccountRow {
                    link: ShownLink::new(state, headers, &account.link),
                    username: account.link.username,
                    display_name: account.link.display_name,
                    unit: account.unit.unwrap_or_default(),
                    roles: account
                        .roles
                        .iter()
                        .map(|r| r.label())
                        .collect::<Vec<_>>()
                        .join("、"),
                })
                .collect();
        }
    }
}

async fn units_template(PageAdmin(_): PageAdmin) -> Result<Response, PageError> {
    template(SheetKind::Units, "单位导入模板.xlsx")
}

async fn accounts_template(PageAdmin(_): PageAdmin) -> Result<Response, PageError> {
    template(SheetKind::Accounts, "账号导入模板.xlsx")
}

/// The template of `kind`: its header row only, so that nothing in it is imported
/// by mistake (the page shows an example).
fn template(kind: SheetKind, file_name: &str) -> Result<Response, PageError> {
    let bytes = spreadsheet::xlsx_bytes(kind.label(), kind.template_header(), Vec::new())
        .map_err(AppError::internal)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(spreadsheet::XLSX_MIME),
    );
    let encoded = crate::web::pages::url::encode_component(file_name);
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"template.xlsx\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
