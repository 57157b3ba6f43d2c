//! Who is acting: the person (or the background task, or a command) every use case
//! checks permissions for and records in the audit log. It depends on no domain
//! module; a signed-in user becomes an actor in `accounts` (`Actor::user`).

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
