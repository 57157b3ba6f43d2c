//! Multipart uploads streamed to the file store: bytes go to a staged temp file on a
//! blocking thread as they arrive, so memory stays flat whatever the file size.

use std::io::Write;
use std::time::Duration;

use axum::extract::multipart::Field;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::StatusCode;

use super::error::AppError;
use crate::accounts::SessionUser;
use crate::actor::Actor;
use crate::app::AppState;
use crate::catalog::{self, CatalogError, FileInfo, ResourceId, write::NewFile};
use crate::content::{self, ContentError, Extraction, FileKind, StoredBlob};

/// The layers of an upload route: no default body limit (each file type has its own,
/// checked while streaming) and no response time limit (an upload takes as long as
/// its size needs; its idle time is bounded instead).
pub fn streaming() -> (DefaultBodyLimit, super::UntimedLayer) {
    (DefaultBodyLimit::disable(), super::untimed())
}

/// Whether `request` carries a multipart form (else its body is JSON), for routes
/// that take either.
pub fn is_multipart(request: &axum::extract::Request) -> bool {
    request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Most bytes of a refused upload still read so the client can see the answer.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

fn multipart_error(err: axum::extract::multipart::MultipartError) -> AppError {
    AppError::new(
        err.status(),
        "bad_upload",
        format!("上传内容无法解析：{}", err.body_text()),
    )
}

/// A file safely stored and read: its bytes, extracted text and (a video's) length.
pub struct Received {
    pub name: String,
    pub blob: StoredBlob,
    pub extraction: Extraction,
    pub duration: Option<Duration>,
}

impl Received {
    fn new_file(&self) -> NewFile<'_> {
        NewFile {
            blob: &self.blob,
            original_name: &self.name,
            extraction: &self.extraction,
            duration: self.duration,
        }
    }
}

/// One upload slot: at most `limits.max_uploads` run at once (503 beyond).
fn upload_permit(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
    state.uploads.clone().try_acquire_owned().map_err(|_| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "同时进行的上传过多，请稍后再试",
        )
    })
}

/// Stores the next `file` field of the request; `None` when there is none left. A
/// refused field is answered after reading on what the client still sends.
async fn receive_next(
    state: &AppState,
    multipart: &mut Multipart,
) -> Result<Option<Received>, AppError> {
    let idle = state.limits.upload_idle_timeout;
    // The next field named `file`, skipping any other.
    let field = loop {
        let next = tokio::time::timeout(idle, multipart.next_field())
            .await
            .map_err(|_| stalled(idle))?;
        match next.map_err(multipart_error)? {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue,
            None => return Ok(None),
        }
    };
    let name = file_name(&field)?;
    match store_streamed(state, field, &name, idle).await {
        Ok((blob, extraction, duration)) => Ok(Some(Received {
            name,
            blob,
            extraction,
            duration,
        })),
        Err(Refused { error, field }) => {
            if let Some(field) = field {
                let left = drain_field(field, idle).await;
                drain_rest(multipart, left, idle).await;
                if error.status == StatusCode::PAYLOAD_TOO_LARGE {
                    tracing::info!(file = %name, "upload refused: too large");
                }
            }
            Err(error)
        }
    }
}

/// Receives the `file` field and stores it (text extracted, a video's length read).
/// A client that stops sending for `limits.upload_idle_timeout` is answered 408.
async fn receive_one(state: &AppState, mut multipart: Multipart) -> Result<Received, AppError> {
    receive_next(state, &mut multipart)
        .await?
        .ok_or_else(|| AppError::bad_request("缺少名为 file 的上传文件字段"))
}

/// Receives the `file` field, stores it, extracts its text and attaches it. At most
/// `limits.max_uploads` run at once (503 beyond).
pub async fn receive_file(
    state: &AppState,
    multipart: Multipart,
    id: &ResourceId,
    user: &SessionUser,
) -> Result<FileInfo, AppError> {
    let _permit = upload_permit(state)?;
    let received = receive_one(state, multipart).await?;
    attach(state, id, user, received).await
}

