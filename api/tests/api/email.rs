//! E-mail notifications against a real SMTP server on 127.0.0.1 (see
//! `email/smtp.rs`): delivery, retries, failures, crashes, concurrency and
//! unsubscribe, on SQLite and on PostgreSQL.
mod smtp;

use crate::backend_test;
use crate::helpers::*;
use api::configuration::Settings;
use api::email::{self, Email, PlacementMail};
use api::startup::Application;
use chrono::Utc;
use entity::email_outbox::{self, Column};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};
use secrecy::SecretString;
use serde_json::json;
use smtp::{SmtpServer, parse};
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

const BASE_URL: &str = "https://tremplin.test";

/// Mail settings for a test: this SMTP server, short polls and backoffs.
fn mail_to(settings: &mut Settings, smtp: &SmtpServer) {
    settings.email.smtp_url = Some(SecretString::from(smtp.url()));
    settings.email.from = "Tremplin <ne-pas-repondre@tremplin.test>".into();
    settings.email.public_base_url = BASE_URL.into();
    settings.email.poll_interval_ms = 20;
    settings.email.retry_base_ms = 40;
    settings.email.retry_max_ms = 200;
    settings.email.smtp_timeout_ms = 2_000;
    settings.email.lease_ms = 10_000;
}

/// Another `tremplin serve` process on the test's database.
async fn another_instance(app: &TestApp, configure: impl FnOnce(&mut Settings)) {
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.database.url = SecretString::from(app.database_url.clone());
    settings.database.max_connections = 4;
    settings.reference.dir = reference_dir();
    configure(&mut settings);
    let instance = Application::build(settings)
        .await
        .expect("build the second instance");
    tokio::spawn(instance.run_until_stopped());
}

/// Polls `check` until it yields a value, for at most 20 seconds.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn outbox_row(app: &TestApp, recipient: &str, kind: &str) -> Option<email_outbox::Model> {
    email_outbox::Entity::find()
        .filter(Column::Recipient.eq(recipient))
        .filter(Column::Kind.eq(kind))
        .one(&app.db)
        .await
        .expect("read the outbox")
}

/// Waits until the message of that kind to that recipient has `status`.
async fn row_with_status(
    app: &TestApp,
    recipient: &str,
    kind: &str,
    status: &str,
) -> email_outbox::Model {
    eventually(
        &format!("{kind} to {recipient} becomes {status}"),
        || async move {
            outbox_row(app, recipient, kind)
                .await
                .filter(|row| row.status == status)
        },
    )
    .await
}

/// Creates a school organisation and invites `email` to it.
async fn invite(app: &TestApp, admin: &str, email: &str) -> serde_json::Value {
    let org = app
        .create_organisation(
            admin,
            json!({"kind": "mentoring_structure", "name": "Association Élan & Cie"}),
        )
        .await;
    app.post(
        &format!("/v1/organisations/{}/users", org["id"].as_str().unwrap()),
        Some(admin),
        &json!({"email": email, "role": "coordinator"}),
    )
    .await
    .expect(201)
}

fn unique_address(label: &str) -> String {
    format!("{label}-{}@example.fr", Uuid::now_v7().simple())
}

fn placement() -> PlacementMail<'static> {
    PlacementMail {
        placement_id: Uuid::now_v7(),
        offer_title: "Découverte de la logistique",
        company_name: "Entrepôts Durand",
        school_name: "collège Jean Moulin",
        week: "2027-W03",
        pupil: None,
        expires_at: Some(Utc::now() + chrono::Duration::days(2)),
    }
}

