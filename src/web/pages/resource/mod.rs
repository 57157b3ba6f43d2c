//! `/resources/{id}`: metadata, holdings and files; the video player (streamed with
//! Range from the files route, subtitles as a `<track>`, a list of cues that seek it,
//! `?t=SECONDS` to open at a moment); PDFs in the browser's viewer; Markdown and text as
//! escaped HTML. `/subtitles/{file_id}` serves a subtitle file as WebVTT after the same
//! access check as the files route.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

mod base;
mod blocks;
mod mark;

use super::extract::{PageQuery, PageUser};
use super::format;
use super::{Chrome, PageError, Section, pages};
use crate::access::{self, AccessError, ResourceView, file_kind};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::machine_read::MachineRead;
use crate::catalog::{Access, FileInfo, Resource, Status};
use crate::content::{self, FileKind, FileRole};
use crate::loans::{self, Actor};
use crate::ocr::queue::JobState;
use crate::recommend::Recommendation;
use crate::search::Related;
use crate::web::shared::related::related_or_none;
use crate::web::shared::resource_id;
use base::BaseView;
use blocks::{Block, BlockKind, blocks};
use mark::MarkView;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/{id}", get(show_resource))
        .route("/subtitles/{file_id}", get(show_subtitles))
}

pub struct CopyView {
    pub barcode: String,
    pub location: String,
    pub condition: String,
    pub in_circulation: bool,
    /// The copy is out: with whom (when the viewer may know) and until when.
    pub out: Option<CopyOutView>,
}

pub struct CopyOutView {
    /// The holding unit's name; empty for a borrower of another unit.
    pub unit_name: String,
    /// The viewer's own unit holds it.
    pub own: bool,
    pub until: String,
    pub loan_id: Option<i64>,
    pub overdue: bool,
}

pub struct FileView {
    pub name: String,
    pub href: String,
    pub kind_label: &'static str,
    pub size: String,
}

/// A subtitle track of the player.
pub struct TrackView {
    pub src: String,
    /// The file's name without its extension, as the player's track menu shows it.
    pub label: String,
    /// The track shown when the player starts (the librarian's choice).
    pub default: bool,
}

pub struct VideoView {
    pub src: String,
    pub mime: String,
    /// Every subtitle file; the default one first shown.
    pub tracks: Vec<TrackView>,
    /// Where the player starts (`?t=`), in seconds, for the script.
    pub start: String,
    pub start_label: String,
}

pub struct CueItem {
    pub seconds: String,
    pub time: String,
    pub text: String,
    pub href: String,
}

/// A related resource in the page's "相关资源" list.
pub struct RelatedView {
    pub href: String,
    pub title: String,
    pub kind_label: &'static str,
    pub year: Option<i32>,
    /// The violation types and sectors it shares, joined for display.
    pub shared: String,
}

impl RelatedView {
    fn of(related: Related) -> Self {
        Self {
            href: format!("/resources/{}", related.id),
            kind_label: format::kind_label(&related.kind),
            title: related.title,
            year: related.year,
            shared: related.shared.join("、"),
        }
    }
}

pub struct TextView {
    pub name: String,
    pub href: String,
    pub blocks: Vec<Block>,
    pub truncated: bool,
    /// "机器识别文本，可能有误" for a scan's or image's text read by machine; else empty.
    pub machine_read: &'static str,
}

