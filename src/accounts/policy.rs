//! Who may see what (SPEC §2, §3): the one place access decisions are made.

use super::sessions::SessionUser;
use crate::catalog::{Access, Status};

/// Why content is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Pretend it does not exist (borrowers never learn of drafts).
    Hidden,
    /// The user may know it exists but may open it only while their unit has an
    /// active loan of it.
    LoanRequired,
}

/// Borrowers see only published resources; librarians see everything.
pub fn can_see_resource(user: &SessionUser, status: Status) -> bool {
    user.is_librarian() || status == Status::Published
}

/// Whether the user may open a resource's content. `unit_has_active_loan` is whether
/// the user's unit holds an active loan of it right now.
pub fn can_read_content(
    user: &SessionUser,
    access: Access,
    status: Status,
    unit_has_active_loan: bool,
) -> Result<(), Denied> {
    if user.is_librarian() {
        return Ok(());
    }
    // A withdrawn resource's loans may run to their end (issue 15): the unit holding
    // one still reads it until then; everyone else no longer sees it.
    let still_lent = status == Status::Withdrawn && unit_has_active_loan;
    if !can_see_resource(user, status) && !still_lent {
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
            can_read_content(&borrower, Access::Open, Status::Published, false),
            Ok(())
        );
        assert_eq!(
            can_read_content(&borrower, Access::Open, Status::Draft, false),
            Err(Denied::Hidden)
        );
        assert!(matches!(
            can_read_content(&borrower, Access::Loan, Status::Published, false),
            Err(Denied::LoanRequired)
        ));
        assert_eq!(
            can_read_content(&borrower, Access::Loan, Status::Published, true),
            Ok(())
        );
        // A withdrawn resource: gone for everyone but a unit whose loan runs on.
        assert_eq!(
            can_read_content(&borrower, Access::Loan, Status::Withdrawn, true),
            Ok(())
        );
        assert_eq!(
            can_read_content(&borrower, Access::Open, Status::Withdrawn, false),
            Err(Denied::Hidden)
        );
        assert_eq!(
            can_read_content(&borrower, Access::Loan, Status::Draft, true),
            Err(Denied::Hidden)
        );
    }

    #[test]
    fn librarians_read_everything() {
        let librarian = user(&[Role::Librarian]);
        assert_eq!(
            can_read_content(&librarian, Access::Loan, Status::Draft, false),
            Ok(())
        );
    }
}