/// Every `file` field of a form, attached in turn: the files attached, then the first
/// refusal (its name and why) after which the rest of the request was not read.
pub async fn receive_files(
    state: &AppState,
    mut multipart: Multipart,
    id: &ResourceId,
    user: &SessionUser,
) -> (Vec<FileInfo>, Option<AppError>) {
    let mut attached = Vec::new();
    let _permit = match upload_permit(state) {
        Ok(permit) => permit,
        Err(err) => return (attached, Some(err)),
    };
    loop {
        let received = match receive_next(state, &mut multipart).await {
            Ok(Some(received)) => received,
            Ok(None) if attached.is_empty() => {
                return (
                    attached,
                    Some(AppError::bad_request("请先选择要上传的文件")),
                );
            }
            Ok(None) => return (attached, None),
            Err(err) => return (attached, Some(err)),
        };
        let name = received.name.clone();
        match attach(state, id, user, received).await {
            Ok(file) => attached.push(file),
            Err(mut err) => {
                err.message = format!("“{name}”：{}", err.message);
                return (attached, Some(err));
            }
        }
    }
}

/// The most bytes of text fields read from a form that carries files too.
const MAX_FORM_TEXT: usize = 256 * 1024;

/// A form that sends its fields and its files in one body: the text fields in order,
/// and every chosen file stored (not yet attached to anything).
pub struct ReceivedForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Received>,
}

/// Reads the rest of a form that carries its fields and files together (its `csrf`
/// field already checked): the text fields, and each `file` field stored by the
/// editor's rules (the claimed type bounds the size, the bytes decide the type) before
/// anything is made of the form. A file input left empty is skipped. A refused file
/// stops the reading: the files stored before it are dropped again, and the refusal
/// comes back with the fields read so far.
pub async fn receive_form(
    state: &AppState,
    mut multipart: Multipart,
) -> Result<ReceivedForm, (Vec<(String, String)>, AppError)> {
    let idle = state.limits.upload_idle_timeout;
    let mut form = ReceivedForm {
        fields: Vec::new(),
        files: Vec::new(),
    };
    let _permit = match upload_permit(state) {
        Ok(permit) => permit,
        Err(err) => return Err((form.fields, err)),
    };
    let mut text_left = MAX_FORM_TEXT;
    let refusal = loop {
        let next = match tokio::time::timeout(idle, multipart.next_field()).await {
            Ok(Ok(next)) => next,
            Ok(Err(err)) => break multipart_error(err),
            Err(_) => break stalled(idle),
        };
        let Some(field) = next else {
            return Ok(form);
        };
        if field.name() != Some("file") {
            let name = field.name().unwrap_or_default().to_owned();
            match read_text(field, &mut text_left, idle).await {
                Ok(value) => form.fields.push((name, value)),
                Err(err) => break err,
            }
            continue;
        }
        if field.file_name().is_none_or(|n| n.trim().is_empty()) {
            // An empty file input still sends a part, without a name or bytes.
            drain_field(field, idle).await;
            continue;
        }
        let name = match file_name(&field) {
            Ok(name) => name,
            Err(err) => break err,
        };
        match store_streamed(state, field, &name, idle).await {
            Ok((blob, extraction, duration)) => form.files.push(Received {
                name,
                blob,
                extraction,
                duration,
            }),
            Err(Refused { mut error, field }) => {
                if let Some(field) = field {
                    let left = drain_field(field, idle).await;
                    drain_rest(&mut multipart, left, idle).await;
                }
                if !error.message.contains(&name) {
                    error.message = format!("“{name}”：{}", error.message);
                }
                break error;
            }
        }
    };
    discard_received(state, form.files).await;
    Err((form.fields, refusal))
}

/// A text field of a multipart form, within what is left of the form's text budget.
async fn read_text(
    mut field: Field<'_>,
    left: &mut usize,
    idle: Duration,
) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    loop {
        let chunk = tokio::time::timeout(idle, field.chunk())
            .await
            .map_err(|_| stalled(idle))?
            .map_err(multipart_error)?;
        let Some(chunk) = chunk else { break };
        if chunk.len() > *left {
            return Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "表单填写的文字过长，请精简后重新提交",
            ));
        }
        *left -= chunk.len();
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::bad_request("表单内容不是有效的 UTF-8 文字"))
}