backend_test!(
    async fn an_invitation_arrives_with_its_recipient_subject_parts_and_headers(backend: Backend) {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let admin = app.admin().await;
        let address = unique_address("camille");
        let invited = invite(&app, &admin, &address).await;
        let token = invited["invitation"]["token"]
            .as_str()
            .expect("token kept in the answer");

        let received = smtp.wait_for(1).await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].to, vec![address.clone()]);
        assert_eq!(received[0].from, "ne-pas-repondre@tremplin.test");
        let mail = parse(&received[0].data);
        assert_eq!(
            mail.header("Subject"),
            Some("Invitation à rejoindre Association Élan & Cie sur Tremplin")
        );
        assert_eq!(mail.header("To"), Some(address.as_str()));
        assert!(
            mail.header("From")
                .unwrap()
                .contains("ne-pas-repondre@tremplin.test")
        );
        assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
        assert_eq!(mail.header("X-Tremplin-Kind"), Some("invitation"));
        assert!(mail.header("Date").is_some());
        assert!(
            mail.header("List-Unsubscribe").is_none(),
            "an invitation is essential"
        );
        let link = format!("{BASE_URL}/invitation?token={token}");
        assert!(mail.text.contains(&link), "{}", mail.text);
        assert!(
            mail.text.contains("Association Élan & Cie"),
            "{}",
            mail.text
        );
        assert!(
            mail.html.contains(&format!("href=\"{link}\"")),
            "{}",
            mail.html
        );
        assert!(
            mail.html.contains("Association Élan &amp; Cie"),
            "{}",
            mail.html
        );

        let row = row_with_status(&app, &address, "invitation", "sent").await;
        assert_eq!(
            mail.header("Message-ID"),
            Some(format!("<{}@tremplin.test>", row.id).as_str())
        );
        assert_eq!(row.attempts, 1);
        assert!(row.sent_at.is_some());
        // The link's token is the one that sets the password.
        app.post(
            "/v1/auth/accept-invitation",
            None,
            &json!({"token": token, "password": "a long enough password"}),
        )
        .await
        .expect(204);
    }
);

backend_test!(
    async fn a_message_waits_while_smtp_is_down_and_goes_out_once_when_it_is_back(
        backend: Backend,
    ) {
        // Down from the start: the first connection ever fails.
        let smtp = SmtpServer::down_on_free_port();
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let admin = app.admin().await;
        let first = unique_address("down");
        invite(&app, &admin, &first).await;
        let (app_ref, recipient) = (&app, first.as_str());
        let row = eventually("two failed attempts", || async move {
            outbox_row(app_ref, recipient, "invitation")
                .await
                .filter(|r| r.attempts >= 2 && r.status == "queued")
        })
        .await;
        let error = row.last_error.expect("the failure is recorded");
        assert!(error.to_lowercase().contains("connect"), "{error}");
        assert!(row.next_attempt_at > row.created_at);
        assert!(smtp.received().is_empty());

        smtp.up().await;
        let row = row_with_status(&app, &first, "invitation", "sent").await;
        let received = smtp.wait_for(1).await;
        assert_eq!(received.len(), 1, "delivered exactly once");
        assert_eq!(
            parse(&received[0].data).header("Message-ID"),
            Some(format!("<{}@tremplin.test>", row.id).as_str())
        );
        assert!(row.last_error.is_none());

        // Down again while the pool holds a connection to it.
        smtp.down().await;
        let second = unique_address("down-again");
        invite(&app, &admin, &second).await;
        let recipient = second.as_str();
        eventually(
            "a failed attempt on a dead pooled connection",
            || async move {
                outbox_row(app_ref, recipient, "invitation")
                    .await
                    .filter(|r| r.attempts >= 1 && r.status == "queued" && r.last_error.is_some())
            },
        )
        .await;
        smtp.up().await;
        row_with_status(&app, &second, "invitation", "sent").await;
        let received = smtp.wait_for(2).await;
        assert_eq!(received.len(), 2);
        assert_eq!(received[1].to, vec![second.clone()]);
    }
);

