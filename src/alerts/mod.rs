//! Saved searches that alert (SPEC §10): an account saves a search by name; when a
//! resource is published for the first time and the index holds it, every saved search
//! is run against that one document with its owner's sharing scope (`matching`), and a
//! match becomes an in-app alert until read and a line of the daily mail digest
//! (`digest`). Each saved search, and each account's whole library, has an Atom feed
//! at a secret address (`atom`). No HTTP here.

pub mod atom;
pub mod digest;
mod error;
pub mod matching;
pub mod saved;

pub use error::AlertError;
pub use matching::{Matched, match_publications};
pub use saved::{
    MAX_NAME_CHARS, MAX_QUERY_CHARS, MAX_SAVED, SavedSearch, SavedSearchInput, SearchMatch,
};
