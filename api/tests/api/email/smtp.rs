//! A small SMTP server on 127.0.0.1 for the tests: it speaks EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP and QUIT over real TCP, keeps what it receives, can
//! refuse recipients with a given answer, and can be taken down and brought
//! back on the same port.
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-stuffing undone.
    pub data: String,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Answer to every RCPT when set, e.g. `550 5.7.1 Relay access denied`.
    rcpt_answer: Mutex<Option<String>>,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    running: Mutex<Option<JoinSet<()>>>,
}

impl SmtpServer {
    /// A server that is up.
    pub async fn start() -> Self {
        let server = Self::down_on_free_port();
        server.up().await;
        server
    }

    /// A port where nothing listens yet: the server is down until [`up`].
    pub fn down_on_free_port() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        Self {
            port,
            shared: Arc::default(),
            running: Mutex::new(None),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub async fn up(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the SMTP port");
        let shared = self.shared.clone();
        let mut tasks = JoinSet::new();
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let held = connections.clone();
        tasks.spawn(async move {
            // Owning the connections here means aborting this task ends them.
            let _held = held;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = shared.clone();
                connections.lock().unwrap().spawn(async move {
                    serve(stream, shared).await.ok();
                });
            }
        });
        *self.running.lock().unwrap() = Some(tasks);
    }

    /// Closes the listener and every open connection.
    pub async fn down(&self) {
        let tasks = self.running.lock().unwrap().take();
        if let Some(mut tasks) = tasks {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
    }

    /// Answers every RCPT with `answer` (e.g. a 550), or accepts again.
    pub fn answer_recipients_with(&self, answer: Option<&str>) {
        *self.shared.rcpt_answer.lock().unwrap() = answer.map(str::to_owned);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `count` messages arrived (bounded), and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {count} messages, the SMTP server got {}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut tasks) = self.running.lock().unwrap().take() {
            tasks.abort_all();
        }
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 tremplin-test ESMTP ready\r\n")
        .await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let answer: String = match verb.as_str() {
            "EHLO" => "250-tremplin-test\r\n250-8BITMIME\r\n250 SIZE 10485760".into(),
            "HELO" => "250 tremplin-test".into(),
            "MAIL" => {
                from = address(&command);
                to.clear();
                "250 2.1.0 Ok".into()
            }
            "RCPT" => match shared.rcpt_answer.lock().unwrap().clone() {
                Some(answer) => answer,
                None => {
                    to.push(address(&command));
                    "250 2.1.5 Ok".into()
                }
            },
            "DATA" if to.is_empty() => "554 5.5.1 No valid recipients".into(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                shared.received.lock().unwrap().push(Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 2.0.0 Ok: queued".into()
            }
            "RSET" => {
                from.clear();
                to.clear();
                "250 2.0.0 Ok".into()
            }
            "NOOP" => "250 2.0.0 Ok".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized".into(),
        };
        write.write_all(format!("{answer}\r\n").as_bytes()).await?;
    }
}

/// `MAIL FROM:<a@b> BODY=8BITMIME` → `a@b`.
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}

/// A received message taken apart: headers (unfolded, encoded words
/// decoded) and the decoded text and HTML parts.
#[derive(Debug)]
pub struct Parsed {
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

impl Parsed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn parse(data: &str) -> Parsed {
    let (head, body) = split_head(data);
    let headers = parse_headers(head);
    let content_type = find(&headers, "content-type").unwrap_or_default();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_matches('"').to_owned())
        .expect("a multipart message");
    let mut text = String::new();
    let mut html = String::new();
    for part in body.split(&format!("--{boundary}")).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let (part_head, part_body) = split_head(part.trim_start_matches(['\r', '\n']));
        let part_headers = parse_headers(part_head);
        let kind = find(&part_headers, "content-type").unwrap_or_default();
        let encoding = find(&part_headers, "content-transfer-encoding").unwrap_or_default();
        let decoded = decode_body(&encoding, part_body);
        if kind.starts_with("text/plain") {
            text = decoded;
        } else if kind.starts_with("text/html") {
            html = decoded;
        }
    }
    Parsed {
        headers,
        text,
        html,
    }
}

fn find(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn split_head(data: &str) -> (&str, &str) {
    data.split_once("\r\n\r\n")
        .or_else(|| data.split_once("\n\n"))
        .unwrap_or((data, ""))
}

fn parse_headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    for (_, value) in &mut headers {
        *value = decode_words(value);
    }
    headers
}

/// RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`); the
/// blanks between two adjacent words are dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let mut pieces = rest[start + 2..].splitn(3, '?');
        let (Some(charset), Some(encoding), Some(tail)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            break;
        };
        let Some(payload_end) = tail.find("?=") else {
            break;
        };
        let payload = &tail[..payload_end];
        let between = &rest[..start];
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(payload)
                .expect("base64 word")
        } else {
            quoted_printable(&payload.replace('_', " "))
        };
        out.push_str(&String::from_utf8(bytes).expect("utf-8 word"));
        rest = &rest[start + 2 + charset.len() + 1 + encoding.len() + 1 + payload_end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

fn decode_body(encoding: &str, body: &str) -> String {
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "quoted-printable" => quoted_printable(body),
        "base64" => {
            use base64::Engine;
            let joined: String = body.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64 body")
        }
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8(bytes)
        .expect("utf-8 body")
        .replace("\r\n", "\n")
}

fn quoted_printable(raw: &str) -> Vec<u8> {
    let raw = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if bytes[i] == b'='
            && let Some(byte) = hex
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
