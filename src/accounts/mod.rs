//! Units, users, passwords and roles.

mod error;
pub mod password;
pub mod policy;
pub mod sessions;
pub mod signin;
pub mod strength;
pub mod throttle;
pub mod units;
pub mod users;

pub use error::AccountError;
pub use sessions::SessionUser;
pub use units::{Liaison, Unit, create_unit, list_units};
pub use users::{NewUser, Role, create_user};
