//! E-mail notifications through an outbox.
//!
//! A workflow renders a message with an [`Email`] constructor and writes it
//! with [`enqueue`] in the transaction of its event, so the event and its
//! e-mail commit together or not at all:
//!
//! ```ignore
//! let txn = state.db.begin().await?;
//! let placement = store::placements::confirm(&txn, id).await?;
//! email::enqueue(&txn, Email::placement_confirmed(&state.email.public_base_url, &to, &mail)).await?;
//! txn.commit().await?;
//! ```
//!
//! A reminder is enqueued with [`enqueue_scheduled`] when its event happens
//! (due two days before the proposal expires, tagged `placement:<id>`), and
//! dropped with [`cancel_scheduled`] in the transaction that answers the
//! proposal. Its time is a date of the workflow, on the service's clock: it
//! waits as `scheduled` until the worker's maintenance, which reads that
//! clock, queues it with [`release_scheduled`].
//!
//! An event that causes many messages at once (a campaign run proposing
//! tens of thousands of placements) makes them into a [`Batch`] and writes
//! it with [`enqueue_many`]: the same rows, a few INSERTs.
//!
//! The background [`Sender`] (one per process, spawned by the application)
//! delivers committed messages over SMTP, or writes `.eml` files when no SMTP
//! URL is configured; it retries transient failures with exponential backoff,
//! marks 5xx answers failed, and skips non-essential mail to addresses that
//! unsubscribed.
mod file_transport;
mod outbox;
mod preferences;
mod sender;
mod templates;
mod transport;

pub use outbox::{
    Batch, Claim, ERASED, EmailKind, NewEmail, Outcome, PUBLIC_BASE_URL_PLACEHOLDER, Status,
    UNSUBSCRIBE_PLACEHOLDER, cancel_scheduled, claim, enqueue, enqueue_about, enqueue_many,
    enqueue_scheduled, erase, find, list, release_scheduled, renew, requeue_failed, settle,
};
pub use preferences::{
    find as find_preference, find_by_token as find_preference_by_token, unsubscribe,
};
pub use sender::{Sender, backoff, build_message, message_id, parse_from, spawn};
pub use templates::{AlertLine, DIGEST_MAX_LINES, Email, PairingMail, PairingRole, PlacementMail};
pub use transport::{DeliveryError, Transport, advice, classify, redact};

use crate::configuration::EmailSettings;

/// Checks the e-mail settings at load time: a bad sender address or SMTP URL
/// stops the start instead of failing every message later.
pub fn check_settings(settings: &EmailSettings) -> Result<(), String> {
    parse_from(&settings.from)?;
    transport::smtp_builder(settings)?;
    let base = &settings.public_base_url;
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(format!(
            "email.public_base_url must start with http:// or https:// (got {base})"
        ));
    }
    if settings.poll_interval_ms == 0 || settings.batch_size == 0 || settings.max_attempts < 1 {
        return Err(
            "email.poll_interval_ms, email.batch_size and email.max_attempts must be positive"
                .into(),
        );
    }
    if settings.retry_base_ms == 0 || settings.retry_max_ms < settings.retry_base_ms {
        return Err("email.retry_base_ms must be positive and at most email.retry_max_ms".into());
    }
    // A live sender must never lose its claim while it is still talking to
    // the server, or another process would send the message again.
    if settings.lease_ms < 2 * settings.smtp_timeout_ms.max(1) + settings.poll_interval_ms {
        return Err(
            "email.lease_ms must exceed twice email.smtp_timeout_ms plus email.poll_interval_ms"
                .into(),
        );
    }
    Ok(())
}

/// Sends the test message straight through the configured transport (not
/// through the outbox): what `tremplin admin send-test-email` runs. The error
/// says what to change.
pub async fn send_test_email(settings: &EmailSettings, to: &str) -> Result<String, String> {
    let transport = Transport::from_settings(settings)?;
    let from = parse_from(&settings.from)?;
    let rendered = Email::test_message(to);
    let now = chrono::Utc::now();
    let row = entity::email_outbox::Model {
        id: uuid::Uuid::now_v7(),
        kind: rendered.kind.as_str().to_owned(),
        recipient: rendered.to,
        subject: rendered.subject,
        text_body: rendered.text,
        html_body: rendered.html,
        essential: true,
        status: Status::Sending.as_str().to_owned(),
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
    let message = build_message(&from, &row, None).map_err(|e| format!("--to: {e}"))?;
    transport.send_explained(&message).await
}
