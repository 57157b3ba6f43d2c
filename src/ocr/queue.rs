//! The reading queue: one job per file that needs machine reading, kept in the
//! database and worked one unit at a time (a page; a 30-second stretch of film), so a
//! restart goes on where it stopped and an upload or import never waits for it.
//!
//! A step reads the job in one short transaction, does the slow work with no
//! connection held, and writes the unit's result in another transaction that checks
//! the job is still the one it read (the file may have been removed or the job
//! restarted meanwhile). The last unit folds the results into the file's text or cues
//! and logs a catalogue change, so the index picks the text up like any other.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::film::{self, FilmPlan, FrameLine};
use super::{Availability, OcrError, OcrSettings, page};
use crate::catalog::{ResourceId, write as catalog_write};
use crate::clock::Moment;
use crate::content::{Extraction, FileKind, FileRole, FileStore};
use crate::db::{Database, DbError};

/// What a job reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// The pages of a PDF without a text layer.
    Pages,
    /// An uploaded page image.
    Image,
    /// A film's burned-in subtitles.
    Film,
}

impl JobKind {
    fn code(self) -> &'static str {
        match self {
            JobKind::Pages => "pages",
            JobKind::Image => "image",
            JobKind::Film => "film",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [JobKind::Pages, JobKind::Image, JobKind::Film]
            .into_iter()
            .find(|kind| kind.code() == code)
    }

    /// The job a newly attached file needs, if any.
    pub fn for_file(kind: FileKind, extraction: &Extraction) -> Option<Self> {
        match (kind, extraction) {
            (FileKind::Pdf, Extraction::NoTextLayer) => Some(JobKind::Pages),
            (FileKind::Jpeg | FileKind::Png | FileKind::Webp, _) => Some(JobKind::Image),
            (FileKind::Mp4 | FileKind::Webm, _) => Some(JobKind::Film),
            _ => None,
        }
    }

    /// What one unit is called, for progress ("第 3/10 页").
    pub fn unit_label(self) -> &'static str {
        match self {
            JobKind::Pages | JobKind::Image => "页",
            JobKind::Film => "段",
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    /// Nothing to read: a film that has a subtitle file.
    Skipped,
}

impl JobState {
    fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Skipped => "skipped",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
            JobState::Skipped,
        ]
        .into_iter()
        .find(|state| state.code() == code)
    }

    pub fn finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Skipped)
    }
}

/// A job as the resource page and the editor show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub file_id: String,
    pub kind: JobKind,
    pub state: JobState,
    /// `None` until the file was looked at (pages counted, band found).
    pub units_total: Option<u32>,
    pub units_done: u32,
    /// Units that could not be read (a page past its time limit); the rest still count.
    pub units_failed: u32,
    /// Why the job failed or was skipped.
    pub error: Option<String>,
}

impl Progress {
    /// In words, for a librarian and a reader.
    pub fn label(&self, availability: Availability) -> String {
        let unit = self.kind.unit_label();
        let waiting_for_machine = match self.kind {
            JobKind::Film => !availability.reads_films(),
            JobKind::Pages | JobKind::Image => !availability.reads_pages(),
        };
        match self.state {
            JobState::Queued | JobState::Running if waiting_for_machine => {
                format!("等待机器识别：{}", availability.label())
            }
            JobState::Queued => "排队等待机器识别".to_owned(),
            JobState::Running => match self.units_total {
                Some(total) => format!("正在机器识别：第 {}/{total} {unit}", self.units_done + 1),
                None => "正在机器识别".to_owned(),
            },
            JobState::Done if self.units_failed > 0 => {
                format!("机器识别完成；{} {unit}未能识别", self.units_failed)
            }
            JobState::Done => "机器识别完成".to_owned(),
            JobState::Failed => format!(
                "机器识别失败：{}",
                self.error.as_deref().unwrap_or("原因不明")
            ),
            JobState::Skipped => format!(
                "未做机器识别：{}",
                self.error.as_deref().unwrap_or("无需识别")
            ),
        }
    }
}

