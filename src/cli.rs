//! The `jingshi` command line (SPEC §7).
//!
//! Over 400 lines on purpose: the flags and the short body of each command read best in one place.

use crate::actor::Actor;
use crate::clock::Clock;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::accounts::{self, NewUser, Role};
use crate::app::{self, AppState};
use crate::catalog;
use crate::config::{DataDir, Limits, MailSettings, PublicUrl, Settings};
use crate::content::FileStore;
use crate::db::Database;

#[derive(Debug, Parser)]
#[command(
    name = "jingshi",
    version,
    about = "警示教育资源库：警示教育资源的检索、借阅与协调服务"
)]
pub struct Cli {
    /// The data folder: `index/` and `content/` live here.
    #[arg(long, global = true, env = "JINGSHI_DATA", default_value = ".")]
    pub data: PathBuf,
    /// The library's time zone (IANA name): loan days, and every time shown on
    /// pages, notifications and mail.
    #[arg(long, global = true, env = "JINGSHI_TIME_ZONE", default_value = crate::clock::TIME_ZONE)]
    pub time_zone: String,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `jingshi` alone serves, with the same flags and environment as `jingshi serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the library (the default).
    Serve(ServeArgs),
    /// Bulk-import resources and their files from a JSON or CSV manifest.
    Import {
        /// The manifest file.
        manifest: PathBuf,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Write a consistent copy of database, files and index (also while serving).
    Backup {
        /// A new or empty folder.
        dir: PathBuf,
    },
    /// Make the data folder a copy of a backup (stop the server first).
    Restore {
        /// A folder written by `jingshi backup`.
        dir: PathBuf,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage units.
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Print a PDF's text as `pdf-extract` reads it: run by the server in a process of
    /// its own, which it kills when the time is up (`content::PDF_HELPER_COMMAND`).
    #[command(name = "pdf-text", hide = true)]
    PdfText {
        /// The PDF file.
        file: PathBuf,
    },
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JINGSHI_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: Option<SocketAddr>,
    /// Also mail notifications through this SMTP relay. Off when unset.
    /// `smtp://[user:password@]host[:port]` is plain SMTP (a relay on this host or the
    /// internal network); add `?tls=starttls` to require STARTTLS (port 587 by
    /// default); `smtps://…` is TLS from the start (port 465 by default).
    #[arg(long, env = "JINGSHI_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// A PEM file of certificate authorities to trust for the relay's certificate,
    /// besides the system's (an internal CA).
    #[arg(long, env = "JINGSHI_SMTP_CA")]
    pub smtp_ca: Option<std::path::PathBuf>,
    /// The sender of notification mail, e.g. `警示教育资源库 <jingshi@example.cn>`.
    #[arg(long, env = "JINGSHI_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Password of the `admin` account created on the first start; random (and
    /// printed once) when unset.
    #[arg(long, env = "JINGSHI_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// A real deployment: the first start creates no demo units, imports no demo
    /// catalogue and creates no demo borrower (only the `admin` account).
    #[arg(long, env = "JINGSHI_NO_DEMO")]
    pub no_demo: bool,
    /// Password of the demo borrower `demo-officer` created on the first start with
    /// the demo catalogue; random (and printed once) when unset.
    #[arg(long, env = "JINGSHI_DEMO_PASSWORD", hide_env_values = true)]
    pub demo_password: Option<String>,
    /// Memory for cached search answers, in MiB (0 turns the cache off).
    #[arg(long, env = "JINGSHI_SEARCH_CACHE_MB")]
    pub search_cache_mb: Option<usize>,
    /// Disk for stamped copies of documents (`content/marked/`), in MiB; the least
    /// recently used are removed beyond it.
    #[arg(long, env = "JINGSHI_MARKED_CACHE_MB", default_value_t = crate::config::DEFAULT_MARKED_CACHE_MB)]
    pub marked_cache_mb: u64,
    /// Open connections at once; more wait in the listen queue.
    #[arg(long, env = "JINGSHI_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Open connections from one client address (an IPv6 /64 counts as one); more are
    /// closed at once. Trusted proxies are exempt.
    #[arg(long, env = "JINGSHI_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = Limits::default().max_connections_per_address)]
    pub max_connections_per_address: usize,
    /// Seconds a connection may stay open with no request in progress.
    #[arg(long, env = "JINGSHI_IDLE_TIMEOUT_SECS", default_value_t = Limits::default().idle_timeout.as_secs())]
    pub idle_timeout_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client: addresses or networks,
    /// comma-separated (e.g. `127.0.0.1,10.0.0.0/8`). None by default.
    #[arg(long, env = "JINGSHI_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::config::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Uploads at once; more are answered 503.
    #[arg(long, env = "JINGSHI_MAX_UPLOADS", default_value_t = Limits::default().max_uploads)]
    pub max_uploads: usize,
    /// Largest JSON or form body, in KiB (uploads have their own limits).
    #[arg(long, env = "JINGSHI_BODY_LIMIT_KIB", default_value_t = Limits::default().body_bytes / 1024)]
    pub body_limit_kib: usize,
    /// Seconds a request may take until its answer starts.
    #[arg(long, env = "JINGSHI_REQUEST_TIMEOUT_SECS", default_value_t = Limits::default().request_timeout.as_secs())]
    pub request_timeout_secs: u64,
    /// The address people reach the library at through a reverse proxy, e.g.
    /// `https://jingshi.example.cn`: other hosts are answered 421, state changes must
    /// come from this origin, and over HTTPS the cookie is `Secure` and HSTS is sent.
    #[arg(long, env = "JINGSHI_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<PublicUrl>,
    /// Days visitors' ID numbers are kept after their visit to a base (1 to 365; 30
    /// unless set once). Their deletion is audited.
    #[arg(long, env = "JINGSHI_VISITOR_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..=365))]
    pub visitor_retention_days: Option<u32>,
    /// Do not read scans and films by machine (OCR) in the background; they wait in
    /// the queue until a server without this flag runs.
    #[arg(long, env = "JINGSHI_NO_OCR")]
    pub no_ocr: bool,
}

