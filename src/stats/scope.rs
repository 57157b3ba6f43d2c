//! Whose figures a viewer may see: librarians every unit (or one they pick), a
//! borrower only their own unit; and which resources the lists may name to them.

use rusqlite::Connection;

use super::StatsError;
use crate::accounts::{SessionUser, policy};
use crate::catalog::{Status, Visibility};

/// The units the figures are computed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unit, and the committee-wide aggregates.
    All,
    /// One unit only; every aggregate (months, kinds, resources) is limited to it.
    Unit(String),
}

impl Scope {
    /// The scope `viewer` gets when asking for `asked` (a unit code, or none).
    /// A borrower asking for another unit is refused rather than silently given their
    /// own figures, so a mistaken link does not look like another unit's numbers.
    pub fn for_viewer(viewer: &SessionUser, asked: Option<&str>) -> Result<Self, StatsError> {
        let asked = asked.map(str::trim).filter(|a| !a.is_empty());
        if viewer.is_librarian() {
            return Ok(asked.map_or(Scope::All, |code| Scope::Unit(code.to_owned())));
        }
        match (viewer.unit.as_deref(), asked) {
            (None, _) => Err(StatsError::NoUnit),
            (Some(own), None) => Ok(Scope::Unit(own.to_owned())),
            (Some(own), Some(code)) if code == own => Ok(Scope::Unit(own.to_owned())),
            (Some(_), Some(_)) => Err(StatsError::OtherUnit),
        }
    }

    /// The unit code to filter on, for `(?3 IS NULL OR unit_code = ?3)`.
    pub(crate) fn unit(&self) -> Option<&str> {
        match self {
            Scope::All => None,
            Scope::Unit(code) => Some(code),
        }
    }

    /// Checks that a named unit exists.
    pub(crate) fn check(&self, conn: &Connection) -> Result<(), StatsError> {
        if let Scope::Unit(code) = self {
            let known: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
                [code],
                |r| r.get(0),
            )?;
            if !known {
                return Err(StatsError::UnknownUnit(code.clone()));
            }
        }
        Ok(())
    }
}

/// Whether a statistics list may name a resource to `viewer`: what they may see, and
/// material withdrawn since that was within their scope (their unit's own history of
/// use; counts never depend on it).
pub(super) fn may_list(viewer: &SessionUser, visibility: &Visibility) -> bool {
    policy::can_see_resource(viewer, visibility)
        || (visibility.status == Status::Withdrawn
            && viewer.unit.as_deref().is_some_and(|unit| {
                policy::reaches_unit(visibility, unit, viewer.unit_sector.as_deref())
            }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;
    use crate::catalog::Share;

    fn borrower(unit: &str, sector: &str) -> SessionUser {
        SessionUser {
            user_id: 1,
            username: "u".into(),
            display_name: String::new(),
            roles: vec![Role::Borrower],
            unit: Some(unit.into()),
            unit_name: None,
            unit_sector: Some(sector.into()),
            csrf_token: String::new(),
        }
    }

    fn of_tax(status: Status, share: Share) -> Visibility {
        Visibility {
            status,
            share,
            contributed_by: Some("yn-tax".into()),
            contributor_sector: Some("税务".into()),
        }
    }

    #[test]
    fn lists_name_only_what_the_viewer_may_see() {
        let customs = borrower("kunming-customs", "海关");
        let peer = borrower("kunming-tax", "税务");
        let own = borrower("yn-tax", "税务");
        let sector = of_tax(Status::Published, Share::Sector);
        assert!(!may_list(&customs, &sector));
        assert!(may_list(&peer, &sector));
        assert!(may_list(&own, &of_tax(Status::Submitted, Share::Committee)));
        assert!(!may_list(&peer, &of_tax(Status::Submitted, Share::All)));
        // Withdrawn since: still named in the history of a unit it reached.
        assert!(may_list(&customs, &of_tax(Status::Withdrawn, Share::All)));
        assert!(!may_list(
            &customs,
            &of_tax(Status::Withdrawn, Share::Sector)
        ));
        assert!(may_list(
            &customs,
            &Visibility::of_status(Status::Withdrawn)
        ));
        assert!(!may_list(&customs, &Visibility::of_status(Status::Draft)));
    }
}
