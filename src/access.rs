//! Opening content: whether a viewer may read a file, decided in one place, and the
//! audit row every access leaves, granted or not. Sits above `catalog` (the file
//! record) and `loans` (whether the viewer's unit holds an active loan).

use rusqlite::Connection;

use crate::accounts::SessionUser;
use crate::accounts::policy::{self, Denied};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::catalog::{self, CatalogError, FileInfo, FileRecord, Resource, ResourceId};
use crate::clock::Moment;
use crate::content::{Cue, FileKind, FileRole};
use crate::loans::{self, LoanError};
use crate::marks::{self, Mark};
use crate::search::SearchResults;

mod download;

pub use download::{Download, DownloadRequest, Shelves, open_download};

/// How the file is being opened; the audit row says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// The bytes, perhaps a range of them (`bytes=0-1023`).
    Download { range: Option<String> },
    /// A subtitle file converted to WebVTT for the player.
    Subtitles,
    /// Text or cues shown inline on the resource page.
    ShownOnPage,
}

impl Purpose {
    fn note(&self) -> String {
        match self {
            Purpose::Download { range: None } => String::new(),
            Purpose::Download { range: Some(range) } => format!("; range {range}"),
            Purpose::Subtitles => "; as WebVTT".to_owned(),
            Purpose::ShownOnPage => "; shown on the resource page".to_owned(),
        }
    }
}

