//! The catalogue: resources, their holdings and files, curation and bulk import.
//! All catalogue SQL lives here.

pub mod base;
pub mod contributions;
pub mod curation;
pub mod demo;
mod error;
pub mod feed;
pub mod files;
pub mod holdings;
pub mod import;
pub mod machine_read;
pub mod manifest;
pub mod model;
pub mod orphans;
pub mod privacy;
pub mod read;
pub mod redaction;
pub mod synonyms;
pub mod texts;
pub mod write;

pub use base::{BaseDetails, BaseInput};
pub use error::CatalogError;
pub use import::{ImportSummary, RowFailure, import_manifest};
pub use model::{
    Access, Kind, ResourceFields, ResourceId, ResourceInput, Share, Status, Visibility,
};
pub use read::{FileInfo, FileRecord, HistoryEntry, Resource, find_file, get_resource, history};
