//! Who is acting: the person (or the background task, or a command) every use case
//! checks permissions for and records in the audit log.

use crate::accounts::SessionUser;

/// The acting person as the domain sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub unit: Option<String>,
    pub librarian: bool,
    /// May manage units and accounts.
    pub admin: bool,
}

impl Actor {
    pub fn user(user: &SessionUser) -> Self {
        Self {
            user_id: Some(user.user_id),
            username: user.username.clone(),
            unit: user.unit.clone(),
            librarian: user.is_librarian(),
            admin: user.is_admin(),
        }
    }

    /// The background task.
    pub fn system() -> Self {
        Self {
            user_id: None,
            username: "system".to_owned(),
            unit: None,
            librarian: true,
            admin: false,
        }
    }

    /// An operator at the command line: whoever can run `jingshi` on the server's data
    /// folder holds the keys, so acts as a librarian, named by the system account.
    pub fn operator(name: &str) -> Self {
        Self {
            user_id: None,
            username: name.to_owned(),
            unit: None,
            librarian: true,
            admin: true,
        }
    }

    /// Whether the actor may see a loan of `unit` at all.
    pub fn sees_unit(&self, unit: &str) -> bool {
        self.librarian || self.unit.as_deref() == Some(unit)
    }
}
