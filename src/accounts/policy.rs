//! Who may see what (SPEC §2, §3): the one place access decisions are made.

use super::sessions::SessionUser;
use crate::catalog::{Access, Share, Status, Visibility};

/// Why content is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Pretend it does not exist (borrowers never learn of drafts).
    Hidden,
    /// The user may know it exists but may open it only while their unit has an
    /// active loan of it.
    LoanRequired,
}

/// Librarians see everything. A borrower sees their own unit's contributions in any
/// state, and otherwise published resources within their sharing scope (SPEC §9).
pub fn can_see_resource(user: &SessionUser, visibility: &Visibility) -> bool {
    user.is_librarian()
        || is_own_contribution(user, visibility)
        || (visibility.status == Status::Published && within_scope(user, visibility))
}

/// Who `user` is to the search index's sharing scopes: the same decision as
/// [`can_see_resource`] for published resources, made by the index.
pub fn search_audience(user: &SessionUser) -> crate::search::Audience {
    if user.is_librarian() {
        crate::search::Audience::librarian()
    } else {
        crate::search::Audience::borrower(user.unit.as_deref(), user.unit_sector.as_deref())
    }
}

/// Whether the resource is a contribution of the user's unit.
pub fn is_own_contribution(user: &SessionUser, visibility: &Visibility) -> bool {
    user.unit.is_some() && visibility.contributed_by == user.unit
}

fn within_scope(user: &SessionUser, visibility: &Visibility) -> bool {
    reaches(
        visibility,
        user.unit.as_deref(),
        user.unit_sector.as_deref(),
    )
}

/// Whether a borrower of `unit` in `sector` (or of no unit) sees a resource in the
/// state `visibility` says: published within its sharing scope. The same decision as
/// [`can_see_resource`] for callers that know the unit but not the session.
pub fn borrower_sees(visibility: &Visibility, unit: Option<&str>, sector: Option<&str>) -> bool {
    visibility.status == Status::Published && reaches(visibility, unit, sector)
}

/// [`reaches_unit`] for a borrower who may have no unit (then only what is shared
/// with every unit).
fn reaches(visibility: &Visibility, unit: Option<&str>, sector: Option<&str>) -> bool {
    match unit {
        Some(unit) => reaches_unit(visibility, unit, sector),
        None => visibility.share == Share::All,
    }
}

/// Whether a published resource's sharing scope reaches `unit` of `sector`: every
/// unit, the contributor's own, or a unit of the contributor's sector; `committee`
/// reaches no other unit.
pub fn reaches_unit(visibility: &Visibility, unit: &str, sector: Option<&str>) -> bool {
    if visibility.contributed_by.as_deref() == Some(unit) {
        return true;
    }
    match visibility.share {
        Share::All => true,
        Share::Sector => {
            let contributor = visibility.contributor_sector.as_deref().unwrap_or("");
            !contributor.is_empty() && sector == Some(contributor)
        }
        Share::Committee => false,
    }
}

/// Whether the user may open a resource's content. `unit_has_active_loan` is whether
/// the user's unit holds an active loan of it right now.
pub fn can_read_content(
    user: &SessionUser,
    access: Access,
    visibility: &Visibility,
    unit_has_active_loan: bool,
) -> Result<(), Denied> {
    // A unit always reads what it contributed, whatever its state.
    if user.is_librarian() || is_own_contribution(user, visibility) {
        return Ok(());
    }
    // A withdrawn resource's loans may run to their end (issue 15): the unit holding
    // one still reads it until then; everyone else no longer sees it.
    let still_lent = visibility.status == Status::Withdrawn && unit_has_active_loan;
    if !can_see_resource(user, visibility) && !still_lent {
        return Err(Denied::Hidden);
    }
    match access {
        Access::Open => Ok(()),
        Access::Loan if unit_has_active_loan => Ok(()),
        Access::Loan => Err(Denied::LoanRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;

    fn user(roles: &[Role]) -> SessionUser {
        SessionUser {
            user_id: 1,
            username: "u".into(),
            display_name: String::new(),
            roles: roles.to_vec(),
            unit: Some("yn-tax".into()),
            unit_name: None,
            unit_sector: None,
            csrf_token: String::new(),
        }
    }

    #[test]
    fn borrowers_need_published_and_open_or_a_loan() {
        let borrower = user(&[Role::Borrower]);
        assert_eq!(
            can_read_content(
                &borrower,
                Access::Open,
                &Visibility::of_status(Status::Published),
                false
            ),
            Ok(())
        );
        assert_eq!(
            can_read_content(
                &borrower,
                Access::Open,
                &Visibility::of_status(Status::Draft),
                false
            ),
            Err(Denied::Hidden)
        );
        assert!(matches!(
            can_read_content(
                &borrower,
                Access::Loan,
                &Visibility::of_status(Status::Published),
                false
            ),
            Err(Denied::LoanRequired)
        ));
        assert_eq!(
            can_read_content(
                &borrower,
                Access::Loan,
                &Visibility::of_status(Status::Published),
                true
            ),
            Ok(())
        );
        // A withdrawn resource: gone for everyone but a unit whose loan runs on.
        assert_eq!(
            can_read_content(
                &borrower,
                Access::Loan,
                &Visibility::of_status(Status::Withdrawn),
                true
            ),
            Ok(())
        );
        assert_eq!(
            can_read_content(
                &borrower,
                Access::Open,
                &Visibility::of_status(Status::Withdrawn),
                false
            ),
            Err(Denied::Hidden)
        );
        assert_eq!(
            can_read_content(
                &borrower,
                Access::Loan,
                &Visibility::of_status(Status::Draft),
                true
            ),
            Err(Denied::Hidden)
        );
    }

    #[test]
    fn librarians_read_everything() {
        let librarian = user(&[Role::Librarian]);
        assert_eq!(
            can_read_content(
                &librarian,
                Access::Loan,
                &Visibility::of_status(Status::Draft),
                false
            ),
            Ok(())
        );
    }

    #[test]
    fn a_borrower_sees_published_material_within_its_scope() {
        let shared = |status, share| Visibility {
            status,
            share,
            contributed_by: Some("yn-tax".into()),
            contributor_sector: Some("税务".into()),
        };
        let sector = shared(Status::Published, Share::Sector);
        assert!(borrower_sees(&sector, Some("yn-tax-kunming"), Some("税务")));
        assert!(borrower_sees(&sector, Some("yn-tax"), None), "its own unit");
        assert!(!borrower_sees(
            &sector,
            Some("kunming-customs"),
            Some("海关")
        ));
        assert!(!borrower_sees(&sector, None, Some("税务")), "no unit");
        let committee = shared(Status::Published, Share::Committee);
        assert!(!borrower_sees(
            &committee,
            Some("yn-tax-kunming"),
            Some("税务")
        ));
        assert!(borrower_sees(&committee, Some("yn-tax"), Some("税务")));
        let all = shared(Status::Published, Share::All);
        assert!(borrower_sees(&all, None, None));
        let pending = shared(Status::Submitted, Share::All);
        assert!(!borrower_sees(
            &pending,
            Some("kunming-customs"),
            Some("海关")
        ));
        assert!(!borrower_sees(&pending, Some("yn-tax"), Some("税务")));
    }
}
