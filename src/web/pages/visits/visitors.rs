//! The visitor list on a visit's page: typed one person a line (姓名，身份证号) or
//! uploaded as a CSV/XLSX sheet; the domain checks every row and stores the list
//! whole or not at all. A refusal comes back beside the form with what was typed.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::show::visit_page;
use super::visit_id_of;
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::loans::Actor;
use crate::visits::visitor_list::{self, VisitorSource};
use crate::web::pages::extract::{CsrfForm, check_upload_token};
use crate::web::pages::{PageError, see_other};
use crate::web::sheet_upload::{SheetRefusal, read_visitor_sheet};

/// What a typed list may hold at most (500 people and their numbers fit easily).
const MAX_TYPED_CHARS: usize = 40_000;

/// `姓名，身份证号` a line; a comma (either width), a tab or spaces between.
fn typed_pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            match line
                .split_once([',', '，', '\t'])
                .or_else(|| line.rsplit_once(' '))
            {
                Some((name, number)) => (name.trim().to_owned(), number.trim().to_owned()),
                None => (line.to_owned(), String::new()),
            }
        })
        .collect()
}

/// `POST /visits/{id}/visitors`: the typed list.
pub(super) async fn save_typed(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<Response, PageError> {
    let id = visit_id_of(&raw_id).map_err(|err| err.for_user(&user))?;
    let typed: String = form.get("visitors").to_owned();
    if typed.chars().count() > MAX_TYPED_CHARS {
        return refused(
            &state,
            &user,
            id,
            StatusCode::PAYLOAD_TOO_LARGE,
            "名单太长；一次最多 500 人，人数较多请上传表格".into(),
            typed.chars().take(MAX_TYPED_CHARS).collect(),
        )
        .await;
    }
    let source = VisitorSource::Typed(typed_pairs(&typed));
    save(&state, &user, id, source, typed).await
}

/// `POST /visits/{id}/visitors/upload`: a CSV/XLSX sheet (multipart, token first).
pub(super) async fn save_sheet(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    crate::web::pages::extract::PageUser(user): crate::web::pages::extract::PageUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    check_upload_token(&mut multipart, &user).await?;
    let id = visit_id_of(&raw_id).map_err(|err| err.for_user(&user))?;
    let (file_name, bytes) =
        match read_visitor_sheet(&mut multipart, state.limits.upload_idle_timeout).await {
            Ok(file) => file,
            Err(SheetRefusal(status, message)) => {
                return refused(&state, &user, id, status, message, String::new()).await;
            }
        };
    save(
        &state,
        &user,
        id,
        VisitorSource::Sheet { file_name, bytes },
        String::new(),
    )
    .await
}

async fn save(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    source: VisitorSource,
    typed: String,
) -> Result<Response, PageError> {
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let saved = state
        .with_conn(move |conn| visitor_list::set_visitors(conn, &actor, id, source, at))
        .await;
    match saved {
        Ok(_) => Ok(see_other(&format!(
            "/visits/{id}?done=visitors#visitor-list"
        ))),
        Err(err) => {
            let err = PageError::from(err);
            match err.input_problem() {
                Some((status, message)) => refused(state, user, id, status, message, typed).await,
                None => Err(err.for_user(user)),
            }
        }
    }
}

/// The visit's page again, the list's problem beside its form and the text kept.
async fn refused(
    state: &AppState,
    user: &SessionUser,
    id: i64,
    status: StatusCode,
    message: String,
    typed: String,
) -> Result<Response, PageError> {
    let mut page = visit_page(state, user, id, None, None)
        .await
        .map_err(|err| err.for_user(user))?;
    page.list_error = Some(message);
    page.list_typed = typed;
    Ok((status, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::typed_pairs;

    #[test]
    fn a_typed_line_splits_at_its_first_comma_tab_or_last_space() {
        assert_eq!(
            typed_pairs(
                "张三，530102198001011234\n\n 李四,53010219800101123X \n王 五 530102\n赵六"
            ),
            vec![
                ("张三".to_owned(), "530102198001011234".to_owned()),
                ("李四".to_owned(), "53010219800101123X".to_owned()),
                ("王 五".to_owned(), "530102".to_owned()),
                ("赵六".to_owned(), String::new()),
            ]
        );
    }
}
