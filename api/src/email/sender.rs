//! The background sender: claims due messages, delivers them, records the
//! outcome. Any number of processes may run one on the same database; a claim
//! is a lease, so a message whose sender died goes out after the lease ends.
use super::outbox::{self, Outcome, PUBLIC_BASE_URL_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER};
use super::preferences;
use super::transport::{DeliveryError, Transport};
use crate::configuration::EmailSettings;
use chrono::Utc;
use entity::email_outbox;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sea_orm::{DatabaseConnection, DbErr};
use std::time::Duration;
use uuid::Uuid;

pub struct Sender {
    db: DatabaseConnection,
    transport: Transport,
    settings: EmailSettings,
    from: Mailbox,
}

impl Sender {
    pub fn new(db: DatabaseConnection, settings: &EmailSettings) -> Result<Self, String> {
        Ok(Self {
            db,
            transport: Transport::from_settings(settings)?,
            from: parse_from(&settings.from)?,
            settings: settings.clone(),
        })
    }

    /// Runs until the process ends. Database trouble is logged and retried.
    pub async fn run(self) {
        tracing::info!(transport = %self.transport.describe(), "e-mail sender started");
        let idle = Duration::from_millis(self.settings.poll_interval_ms);
        loop {
            match self.run_once().await {
                // A full batch: more may be due, go on at once.
                Ok(n) if n as u64 >= self.settings.batch_size => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "e-mail sender round failed; will retry"),
            }
            tokio::time::sleep(idle).await;
        }
    }

    /// One round: claims a batch and delivers it. Returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, DbErr> {
        let claim = outbox::claim(
            &self.db,
            Utc::now(),
            Duration::from_millis(self.settings.lease_ms),
            self.settings.batch_size,
        )
        .await?;
        let count = claim.messages.len();
        let lease = Duration::from_millis(self.settings.lease_ms);
        // A send never outlives its lease: half of it, then it counts as a
        // transient failure, long before another process may take over.
        let budget = lease / 2;
        for message in claim.messages {
            let id = message.id;
            let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
            if !outbox::renew(&self.db, id, claim.token, until).await? {
                tracing::warn!(%id, "e-mail claim lost before sending (erased, or taken over by another sender); not sent");
                continue;
            }
            let attempts = message.attempts;
            let outcome = match tokio::time::timeout(budget, self.deliver(message)).await {
                Ok(outcome) => outcome?,
                Err(_) => self.transient(
                    id,
                    attempts,
                    format!("delivery took longer than {} ms", budget.as_millis()),
                ),
            };
            if !outbox::settle(&self.db, id, claim.token, outcome).await? {
                tracing::warn!(%id, "e-mail claim expired before its outcome was recorded");
            }
        }
        Ok(count)
    }

    async fn deliver(&self, mut row: email_outbox::Model) -> Result<Outcome, DbErr> {
        let base = self.settings.public_base_url.trim_end_matches('/');
        for body in [&mut row.text_body, &mut row.html_body] {
            if body.contains(PUBLIC_BASE_URL_PLACEHOLDER) {
                *body = body.replace(PUBLIC_BASE_URL_PLACEHOLDER, base);
            }
        }
        let unsubscribe = if row.essential {
            None
        } else {
            let preference = preferences::get_or_create(&self.db, &row.recipient).await?;
            if preference.unsubscribed_at.is_some() {
                tracing::info!(id = %row.id, kind = %row.kind, "recipient unsubscribed; message suppressed");
                return Ok(Outcome::Suppressed);
            }
            Some(format!(
                "{}/v1/email/unsubscribe?token={}",
                self.settings.public_base_url.trim_end_matches('/'),
                preference.token
            ))
        };
        let message = match build_message(&self.from, &row, unsubscribe.as_deref()) {
            Ok(message) => message,
            Err(error) => return Ok(Outcome::Failed { error }),
        };
        Ok(match self.transport.send(row.id, &message).await {
            Ok(answer) => {
                tracing::info!(id = %row.id, kind = %row.kind, %answer, "e-mail delivered");
                Outcome::Sent
            }
            Err(DeliveryError::Permanent(error)) => {
                tracing::warn!(id = %row.id, kind = %row.kind, %error, "e-mail refused permanently");
                Outcome::Failed { error }
            }
            Err(DeliveryError::Transient(error)) => self.transient(row.id, row.attempts, error),
        })
    }

    /// Retry later with backoff, or give up once attempts are exhausted.
    fn transient(&self, id: Uuid, attempts: i32, error: String) -> Outcome {
        if attempts >= self.settings.max_attempts {
            tracing::warn!(%id, %error, "e-mail given up");
            return Outcome::Failed {
                error: format!("gave up after {attempts} attempts: {error}"),
            };
        }
        let delay = backoff(
            attempts,
            self.settings.retry_base_ms,
            self.settings.retry_max_ms,
        );
        tracing::info!(%id, %error, retry_in_ms = delay.as_millis() as u64, "e-mail delivery failed; will retry");
        Outcome::Retry {
            at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
            error,
        }
    }
}