#[derive(Template)]
#[template(path = "resource.html")]
pub struct ResourcePage {
    chrome: Chrome,
    librarian: bool,
    id: String,
    title: String,
    kind_label: &'static str,
    summary: String,
    tags: Vec<String>,
    sectors: Vec<String>,
    violations: Vec<String>,
    region: String,
    date: String,
    source: String,
    duration: String,
    /// The duration as `12:34`, for the heading.
    length: String,
    pages: String,
    access: Access,
    access_label: &'static str,
    status: Status,
    status_label: &'static str,
    licences: String,
    copies: Vec<CopyView>,
    /// In circulation and not out.
    copies_available: usize,
    copies_out: usize,
    copies_stopped: usize,
    files: Vec<FileView>,
    can_read: bool,
    denied: Option<String>,
    video: Option<VideoView>,
    cues: Vec<CueItem>,
    /// The default track's name when there are several, for the cue list's heading.
    cue_track: String,
    /// The cues were read by machine from the picture: what readers are told.
    cue_machine_read: &'static str,
    /// The shown cues as a WebVTT download.
    cue_download: String,
    /// Files still being read by machine, or whose reading failed: what stands.
    readings: Vec<String>,
    pdfs: Vec<FileView>,
    texts: Vec<TextView>,
    images: Vec<FileView>,
    /// The viewer's mark over the film and behind the texts, when they are shown.
    mark: Option<MarkView>,
    /// "For your unit", this resource left out (`partials/recommendations.html`).
    recommendations: Vec<Recommendation>,
    /// Published resources the viewer may find that share its labels or its words.
    related: Vec<RelatedView>,
    /// The loan request form (borrowers, published resources; never for a base).
    loan: Option<super::loans::LoanFormView>,
    /// A base's visiting details, shown instead of the holdings and the loan form.
    base: Option<BaseView>,
    /// A published base a unit may book a visit to (`/visits/new?base=`).
    bookable_base: bool,
    /// Whose contribution it is, and where an unpublished one is handled.
    contribution: ContributionView,
}
pages!(ResourcePage);

/// What the page says of a unit's contribution (SPEC §9).
pub struct ContributionView {
    /// A published contribution's unit: "由 … 提供".
    pub contributor: Option<String>,
    /// A contribution not (or no longer) published, for its unit and the committee:
    /// its state and where it is handled, in place of the loan form.
    pub note: Option<ContributionNote>,
}

impl ContributionView {
    fn of(user: &SessionUser, resource: &Resource) -> Self {
        Self {
            contributor: resource
                .contributor_name
                .clone()
                .filter(|_| resource.status == Status::Published),
            note: ContributionNote::of(user, resource),
        }
    }
}

/// Where an unpublished contribution is handled.
pub struct ContributionNote {
    pub whose: String,
    pub status_label: &'static str,
    pub href: String,
    pub link_words: &'static str,
}

impl ContributionNote {
    /// For the contributing unit (its contribution page) and librarians (the review
    /// page); `None` for the committee's own material and published contributions.
    fn of(user: &SessionUser, resource: &Resource) -> Option<Self> {
        let unit = resource.contributed_by.as_ref()?;
        if resource.status == Status::Published {
            return None;
        }
        let status_label = format::status_name(resource.status);
        if user.is_librarian() {
            let name = resource.contributor_name.as_deref().unwrap_or(unit);
            return Some(Self {
                whose: format!("{name}的投稿"),
                status_label,
                href: format!("/librarian/contributions/{}", resource.id),
                link_words: "去审核",
            });
        }
        (user.unit.as_ref() == Some(unit)).then(|| Self {
            whose: "本单位的投稿".to_owned(),
            status_label,
            href: format!("/contributions/{}", resource.id),
            link_words: "查看投稿页",
        })
    }
}

impl ResourcePage {
    /// Marks the copies that are out (with whom, for those who may know) and counts
    /// the shelf.
    fn mark_copies_out(&mut self, user: &SessionUser, out: &[loans::CopyOut]) {
        for copy in &mut self.copies {
            copy.out = out
                .iter()
                .find(|o| o.barcode == copy.barcode)
                .map(|o| CopyOutView {
                    own: o.unit.is_some() && o.unit == user.unit,
                    unit_name: o.unit_name.clone().unwrap_or_default(),
                    until: o.until.to_string(),
                    loan_id: o.loan.map(|id| id.0),
                    overdue: o.overdue,
                });
        }
        let shelved = |c: &&CopyView| c.in_circulation && c.out.is_none();
        self.copies_available = self.copies.iter().filter(shelved).count();
        self.copies_out = self.copies.iter().filter(|c| c.out.is_some()).count();
        self.copies_stopped = self.copies.iter().filter(|c| !c.in_circulation).count();
    }

