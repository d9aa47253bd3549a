//! How messages leave: SMTP through lettre (pooled), or `.eml` files when no
//! SMTP URL is configured. SMTP errors are sorted into transient and
//! permanent, and explained in words an operator can act on.
use super::file_transport;
use crate::configuration::EmailSettings;
use lettre::transport::smtp::{self, AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::error::Error as _;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub enum Transport {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without credentials, for messages.
        server: String,
    },
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Try again later: 4xx answer, server down, network or TLS trouble.
    Transient(String),
    /// Retrying will not help: 5xx answer (the server's text is kept).
    Permanent(String),
}

impl Transport {
    /// The SMTP transport of `email.smtp_url`, or the file transport. The
    /// SMTP pool runs on the current Tokio runtime.
    pub fn from_settings(settings: &EmailSettings) -> Result<Self, String> {
        let (Some(builder), Some(url)) = (smtp_builder(settings)?, &settings.smtp_url) else {
            return Ok(Transport::Files(settings.outbox_dir.clone()));
        };
        let transport = builder
            .timeout(Some(Duration::from_millis(settings.smtp_timeout_ms)))
            .pool_config(PoolConfig::new().max_size(settings.smtp_pool_size.max(1)))
            .build();
        Ok(Transport::Smtp {
            transport,
            server: redact(url.expose_secret()),
        })
    }

    /// Where messages go, without secrets.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { server, .. } => format!("SMTP server {server}"),
            Transport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Delivers one message; `id` names its file with the file transport.
    /// Returns the server's answer or the file written.
    pub async fn send(&self, id: Uuid, message: &Message) -> Result<String, DeliveryError> {
        match self {
            Transport::Smtp { transport, .. } => match transport.send(message.clone()).await {
                Ok(response) => Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(err) => Err(classify(&err)),
            },
            Transport::Files(dir) => file_transport::write_eml(dir, id, message.formatted())
                .await
                .map(|path| format!("written to {}", path.display()))
                .map_err(|e| {
                    DeliveryError::Transient(format!("cannot write to {}: {e}", dir.display()))
                }),
        }
    }

    /// Like [`send`](Self::send), with an operator's explanation on failure.
    pub async fn send_explained(&self, message: &Message) -> Result<String, String> {
        match self {
            Transport::Smtp { transport, server } => match transport.send(message.clone()).await {
                Ok(response) => Ok(format!(
                    "accepted by {server}: {} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(err) => Err(advice(server, &err)),
            },
            Transport::Files(_) => self
                .send(Uuid::now_v7(), message)
                .await
                .map(|done| format!("no SMTP URL configured (email.smtp_url or SMTP_URL): {done}"))
                .map_err(|e| format!("{e:?}")),
        }
    }
}

/// Parses `email.smtp_url` without connecting or spawning anything: what
/// configuration checks use. `None` without an SMTP URL.
pub fn smtp_builder(settings: &EmailSettings) -> Result<Option<AsyncSmtpTransportBuilder>, String> {
    let Some(url) = &settings.smtp_url else {
        return Ok(None);
    };
    let url = url.expose_secret();
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(Some)
        .map_err(|e| {
            format!(
                "email.smtp_url ({}) is not a usable SMTP URL: {e}; expected \
                 smtp://user:pass@host:587?tls=required, smtps://user:pass@host:465 \
                 or smtp://host:25 (plain)",
                redact(url)
            )
        })
}

/// `smtp://user:pass@host:587?tls=required` → `smtp://host:587?tls=required`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(unparsable URL)".to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{tail}")
}

/// The server's answer for 5xx, transient for everything else: a server that
/// is down, unreachable or misconfigured may be fixed, and the message must
/// then go out.
pub fn classify(err: &smtp::Error) -> DeliveryError {
    if err.is_permanent() {
        DeliveryError::Permanent(err.to_string())
    } else {
        DeliveryError::Transient(err.to_string())
    }
}

fn io_kind(err: &smtp::Error) -> Option<std::io::ErrorKind> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}

