//! The mentoring workflow's e-mails over real SMTP: a pairing proposed or
//! started reaches the mentor and, when an address is known, the mentee,
//! each learning only what they may; a pause ending sends nothing.
use super::*;
use crate::mentees::{mentee, year};
use chrono::Datelike;
use smtp::Received;

/// Collège Jean Lurcat, Saint-Denis (REP+): must never reach the mentor.
const SCHOOL_UAI: &str = "0930865K";

struct Scene {
    coordinator: Member,
    mentor_id: String,
    mentor_address: String,
}

async fn scene(app: &TestApp) -> Scene {
    let admin = app.admin().await;
    let coordinator = app.coordinator(&admin).await;
    let mentor_address = unique_address("mentor");
    let mut body = mentor_body();
    body["email"] = json!(mentor_address);
    let mentor = app
        .post("/v1/mentors", Some(&coordinator.token), &body)
        .await
        .expect(201);
    Scene {
        mentor_id: mentor["id"].as_str().unwrap().to_owned(),
        coordinator,
        mentor_address,
    }
}

/// The messages of `kind` that arrived, by recipient.
fn of_kind(received: &[Received], kind: &str) -> Vec<(String, smtp::Parsed)> {
    received
        .iter()
        .map(|m| (m.to.join(","), parse(&m.data)))
        .filter(|(_, p)| p.header("X-Tremplin-Kind") == Some(kind))
        .collect()
}

fn to<'a>(mails: &'a [(String, smtp::Parsed)], address: &str) -> &'a smtp::Parsed {
    let found: Vec<_> = mails.iter().filter(|(to, _)| to == address).collect();
    assert_eq!(found.len(), 1, "one message to {address}");
    &found[0].1
}

