//! A minimal SMTP server on loopback that keeps what it receives: 220, EHLO/HELO
//! 250, MAIL/RCPT 250, DATA 354, `.` 250, QUIT 221. It can refuse the first few
//! messages with a temporary 451 to exercise retries. Plus just enough MIME decoding
//! (RFC 2047 words, base64 and quoted-printable bodies) to read the mail back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, lines joined with `\r\n`.
    pub data: String,
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

/// The server: its address and what it received.
#[derive(Clone)]
pub struct SmtpServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    refusals: Arc<Mutex<usize>>,
}

impl SmtpServer {
    /// Listens on loopback; the first `refuse` messages get `451` after their data.
    pub async fn start(refuse: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let server = Self {
            addr: listener.local_addr().expect("addr"),
            received: Arc::default(),
            refusals: Arc::new(Mutex::new(refuse)),
        };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let session = accepting.clone();
                tokio::spawn(async move { session.converse(socket).await });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
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

    async fn converse(&self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let reply = |text: &str| format!("{text}\r\n").into_bytes();
        let _ = write.write_all(&reply("220 test.local ESMTP")).await;
        let mut current = Received {
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            data: String::new(),
        };
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let answer = match verb.as_str() {
                "EHLO" | "HELO" => "250 test.local",
                "MAIL" => {
                    current.mail_from = address(&line);
                    "250 OK"
                }
                "RCPT" => {
                    current.rcpt_to.push(address(&line));
                    "250 OK"
                }
                "DATA" => {
                    let _ = write.write_all(&reply("354 end with .")).await;
                    let mut data = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
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
                    let _ = write.write_all(&reply("221 bye")).await;
                    return;
                }
                _ => "502 not implemented",
            };
            if write.write_all(&reply(answer)).await.is_err() {
                return;
            }
        }
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