/// Queues file `file_id` for reading when its kind needs it; in the caller's
/// transaction (the one attaching the file), so a file is never left without its job.
pub fn enqueue_if_needed(
    tx: &Connection,
    file_id: &str,
    kind: FileKind,
    extraction: &Extraction,
    queued_at: &str,
) -> rusqlite::Result<bool> {
    if kind.role() == FileRole::Subtitle {
        // A subtitle file makes reading its resource's films pointless.
        tx.execute(
            "UPDATE ocr_jobs SET state = 'skipped', error = ?2, finished_at = ?3
             WHERE state = 'queued' AND units_total IS NULL AND kind = 'film' AND file_id IN
                (SELECT v.id FROM files v JOIN files s ON s.resource_id = v.resource_id
                 WHERE s.id = ?1 AND v.role = 'video')",
            params![file_id, HAS_SUBTITLES, queued_at],
        )?;
        return Ok(false);
    }
    let Some(job) = JobKind::for_file(kind, extraction) else {
        return Ok(false);
    };
    let added = tx.execute(
        "INSERT OR IGNORE INTO ocr_jobs (file_id, kind, state, queued_at) VALUES (?1, ?2, 'queued', ?3)",
        params![file_id, job.code(), queued_at],
    )?;
    if job == JobKind::Film && has_subtitles(tx, file_id)? {
        tx.execute(
            "UPDATE ocr_jobs SET state = 'skipped', error = ?2, finished_at = ?3 WHERE file_id = ?1",
            params![file_id, HAS_SUBTITLES, queued_at],
        )?;
    }
    Ok(added > 0)
}

const HAS_SUBTITLES: &str = "该资源已有字幕文件";

/// Whether the resource of file `file_id` has a subtitle file.
fn has_subtitles(conn: &Connection, file_id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM files s JOIN files f ON f.resource_id = s.resource_id
                        WHERE f.id = ?1 AND s.role = 'subtitle')",
        [file_id],
        |row| row.get(0),
    )
}

const ILLUSTRATION: &str = "封面或插图：该资源另有正文或影片";

/// An image beside a document with its own text, or beside a film, is a cover or an
/// illustration, not a page: its words (a title, a slogan) would only add noise.
fn is_illustration(conn: &Connection, file_id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM files o JOIN files f ON f.resource_id = o.resource_id
                        WHERE f.id = ?1 AND o.id != f.id
                          AND (o.role = 'video'
                               OR (o.role = 'document' AND o.text != '' AND o.machine_read IS NULL)))",
        [file_id],
        |row| row.get(0),
    )
}

fn progress_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Progress> {
    let bad = |column: usize, code: String| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown code {code:?}").into(),
        )
    };
    let kind: String = row.get(1)?;
    let state: String = row.get(2)?;
    Ok(Progress {
        file_id: row.get(0)?,
        kind: JobKind::parse(&kind).ok_or_else(|| bad(1, kind.clone()))?,
        state: JobState::parse(&state).ok_or_else(|| bad(2, state.clone()))?,
        units_total: row.get(3)?,
        units_done: row.get(4)?,
        units_failed: row.get(5)?,
        error: row.get(6)?,
    })
}

const PROGRESS_COLUMNS: &str =
    "j.file_id, j.kind, j.state, j.units_total, j.units_done, j.units_failed, j.error";

/// The reading jobs of resource `id`'s files.
pub fn progress_of_resource(conn: &Connection, id: &str) -> rusqlite::Result<Vec<Progress>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PROGRESS_COLUMNS} FROM ocr_jobs j JOIN files f ON f.id = j.file_id
         WHERE f.resource_id = ?1 ORDER BY f.created_at, f.rowid"
    ))?;
    let found = stmt
        .query_map([id], progress_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(found)
}

/// The reading job of file `file_id`, if it has one.
pub fn progress_of_file(conn: &Connection, file_id: &str) -> rusqlite::Result<Option<Progress>> {
    conn.query_row(
        &format!("SELECT {PROGRESS_COLUMNS} FROM ocr_jobs j WHERE j.file_id = ?1"),
        [file_id],
        progress_from_row,
    )
    .optional()
}

/// How many jobs wait or run.
pub fn waiting(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT count(*) FROM ocr_jobs WHERE state IN ('queued', 'running')",
        [],
        |row| row.get(0),
    )
}

/// Why a step of the queue failed (not a file that could not be read: that is the
/// job's own failure, recorded on it).
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

/// The job a step works on, as read before the slow part.
#[derive(Debug, Clone)]
struct Claimed {
    progress: Progress,
    resource_id: String,
    sha256: String,
    plan: Option<String>,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing this machine can read is waiting.
    Idle,
    /// A unit (or the look at a new file) was done; the job's progress after it.
    Worked(Progress),
}