/// Drops the stored bytes of files that were received but will not be attached.
pub async fn discard_received(state: &AppState, files: Vec<Received>) {
    if files.is_empty() {
        return;
    }
    let store = state.store.clone();
    let dropped = state
        .with_conn(move |conn| {
            catalog::import::discard_unreferenced_conn(conn, &store, files.iter().map(|f| &f.blob));
            Ok::<_, AppError>(())
        })
        .await;
    if let Err(err) = dropped {
        err.log();
    }
}

/// Attaches files received with a form to resource `id`, in turn: the files attached,
/// then the first refusal (its name and why); the files after it are dropped.
pub async fn attach_received(
    state: &AppState,
    id: &ResourceId,
    user: &SessionUser,
    files: Vec<Received>,
) -> (Vec<FileInfo>, Option<AppError>) {
    let mut attached = Vec::new();
    let mut files = files.into_iter();
    while let Some(received) = files.next() {
        let name = received.name.clone();
        match attach(state, id, user, received).await {
            Ok(file) => attached.push(file),
            Err(mut err) => {
                err.message = format!("“{name}”：{}", err.message);
                discard_received(state, files.collect()).await;
                return (attached, Some(err));
            }
        }
    }
    (attached, None)
}

/// Receives the `file` field and puts it in the place of file `file_id` of resource
/// `id` (same role); answers the new file. The index follows before the answer, so
/// the old version's words no longer find the resource.
pub async fn replace_file(
    state: &AppState,
    multipart: Multipart,
    id: &ResourceId,
    file_id: &str,
    user: &SessionUser,
) -> Result<FileInfo, AppError> {
    let _permit = upload_permit(state)?;
    let received = receive_one(state, multipart).await?;
    let (db_id, file_id) = (id.clone(), file_id.to_owned());
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let (store, indexing) = (state.store.clone(), state.clone());
    state
        .with_conn(move |conn| {
            let replaced = catalog::files::replace_upload(
                conn,
                &store,
                &actor,
                &db_id,
                &file_id,
                received.new_file(),
                at,
            );
            let replaced = match replaced {
                Ok(replaced) => replaced,
                Err(err) => {
                    discard(conn, &store, &received.blob);
                    return Err(AppError::from(err));
                }
            };
            indexing.refresh_index_now();
            file_of(conn, &db_id, &replaced.file_id)
        })
        .await
}

/// Drops the bytes of a refused upload unless something references them.
fn discard(conn: &rusqlite::Connection, store: &content::FileStore, blob: &StoredBlob) {
    catalog::import::discard_unreferenced_conn(conn, store, std::iter::once(blob));
}

/// File `file_id` of resource `id` as the API shows it.
fn file_of(
    conn: &rusqlite::Connection,
    id: &ResourceId,
    file_id: &str,
) -> Result<FileInfo, AppError> {
    catalog::read::list_files(conn, id)?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| AppError::from(CatalogError::FileNotFound))
}

fn stalled(idle: Duration) -> AppError {
    AppError::new(
        StatusCode::REQUEST_TIMEOUT,
        "upload_stalled",
        format!(
            "上传中断：{} 秒内没有收到数据，请检查网络后重试",
            idle.as_secs()
        ),
    )
}

/// The file's own name (a client's folders are dropped).
fn file_name(field: &Field<'_>) -> Result<String, AppError> {
    field
        .file_name()
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AppError::bad_request("上传的文件缺少文件名"))
}

/// An upload the store refused; `field` is still there when the client was cut off
/// mid-body, so that the rest of what it sends can be read before answering.
struct Refused<'a> {
    error: AppError,
    field: Option<Field<'a>>,
}

