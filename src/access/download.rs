//! Downloading a file: the access decision, the reader's mark on a PDF (SPEC §11),
//! and the audit row naming the copy that left, in one use case.
//!
//! Decisions:
//! - Every PDF fetched by a signed-in viewer is a stamped copy: a borrower's carries
//!   the mark of the loan that lends it to their unit (or of their account for open
//!   material), a librarian's the mark of their own account.
//! - A PDF that cannot be stamped (encrypted, broken) is refused to borrowers (422)
//!   and handed to librarians as the original, audited as unstamped.
//! - A TXT, Markdown or DOCX file carries the same mark in its own format
//!   (`marks::document`), cached beside the stamped PDFs; a DOCX that cannot be
//!   marked is treated like a PDF that cannot be stamped.
//! - A librarian can always ask for the original (`?original=true`), audited as
//!   such; a borrower asking for it is refused.

use std::path::PathBuf;

use rusqlite::Connection;

use super::{AccessError, Purpose, decide_file, record_access};
use crate::accounts::SessionUser;
use crate::catalog::FileRecord;
use crate::clock::Moment;
use crate::content::{FileKind, FileStore};
use crate::marks::cache::{MarkedCopies, MarkedCopy};
use crate::marks::document::{self, DocumentError};
use crate::marks::pdf::{Stamp, StampError};
use crate::marks::{self, Mark};

/// What a download asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadRequest {
    /// The `Range` header, for the audit row.
    pub range: Option<String>,
    /// The unstamped original (librarians only).
    pub original: bool,
}

/// Where files are read from: the store of originals and the stamped copies.
#[derive(Clone, Copy)]
pub struct Shelves<'a> {
    pub store: &'a FileStore,
    pub marked: &'a MarkedCopies,
}

/// A file opened for download.
#[derive(Debug)]
pub struct Download {
    pub record: FileRecord,
    /// The bytes to serve: the stored original or the viewer's stamped copy.
    pub path: PathBuf,
    /// The mark the served copy carries.
    pub mark: Option<Mark>,
}

/// Opens file `file_id` for `viewer` to download at `at`: decides, stamps a PDF
/// with the viewer's mark (made once, then taken from the cache), and writes the
/// audit row naming the mark and loan (also for a refusal). Blocking.
pub fn open_download(
    conn: &Connection,
    viewer: &SessionUser,
    file_id: &str,
    request: DownloadRequest,
    shelves: Shelves<'_>,
    at: Moment,
) -> Result<Download, AccessError> {
    let purpose = Purpose::Download {
        range: request.range,
    };
    let (record, decision) = decide_file(conn, viewer, file_id, &purpose, at)?;
    let decision = decision.and_then(|()| {
        if request.original && !viewer.is_librarian() {
            Err(AccessError::OriginalForLibrarians)
        } else {
            Ok(())
        }
    });
    if let Err(refusal) = decision {
        record_access(
            conn,
            viewer,
            &record,
            format!("denied{}", purpose.note()),
            at,
        )?;
        return Err(refusal);
    }
    let original = shelves.store.path_of(&record.sha256)?;
    let kind = FileKind::ALL
        .into_iter()
        .find(|kind| kind.mime() == record.mime);
    let is_pdf = kind == Some(FileKind::Pdf);
    // Texts and Word documents carry the mark in their own format (README).
    let document = kind.and_then(|kind| Some((kind, document::marker(kind)?)));
    if request.original || (!is_pdf && document.is_none()) {
        let note = if is_pdf || document.is_some() {
            "; original, unstamped"
        } else {
            ""
        };
        record_access(
            conn,
            viewer,
            &record,
            format!("granted{note}{}", purpose.note()),
            at,
        )?;
        return Ok(Download {
            record,
            path: original,
            mark: None,
        });
    }
    // The mark is the loan's for its whole life: written once, before the copy.
    let mark = marks::mark_for(conn, viewer, &record.resource_id, at)?;
    let copy = match document {
        Some(document) => document::marked_copy(
            shelves.marked,
            &original,
            &record.sha256,
            document,
            &mark,
            at.today(),
        )
        .map_err(|err| match err {
            DocumentError::Io(err) => Unmarked::Io(err),
            refusal => Unmarked::Refused(AccessError::Unmarkable(refusal)),
        }),
        None => shelves
            .marked
            .copy_of(&original, &record.sha256, &Stamp::new(&mark, at.today()))
            .map_err(|err| match err {
                StampError::Io(err) => Unmarked::Io(err),
                refusal => Unmarked::Refused(AccessError::Unstampable(refusal)),
            }),
    };
    let opened = Opened {
        record,
        original,
        purpose,
        at,
    };
    opened.hand_out(conn, viewer, copy, mark)
}

/// Why no marked copy was made.
enum Unmarked {
    /// The cache could not be written: ours, not the viewer's.
    Io(std::io::Error),
    /// The document cannot carry a mark (encrypted, broken).
    Refused(AccessError),
}

/// A file the viewer may have, before its copy is handed out.
struct Opened {
    record: FileRecord,
    original: PathBuf,
    purpose: Purpose,
    at: Moment,
}

impl Opened {
    /// The marked copy, audited with its mark; when the document cannot be marked, the
    /// original for a librarian and a refusal for a borrower, audited as such.
    fn hand_out(
        self,
        conn: &Connection,
        viewer: &SessionUser,
        copy: Result<MarkedCopy, Unmarked>,
        mark: Mark,
    ) -> Result<Download, AccessError> {
        let Opened {
            record,
            original,
            purpose,
            at,
        } = self;
        match copy {
            Ok(copy) => {
                let detail = format!("granted; {}{}", stamped_note(&mark), purpose.note());
                record_access(conn, viewer, &record, detail, at)?;
                Ok(Download {
                    record,
                    path: copy.path,
                    mark: Some(mark),
                })
            }
            Err(Unmarked::Io(err)) => {
                Err(AccessError::Content(crate::content::ContentError::Io(err)))
            }
            Err(Unmarked::Refused(refusal)) if viewer.is_librarian() => {
                tracing::warn!(file = %record.id, %refusal, "serving a librarian an unstampable file's original");
                let detail = format!("granted; original, cannot be stamped{}", purpose.note());
                record_access(conn, viewer, &record, detail, at)?;
                Ok(Download {
                    record,
                    path: original,
                    mark: None,
                })
            }
            Err(Unmarked::Refused(refusal)) => {
                let detail = format!("denied; cannot be stamped{}", purpose.note());
                record_access(conn, viewer, &record, detail, at)?;
                Err(refusal)
            }
        }
    }
}

/// How the audit row names a stamped copy: `stamped JS-7KQ2M9XA, loan 12` (or
/// `no loan` for a librarian's or open material's copy).
pub fn stamped_note(mark: &Mark) -> String {
    let loan = mark
        .loan_id
        .map_or_else(|| "no loan".to_owned(), |loan| format!("loan {loan}"));
    format!("stamped {}{}, {loan}", marks::LABEL_PREFIX, mark.code)
}
