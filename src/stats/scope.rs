//! Whose figures a viewer may see: librarians every unit (or one they pick), a
//! borrower only their own unit.

use rusqlite::Connection;

use super::StatsError;
use crate::accounts::SessionUser;

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
