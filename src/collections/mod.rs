//! Collections (专题, SPEC §10): a librarian's ordered selection of resources of any
//! kind, bases included, each with a note on how to use it, for the sectors and the
//! holiday period (节点) it is meant for. Drafts become visible to units once
//! published; every change keeps a snapshot in the edit history and an audit row.
//! A borrower sees published collections only, and in them only the items the access
//! policy lets them see. No HTTP here.

mod availability;
pub mod demo;
mod error;
mod featured;
mod model;
mod read;
mod words;
mod write;

pub use availability::{Fit, ItemAvailability, availability};
pub use error::CollectionError;
pub use featured::{Featured, coming_season, featured, usual_start};
pub use model::{
    Collection, CollectionId, CollectionInput, CollectionItem, CollectionPatch, CollectionStatus,
    CollectionSummary, ItemInput, MAX_INTRO_CHARS, MAX_ITEMS, MAX_NOTE_CHARS, MAX_TITLE_CHARS,
    Revision,
};
pub use read::{ListFilter, Viewer, get, history, list, search};
pub use write::{Saved, StatusStep, create, publish, update, withdraw};