/// Why a file is not opened.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No such file, or one the viewer may not know of (a draft's, for borrowers).
    #[error("没有这个文件")]
    NotFound,
    /// No such resource, or a draft a borrower may not know of.
    #[error("没有编号为“{0}”的资源")]
    ResourceNotFound(String),
    /// The resource lends its content only to units with an active loan.
    #[error("该资源仅限借阅查看：需要本单位有一笔生效中的借阅，请在资源页提交借阅申请")]
    LoanRequired,
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Loans(#[from] LoanError),
    /// Only the committee may have a document without the reader's mark.
    #[error("只有管理员可以下载未加注借阅标记的原件")]
    OriginalForLibrarians,
    /// The document cannot carry the reader's mark, so it is not lent out.
    #[error(transparent)]
    Unstampable(crate::marks::pdf::StampError),
    /// A text or Word document that cannot carry the reader's mark (a broken DOCX).
    #[error(transparent)]
    Unmarkable(crate::marks::document::DocumentError),
    #[error(transparent)]
    Marks(#[from] crate::marks::MarkError),
    #[error(transparent)]
    Content(#[from] crate::content::ContentError),
}

/// Decides whether `viewer` may read the resource's content at `at`: librarians
/// always; borrowers when it is published and open, or lent to their unit.
pub fn content_decision(
    conn: &Connection,
    viewer: &SessionUser,
    resource_id: &str,
    access: catalog::Access,
    visibility: &catalog::Visibility,
    at: Moment,
) -> Result<Result<(), AccessError>, LoanError> {
    let on_loan = match &viewer.unit {
        Some(unit) => loans::unit_has_active_loan(conn, unit, resource_id, at.today())?,
        None => false,
    };
    Ok(
        policy::can_read_content(viewer, access, visibility, on_loan).map_err(
            |denied| match denied {
                Denied::Hidden => AccessError::NotFound,
                Denied::LoanRequired => AccessError::LoanRequired,
            },
        ),
    )
}

/// Opens, in `results`, the locked search hits whose content `viewer` may read at `at`
/// (the decision that opens their files); the others stay as the index answered them:
/// the summary's passage, a count of body matches, cue times without text. Runs on
/// every answer, cached or not, so one viewer's snippets never reach another.
pub fn reveal_readable_hits(
    conn: &Connection,
    viewer: &SessionUser,
    results: &mut SearchResults,
    at: Moment,
) -> Result<(), LoanError> {
    for hit in results.hits.iter_mut().filter(|hit| hit.locked) {
        // A value the catalogue does not know stays locked.
        let Ok(access) = catalog::Access::parse(&hit.access) else {
            continue;
        };
        let visibility = catalog::read::visibility(conn, &hit.id).map_err(LoanError::from)?;
        if content_decision(conn, viewer, &hit.id, access, &visibility, at)?.is_ok() {
            hit.unlock();
        }
    }
    Ok(())
}

/// Opens file `file_id` for `viewer`: decides, writes the audit row (also for a
/// refusal, which is worth knowing about), and answers the file's record.
pub fn open_file(
    conn: &Connection,
    viewer: &SessionUser,
    file_id: &str,
    purpose: Purpose,
    at: Moment,
) -> Result<FileRecord, AccessError> {
    let (record, decision) = decide_file(conn, viewer, file_id, &purpose, at)?;
    let outcome = if decision.is_ok() {
        "granted"
    } else {
        "denied"
    };
    record_access(
        conn,
        viewer,
        &record,
        format!("{outcome}{}", purpose.note()),
        at,
    )?;
    decision.map(|()| record)
}

/// The audit row of one access to `record`'s file.
fn record_access(
    conn: &Connection,
    viewer: &SessionUser,
    record: &FileRecord,
    detail: String,
    at: Moment,
) -> rusqlite::Result<()> {
    AuditEvent::by(&Actor::user(viewer), AuditAction::FileAccess)
        .resource(&record.resource_id)
        .file(&record.id)
        .detail(detail)
        .record(conn, at)?;
    Ok(())
}

/// Whether `viewer` may open file `file_id` for `purpose`: the file's record and the
/// decision, not yet audited.
fn decide_file(
    conn: &Connection,
    viewer: &SessionUser,
    file_id: &str,
    purpose: &Purpose,
    at: Moment,
) -> Result<(FileRecord, Result<(), AccessError>), AccessError> {
    // Anything but an id's shape (a path, markup, a huge string) finds nothing.
    if !is_file_id(file_id) {
        return Err(AccessError::NotFound);
    }
    let record = catalog::find_file(conn, file_id)?.ok_or(AccessError::NotFound)?;
    // A film's own cues are machine-read burned-in subtitles, served like a track.
    if *purpose == Purpose::Subtitles
        && !matches!(record.role, FileRole::Subtitle | FileRole::Video)
    {
        return Err(AccessError::NotFound);
    }
    let decision = content_decision(
        conn,
        viewer,
        &record.resource_id,
        record.access,
        &record.visibility,
        at,
    )?
    .and_then(|()| {
        // The original of a redacted file stays with the committee.
        if record.has_redacted_copy && !viewer.is_librarian() {
            Err(AccessError::NotFound)
        } else {
            Ok(())
        }
    });
    Ok((record, decision))
}

/// File ids are `f` plus 15 lowercase letters or digits.
pub fn is_file_id(raw: &str) -> bool {
    raw.len() == 16
        && raw.starts_with('f')
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Most characters of a document shown on the resource page; the file has the rest.
pub const MAX_SHOWN_CHARS: usize = 200_000;

/// A document's text as the resource page shows it.
#[derive(Debug, Clone)]
pub struct ShownText {
    pub file: FileInfo,
    pub kind: FileKind,
    pub text: String,
    /// The document is longer than [`MAX_SHOWN_CHARS`].
    pub truncated: bool,
}

/// What the resource page shows a viewer, read in one go.
#[derive(Debug)]
pub struct ResourceView {
    pub resource: Resource,
    /// Why the content stays closed (a loan is required), or `None` when readable.
    pub closed: Option<AccessError>,
    /// Texts of the readable documents (Markdown, text, DOCX).
    pub texts: Vec<ShownText>,
    /// The default subtitle file, and its cues when readable.
    pub subtitle: Option<FileInfo>,
    pub cues: Vec<Cue>,
    /// The viewer's mark, shown over the film and behind the texts: there whenever
    /// the page shows either.
    pub mark: Option<Mark>,
}

/// Reads resource `id` for `viewer`'s page at `at`: the record, whether its content
/// is open to them, the documents and cues shown inline, and an audit row for each
/// file whose content is shown. Drafts do not exist for borrowers. The texts and cues
/// are those stored when the files were attached: a view never opens a file.
pub fn resource_view(
    conn: &Connection,
    viewer: &SessionUser,
    id: &ResourceId,
    at: Moment,
) -> Result<ResourceView, AccessError> {
    let resource = catalog::get_resource(conn, id)?;
    // Whether the viewer may know of it at all is the content decision's first
    // question (a withdrawn resource stays visible to a unit still holding a loan).
    let decision = content_decision(
        conn,
        viewer,
        &resource.id,
        resource.access,
        &resource.visibility(),
        at,
    )?;
    let mut resource = resource;
    if !viewer.is_librarian() {
        resource.files_for_borrowers();
    }
    // The track the librarian chose as the default (the first one when none was).
    // Without a subtitle file, the film's own machine-read cues.
    let subtitle = resource
        .files
        .iter()
        .find(|f| f.role == FileRole::Subtitle && f.default)
        .or_else(|| {
            resource
                .files
                .iter()
                .find(|f| f.role == FileRole::Video && f.machine_read.is_some() && f.cue_count > 0)
        })
        .cloned();
    let closed = match decision {
        Ok(()) => None,
        Err(AccessError::NotFound) => return Err(AccessError::ResourceNotFound(id.to_string())),
        Err(refusal) => Some(refusal),
    };
    let (texts, cues) = if closed.is_none() {
        (
            read_texts(conn, &resource.files)?,
            match &subtitle {
                Some(file) => catalog::texts::stored_cues(conn, &file.id)?,
                None => Vec::new(),
            },
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let mut shown: Vec<&FileInfo> = texts.iter().map(|t| &t.file).collect();
    if !cues.is_empty() {
        shown.extend(subtitle.as_ref());
    }
    let shows_content = !texts.is_empty()
        || (closed.is_none() && resource.files.iter().any(|f| f.role == FileRole::Video));
    let mark = match shows_content {
        true => Some(marks::mark_for(conn, viewer, &resource.id, at)?),
        false => None,
    };
    // The texts are shown with the mark behind them: the row says which.
    let marked = mark
        .as_ref()
        .map(|mark| format!("; {}", download::stamped_note(mark)))
        .unwrap_or_default();
    for file in shown {
        AuditEvent::by(&Actor::user(viewer), AuditAction::FileAccess)
            .resource(&resource.id)
            .file(&file.id)
            .detail(format!("granted{marked}{}", Purpose::ShownOnPage.note()))
            .record(conn, at)?;
    }
    Ok(ResourceView {
        resource,
        closed,
        texts,
        subtitle,
        cues,
        mark,
    })
}

/// The stored kind of a catalogue file, by its MIME type.
pub fn file_kind(file: &FileInfo) -> Option<FileKind> {
    FileKind::ALL
        .into_iter()
        .find(|kind| kind.mime() == file.mime)
}

/// The stored texts of the documents a page can show inline.
fn read_texts(conn: &Connection, files: &[FileInfo]) -> Result<Vec<ShownText>, AccessError> {
    let mut texts = Vec::new();
    for file in files
        .iter()
        .filter(|f| matches!(f.role, FileRole::Document | FileRole::Image))
    {
        let kind = match file_kind(file) {
            Some(kind @ (FileKind::Markdown | FileKind::Text | FileKind::Docx)) => kind,
            // A scan's or page image's text read by machine is shown beside it.
            Some(kind) if file.machine_read.is_some() => kind,
            _ => continue,
        };
        if let Some(stored) = catalog::texts::stored_text(conn, &file.id, MAX_SHOWN_CHARS)? {
            texts.push(ShownText {
                file: file.clone(),
                kind,
                text: stored.text,
                truncated: stored.truncated,
            });
        }
    }
    Ok(texts)
}

/// Opens subtitle file `file_id` for the player (decided and audited as
/// [`open_file`]) and answers its cues as stored when it was attached.
pub fn subtitle_cues(
    conn: &Connection,
    viewer: &SessionUser,
    file_id: &str,
    at: Moment,
) -> Result<Vec<Cue>, AccessError> {
    let record = open_file(conn, viewer, file_id, Purpose::Subtitles, at)?;
    Ok(catalog::texts::stored_cues(conn, &record.id)?)
}