backend_test!(
    async fn a_550_marks_the_message_failed_with_the_servers_answer_and_an_admin_retry_sends_it(
        backend: Backend,
    ) {
        let smtp = SmtpServer::start().await;
        smtp.answer_recipients_with(Some("550 5.7.1 Relay access denied"));
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let admin = app.admin().await;
        let address = unique_address("refused");
        invite(&app, &admin, &address).await;

        let row = row_with_status(&app, &address, "invitation", "failed").await;
        let error = row.last_error.clone().expect("the server's answer is kept");
        assert!(error.contains("550"), "{error}");
        assert!(error.contains("Relay access denied"), "{error}");
        assert_eq!(row.attempts, 1, "a permanent error is not retried");

        let listed = app
            .get("/v1/admin/emails?status=failed&limit=100", Some(&admin))
            .await
            .expect(200);
        let item = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == row.id.to_string())
            .expect("the failed message is listed")
            .clone();
        assert_eq!(item["status"], "failed");
        assert_eq!(item["recipient"], address.as_str());
        assert!(
            item["last_error"]
                .as_str()
                .unwrap()
                .contains("Relay access denied")
        );
        assert!(listed.get("next_cursor").is_some());
        let sent = app
            .get("/v1/admin/emails?status=sent", Some(&admin))
            .await
            .expect(200);
        assert!(
            sent["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["status"] == "sent")
        );
        let bad = app.get("/v1/admin/emails?status=lost", Some(&admin)).await;
        assert_eq!(bad.invalid_fields(), vec!["status"]);
        let coordinator = app.coordinator(&admin).await;
        app.get("/v1/admin/emails", Some(&coordinator.token))
            .await
            .expect(403);
        let retry_path = format!("/v1/admin/emails/{}/retry", row.id);
        app.post(&retry_path, Some(&coordinator.token), &json!({}))
            .await
            .expect(403);

        smtp.answer_recipients_with(None);
        let retried = app
            .post(&retry_path, Some(&admin), &json!({}))
            .await
            .expect(200);
        assert_eq!(retried["id"], row.id.to_string());
        let row = row_with_status(&app, &address, "invitation", "sent").await;
        assert_eq!(row.attempts, 1, "attempts start afresh after a retry");
        let received = smtp.wait_for(1).await;
        assert_eq!(
            received
                .iter()
                .filter(|m| m.to == vec![address.clone()])
                .count(),
            1
        );

        let again = app.post(&retry_path, Some(&admin), &json!({})).await;
        assert_eq!(again.status.as_u16(), 409, "{}", again.text);
        app.post(
            &format!("/v1/admin/emails/{}/retry", Uuid::now_v7()),
            Some(&admin),
            &json!({}),
        )
        .await
        .expect(404);
    }
);

backend_test!(
    async fn a_crash_between_commit_and_delivery_loses_nothing(backend: Backend) {
        let smtp = SmtpServer::start().await;
        // This process commits events but dies before its sender runs.
        let app = TestApp::spawn_with(backend, |s| {
            mail_to(s, &smtp);
            s.email.sender_enabled = false;
        })
        .await;
        let admin = app.admin().await;
        let invited = unique_address("crash");
        invite(&app, &admin, &invited).await;
        let queued = outbox_row(&app, &invited, "invitation")
            .await
            .expect("the invitation committed with its user");
        assert_eq!(queued.status, "queued");
        // And one message was claimed by a process that crashed mid-delivery.
        let orphan = unique_address("orphan");
        email::enqueue(
            &app.db,
            Email::placement_confirmed(BASE_URL, &orphan, &placement()),
        )
        .await
        .unwrap();
        let mut claimed = outbox_row(&app, &orphan, "placement_confirmed")
            .await
            .unwrap()
            .into_active_model();
        claimed.status = Set("sending".into());
        claimed.attempts = Set(1);
        claimed.claim_token = Set(Some(Uuid::now_v7()));
        claimed.locked_until = Set(Some(Utc::now() - chrono::Duration::seconds(1)));
        claimed.update(&app.db).await.unwrap();
        assert!(smtp.received().is_empty());

        // A new process on the same database delivers both.
        another_instance(&app, |s| mail_to(s, &smtp)).await;
        row_with_status(&app, &invited, "invitation", "sent").await;
        let orphan_row = row_with_status(&app, &orphan, "placement_confirmed", "sent").await;
        assert_eq!(orphan_row.attempts, 2);
        let received = smtp.wait_for(2).await;
        let mut recipients: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
        recipients.sort();
        let mut expected = vec![invited, orphan];
        expected.sort();
        assert_eq!(recipients, expected);
    }
);