/// Streams the field into the store on a blocking thread, bounded by the size its
/// claimed type allows (the bytes then decide the type), and extracts its text.
async fn store_streamed<'a>(
    state: &AppState,
    mut field: Field<'a>,
    name: &str,
    idle: Duration,
) -> Result<Stored, Refused<'a>> {
    let refuse = |error: AppError| Refused { error, field: None };
    // The claimed type bounds the size while streaming; the bytes decide the type.
    let claimed = std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .and_then(FileKind::from_extension)
        .ok_or_else(|| {
            refuse(AppError::from(ContentError::NotAllowed {
                name: name.to_owned(),
                detected: "未知类型".into(),
            }))
        })?;
    let (tx, writer) = spawn_writer(state, claimed.max_size(), name.to_owned());
    let mut send_failed = false;
    loop {
        let Ok(chunk) = tokio::time::timeout(idle, field.chunk()).await else {
            drop(tx);
            let _ = writer.await;
            return Err(refuse(stalled(idle)));
        };
        match chunk {
            Ok(Some(chunk)) => {
                if tx.send(Some(chunk)).await.is_err() {
                    // The writer stopped (limit or disk error); its result says why.
                    send_failed = true;
                    break;
                }
            }
            Ok(None) => {
                // The writer may have stopped already; its result says why.
                let _ = tx.send(None).await;
                break;
            }
            Err(err) => {
                drop(tx);
                let _ = writer.await;
                return Err(refuse(multipart_error(err)));
            }
        }
    }
    drop(tx);
    match writer.await {
        Ok(Ok(stored)) => Ok(stored),
        Ok(Err(err)) => Err(Refused {
            error: AppError::from(err),
            field: send_failed.then_some(field),
        }),
        Err(join) => Err(refuse(AppError::from(join))),
    }
}

type Chunks = tokio::sync::mpsc::Sender<Option<axum::body::Bytes>>;
/// A stored blob, its extraction and (a video's) length.
type Stored = (StoredBlob, Extraction, Option<Duration>);
type Writer = tokio::task::JoinHandle<Result<Stored, ContentError>>;

/// The blocking writer of a staged file of at most `limit` bytes. `Some(bytes)`
/// carries data and `None` says the upload ended; a channel closed without `None`
/// (an error, a stall, a dropped request) stores nothing.
fn spawn_writer(state: &AppState, limit: u64, name: String) -> (Chunks, Writer) {
    let store = state.store.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Option<axum::body::Bytes>>(8);
    let writer = tokio::task::spawn_blocking(move || {
        let mut staged = store.stage_with_limit(limit)?;
        loop {
            match rx.blocking_recv() {
                Some(Some(chunk)) => staged.write_all(&chunk)?,
                Some(None) => break,
                None => {
                    return Err(ContentError::Io(std::io::Error::other(
                        "upload ended before its last byte",
                    )));
                }
            }
        }
        let blob = store.commit(staged, &name)?;
        let path = store.path_of(&blob.sha256)?;
        let extraction = content::extract(&path, blob.kind);
        let duration = content::video_duration(&path, blob.kind);
        Ok((blob, extraction, duration))
    });
    (tx, writer)
}

/// Reads on what the client is still sending of the refused field (within a bound),
/// so that it gets the answer rather than a connection reset in the middle of its
/// request; answers how much more may be read.
pub(crate) async fn drain_field(mut field: Field<'_>, idle: Duration) -> usize {
    let mut left = DRAIN_LIMIT;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout(idle, field.chunk()).await {
        left = left.saturating_sub(chunk.len());
        if left == 0 {
            break;
        }
    }
    left
}

/// Reads on the fields after the refused one, up to `left` bytes.
pub(crate) async fn drain_rest(multipart: &mut Multipart, mut left: usize, idle: Duration) {
    while left > 0
        && let Ok(Ok(Some(mut rest))) = tokio::time::timeout(idle, multipart.next_field()).await
    {
        while left > 0
            && let Ok(Ok(Some(chunk))) = tokio::time::timeout(idle, rest.chunk()).await
        {
            left = left.saturating_sub(chunk.len());
        }
    }
}

/// Attaches the stored file to the resource (the use case audits it); a refusal
/// removes the blob again unless something else references it.
async fn attach(
    state: &AppState,
    id: &ResourceId,
    user: &SessionUser,
    received: Received,
) -> Result<FileInfo, AppError> {
    let db_id = id.clone();
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let store = state.store.clone();
    state
        .with_conn(move |conn| {
            let attached =
                catalog::curation::attach_upload(conn, &actor, &db_id, received.new_file(), at);
            let file_id = match attached {
                Ok(file_id) => file_id,
                Err(err) => {
                    discard(conn, &store, &received.blob);
                    return Err(AppError::from(err));
                }
            };
            file_of(conn, &db_id, &file_id)
        })
        .await
}
