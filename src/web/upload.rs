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
use crate::catalog::{self, FileInfo, ResourceId, write::NewFile};
use crate::content::{self, ContentError, Extraction, FileKind, StoredBlob};

/// The layers of an upload route: no default body limit (each file type has its own,
/// checked while streaming) and no response time limit (an upload takes as long as
/// its size needs; its idle time is bounded instead).
pub fn streaming() -> (DefaultBodyLimit, super::UntimedLayer) {
    (DefaultBodyLimit::disable(), super::untimed())
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

/// Receives the `file` field, stores it, extracts its text and attaches it. At most
/// `limits.max_uploads` run at once (503 beyond), and a client that stops sending for
/// `limits.upload_idle_timeout` is answered 408.
pub async fn receive_file(
    state: &AppState,
    mut multipart: Multipart,
    id: &ResourceId,
    user: &SessionUser,
) -> Result<FileInfo, AppError> {
    let _permit = state.uploads.clone().try_acquire_owned().map_err(|_| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "同时进行的上传过多，请稍后再试",
        )
    })?;
    let idle = state.limits.upload_idle_timeout;
    // The field named `file`, skipping any other.
    let field = loop {
        let next = tokio::time::timeout(idle, multipart.next_field())
            .await
            .map_err(|_| stalled(idle))?;
        match next.map_err(multipart_error)? {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue,
            None => return Err(AppError::bad_request("缺少名为 file 的上传文件字段")),
        }
    };
    let name = file_name(&field)?;
    let (blob, extraction) = match store_streamed(state, field, &name, idle).await {
        Ok(stored) => stored,
        Err(Refused { error, field }) => {
            if let Some(field) = field {
                let left = drain_field(field, idle).await;
                drain_rest(&mut multipart, left, idle).await;
                if error.status == StatusCode::PAYLOAD_TOO_LARGE {
                    tracing::info!(file = %name, "upload refused: too large");
                }
            }
            return Err(error);
        }
    };
    attach(state, id, user, name, blob, extraction).await
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
) -> Result<(StoredBlob, Extraction), Refused<'a>> {
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
type Writer = tokio::task::JoinHandle<Result<(StoredBlob, Extraction), ContentError>>;

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
        let extraction = content::extract(&store.path_of(&blob.sha256)?, blob.kind);
        Ok((blob, extraction))
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
    name: String,
    blob: StoredBlob,
    extraction: Extraction,
) -> Result<FileInfo, AppError> {
    let db_id = id.clone();
    let (actor, at) = (Actor::user(user), state.clock.moment());
    let store = state.store.clone();
    state
        .with_conn(move |conn| {
            let file = NewFile {
                blob: &blob,
                original_name: &name,
                extraction: &extraction,
            };
            let file_id = match catalog::curation::attach_upload(conn, &actor, &db_id, file, at) {
                Ok(file_id) => file_id,
                Err(err) => {
                    catalog::import::discard_unreferenced_conn(
                        conn,
                        &store,
                        std::iter::once(&blob),
                    );
                    return Err(AppError::from(err));
                }
            };
            catalog::read::list_files(conn, &db_id)?
                .into_iter()
                .find(|f| f.id == file_id)
                .ok_or_else(|| AppError::internal("uploaded file vanished"))
        })
        .await
}