backend_test!(
    async fn two_instances_on_one_database_never_send_a_message_twice(backend: Backend) {
        let smtp = SmtpServer::start().await;
        let tune = |s: &mut Settings| {
            mail_to(s, &smtp);
            s.email.batch_size = 3;
            s.email.poll_interval_ms = 5;
        };
        let app = TestApp::spawn_with(backend, tune).await;
        another_instance(&app, tune).await;
        let count = 40;
        let txn = app.db.begin().await.unwrap();
        for i in 0..count {
            let to = format!("race-{i}@example.fr");
            email::enqueue(
                &txn,
                Email::placement_confirmed(BASE_URL, &to, &placement()),
            )
            .await
            .unwrap();
        }
        txn.commit().await.unwrap();

        let db = &app.db;
        eventually("every message sent", || async move {
            let sent = email_outbox::Entity::find()
                .filter(Column::Status.eq("sent"))
                .all(db)
                .await
                .unwrap();
            (sent.len() == count).then_some(())
        })
        .await;
        let received = smtp.received();
        let ids: HashSet<String> = received
            .iter()
            .map(|m| parse(&m.data).header("Message-ID").unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), count, "every message arrived");
        assert_eq!(received.len(), count, "no message arrived twice");
        let rows = email_outbox::Entity::find().all(&app.db).await.unwrap();
        assert!(rows.iter().all(|r| r.attempts == 1), "each claimed once");
    }
);