async fn outbox_count(app: &TestApp, kind: &str) -> usize {
    email_outbox::Entity::find()
        .filter(Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

backend_test!(
    async fn a_proposal_and_a_start_reach_mentor_and_mentee_with_what_each_may_see(
        backend: Backend,
    ) {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let s = scene(&app).await;
        let token = s.coordinator.token.as_str();
        let tag = Uuid::now_v7().simple().to_string();
        let last = format!("Lambertq{}", &tag[tag.len() - 8..]);
        let mentee_address = unique_address("mentee");
        let birth_year = year() - 15;
        let created = app
            .post(
                "/v1/mentees",
                Some(token),
                &json!({
                    "first_name": "Inès",
                    "last_name": last,
                    "email": mentee_address,
                    "birth_year": birth_year,
                    "situation": "collegien",
                    "school_uai": SCHOOL_UAI,
                    "commune_insee": "93066",
                    "needs": ["scolarite"],
                }),
            )
            .await
            .expect(201);
        let pairing = app
            .post(
                "/v1/pairings",
                Some(token),
                &json!({"mentee_id": created["id"], "mentor_id": s.mentor_id, "status": "proposed"}),
            )
            .await
            .expect(201);

        // The coordinator's invitation, then the two proposals.
        let received = smtp.wait_for(3).await;
        let proposed = of_kind(&received, "pairing_proposed");
        assert_eq!(proposed.len(), 2);
        let contact = s.coordinator.email.as_str();
        let link = format!("{BASE_URL}/mentorat");
        let mentor = to(&proposed, &s.mentor_address);
        let mentee_mail = to(&proposed, &mentee_address);
        for mail in [mentor, mentee_mail] {
            assert_eq!(
                mail.header("Subject"),
                Some("Proposition de binôme de mentorat")
            );
            assert!(mail.header("List-Unsubscribe").is_none(), "essential");
            assert!(mail.text.contains(contact), "{}", mail.text);
            assert!(mail.text.contains(&link), "{}", mail.text);
            assert!(
                mail.html.contains(&format!("href=\"{link}\"")),
                "{}",
                mail.html
            );
            assert!(!mail.text.contains("%%") && !mail.html.contains("%%"));
            // Neither learns the last name, age or school.
            let (text, html) = (
                mail.text.replace(contact, ""),
                mail.html.replace(contact, ""),
            );
            for secret in [last.as_str(), &birth_year.to_string(), SCHOOL_UAI, "Lurcat"] {
                assert!(!text.contains(secret), "{secret} in {}", mail.text);
                assert!(!html.contains(secret), "{secret} in {}", mail.html);
            }
        }
        assert!(
            mentor
                .text
                .contains("Association test vous propose d'accompagner Inès (département 93)"),
            "{}",
            mentor.text
        );
        assert!(!mentor.text.contains("Sami B."), "{}", mentor.text);
        assert!(mentee_mail.text.contains("Sami B."), "{}", mentee_mail.text);
        assert!(!mentee_mail.text.contains("Inès"), "{}", mentee_mail.text);

        // Activation: both hear that it started, with its date.
        let today = chrono::Utc::now().date_naive();
        let path = format!("/v1/pairings/{}", pairing["id"].as_str().unwrap());
        app.patch(
            &path,
            Some(token),
            &json!({"status": "active", "start_date": today}),
        )
        .await
        .expect(200);
        let received = smtp.wait_for(5).await;
        let started = of_kind(&received, "pairing_started");
        assert_eq!(started.len(), 2);
        let date = format!("{:02}/{:02}/{}", today.day(), today.month(), today.year());
        for (address, other) in [(&s.mentor_address, "Inès"), (&mentee_address, "Sami B.")] {
            let mail = to(&started, address);
            assert_eq!(mail.header("Subject"), Some("Votre mentorat commence"));
            assert!(mail.text.contains(other), "{}", mail.text);
            assert!(mail.text.contains(&date), "{}", mail.text);
        }

        // A pause that ends is no new start: nothing more is written.
        for status in ["paused", "active"] {
            app.patch(&path, Some(token), &json!({"status": status}))
                .await
                .expect(200);
        }
        assert_eq!(outbox_count(&app, "pairing_started").await, 2);
        assert_eq!(outbox_count(&app, "pairing_proposed").await, 2);
    }
);

backend_test!(
    async fn a_mentee_without_an_address_leaves_only_the_mentor_to_be_told(backend: Backend) {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let s = scene(&app).await;
        let token = s.coordinator.token.as_str();
        let created = app
            .post("/v1/mentees", Some(token), &mentee("Noé", "Sansmail"))
            .await
            .expect(201);
        // A draft says nothing; its move to proposed does.
        let draft = app
            .post(
                "/v1/pairings",
                Some(token),
                &json!({"mentee_id": created["id"], "mentor_id": s.mentor_id}),
            )
            .await
            .expect(201);
        assert_eq!(outbox_count(&app, "pairing_proposed").await, 0);
        let path = format!("/v1/pairings/{}", draft["id"].as_str().unwrap());
        app.patch(&path, Some(token), &json!({"status": "proposed"}))
            .await
            .expect(200);
        assert_eq!(outbox_count(&app, "pairing_proposed").await, 1);
        row_with_status(&app, &s.mentor_address, "pairing_proposed", "sent").await;
        let proposed = of_kind(&smtp.wait_for(2).await, "pairing_proposed");
        assert_eq!(proposed.len(), 1);
        assert!(to(&proposed, &s.mentor_address).text.contains("Noé"));
    }
);

backend_test!(
    async fn publishing_a_match_run_mails_each_proposal_it_makes(backend: Backend) {
        let smtp = SmtpServer::start().await;
        let app = TestApp::spawn_with(backend, |s| mail_to(s, &smtp)).await;
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let mentor_address = unique_address("run-mentor");
        let mut body = mentor_body();
        body["email"] = json!(mentor_address);
        body["commune_insee"] = json!("93066");
        body.as_object_mut().unwrap().remove("available_from");
        app.post("/v1/mentors", Some(token), &body)
            .await
            .expect(201);
        let mentee_address = unique_address("run-mentee");
        let mut young = mentee("Yanis", "Parleseau");
        young["email"] = json!(mentee_address);
        app.post("/v1/mentees", Some(token), &young)
            .await
            .expect(201);

        let run = app
            .post("/v1/mentoring/match-runs", Some(token), &json!({}))
            .await
            .expect(201);
        assert_eq!(
            run["pairing_ids"].as_array().map(Vec::len),
            Some(1),
            "{run}"
        );
        assert_eq!(
            outbox_count(&app, "pairing_proposed").await,
            0,
            "drafts say nothing"
        );
        app.post(
            &format!(
                "/v1/mentoring/match-runs/{}/publish",
                run["id"].as_str().unwrap()
            ),
            Some(token),
            &json!({}),
        )
        .await
        .expect(200);
        assert_eq!(outbox_count(&app, "pairing_proposed").await, 2);
        // The coordinator's invitation, then the two proposals.
        let proposed = of_kind(&smtp.wait_for(3).await, "pairing_proposed");
        assert!(to(&proposed, &mentor_address).text.contains("Yanis"));
        assert!(to(&proposed, &mentee_address).text.contains("Sami B."));
    }
);