/// Does one unit of the oldest job this machine can read. Blocking (runs external
/// programs for up to their time limit): call it from `spawn_blocking`.
pub fn work_one(
    db: &Database,
    store: &FileStore,
    settings: &OcrSettings,
    availability: Availability,
    now: impl Fn() -> Moment,
) -> Result<Step, QueueError> {
    let Some(job) = claim(&*db.get()?, availability)? else {
        return Ok(Step::Idle);
    };
    let path = store.path_of(&job.sha256);
    let outcome = match path {
        Err(err) => UnitOutcome::JobFailed(err.to_string()),
        Ok(path) => run_unit(&*db.get()?, &job, &path, settings)?,
    };
    let mut conn = db.get()?;
    record(&mut conn, &job, outcome, now())?;
    let progress = progress_of_file(&conn, &job.progress.file_id)?;
    Ok(match progress {
        Some(progress) => Step::Worked(progress),
        None => Step::Worked(job.progress),
    })
}

/// Works until nothing readable waits (tests, the command line); answers the steps.
pub fn work_until_idle(
    db: &Database,
    store: &FileStore,
    settings: &OcrSettings,
    availability: Availability,
    now: impl Fn() -> Moment,
) -> Result<usize, QueueError> {
    let mut steps = 0;
    while let Step::Worked(_) = work_one(db, store, settings, availability, &now)? {
        steps += 1;
    }
    Ok(steps)
}

/// The oldest unfinished job of a kind this machine can read.
fn claim(conn: &Connection, availability: Availability) -> Result<Option<Claimed>, QueueError> {
    if !availability.reads_pages() {
        return Ok(None);
    }
    let films = if availability.reads_films() {
        ""
    } else {
        "AND j.kind != 'film'"
    };
    let claimed = conn
        .query_row(
            &format!(
                "SELECT {PROGRESS_COLUMNS}, f.resource_id, f.sha256, j.plan
                 FROM ocr_jobs j JOIN files f ON f.id = j.file_id
                 WHERE j.state IN ('queued', 'running') {films}
                 ORDER BY j.queued_at, j.file_id LIMIT 1"
            ),
            [],
            |row| {
                Ok(Claimed {
                    progress: progress_from_row(row)?,
                    resource_id: row.get(7)?,
                    sha256: row.get(8)?,
                    plan: row.get(9)?,
                })
            },
        )
        .optional()?;
    Ok(claimed)
}

/// What a unit of work came to.
#[derive(Debug)]
enum UnitOutcome {
    /// The file was looked at: this many units, and what later units need.
    Planned { units: u32, plan: Option<String> },
    /// Unit `unit` was read (its result), or could not be (why).
    Read {
        unit: u32,
        result: Result<String, String>,
    },
    /// Nothing to read in this file.
    Skipped(String),
    /// The file cannot be read at all.
    JobFailed(String),
}

fn run_unit(
    conn: &Connection,
    job: &Claimed,
    path: &std::path::Path,
    settings: &OcrSettings,
) -> Result<UnitOutcome, QueueError> {
    let progress = &job.progress;
    let Some(total) = progress.units_total else {
        return plan(conn, job, path, settings);
    };
    let unit = progress.units_done;
    if unit >= total {
        // Every unit is in; only the folding is left (a restart between the two).
        return Ok(UnitOutcome::Read {
            unit,
            result: Err(String::new()),
        });
    }
    let result = match progress.kind {
        JobKind::Pages => page::read_pdf_page(path, unit + 1, settings),
        JobKind::Image => page::read_image(path, settings),
        JobKind::Film => match job.plan.as_deref().map(serde_json::from_str::<FilmPlan>) {
            Some(Ok(plan)) => film::read_stretch(path, &plan, unit, settings)
                .map(|lines| serde_json::to_string(&lines).unwrap_or_else(|_| "[]".to_owned())),
            _ => {
                return Ok(UnitOutcome::JobFailed(
                    "影片的识别计划丢失，请重新识别".to_owned(),
                ));
            }
        },
    };
    Ok(match result {
        Ok(text) => UnitOutcome::Read {
            unit,
            result: Ok(text),
        },
        // A missing program is the machine's fault, not the file's: leave the job.
        Err(err @ OcrError::Missing(_)) => UnitOutcome::JobFailed(err.to_string()),
        Err(err) => UnitOutcome::Read {
            unit,
            result: Err(err.to_string()),
        },
    })
}

