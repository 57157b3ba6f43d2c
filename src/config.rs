//! Where things live in the data folder (SPEC §7) and the server's limits.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;

/// The data folder: `index/` holds the search index, `content/` the holdings
/// (the tracked demo catalogue, and the ignored file store and database).
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database of record.
    pub fn database(&self) -> PathBuf {
        self.root.join("content").join("jingshi.db")
    }

    /// The hash-named file store.
    pub fn store(&self) -> PathBuf {
        self.root.join("content").join("store")
    }

    /// Stamped copies of documents fetched under a mark (a cache: safe to delete).
    pub fn marked(&self) -> PathBuf {
        self.root.join("content").join("marked")
    }

    /// The derived search index.
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }

    /// The demo catalogue's manifest, imported on first start when present.
    pub fn demo_manifest(&self) -> PathBuf {
        self.root.join("content").join("demo").join("manifest.json")
    }

    /// Checks that the data folder can be written, creating `content/` when missing, so
    /// that a read-only or misplaced folder is reported in words before the database
    /// is opened (SQLite would only say "unable to open database file").
    pub fn check_writable(&self) -> Result<(), DataDirError> {
        let content = self.root.join("content");
        let probe = std::fs::create_dir_all(&content)
            .and_then(|()| tempfile::NamedTempFile::with_prefix_in(".write-check-", &content));
        match probe {
            Ok(_) => Ok(()),
            Err(source) => Err(DataDirError {
                path: self.root.clone(),
                source,
            }),
        }
    }
}

/// The data folder cannot be written.
#[derive(Debug, thiserror::Error)]
#[error("数据文件夹 {} 不可写（{}），无法保存数据：{source}", path.display(), reason(source))]
pub struct DataDirError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn reason(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem => "只读文件系统",
        std::io::ErrorKind::PermissionDenied => "没有写权限",
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => "磁盘已满",
        std::io::ErrorKind::NotADirectory | std::io::ErrorKind::NotFound => "路径不是可用的文件夹",
        _ => "无法写入",
    }
}

/// Disk for stamped copies by default: enough for the documents of a busy week.
pub const DEFAULT_MARKED_CACHE_MB: u64 = 2048;

/// Run-time settings of the server: everything `jingshi serve` (or bare `jingshi`)
/// reads from its flags and environment, in one place.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data: DataDir,
    /// Password for the first-start `admin` account; random when unset.
    pub admin_password: Option<String>,
    /// Whether the first start sets up the demo: demo units, the demo catalogue and
    /// the demo borrower. Off for a real deployment (`--no-demo`).
    pub demo: bool,
    /// Password for the first-start demo borrower; random when unset.
    pub demo_password: Option<String>,
    /// Bytes the search answer cache may hold; `None` keeps the index's default
    /// (benchmarks of the uncached path set 0).
    pub search_cache_bytes: Option<usize>,
    /// Bytes the stamped copies of documents may take on disk (`content/marked/`).
    pub marked_cache_bytes: u64,
    pub limits: Limits,
    /// The address people reach the library at, when it is set (`--public-url`).
    pub public_url: Option<PublicUrl>,
    /// Days visitors' ID numbers are kept after a visit, when the operator sets it
    /// (kept in the database, so it holds until set again).
    pub visitor_retention_days: Option<u32>,
    /// Whether serving reads scans and films in the background (`ocr::spawn_worker`).
    /// Off in tests that drive the queue by hand.
    pub ocr_worker: bool,
}

impl Settings {
    /// The defaults for a data folder.
    pub fn new(data: DataDir) -> Self {
        Self {
            data,
            admin_password: None,
            demo: true,
            demo_password: None,
            search_cache_bytes: None,
            marked_cache_bytes: DEFAULT_MARKED_CACHE_MB * 1024 * 1024,
            limits: Limits::default(),
            public_url: None,
            visitor_retention_days: None,
            ocr_worker: true,
        }
    }
}

/// The scheme and host people reach the library at, usually a reverse proxy's name
/// (`https://jingshi.example.cn`). When it is set, requests for other hosts are
/// refused, state changes must come from exactly this origin, and over HTTPS the
/// session cookie is `Secure` and browsers are told to use HTTPS only (HSTS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// Whether the public address is `https://`.
    pub https: bool,
    /// Host and port as a browser names them, lower case, without the scheme's
    /// default port (`jingshi.example.cn`, `10.0.0.5:8443`).
    pub authority: String,
}

/// A public URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("公开地址 JINGSHI_PUBLIC_URL “{url}” 不可用：{why}")]
pub struct PublicUrlError {
    url: String,
    why: &'static str,
}

