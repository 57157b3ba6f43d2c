//! Units, users, passwords and roles.

pub mod contact;
mod error;
pub mod links;
mod listing;
pub mod manage;
pub mod password;
pub mod policy;
pub mod sessions;
pub mod sheet;
pub mod signin;
pub mod strength;
pub mod throttle;
pub mod units;
pub mod users;

pub use error::{AccountError, LinkProblem, RowProblem};
pub use sessions::SessionUser;
pub use units::{Liaison, Unit, create_unit, list_units};
pub use users::{NewUser, Role, create_user};

/// The audit detail of an edit: `标签：旧 → 新` for each field that changed, joined
/// with `；` (empty when nothing changed).
pub(crate) fn described_changes<const N: usize>(fields: [(&str, &str, &str); N]) -> String {
    fields
        .iter()
        .filter(|(_, old, new)| old != new)
        .map(|(label, old, new)| format!("{label}：{old} → {new}"))
        .collect::<Vec<_>>()
        .join("；")
}