    fn published(&self) -> bool {
        self.status == Status::Published
    }

    fn open_access(&self) -> bool {
        self.access == Access::Open
    }
}

/// `?t=` and the loan request form's fields (the availability check reloads the page).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ResourceQuery {
    pub t: Option<String>,
    pub format: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub purpose: Option<String>,
    pub audience: Option<String>,
    pub check: Option<String>,
    /// The month the availability calendar shows (`YYYY-MM`).
    pub month: Option<String>,
}

fn file_view(file: &FileInfo) -> FileView {
    FileView {
        name: file.name.clone(),
        href: format!("/api/v1/files/{}", file.id),
        kind_label: file_kind(file).map(FileKind::label).unwrap_or("文件"),
        size: format::size(file.size),
    }
}

async fn show_resource(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<ResourceQuery>,
) -> Result<ResourcePage, PageError> {
    let shown = resource_page(state, user.clone(), raw_id, query, None).await;
    shown.map_err(|err| err.for_user(&user))
}

/// The resource page; `loan_error` is a refused loan request shown in its form.
pub(super) async fn resource_page(
    state: AppState,
    user: SessionUser,
    raw_id: String,
    query: ResourceQuery,
    loan_error: Option<String>,
) -> Result<ResourcePage, PageError> {
    let id = resource_id(&raw_id).map_err(PageError::from)?;
    let (viewer, at) = (user.clone(), state.clock.moment());
    let view = state
        .with_conn(move |conn| access::resource_view(conn, &viewer, &id, at))
        .await?;
    let recommendations =
        super::stats::recommendations(&state, &user, 3, Some(&view.resource.id)).await;
    let related = related_or_none(&state, &user, &view.resource.id).await;
    // A base is visited, not lent: no loan form (a refused loan is told beside the
    // visiting details).
    let (loan, base_refusal) = match view.resource.base {
        Some(_) => (None, loan_error),
        None => (
            super::loans::loan_form(&state, &user, &view.resource, &query, loan_error).await,
            None,
        ),
    };
    let out = if view.resource.holdings.copies.is_empty() {
        Vec::new()
    } else {
        let (actor, today, id) = (
            Actor::user(&user),
            state.clock.today(),
            view.resource.id.clone(),
        );
        state
            .with_conn(move |conn| loans::copies_out(conn, &actor, &id, today))
            .await?
    };
    let readings = readings(
        &view.resource,
        state.ocr.availability(),
        user.is_librarian(),
    );
    let mark = view
        .mark
        .as_ref()
        .map(|mark| MarkView::new(mark.label(at.today()), at));
    let mut page = page_of(&user, view, &query, recommendations, loan);
    page.mark = mark;
    page.readings = readings;
    page.related = related.into_iter().map(RelatedView::of).collect();
    page.mark_copies_out(&user, &out);
    if let Some(base) = &mut page.base {
        base.refusal = base_refusal;
    }
    Ok(page)
}

/// `?t=` as seconds, if it is a time.
fn start_seconds(query: &ResourceQuery) -> Option<f64> {
    query
        .t
        .as_deref()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t >= 0.0)
}

/// The player's subtitle tracks: every subtitle file, the default one flagged.
fn tracks(resource: &Resource) -> Vec<TrackView> {
    let machine_read = resource
        .files
        .iter()
        .filter(|f| f.role == FileRole::Video && f.machine_read.is_some() && f.cue_count > 0)
        .map(|file| TrackView {
            src: format!("/subtitles/{}", file.id),
            label: "机器识别字幕".to_owned(),
            default: true,
        });
    let files = resource
        .files
        .iter()
        .filter(|f| f.role == FileRole::Subtitle)
        .map(|file| TrackView {
            src: format!("/subtitles/{}", file.id),
            label: std::path::Path::new(&file.name)
                .file_stem()
                .and_then(|stem| stem.to_str())
                .filter(|stem| !stem.trim().is_empty())
                .unwrap_or("字幕")
                .to_owned(),
            default: file.default,
        });
    // A subtitle file is the better track; the machine's is the fallback.
    let tracks: Vec<TrackView> = files.collect();
    if tracks.is_empty() {
        machine_read.take(1).collect()
    } else {
        tracks
    }
}

