//! Related resources for the resource page and the JSON API: looked up in the index off
//! the async threads, for the viewer's audience (never a draft, never what the viewer's
//! unit may not find).

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::search::Related;
use crate::web::error::AppError;

use super::search::{audience, ensure_ready};

/// Related resources shown with a resource.
pub const SHOWN: usize = 6;

/// Up to [`SHOWN`] resources related to resource `id` that `user` may find.
pub async fn related_for(
    state: &AppState,
    user: &SessionUser,
    id: &str,
) -> Result<Vec<Related>, AppError> {
    ensure_ready(state)?;
    let (state, audience, id) = (state.clone(), audience(user), id.to_owned());
    let found =
        tokio::task::spawn_blocking(move || state.search.related(&id, &audience, SHOWN)).await??;
    Ok(found)
}

/// [`related_for`] for a page, which shows the rest without them when the index cannot
/// answer (still being built at start-up, or failing): the error is logged.
pub async fn related_or_none(state: &AppState, user: &SessionUser, id: &str) -> Vec<Related> {
    related_for(state, user, id).await.unwrap_or_else(|err| {
        err.log();
        Vec::new()
    })
}