impl PublicUrl {
    /// From `http(s)://host[:port]` with an optional trailing `/`.
    pub fn parse(url: &str) -> Result<Self, PublicUrlError> {
        let bad = |why| PublicUrlError {
            url: url.to_owned(),
            why,
        };
        let trimmed = url.trim();
        let (https, rest) = if let Some(rest) = trimmed.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = trimmed.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("应以 https:// 或 http:// 开头"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad("只写协议和主机名（可带端口），不带路径、参数或用户名"));
        }
        let authority = rest
            .parse::<axum::http::uri::Authority>()
            .map_err(|_| bad("主机名或端口格式不对"))?;
        if authority.host().is_empty() {
            return Err(bad("缺少主机名"));
        }
        let has_port = authority.as_str().len() > authority.host().len();
        if has_port && authority.port_u16().is_none() {
            return Err(bad("端口应为数字"));
        }
        Ok(Self {
            https,
            authority: normalize_authority(authority.as_str(), https),
        })
    }

    /// Whether `authority` (a Host header, or the host of an Origin) with `https`
    /// names this public address.
    pub fn matches(&self, https: bool, authority: &str) -> bool {
        https == self.https && normalize_authority(authority, https) == self.authority
    }

    /// Whether a Host header names this public address (the scheme is the proxy's).
    pub fn matches_host(&self, host: &str) -> bool {
        normalize_authority(host, self.https) == self.authority
    }
}

/// Lower case, without the scheme's default port.
fn normalize_authority(authority: &str, https: bool) -> String {
    let lower = authority.trim().to_ascii_lowercase();
    let default_port = if https { ":443" } else { ":80" };
    match lower.strip_suffix(default_port) {
        Some(host) => host.to_owned(),
        None => lower,
    }
}

/// What one client may cost the server: body and header sizes, how long a request may
/// take, and how many connections and uploads run at once.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON or form body; uploads have per-type limits instead.
    pub body_bytes: usize,
    /// Largest request head (request line and headers).
    pub header_bytes: usize,
    /// Time a client has to send a complete request head; also the time a new
    /// connection has to start its first request (HTTP/1 or HTTP/2).
    pub header_read_timeout: Duration,
    /// Time a non-streaming request may take until its response starts.
    pub request_timeout: Duration,
    /// Time an upload may go without sending a byte.
    pub upload_idle_timeout: Duration,
    /// Time a connection may stay open with no request in progress (HTTP/2 included);
    /// also how often an HTTP/2 peer is pinged while a request runs.
    pub idle_timeout: Duration,
    /// Open connections at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Open connections from one client (an IPv6 /64 counts as one); more are closed at
    /// once. Trusted proxies are exempt: all their users share their address.
    pub max_connections_per_address: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Uploads at once; more are answered 503.
    pub max_uploads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 256 * 1024,
            header_bytes: 64 * 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            upload_idle_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_connections_per_address: 64,
            trusted_proxies: TrustedProxies::default(),
            max_uploads: 4,
        }
    }
}

/// Reverse proxies (addresses or networks) trusted to say who their client is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// Whether `ip` is one of the proxies (an IPv4-mapped IPv6 address as its IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One trusted proxy as written in the settings: `10.0.0.5`, `10.0.0.0/8` or `fd00::/8`.
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("“{text}” 不是 IP 地址或网段（如 10.0.0.5 或 10.0.0.0/8）"))
}

/// How the connection to the SMTP relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTls {
    /// Plain SMTP: a relay on this host or a trusted internal network.
    None,
    /// `STARTTLS` after the greeting, required: no mail goes out in the clear.
    StartTls,
    /// TLS from the first byte (`smtps://`, usually port 465).
    Implicit,
}

/// Where in-app notifications are also mailed: the SMTP relay and how it is reached,
/// the sender, and the task's pace.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    /// A PEM file of certificate authorities trusted besides the system's (an internal
    /// CA that signed the relay's certificate).
    pub ca_file: Option<std::path::PathBuf>,
    /// `user:password` of the URL, for a relay that wants a login.
    pub credentials: Option<(String, String)>,
    /// The sender, e.g. `警示教育资源库 <jingshi@example.cn>`.
    pub from: String,
    /// How often the queue is looked at.
    pub poll: Duration,
    /// The delay before the first retry; each further one waits twice as long.
    pub retry_base: Duration,
}

/// Mail settings that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("邮件设置有误：{0}")]
pub struct MailConfigError(String);