/// The player, when the content is open and there is a video.
fn video_view(resource: &Resource, start: Option<f64>) -> Option<VideoView> {
    let file = resource.files.iter().find(|f| f.role == FileRole::Video)?;
    Some(VideoView {
        src: match start {
            // A media fragment starts the player there even without the script.
            Some(t) => format!("/api/v1/files/{}#t={t}", file.id),
            None => format!("/api/v1/files/{}", file.id),
        },
        mime: file.mime.clone(),
        tracks: tracks(resource),
        start: start.map(|t| t.to_string()).unwrap_or_default(),
        start_label: start.map(format::clock).unwrap_or_default(),
    })
}

/// The default track's name when there are several (the cue list's heading), or "".
fn default_track_label(video: Option<&VideoView>) -> String {
    video
        .filter(|video| video.tracks.len() > 1)
        .and_then(|video| video.tracks.iter().find(|track| track.default))
        .map(|track| track.label.clone())
        .unwrap_or_default()
}

/// Whether the shown cues were read by machine (what readers are told), and where
/// they download as WebVTT.
fn cue_source(view: &ResourceView) -> (&'static str, String) {
    match view.subtitle.as_ref().filter(|_| !view.cues.is_empty()) {
        Some(file) => (
            file.machine_read.map(MachineRead::label).unwrap_or(""),
            format!("/subtitles/{}?download=1", file.id),
        ),
        None => ("", String::new()),
    }
}

/// What stands of each file's machine reading that is not done yet (or failed).
/// A failure's reason is for librarians, who can read the file again.
fn readings(
    resource: &Resource,
    availability: crate::ocr::Availability,
    librarian: bool,
) -> Vec<String> {
    resource
        .files
        .iter()
        .filter_map(|file| {
            let progress = file.reading.as_ref()?;
            let shown = match progress.state {
                JobState::Queued | JobState::Running => true,
                JobState::Failed => librarian,
                JobState::Done | JobState::Skipped => false,
            };
            shown.then(|| format!("{}：{}", file.name, progress.label(availability)))
        })
        .collect()
}

/// The cues as links that open the page at their moment.
fn cue_items(view: &ResourceView) -> Vec<CueItem> {
    let base = format!("/resources/{}", view.resource.id);
    view.cues
        .iter()
        .map(|cue| {
            let seconds = cue.start_ms as f64 / 1000.0;
            CueItem {
                seconds: format!("{seconds:.3}"),
                time: format::clock(seconds),
                text: cue.text.clone(),
                href: format!("{base}?t={}#player", cue.start_ms / 1000),
            }
        })
        .collect()
}

fn text_views(view: &ResourceView) -> Vec<TextView> {
    view.texts
        .iter()
        .map(|shown| TextView {
            name: shown.file.name.clone(),
            href: format!("/api/v1/files/{}", shown.file.id),
            blocks: blocks(&shown.text, shown.kind == FileKind::Markdown),
            truncated: shown.truncated,
            machine_read: shown
                .file
                .machine_read
                .map(MachineRead::label)
                .unwrap_or(""),
        })
        .collect()
}

fn copy_views(resource: &Resource) -> Vec<CopyView> {
    resource
        .holdings
        .copies
        .iter()
        .map(|copy| CopyView {
            barcode: copy.barcode.clone(),
            location: copy.location.clone(),
            condition: format::condition_label(&copy.condition),
            in_circulation: copy.in_circulation,
            out: None,
        })
        .collect()
}

