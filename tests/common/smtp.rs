//! A minimal SMTP server on loopback that keeps what it receives: 220, EHLO/HELO
//! 250, MAIL/RCPT 250, DATA 354, `.` 250, QUIT 221; plain, with STARTTLS (required)
//! or TLS from the start, with a self-signed certificate. It can refuse the first few
//! messages with a temporary 451 to exercise retries. Plus just enough MIME decoding
//! (RFC 2047 words, base64 and quoted-printable bodies) to read the mail back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, lines joined with `\r\n`.
    pub data: String,
    /// Whether it came over TLS.
    pub over_tls: bool,
}

impl Received {
    /// The first header `name` (unfolded, still encoded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut()
                && (line.starts_with(' ') || line.starts_with('\t'))
            {
                v.push_str(line);
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim().to_owned());
            }
        }
        value
    }

    /// The subject, RFC 2047 words decoded.
    pub fn subject(&self) -> String {
        decode_words(&self.header("Subject").unwrap_or_default())
    }

    /// The body, transfer encoding undone.
    pub fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("");
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body");
                String::from_utf8(bytes).expect("utf-8 body")
            }
            "quoted-printable" => {
                String::from_utf8(quoted_printable(&body.replace("=\r\n", ""), false))
                    .expect("utf-8 body")
            }
            _ => body.to_owned(),
        }
    }
}

fn quoted_printable(text: &str, underscore_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'_', _) if underscore_is_space => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    out
}

/// Decodes `=?charset?B|Q?text?=` words (UTF-8 only); whitespace between two encoded
/// words is dropped, as RFC 2047 says.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, word) = rest.split_at(start);
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let parts: Vec<&str> = word[2..].splitn(3, '?').collect();
        let (Some(charset), Some(enc), Some(tail)) = (parts.first(), parts.get(1), parts.get(2))
        else {
            out.push_str(word);
            return out;
        };
        let Some(end) = tail.find("?=") else {
            out.push_str(word);
            return out;
        };
        assert!(charset.eq_ignore_ascii_case("utf-8"), "charset {charset}");
        let text = &tail[..end];
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 word")
        } else {
            quoted_printable(text, true)
        };
        out.push_str(&String::from_utf8(bytes).expect("utf-8 word"));
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// How the test relay protects the conversation.
#[derive(Clone)]
pub enum RelayTls {
    Plain,
    /// Offers STARTTLS and refuses mail until it is used.
    StartTls(TlsAcceptor),
    /// TLS from the first byte.
    Implicit(TlsAcceptor),
}

/// A self-signed certificate for 127.0.0.1 and localhost: its PEM, for the client
/// to trust, and the acceptor that serves it.
pub struct TestCertificate {
    pub pem: String,
    pub acceptor: TlsAcceptor,
}

impl TestCertificate {
    pub fn new() -> Self {
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(names).expect("certificate");
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(signing_key.serialize_der()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .expect("server config");
        Self {
            pem: cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }
}

/// The server: its address and what it received.
#[derive(Clone)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    refusals: Arc<Mutex<usize>>,
    tls: RelayTls,
}

impl SmtpServer {
    /// Listens on loopback; the first `refuse` messages get `451` after their data.
    pub async fn start(refuse: usize) -> Self {
        Self::start_with(refuse, RelayTls::Plain).await
    }

    pub async fn start_with(refuse: usize, tls: RelayTls) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let server = Self {
            addr: listener.local_addr().expect("addr"),
            received: Arc::default(),
            refusals: Arc::new(Mutex::new(refuse)),
            tls,
        };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let session = accepting.clone();
                tokio::spawn(async move { session.serve(socket).await });
            }
        });
        server
    }

    /// The URL the library is given for this relay.
    pub fn url(&self) -> String {
        match self.tls {
            RelayTls::Plain => format!("smtp://{}", self.addr),
            RelayTls::StartTls(_) => format!("smtp://{}?tls=starttls", self.addr),
            RelayTls::Implicit(_) => format!("smtps://{}", self.addr),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages arrived (or panics after `secs`).
    pub async fn wait_for(&self, count: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} mail(s), got {}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn serve(&self, socket: TcpStream) {
        match &self.tls {
            RelayTls::Plain => {
                self.converse(socket, true, false).await;
            }
            RelayTls::Implicit(acceptor) => {
                // A client that does not trust the certificate ends the handshake.
                if let Ok(stream) = acceptor.accept(socket).await {
                    self.converse(stream, true, true).await;
                }
            }
            RelayTls::StartTls(acceptor) => {
                if let Some(socket) = self.converse(socket, true, false).await
                    && let Ok(stream) = acceptor.accept(socket).await
                {
                    self.converse(stream, false, true).await;
                }
            }
        }
    }

    /// One SMTP conversation; answers the stream when the client asked for STARTTLS.
    async fn converse<S>(&self, stream: S, greet: bool, over_tls: bool) -> Option<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let offer_starttls = matches!(self.tls, RelayTls::StartTls(_)) && !over_tls;
        let mut stream = BufReader::new(stream);
        let reply = |text: &str| format!("{text}\r\n").into_bytes();
        if greet {
            stream
                .write_all(&reply("220 test.local ESMTP"))
                .await
                .ok()?;
        }
        let mut current = Received {
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            data: String::new(),
            over_tls,
        };
        while let Some(line) = read_line(&mut stream).await {
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let answer = match verb.as_str() {
                "EHLO" if offer_starttls => "250-test.local\r\n250 STARTTLS",
                "EHLO" | "HELO" => "250 test.local",
                "STAR" if offer_starttls => {
                    stream.write_all(&reply("220 go ahead")).await.ok()?;
                    return Some(stream.into_inner());
                }
                "MAIL" if offer_starttls => "530 5.7.0 must issue a STARTTLS command first",
                "MAIL" => {
                    current.mail_from = address(&line);
                    "250 OK"
                }
                "RCPT" => {
                    current.rcpt_to.push(address(&line));
                    "250 OK"
                }
                "DATA" => {
                    stream.write_all(&reply("354 end with .")).await.ok()?;
                    let mut data = Vec::new();
                    while let Some(line) = read_line(&mut stream).await {
                        if line == "." {
                            break;
                        }
                        data.push(line.strip_prefix('.').map(str::to_owned).unwrap_or(line));
                    }
                    current.data = data.join("\r\n");
                    let mut refusals = self.refusals.lock().unwrap();
                    if *refusals > 0 {
                        *refusals -= 1;
                        "451 4.3.0 try again later"
                    } else {
                        self.received.lock().unwrap().push(current.clone());
                        "250 OK queued"
                    }
                }
                "RSET" | "NOOP" => "250 OK",
                "QUIT" => {
                    let _ = stream.write_all(&reply("221 bye")).await;
                    return None;
                }
                _ => "502 not implemented",
            };
            stream.write_all(&reply(answer)).await.ok()?;
        }
        None
    }
}

/// The next line without its line break; `None` at the end of the stream.
async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>) -> Option<String> {
    let mut line = String::new();
    match stream.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

/// The address of `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(addr, _)| addr.to_owned())
        .unwrap_or_default()
}

#[test]
fn words_decode() {
    assert_eq!(
        decode_words("=?utf-8?b?5YCf6ZiF?= =?utf-8?b?55Sz6K+3?="),
        "借阅申请"
    );
    assert_eq!(decode_words("=?UTF-8?Q?a_b=E5=80=9F?="), "a b借");
    assert_eq!(decode_words("plain"), "plain");
}