/// What went wrong, and what to change, for `tremplin admin send-test-email`.
pub fn advice(server: &str, err: &smtp::Error) -> String {
    const MODES: &str = "port 587 wants smtp://host:587?tls=required (STARTTLS), \
        port 465 wants smtps://host:465 (TLS from the start), \
        a plain server (25, 2525, a local relay) wants smtp://host:port without tls=";
    let text = err.to_string();
    let lower = text.to_lowercase();
    let hint = if io_kind(err) == Some(std::io::ErrorKind::ConnectionRefused) {
        format!(
            "connection refused: nothing listens at {server}. Check the host and port and that \
             the server runs ({MODES})"
        )
    } else if err.is_timeout() {
        format!(
            "no answer from {server} in time: a firewall drops the connection, or the security \
             mode does not match the port ({MODES})"
        )
    } else if err.is_tls()
        // lettre reports a failed handshake as a connection error around
        // rustls' InvalidData.
        || io_kind(err) == Some(std::io::ErrorKind::InvalidData)
        || ["certificate", "handshake", "corrupt message"]
            .iter()
            .any(|w| lower.contains(w))
    {
        format!(
            "TLS failed with {server}: wrong security mode for this port, or a certificate that \
             does not match the host name ({MODES})"
        )
    } else if err.is_response() {
        format!(
            "{server} does not answer in SMTP: is it a TLS port spoken to in plain text? ({MODES})"
        )
    } else if lower.contains("starttls") {
        format!(
            "{server} does not offer STARTTLS: drop ?tls=required for a plain server, or use smtps:// if it wants TLS from the start"
        )
    } else if lower.contains("authentication mechanism") {
        format!(
            "{server} offers no authentication method lettre supports over this connection: servers only offer AUTH over TLS, use ?tls=required or smtps://"
        )
    } else if lower.contains("resolve") || lower.contains("lookup") {
        format!("the host of {server} does not resolve: check its name")
    } else {
        match err.status().map(|c| c.to_string()) {
            Some(code) if code == "535" || code == "534" || code == "538" => format!(
                "authentication refused by {server}: check the user and password in the URL \
                 (percent-encode @ : / and % in them)"
            ),
            Some(code) if code == "530" => {
                format!("{server} requires authentication: put user:password@ in the URL")
            }
            Some(code)
                if lower.contains("relay")
                    || (code.starts_with('5') && lower.contains("not permitted")) =>
            {
                format!(
                    "relay denied by {server}: it will not deliver to this recipient for this \
                     client. Authenticate (user:password@ in the URL) or set email.from to an \
                     address the server may send for"
                )
            }
            Some(code) if code.starts_with('5') => {
                format!("{server} refused the message permanently")
            }
            Some(_) => format!("{server} refused the message for now: retry later"),
            None => format!("delivery through {server} failed"),
        }
    };
    format!("{hint}\n  server said: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_appear_in_descriptions() {
        assert_eq!(
            redact("smtp://user:p%40ss@mail.example.fr:587?tls=required"),
            "smtp://mail.example.fr:587?tls=required"
        );
        assert_eq!(redact("smtps://a@b@host"), "smtps://host");
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }

    #[tokio::test]
    async fn each_url_form_builds_a_transport() {
        let mut settings = crate::configuration::Settings::defaults().unwrap().email;
        for url in [
            "smtp://user:pass@mail.example.fr:587?tls=required",
            "smtps://user:pass@mail.example.fr",
            "smtp://127.0.0.1:2525",
        ] {
            settings.smtp_url = Some(url.to_owned().into());
            let transport = Transport::from_settings(&settings).unwrap();
            assert!(!transport.describe().contains("pass"), "{url}");
        }
        settings.smtp_url = Some("imap://host".to_owned().into());
        let err = Transport::from_settings(&settings).unwrap_err();
        assert!(err.contains("smtps://"), "{err}");
        settings.smtp_url = None;
        assert!(matches!(
            Transport::from_settings(&settings).unwrap(),
            Transport::Files(_)
        ));
    }
}