fn page_of(
    user: &SessionUser,
    view: ResourceView,
    query: &ResourceQuery,
    recommendations: Vec<Recommendation>,
    loan: Option<super::loans::LoanFormView>,
) -> ResourcePage {
    let can_read = view.closed.is_none();
    let files_of = |keep: &dyn Fn(&FileInfo) -> bool| -> Vec<FileView> {
        match can_read {
            true => view
                .resource
                .files
                .iter()
                .filter(|f| keep(f))
                .map(file_view)
                .collect(),
            false => Vec::new(),
        }
    };
    let pdfs = files_of(&|f| f.mime == FileKind::Pdf.mime());
    let images = files_of(&|f| f.role == FileRole::Image);
    let video = video_view(&view.resource, start_seconds(query)).filter(|_| can_read);
    let cue_track = default_track_label(video.as_ref());
    let (cue_machine_read, cue_download) = cue_source(&view);
    let (cues, texts, copies) = (
        cue_items(&view),
        text_views(&view),
        copy_views(&view.resource),
    );
    let resource = view.resource;
    ResourcePage {
        chrome: Chrome::for_user(user, Section::Search),
        librarian: user.is_librarian(),
        kind_label: resource.kind_label,
        date: resource.date.clone().unwrap_or_default(),
        duration: resource.duration.map(format::duration).unwrap_or_default(),
        length: resource
            .duration
            .map(|seconds| format::clock(f64::from(seconds)))
            .unwrap_or_default(),
        pages: resource.pages.map(|p| p.to_string()).unwrap_or_default(),
        access: resource.access,
        access_label: format::access_name(resource.access),
        status: resource.status,
        status_label: format::status_name(resource.status),
        licences: match resource.holdings.licences {
            None => "不限".to_owned(),
            Some(n) => format!("{n} 个"),
        },
        copies_available: copies.iter().filter(|c| c.in_circulation).count(),
        copies_out: 0,
        copies_stopped: 0,
        copies,
        files: resource.files.iter().map(file_view).collect(),
        can_read,
        denied: view.closed.map(|refusal| refusal.to_string()),
        video,
        cues,
        cue_track,
        cue_machine_read,
        cue_download,
        readings: Vec::new(),
        pdfs,
        texts,
        images,
        mark: None,
        recommendations,
        related: Vec::new(),
        loan,
        base: resource
            .base
            .as_ref()
            .map(|b| BaseView::new(&resource.id, b)),
        bookable_base: resource.kind == crate::catalog::Kind::Base
            && resource.status == Status::Published
            && user.unit.is_some(),
        contribution: ContributionView::of(user, &resource),
        id: resource.id,
        title: resource.title,
        summary: resource.summary,
        tags: resource.tags,
        sectors: resource.sectors,
        violations: resource.violations,
        region: resource.region,
        source: resource.source,
    }
}

/// `?download=1` asks for the track as a file to save.
#[derive(Debug, Default, Deserialize)]
struct SubtitleQuery {
    download: Option<String>,
}

/// A subtitle file as WebVTT (SRT converted), for the player's `<track>`; a film's
/// machine-read cues the same way.
async fn show_subtitles(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(file_id): Path<String>,
    PageQuery(query): PageQuery<SubtitleQuery>,
) -> Result<Response, PageError> {
    let disposition = query.download.is_some().then(|| {
        format!(
            "attachment; filename=\"{}.vtt\"",
            file_id.replace(|c: char| !c.is_ascii_alphanumeric(), "")
        )
    });
    let missing = || PageError::not_found("没有这个字幕文件");
    let (viewer, at) = (user.clone(), state.clock.moment());
    // The cues stored at attach: serving the track never parses the file again.
    let opened = state
        .with_conn(move |conn| {
            Ok::<_, rusqlite::Error>(access::subtitle_cues(conn, &viewer, &file_id, at))
        })
        .await?;
    let cues = match opened {
        Ok(cues) => cues,
        Err(AccessError::NotFound) => return Err(missing()),
        Err(refused) => return Err(PageError::from(crate::web::error::AppError::from(refused))),
    };
    let mut response = content::cues_to_vtt(&cues).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/vtt; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Some(value) = disposition.and_then(|d| HeaderValue::from_str(&d).ok()) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
