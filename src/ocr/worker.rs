//! The background reader of a running server: works the queue one unit at a time on a
//! blocking thread, and looks again every few seconds when nothing is waiting (jobs
//! also arrive from `jingshi import` in another process).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::queue::{self, Step};
use super::{Availability, OcrSettings};
use crate::clock::Clock;
use crate::content::FileStore;
use crate::db::Database;

/// How long the worker rests when nothing it can read is waiting.
const IDLE_PAUSE: Duration = Duration::from_secs(3);
/// How long it rests after a step failed for a reason of its own (the database).
const ERROR_PAUSE: Duration = Duration::from_secs(30);
/// How often a machine without Tesseract is asked again (someone may install it).
const RECHECK: Duration = Duration::from_secs(300);

/// The programs and what this machine can do with them, shared by the worker and the
/// pages that say whether OCR is available.
#[derive(Debug)]
pub struct OcrService {
    pub settings: OcrSettings,
    checked: Mutex<(Availability, Instant)>,
}

impl OcrService {
    /// With the programs on `PATH`, asked once per process (blocking, a few hundred
    /// milliseconds the first time): every server a test starts shares the answer.
    pub fn on_path() -> Self {
        static ASKED: OnceLock<Availability> = OnceLock::new();
        let settings = OcrSettings::default();
        let availability = *ASKED.get_or_init(|| settings.availability());
        Self::with(settings, availability)
    }

    /// Asks the programs once (blocking, a few hundred milliseconds).
    pub fn detect(settings: OcrSettings) -> Self {
        let availability = settings.availability();
        Self::with(settings, availability)
    }

    fn with(settings: OcrSettings, availability: Availability) -> Self {
        if availability != Availability::Ready {
            tracing::warn!(?availability, "{}", availability.label());
        }
        Self {
            settings,
            checked: Mutex::new((availability, Instant::now())),
        }
    }

    /// What this machine can read, as last asked.
    pub fn availability(&self) -> Availability {
        self.checked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0
    }

    /// Asks the programs again when the last answer was not `Ready` and is old.
    fn recheck(&self) -> Availability {
        let (availability, at) = self.lock_copy();
        if availability == Availability::Ready || at.elapsed() < RECHECK {
            return availability;
        }
        let fresh = self.settings.availability();
        *self
            .checked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = (fresh, Instant::now());
        fresh
    }

    fn lock_copy(&self) -> (Availability, Instant) {
        *self
            .checked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Starts the worker; it stops when the handle is dropped (aborted).
pub fn spawn(
    db: Database,
    store: Arc<FileStore>,
    service: Arc<OcrService>,
    clock: Clock,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (db, store, service, clock) =
                (db.clone(), store.clone(), service.clone(), clock.clone());
            let stepped = tokio::task::spawn_blocking(move || {
                let availability = service.recheck();
                queue::work_one(&db, &store, &service.settings, availability, || {
                    clock.moment()
                })
            })
            .await;
            let pause = match stepped {
                Ok(Ok(Step::Worked(progress))) => {
                    tracing::debug!(file = %progress.file_id, state = ?progress.state, done = progress.units_done, "machine reading step");
                    continue;
                }
                Ok(Ok(Step::Idle)) => IDLE_PAUSE,
                Ok(Err(err)) => {
                    tracing::warn!(%err, "machine reading step failed");
                    ERROR_PAUSE
                }
                Err(err) => {
                    tracing::warn!(%err, "machine reading step panicked");
                    ERROR_PAUSE
                }
            };
            tokio::time::sleep(pause).await;
        }
    })
}
