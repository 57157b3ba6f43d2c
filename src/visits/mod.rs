//! Warning-education bases and the coordination of group visits (SPEC §8): a base's
//! sessions (场次) made from weekly templates on open days or one-off, units' visit
//! requests with up to three preferred sessions, the states of a visit, seats never
//! oversold, visitor lists with ID numbers where a base needs them, the proposed
//! schedule (一键排期) and calendar feeds. No HTTP here.

pub mod ical;
pub mod id_number;
pub mod propose;

pub mod coordination;
pub mod demo;
mod error;
pub mod feeds;
mod model;
pub mod proposal;
pub mod read;
mod request;
pub mod sessions;
mod steps;
mod store;
pub mod sweep;
pub mod visitor_list;

pub use error::VisitError;
pub use model::{Preference, Session, SessionStatus, Visit, VisitAction, VisitStatus};
pub use read::{
    Base, VisitFilter, base, get, list, list_sessions, published_bases, session, sessions,
};
pub use request::{MAX_PREFERENCES, VisitRequest, request};
pub use sessions::{
    SessionEnd, SessionInput, SessionReason, Template, TemplateInput, add_session, add_template,
    earliest_visit_day, end_session, extend_sessions, templates,
};
pub use steps::{ReasonInput, ReportInput, ScheduleInput, VisitCommand, act};
pub use store::VisitNotice;

/// A base's name between title marks, as messages name it.
pub(crate) fn marked(title: &str) -> String {
    crate::loans::notify::marked(title)
}