fn parse_public_url(url: &str) -> Result<PublicUrl, String> {
    PublicUrl::parse(url).map_err(|err| err.to_string())
}

impl ServeArgs {
    /// The server's settings for `data`.
    pub fn settings(&self, data: DataDir) -> Settings {
        let defaults = Limits::default();
        Settings {
            data,
            admin_password: self.admin_password.clone(),
            demo: !self.no_demo,
            demo_password: self.demo_password.clone(),
            search_cache_bytes: self.search_cache_mb.map(|mib| mib * 1024 * 1024),
            marked_cache_bytes: self.marked_cache_mb.saturating_mul(1024 * 1024),
            limits: Limits {
                max_connections: self.max_connections,
                max_uploads: self.max_uploads,
                max_connections_per_address: self.max_connections_per_address,
                idle_timeout: std::time::Duration::from_secs(self.idle_timeout_secs),
                trusted_proxies: crate::config::TrustedProxies::new(self.trusted_proxies.clone()),
                body_bytes: self.body_limit_kib * 1024,
                request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
                ..defaults
            },
            public_url: self.public_url.clone(),
            visitor_retention_days: self.visitor_retention_days,
            ocr_worker: !self.no_ocr,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        #[arg(long)]
        username: String,
        /// borrower, librarian or admin; repeat or separate with commas for several.
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        /// The unit code (required for borrowers).
        #[arg(long)]
        unit: Option<String>,
        /// The password; prompted for when not given.
        #[arg(long)]
        password: Option<String>,
        /// Where the unit's notifications are mailed to this borrower.
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Create a unit.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        sector: String,
    },
}

impl Cli {
    /// Runs the chosen command; `jingshi` alone serves.
    pub fn run(self) -> anyhow::Result<()> {
        crate::clock::choose_time_zone(&self.time_zone).map_err(anyhow::Error::msg)?;
        let data = DataDir::new(self.data);
        match self.command {
            None => serve(data, self.serve),
            Some(Command::Serve(args)) => serve(data, args),
            Some(Command::Import { manifest }) => import(data, manifest),
            Some(Command::Reindex) => reindex(data),
            Some(Command::Backup { dir }) => {
                let info = crate::backup::backup(&data, &dir, Clock::system().moment())?;
                println!(
                    "备份完成：{} 个资源，{} 个文件 → {}",
                    info.resources,
                    info.files,
                    dir.display()
                );
                Ok(())
            }
            Some(Command::Restore { dir }) => {
                let info = crate::backup::restore(&data, &dir)?;
                println!(
                    "已从 {}（{}）恢复：{} 个资源，{} 个文件；索引将在下次启动时重建",
                    dir.display(),
                    info.created_at,
                    info.resources,
                    info.files
                );
                Ok(())
            }
            Some(Command::User(UserCommand::Add {
                username,
                role,
                unit,
                password,
                email,
            })) => add_user(data, username, role, unit, password, email),
            Some(Command::Unit(UnitCommand::Add { code, name, sector })) => {
                add_unit(data, code, name, sector)
            }
            Some(Command::PdfText { file }) => {
                let text = crate::content::pdf_text_helper(&file).map_err(anyhow::Error::msg)?;
                std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
                Ok(())
            }
        }
    }
}

fn serve(data: DataDir, args: ServeArgs) -> anyhow::Result<()> {
    let addr = args
        .addr
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let mail = match args.smtp_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => Some(MailSettings {
            ca_file: args.smtp_ca.clone(),
            ..MailSettings::parse(url, args.mail_from.as_deref().unwrap_or(""))?
        }),
        _ => None,
    };
    if let Some(public) = args.public_url.as_ref().filter(|public| !public.https) {
        tracing::warn!(
            authority = public.authority,
            "the public URL is plain HTTP: the session cookie cannot be Secure and no HSTS is sent"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let settings = args.settings(data);
        let state = tokio::task::spawn_blocking(move || AppState::open(settings)).await??;
        // Mail copies of notifications go out while the server runs.
        let _mail = match mail {
            Some(mail) => Some(state.start_mail(mail)?),
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        tracing::info!("警示教育资源库 listening on http://{local}/");
        app::serve(listener, state, app::shutdown_signal()).await?;
        Ok(())
    })
}

fn open_catalog(data: &DataDir) -> anyhow::Result<(Database, FileStore)> {
    data.check_writable()?;
    let db = Database::open(&data.database())?;
    let store = FileStore::open(data.store())?;
    Ok((db, store))
}

/// A progress bar on a terminal; hidden when output goes elsewhere.
fn progress_bar(label: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {label} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, 剩余 {{eta}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn import(data: DataDir, manifest: PathBuf) -> anyhow::Result<()> {
    let (db, store) = open_catalog(&data)?;
    let started = std::time::Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} 导入 [{bar:40}] {pos}/{len} ({per_sec}, 剩余 {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let summary = catalog::import_manifest(
        &db,
        &store,
        &manifest,
        &operator(),
        Clock::system().moment(),
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    for failure in &summary.failures {
        eprintln!(
            "失败 {}{}：{}",
            failure.position,
            failure
                .id
                .as_deref()
                .map(|id| format!("（{id}）"))
                .unwrap_or_default(),
            failure.reason
        );
    }
    println!(
        "导入完成：共 {} 行，新建 {}，更新 {}，未变 {}，失败 {}；新附加文件 {} 个；用时 {:.1} 秒（{:.0} 行/秒）",
        summary.rows,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.failures.len(),
        summary.files_attached,
        seconds,
        summary.rows as f64 / seconds.max(1e-9),
    );
    if !summary.succeeded() {
        bail!("{} 行未能导入", summary.failures.len());
    }
    Ok(())
}

fn reindex(data: DataDir) -> anyhow::Result<()> {
    let db = Database::open(&data.database())?;
    // Videos stored before their length was read at upload get it now (headers only).
    let store = FileStore::open(data.store())?;
    crate::catalog::files::fill_missing_durations(
        &mut *db.get()?,
        &store,
        Clock::system().moment(),
    )?;
    let started = std::time::Instant::now();
    let opened = crate::search::SearchIndex::open(&data.index())?;
    let bar = progress_bar("重建索引");
    let total = crate::indexer::rebuild(&db, &opened.index, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|err| match err {
        crate::indexer::IndexerError::Search(crate::search::SearchError::Locked) => anyhow::anyhow!(
            "索引正被运行中的服务器使用；服务器会自动保持索引与数据库同步。如确需重建，请先停止服务器"
        ),
        other => other.into(),
    })?;
    bar.finish_and_clear();
    // Leave a compact index: the server would otherwise start with the merges unfinished.
    opened.index.wait_for_merges()?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "索引重建完成：{total} 个资源，{} 个段，用时 {seconds:.1} 秒（{:.0} 个/秒）",
        opened.index.segment_count(),
        total as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// Whoever runs a command on the data folder, as the audit log names them.
fn operator() -> Actor {
    let login = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    Actor::operator(&format!("cli:{login}"))
}

fn add_user(
    data: DataDir,
    username: String,
    roles: Vec<String>,
    unit: Option<String>,
    password: Option<String>,
    email: Option<String>,
) -> anyhow::Result<()> {
    let roles = roles
        .iter()
        .map(|r| Role::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let secret = match password {
        Some(secret) => secret,
        None => prompt_password()?,
    };
    let hash = accounts::users::hash_new_password(&secret, &username)?;
    let db = Database::open(&data.database())?;
    let mut conn = db.get()?;
    let new_user = NewUser {
        username: &username,
        password_hash: &hash,
        roles: &roles,
        unit: unit.as_deref(),
        email: email.as_deref(),
    };
    accounts::create_user(&mut conn, &operator(), &new_user, Clock::system().moment())?;
    println!("已创建账号 {username}");
    Ok(())
}

/// Asks twice on a terminal, without echo; reads one line from a pipe.
fn prompt_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let secret = line.trim_end_matches(['\r', '\n']).to_owned();
        if secret.is_empty() {
            bail!("没有提供密码，请用 --password 给出，或在终端上按提示输入");
        }
        return Ok(secret);
    }
    let ask = |prompt: &str| -> anyhow::Result<String> {
        let secret = read_line_without_echo(prompt)?;
        eprintln!();
        Ok(secret)
    };
    let secret = ask("密码：")?;
    let again = ask("再输入一次：")?;
    if secret != again {
        bail!("两次输入的密码不一致，账号未创建");
    }
    Ok(secret)
}

/// Shows `prompt` and reads a line from the terminal on standard input with echo off,
/// restoring it after. Echo goes off before the prompt shows, so nothing typed in
/// answer to it is ever echoed.
fn read_line_without_echo(prompt: &str) -> anyhow::Result<String> {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).context("cannot read the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(&stdin, SetArg::TCSANOW, &quiet).context("cannot turn off echo")?;
    eprint!("{prompt}");
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    tcsetattr(&stdin, SetArg::TCSANOW, &saved).context("cannot restore the terminal")?;
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn add_unit(data: DataDir, code: String, name: String, sector: String) -> anyhow::Result<()> {
    let db = Database::open(&data.database())?;
    let mut conn = db.get()?;
    let at = Clock::system().moment();
    let unit = accounts::create_unit(&mut conn, &operator(), &code, &name, &sector, at)?;
    println!("已创建单位 {}（{}）", unit.code, unit.name);
    Ok(())
}