backend_test!(
    async fn an_unsubscribed_address_gets_no_more_reminders_but_still_essential_mail(
        backend: Backend,
    ) {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let tutor = unique_address("tutor");
        email::enqueue(
            &app.db,
            Email::proposal_reminder(BASE_URL, &tutor, &placement()),
        )
        .await
        .unwrap();
        let received = smtp.wait_for(1).await;
        let mail = parse(&received[0].data);
        let header = mail
            .header("List-Unsubscribe")
            .expect("a reminder can be unsubscribed");
        let url = header.trim_matches(['<', '>']);
        assert!(
            url.starts_with(&format!("{BASE_URL}/v1/email/unsubscribe?token=")),
            "{url}"
        );
        assert_eq!(
            mail.header("List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(mail.text.contains(url), "{}", mail.text);
        assert!(mail.html.contains(url), "{}", mail.html);
        assert!(!mail.text.contains(email::UNSUBSCRIBE_PLACEHOLDER));
        let path = url.strip_prefix(BASE_URL).unwrap();

        // Opening the link changes nothing; its form (or a one-click POST) does.
        let page = app.get(path, None).await;
        assert_eq!(page.status.as_u16(), 200);
        assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
        let done = app.post(path, None, &json!({})).await.expect(200);
        assert_eq!(done["unsubscribed"], true);
        app.post(path, None, &json!({})).await.expect(200);
        app.get("/v1/email/unsubscribe?token=nope", None)
            .await
            .expect(404);
        app.post("/v1/email/unsubscribe?token=nope", None, &json!({}))
            .await
            .expect(404);

        // Clear the first reminder out of the way of the lookups below.
        email_outbox::Entity::delete_many()
            .filter(Column::Recipient.eq(tutor.as_str()))
            .exec(&app.db)
            .await
            .unwrap();
        email::enqueue(
            &app.db,
            Email::proposal_reminder(BASE_URL, &tutor, &placement()),
        )
        .await
        .unwrap();
        email::enqueue(
            &app.db,
            Email::placement_confirmed(BASE_URL, &tutor, &placement()),
        )
        .await
        .unwrap();
        row_with_status(&app, &tutor, "proposal_reminder", "suppressed").await;
        row_with_status(&app, &tutor, "placement_confirmed", "sent").await;
        let received = smtp.received();
        assert_eq!(
            received.len(),
            2,
            "the first reminder and the essential message"
        );
        assert_eq!(
            parse(&received[1].data).header("X-Tremplin-Kind"),
            Some("placement_confirmed")
        );
    }
);

backend_test!(
    async fn a_scheduled_reminder_waits_for_its_time_and_an_answer_cancels_it(backend: Backend) {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let p = placement();
        let reference = format!("placement:{}", p.placement_id);
        let tutor = unique_address("reminded");
        email::enqueue_scheduled(
            &app.db,
            Email::proposal_reminder(BASE_URL, &tutor, &p),
            Utc::now() + chrono::Duration::hours(1),
            &reference,
        )
        .await
        .unwrap();
        // Enqueued after the reminder but due now: its delivery shows the
        // sender has looked at the reminder and left it for later.
        let school = unique_address("school");
        email::enqueue(&app.db, Email::placement_confirmed(BASE_URL, &school, &p))
            .await
            .unwrap();
        row_with_status(&app, &school, "placement_confirmed", "sent").await;
        let reminder = outbox_row(&app, &tutor, "proposal_reminder").await.unwrap();
        assert_eq!(
            (reminder.status.as_str(), reminder.attempts),
            ("scheduled", 0)
        );

        // The proposal is answered: the reminder goes with the same commit.
        let txn = app.db.begin().await.unwrap();
        let dropped = email::cancel_scheduled(&txn, &reference, email::EmailKind::ProposalReminder)
            .await
            .unwrap();
        txn.commit().await.unwrap();
        assert_eq!(dropped, 1);
        assert!(
            outbox_row(&app, &tutor, "proposal_reminder")
                .await
                .is_none()
        );

        // A reminder whose time has come (on this server's clock, the
        // system's) is queued by the worker, goes out, and then cannot be
        // cancelled.
        email::enqueue_scheduled(
            &app.db,
            Email::proposal_reminder(BASE_URL, &tutor, &p),
            Utc::now() - chrono::Duration::seconds(1),
            &reference,
        )
        .await
        .unwrap();
        row_with_status(&app, &tutor, "proposal_reminder", "sent").await;
        let dropped =
            email::cancel_scheduled(&app.db, &reference, email::EmailKind::ProposalReminder)
                .await
                .unwrap();
        assert_eq!(dropped, 0);
        let received = smtp.wait_for(2).await;
        assert_eq!(received.len(), 2);
        assert_eq!(received[1].to, vec![tutor.clone()]);
    }
);

#[tokio::test]
async fn send_test_email_explains_what_to_fix() {
    let mut settings = Settings::defaults().unwrap().email;
    settings.smtp_timeout_ms = 2_000;

    let down = SmtpServer::down_on_free_port();
    settings.smtp_url = Some(SecretString::from(down.url()));
    let err = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap_err();
    assert!(err.contains("connection refused"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{}", down.port)), "{err}");

    let smtp = SmtpServer::start().await;
    settings.smtp_url = Some(SecretString::from(smtp.url()));
    smtp.answer_recipients_with(Some("554 5.7.1 <a@example.fr>: Relay access denied"));
    let err = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap_err();
    assert!(err.contains("relay denied"), "{err}");
    assert!(err.contains("Relay access denied"), "{err}");

    smtp.answer_recipients_with(Some("535 5.7.8 Authentication credentials invalid"));
    let err = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap_err();
    assert!(err.contains("authentication refused"), "{err}");

    smtp.answer_recipients_with(None);
    // The right port, the wrong security mode.
    settings.smtp_url = Some(SecretString::from(format!(
        "smtps://127.0.0.1:{}",
        smtp.port
    )));
    let err = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap_err();
    assert!(err.contains("wrong security mode"), "{err}");
    settings.smtp_url = Some(SecretString::from(format!(
        "smtp://user:secret@127.0.0.1:{}?tls=required",
        smtp.port
    )));
    let err = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap_err();
    assert!(err.contains("does not offer STARTTLS"), "{err}");
    assert!(!err.contains("secret"), "{err}");

    settings.smtp_url = Some(SecretString::from(smtp.url()));
    let done = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap();
    assert!(done.contains("accepted by smtp://127.0.0.1"), "{done}");
    let received = smtp.wait_for(1).await;
    assert_eq!(
        parse(&received[0].data).header("Subject"),
        Some("Tremplin : message de test")
    );

    settings.smtp_url = None;
    settings.outbox_dir = std::env::temp_dir().join(format!("tremplin-mail-{}", Uuid::now_v7()));
    let done = email::send_test_email(&settings, "a@example.fr")
        .await
        .unwrap();
    assert!(done.contains(".eml"), "{done}");
    let files: Vec<_> = std::fs::read_dir(&settings.outbox_dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    std::fs::remove_dir_all(&settings.outbox_dir).unwrap();
}

mod digest;
mod mentoring;
mod publish;