/// Spawns the sender as a task of the current runtime, unless disabled.
pub fn spawn(db: DatabaseConnection, settings: &EmailSettings) -> Result<(), String> {
    if settings.sender_enabled {
        tokio::spawn(Sender::new(db, settings)?.run());
    }
    Ok(())
}

/// `base · 2^(attempts-1)`, capped: attempt 1 waits `base`.
pub fn backoff(attempts: i32, base_ms: u64, max_ms: u64) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 32) as u32;
    Duration::from_millis(base_ms.saturating_mul(1u64 << doublings).min(max_ms))
}

pub fn parse_from(raw: &str) -> Result<Mailbox, String> {
    raw.parse::<Mailbox>()
        .map_err(|e| format!("email.from ({raw}) is not a mailbox: {e}"))
}

/// The MIME message of an outbox row. Its Message-ID derives from the row,
/// so the rare resend after a crash mid-delivery is recognisable downstream.
pub fn build_message(
    from: &Mailbox,
    row: &email_outbox::Model,
    unsubscribe: Option<&str>,
) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("invalid recipient address: {e}"))?;
    let fill = |body: &str| match unsubscribe {
        Some(url) => body.replace(UNSUBSCRIBE_PLACEHOLDER, url),
        None => body.to_owned(),
    };
    let mut message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id(row.id, from)))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(
            fill(&row.text_body),
            fill(&row.html_body),
        ))
        .map_err(|e| format!("the message could not be built: {e}"))?;
    let headers = message.headers_mut();
    // RFC 3834: automatic mail; tells auto-responders not to answer.
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    ));
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Tremplin-Kind"),
        row.kind.clone(),
    ));
    if let Some(url) = unsubscribe {
        // RFC 8058 one-click unsubscribe: mail clients POST to the URL.
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    Ok(message)
}

pub fn message_id(id: Uuid, from: &Mailbox) -> String {
    format!("<{id}@{}>", from.email.domain())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let ms = |a| backoff(a, 100, 1_000).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5), ms(60)],
            [100, 200, 400, 800, 1000, 1000]
        );
        assert_eq!(backoff(0, 100, 1_000).as_millis(), 100);
    }

    #[test]
    fn a_message_carries_both_parts_and_its_headers() {
        let from = parse_from("Tremplin <ne-pas-repondre@tremplin.example.fr>").unwrap();
        let now = Utc::now();
        let row = email_outbox::Model {
            id: Uuid::nil(),
            kind: "proposal_reminder".into(),
            recipient: "tutor@example.fr".into(),
            subject: "Rappel : é".into(),
            text_body: format!("lien {UNSUBSCRIBE_PLACEHOLDER}"),
            html_body: format!("<a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">x</a>"),
            essential: false,
            status: "sending".into(),
            attempts: 1,
            next_attempt_at: now,
            locked_until: None,
            claim_token: None,
            last_error: None,
            created_at: now,
            updated_at: now,
            sent_at: None,
            reference: None,
        };
        let message = build_message(&from, &row, Some("https://t.fr/u?token=abc")).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("Message-ID: <00000000-0000-0000-0000-000000000000@tremplin.example.fr>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe: <https://t.fr/u?token=abc>"),
            "{raw}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(!raw.contains(UNSUBSCRIBE_PLACEHOLDER), "{raw}");
        let bad = email_outbox::Model {
            recipient: "not an address".into(),
            ..row
        };
        assert!(build_message(&from, &bad, None).is_err());
    }
}