/// The first look at a file: how many units it has.
fn plan(
    conn: &Connection,
    job: &Claimed,
    path: &std::path::Path,
    settings: &OcrSettings,
) -> Result<UnitOutcome, QueueError> {
    Ok(match job.progress.kind {
        JobKind::Image if is_illustration(conn, &job.progress.file_id)? => {
            UnitOutcome::Skipped(ILLUSTRATION.to_owned())
        }
        JobKind::Image => UnitOutcome::Planned {
            units: 1,
            plan: None,
        },
        JobKind::Pages => match page::pdf_pages(path, settings) {
            Ok(pages) => UnitOutcome::Planned {
                units: pages,
                plan: None,
            },
            Err(err) => UnitOutcome::JobFailed(err.to_string()),
        },
        JobKind::Film => {
            if has_subtitles(conn, &job.progress.file_id)? {
                return Ok(UnitOutcome::Skipped(HAS_SUBTITLES.to_owned()));
            }
            match film::plan_film(path, settings) {
                Ok(plan) => UnitOutcome::Planned {
                    units: plan.stretches(),
                    plan: serde_json::to_string(&plan).ok(),
                },
                Err(err) => UnitOutcome::JobFailed(err.to_string()),
            }
        }
    })
}

/// Writes what a step did, if the job is still as it was read.
fn record(
    conn: &mut Connection,
    job: &Claimed,
    outcome: UnitOutcome,
    at: Moment,
) -> Result<(), QueueError> {
    let tx = crate::db::begin_write(conn)?;
    let file_id = job.progress.file_id.as_str();
    let still: Option<(Option<u32>, u32)> = tx
        .query_row(
            "SELECT units_total, units_done FROM ocr_jobs
             WHERE file_id = ?1 AND state IN ('queued', 'running')",
            [file_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    if still != Some((job.progress.units_total, job.progress.units_done)) {
        // Removed, restarted or corrected meanwhile: this step's work is void.
        return Ok(());
    }
    match outcome {
        UnitOutcome::Planned { units, plan } => {
            tx.execute(
                "UPDATE ocr_jobs SET state = 'running', units_total = ?2, plan = ?3,
                    started_at = coalesce(started_at, ?4) WHERE file_id = ?1",
                params![file_id, units, plan, at.stamp()],
            )?;
            if units == 0 {
                fold(&tx, job, at)?;
            }
        }
        UnitOutcome::Read { unit, result } => {
            if Some(unit) < job.progress.units_total {
                let (text, error) = match result {
                    Ok(text) => (text, None),
                    Err(why) => (String::new(), Some(why)),
                };
                tx.execute(
                    "INSERT OR REPLACE INTO ocr_units (file_id, unit, result, error) VALUES (?1, ?2, ?3, ?4)",
                    params![file_id, unit, text, error],
                )?;
                tx.execute(
                    "UPDATE ocr_jobs SET units_done = units_done + 1,
                        units_failed = units_failed + ?2 WHERE file_id = ?1",
                    params![file_id, i64::from(error.is_some())],
                )?;
            }
            if Some(unit + 1) >= job.progress.units_total {
                fold(&tx, job, at)?;
            }
        }
        UnitOutcome::Skipped(why) => finish(&tx, file_id, JobState::Skipped, Some(&why), at)?,
        UnitOutcome::JobFailed(why) => finish(&tx, file_id, JobState::Failed, Some(&why), at)?,
    }
    tx.commit()?;
    Ok(())
}

fn finish(
    tx: &Connection,
    file_id: &str,
    state: JobState,
    error: Option<&str>,
    at: Moment,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE ocr_jobs SET state = ?2, error = ?3, finished_at = ?4 WHERE file_id = ?1",
        params![file_id, state.code(), error, at.stamp()],
    )?;
    tx.execute("DELETE FROM ocr_units WHERE file_id = ?1", [file_id])?;
    Ok(())
}

/// The last unit is in: the units become the file's text (pages, image) or cues
/// (film), marked machine-read, with a history entry and a change for the index.
fn fold(tx: &Connection, job: &Claimed, at: Moment) -> Result<(), QueueError> {
    let file_id = job.progress.file_id.as_str();
    let mut stmt =
        tx.prepare_cached("SELECT result FROM ocr_units WHERE file_id = ?1 ORDER BY unit")?;
    let results: Vec<String> = stmt
        .query_map([file_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let summary = match job.progress.kind {
        JobKind::Pages | JobKind::Image => {
            let text = results
                .iter()
                .map(|page| page.trim())
                .filter(|page| !page.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n");
            tx.execute(
                "UPDATE files SET text = ?2, machine_read = 'ocr', extraction_error = NULL,
                    extraction = CASE WHEN ?2 = '' THEN extraction ELSE 'ok' END
                 WHERE id = ?1",
                params![file_id, text],
            )?;
            json!({"file": file_id, "machine_read": "ocr", "chars": text.chars().count()})
        }
        JobKind::Film => {
            let lines: Vec<FrameLine> = results
                .iter()
                .flat_map(|stretch| {
                    serde_json::from_str::<Vec<FrameLine>>(stretch).unwrap_or_default()
                })
                .collect();
            let cues = film::cues_from_lines(&lines);
            crate::catalog::write::replace_cues(tx, file_id, &cues)?;
            tx.execute(
                "UPDATE files SET machine_read = 'ocr' WHERE id = ?1",
                [file_id],
            )?;
            json!({"file": file_id, "machine_read": "ocr", "cues": cues.len()})
        }
    };
    let failed: u32 = tx.query_row(
        "SELECT units_failed FROM ocr_jobs WHERE file_id = ?1",
        [file_id],
        |row| row.get(0),
    )?;
    if let Ok(id) = ResourceId::parse(&job.resource_id) {
        let edit = catalog_write::Edit { by: MACHINE, at };
        let mut summary = summary;
        summary["units_failed"] = json!(failed);
        catalog_write::record_history(tx, &id, &edit, "machine_read", &summary)?;
        catalog_write::log_change(tx, &id, at)?;
    }
    finish(tx, file_id, JobState::Done, None, at)?;
    Ok(())
}

/// The author of the history entries the queue writes.
pub const MACHINE: &str = "机器识别";

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(kind: JobKind, state: JobState, total: Option<u32>, done: u32) -> Progress {
        Progress {
            file_id: "f".into(),
            kind,
            state,
            units_total: total,
            units_done: done,
            units_failed: 0,
            error: None,
        }
    }

    #[test]
    fn progress_reads_as_a_librarian_expects() {
        let running = progress(JobKind::Pages, JobState::Running, Some(5), 1);
        assert_eq!(
            running.label(Availability::Ready),
            "正在机器识别：第 2/5 页"
        );
        let film = progress(JobKind::Film, JobState::Queued, None, 0);
        assert_eq!(film.label(Availability::Ready), "排队等待机器识别");
        assert!(film.label(Availability::NoFilms).contains("ffmpeg"));
        let scan = progress(JobKind::Image, JobState::Queued, None, 0);
        assert!(
            scan.label(Availability::Unavailable)
                .contains("tesseract-ocr-chi-sim")
        );
        let mut done = progress(JobKind::Pages, JobState::Done, Some(3), 3);
        done.units_failed = 1;
        assert_eq!(
            done.label(Availability::Ready),
            "机器识别完成；1 页未能识别"
        );
    }

    #[test]
    fn only_scans_images_and_films_are_read() {
        assert_eq!(
            JobKind::for_file(FileKind::Pdf, &Extraction::NoTextLayer),
            Some(JobKind::Pages)
        );
        assert_eq!(
            JobKind::for_file(FileKind::Pdf, &Extraction::Text("字".into())),
            None
        );
        assert_eq!(
            JobKind::for_file(FileKind::Webp, &Extraction::NotApplicable),
            Some(JobKind::Image)
        );
        assert_eq!(
            JobKind::for_file(FileKind::Webm, &Extraction::NotApplicable),
            Some(JobKind::Film)
        );
        for kind in [
            FileKind::Docx,
            FileKind::Text,
            FileKind::Markdown,
            FileKind::Vtt,
            FileKind::Srt,
        ] {
            assert_eq!(
                JobKind::for_file(kind, &Extraction::NotApplicable),
                None,
                "{kind:?}"
            );
        }
    }
}
