//! Changing the abbreviation dictionary from the API or a page: the domain change,
//! then the dictionary search uses, installed on the index at once (no reindex).

use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::synonyms::{self, SynonymChanged, SynonymInput};
use crate::web::error::AppError;

/// Adds (`remove == false`) or removes an entry and installs the resulting dictionary.
pub async fn change(
    state: &AppState,
    user: &SessionUser,
    input: SynonymInput,
    remove: bool,
) -> Result<SynonymChanged, AppError> {
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let (change, effective) = state
        .with_conn(move |conn| {
            let change = if remove {
                synonyms::remove(conn, &actor, &input, at)?
            } else {
                synonyms::add(conn, &actor, &input, at)?
            };
            Ok::<_, AppError>((change, synonyms::effective(conn)?))
        })
        .await?;
    state.search.set_synonyms(effective);
    Ok(change)
}
