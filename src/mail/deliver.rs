//! The delivery task: reads what is due in the outbox, sends it with `lettre`, and
//! records the outcome. SQLite calls run on the blocking pool; a failed send is
//! logged and retried with a doubling delay, a permanent refusal is not retried.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::{self, Pending};
use crate::config::{MailSettings, MailTls};
use crate::db::{Database, DbError};

/// Why mail cannot be started or the queue not read.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("发件地址“{0}”无效（JINGSHI_MAIL_FROM，如 资源库 <jingshi@example.cn>）")]
    BadSender(String),
    #[error("邮件服务器的证书颁发机构文件 {path} 不可用：{why}（JINGSHI_SMTP_CA，PEM 格式）")]
    BadCa { path: String, why: String },
    #[error("无法建立到邮件服务器的加密连接设置：{0}")]
    Tls(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The running delivery task; dropping it stops the task.
pub struct MailTask(tokio::task::JoinHandle<()>);

impl Drop for MailTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts delivering the outbox over the SMTP relay of `settings`.
pub fn spawn(db: Database, settings: MailSettings) -> Result<MailTask, MailError> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|_| MailError::BadSender(settings.from.clone()))?;
    let tls = match settings.tls {
        MailTls::None => Tls::None,
        MailTls::StartTls => Tls::Required(tls_parameters(&settings)?),
        MailTls::Implicit => Tls::Wrapper(tls_parameters(&settings)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    tracing::info!(host = %settings.host, port = settings.port, tls = ?settings.tls,
        "notifications are mailed");
    let mailer = Mailer {
        db,
        transport: builder.build(),
        from,
        settings,
    };
    Ok(MailTask(tokio::spawn(async move { mailer.run().await })))
}

/// The relay's certificate must be valid for its host name and signed by an
/// authority of the system's store or of the configured CA file.
fn tls_parameters(settings: &MailSettings) -> Result<TlsParameters, MailError> {
    let mut builder = TlsParameters::builder(settings.host.clone());
    if let Some(path) = &settings.ca_file {
        let bad = |why: String| MailError::BadCa {
            path: path.display().to_string(),
            why,
        };
        let pem = std::fs::read(path).map_err(|err| bad(err.to_string()))?;
        // lettre reads a file without any certificate as an empty list.
        if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            return Err(bad("文件中没有证书".to_owned()));
        }
        let certificate = Certificate::from_pem(&pem).map_err(|err| bad(err.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build_rustls()
        .map_err(|err| MailError::Tls(err.to_string()))
}

struct Mailer {
    db: Database,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    settings: MailSettings,
}

impl Mailer {
    async fn run(self) {
        loop {
            match self.drain().await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "notification mail sent"),
                // The next round tries again; the queue is unchanged.
                Err(err) => tracing::error!(%err, "mail queue could not be read"),
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    /// Sends what is due now; answers how many were sent.
    async fn drain(&self) -> Result<usize, MailError> {
        let db = self.db.clone();
        let due = tokio::task::spawn_blocking(move || -> Result<_, MailError> {
            Ok(outbox::due(&*db.get()?, outbox::now_ms(), 50)?)
        })
        .await??;
        let mut sent = 0;
        for message in due {
            let outcome = self.send(&message).await;
            if let Err((error, permanent)) = &outcome {
                tracing::warn!(id = message.id, attempt = message.attempts + 1, permanent, %error,
                    "notification mail not sent");
            } else {
                sent += 1;
            }
            let (db, retry) = (self.db.clone(), self.retry_after(message.attempts));
            tokio::task::spawn_blocking(move || -> Result<(), MailError> {
                let conn = db.get()?;
                let now = outbox::now_ms();
                match outcome {
                    Ok(()) => outbox::mark_sent(&conn, message.id, now)?,
                    Err((error, permanent)) => {
                        outbox::mark_failed(&conn, &message, &error, now, retry, permanent)?
                    }
                }
                Ok(())
            })
            .await??;
        }
        Ok(sent)
    }

    /// The delay before the next attempt: the base, doubled for each failure so far.
    fn retry_after(&self, attempts: u32) -> Duration {
        self.settings
            .retry_base
            .saturating_mul(1 << attempts.min(10))
    }

    /// One message; the error says what failed and whether retrying is pointless.
    async fn send(&self, message: &Pending) -> Result<(), (String, bool)> {
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|err| (format!("收件地址无效：{err}"), true))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|err| (err.to_string(), true))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|err| (err.to_string(), err.is_permanent()))
    }
}