impl MailSettings {
    /// From `smtp://[user:password@]host[:port]` (plain, port 25 by default),
    /// `smtp://…?tls=starttls` (STARTTLS required, port 587 by default) or
    /// `smtps://…` (TLS from the start, port 465 by default), and the sender.
    pub fn parse(url: &str, from: &str) -> Result<Self, MailConfigError> {
        let bad = |why: &str| MailConfigError(format!("JINGSHI_SMTP_URL “{url}” {why}"));
        let trimmed = url.trim();
        let (scheme_tls, rest) = if let Some(rest) = trimmed.strip_prefix("smtp://") {
            (MailTls::None, rest)
        } else if let Some(rest) = trimmed.strip_prefix("smtps://") {
            (MailTls::Implicit, rest)
        } else {
            return Err(bad("应以 smtp:// 或 smtps:// 开头"));
        };
        let (rest, tls) = match rest.split_once('?') {
            None => (rest, scheme_tls),
            Some((rest, "tls=starttls")) if scheme_tls == MailTls::None => {
                (rest, MailTls::StartTls)
            }
            Some(_) => {
                return Err(bad(
                    "的参数不对：只支持 smtp://…?tls=starttls（smtps:// 本身已加密）",
                ));
            }
        };
        let rest = rest.trim_end_matches('/');
        let (credentials, server) = match rest.rsplit_once('@') {
            Some((login, server)) => {
                let (user, password) = login.split_once(':').unwrap_or((login, ""));
                (Some((user.to_owned(), password.to_owned())), server)
            }
            None => (None, rest),
        };
        let (host, port) = match server.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>().map_err(|_| bad("的端口不是数字"))?,
            ),
            None => (
                server,
                match tls {
                    MailTls::None => 25,
                    MailTls::StartTls => 587,
                    MailTls::Implicit => 465,
                },
            ),
        };
        if host.is_empty() || host.contains(['/', '?', '#']) {
            return Err(bad("缺少主机名或格式不对"));
        }
        let from = from.trim();
        if !from.contains('@') {
            return Err(MailConfigError(format!(
                "发件地址 JINGSHI_MAIL_FROM “{from}” 应为邮箱地址"
            )));
        }
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            tls,
            ca_file: None,
            credentials,
            from: from.to_owned(),
            poll: Duration::from_secs(2),
            retry_base: Duration::from_secs(30),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls() {
        let url = PublicUrl::parse("https://Jingshi.Example.cn/").unwrap();
        assert_eq!(
            (url.https, url.authority.as_str()),
            (true, "jingshi.example.cn")
        );
        assert!(url.matches(true, "jingshi.example.cn:443"));
        assert!(url.matches_host("JINGSHI.example.cn"));
        assert!(!url.matches(false, "jingshi.example.cn"));
        assert!(!url.matches(true, "jingshi.example.cn.evil.example"));
        assert!(!url.matches_host("jingshi.example.cn:8443"));
        let url = PublicUrl::parse("http://10.0.0.5:8443").unwrap();
        assert_eq!(
            (url.https, url.authority.as_str()),
            (false, "10.0.0.5:8443")
        );
        let url = PublicUrl::parse("https://[2001:db8::1]:8443").unwrap();
        assert!(url.matches_host("[2001:DB8::1]:8443"));
        for bad in [
            "jingshi.example.cn",
            "ftp://jingshi.example.cn",
            "https://",
            "https://jingshi.example.cn/library",
            "https://user@jingshi.example.cn",
            "https://jingshi.example.cn:port",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn smtp_urls() {
        let s = MailSettings::parse("smtp://127.0.0.1:2525", "jingshi@example.cn").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.credentials),
            ("127.0.0.1", 2525, None)
        );
        let s = MailSettings::parse("smtp://u:p@mail.local", "资源库 <a@b.cn>").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("mail.local", 25));
        assert_eq!(s.credentials, Some(("u".into(), "p".into())));
        assert_eq!(s.tls, MailTls::None);
        let s = MailSettings::parse("smtps://mail.local", "a@b.cn").unwrap();
        assert_eq!((s.port, s.tls), (465, MailTls::Implicit));
        let s = MailSettings::parse("smtp://u:p@mail.local?tls=starttls", "a@b.cn").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.local", 587, MailTls::StartTls)
        );
        let s = MailSettings::parse("smtp://mail.local:2587?tls=starttls", "a@b.cn").unwrap();
        assert_eq!(s.port, 2587);
        assert!(MailSettings::parse("smtps://mail.local?tls=starttls", "a@b.cn").is_err());
        assert!(MailSettings::parse("smtp://mail.local?tls=maybe", "a@b.cn").is_err());
        assert!(MailSettings::parse("http://mail.local", "a@b.cn").is_err());
        assert!(MailSettings::parse("smtp://mail.local:x", "a@b.cn").is_err());
        assert!(MailSettings::parse("smtp://", "a@b.cn").is_err());
        assert!(MailSettings::parse("smtp://mail.local", "nobody").is_err());
    }
}
