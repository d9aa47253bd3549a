//! Publishing a match run mails every proposal it makes, and reads what
//! the messages need once for the run, not once per draft: the statements
//! of a publication are counted on the connection of a server instance of
//! the test's own (sea-orm's metric callback on a real database).
use super::*;
use crate::mentees::mentee;
use api::startup::connect;
use entity::pairing;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The SQL of the statements run on a connection while recording.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Option<Vec<String>>>>);

impl Statements {
    fn start(&self) {
        *self.0.lock().unwrap() = Some(Vec::new());
    }

    fn stop(&self) -> Vec<String> {
        self.0.lock().unwrap().take().unwrap_or_default()
    }
}

/// A second server on the test's database whose connection records its
/// statements; no worker or sender runs there, so that only requests do.
async fn recording_instance(app: &TestApp) -> (String, Statements) {
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 1;
    settings.database.url = SecretString::from(app.database_url.clone());
    settings.database.max_connections = 4;
    settings.database.acquire_timeout_ms = 30_000;
    settings.database.sqlite_busy_timeout_ms = 30_000;
    settings.reference.dir = reference_dir();
    settings.jobs.enabled = false;
    settings.email.sender_enabled = false;
    let statements = Statements::default();
    let mut db = connect(&settings.database).await.expect("connect");
    let recorder = statements.clone();
    db.set_metric_callback(move |info| {
        if let Some(sql) = recorder.0.lock().unwrap().as_mut() {
            sql.push(info.statement.sql.clone());
        }
    });
    let instance = Application::build_with_db(settings, db)
        .await
        .expect("build the recording instance");
    let address = format!("http://{}", instance.address());
    tokio::spawn(instance.run_until_stopped());
    (address, statements)
}

/// How many of `statements` read rows. The offer search's sync, which runs
/// every two seconds on the same connection, reads offers; a publication
/// never does, so those reads are not counted (a tick landing in one of the
/// two windows made the counts differ by one).
fn reads(statements: &[String]) -> usize {
    statements
        .iter()
        .filter(|sql| sql.trim_start().to_ascii_uppercase().starts_with("SELECT"))
        .filter(|sql| !sql.contains(r#"FROM "offer""#) && !sql.contains(r#"FROM "offer_week""#))
        .count()
}

struct Person {
    name: String,
    address: Option<String>,
}

/// `n` mentors of one place each and `n` mentees (every third without an
/// address) whom a run pairs, then the run: its pairing ids.
async fn run_of(
    app: &TestApp,
    token: &str,
    tag: &str,
    n: usize,
    mentors: &mut HashMap<String, Person>,
    mentees: &mut HashMap<String, Person>,
) -> Value {
    for i in 0..n {
        let name = format!("Mentor {tag}{i}");
        let address = unique_address(&format!("mentor-{tag}{i}"));
        let mut body = mentor_body();
        body["display_name"] = json!(name);
        body["email"] = json!(address);
        body["commune_insee"] = json!("93066");
        body["capacity"] = json!(1);
        body.as_object_mut().unwrap().remove("available_from");
        let created = app
            .post("/v1/mentors", Some(token), &body)
            .await
            .expect(201);
        mentors.insert(
            created["id"].as_str().unwrap().to_owned(),
            Person {
                name,
                address: Some(address),
            },
        );
    }
    for i in 0..n {
        let name = format!("Jeune{tag}{i}");
        let mut body = mentee(&name, "Publiee");
        let address = (i % 3 != 2).then(|| unique_address(&format!("mentee-{tag}{i}")));
        if let Some(address) = &address {
            body["email"] = json!(address);
        }
        let created = app
            .post("/v1/mentees", Some(token), &body)
            .await
            .expect(201);
        mentees.insert(
            created["id"].as_str().unwrap().to_owned(),
            Person { name, address },
        );
    }
    let run = app
        .post("/v1/mentoring/match-runs", Some(token), &json!({}))
        .await
        .expect(201);
    assert_eq!(
        run["pairing_ids"].as_array().map(Vec::len),
        Some(n),
        "{run}"
    );
    run
}

/// Publishes `run` through the recording instance, which records from the
/// request on.
async fn publish(app: &TestApp, at: &str, statements: &Statements, token: &str, run: &Value) {
    let path = format!(
        "{at}/v1/mentoring/match-runs/{}/publish",
        run["id"].as_str().unwrap()
    );
    statements.start();
    let response = app
        .client
        .post(path)
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("publish sent");
    assert_eq!(response.status().as_u16(), 200);
}

backend_test!(
    async fn publishing_runs_mails_every_proposal_and_reads_no_more_for_more_drafts(
        backend: Backend,
    ) {
        let app = TestApp::spawn(backend).await;
        let (at, statements) = recording_instance(&app).await;
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let (mut mentors, mut mentees) = (HashMap::new(), HashMap::new());

        let small = run_of(&app, token, "a", 2, &mut mentors, &mut mentees).await;
        publish(&app, &at, &statements, token, &small).await;
        let small_reads = reads(&statements.stop());
        let large = run_of(&app, token, "b", 6, &mut mentors, &mut mentees).await;
        publish(&app, &at, &statements, token, &large).await;
        let large_statements = statements.stop();
        // Three times the drafts, the same reads: nothing is read per draft
        // (it was five reads each: the pairing, its mentee, its mentor, the
        // structure and its contact).
        assert_eq!(
            reads(&large_statements),
            small_reads,
            "{large_statements:#?}"
        );

        // Every pairing of both runs: its mentor hears of the mentee, the
        // mentee (when they have an address) of the mentor, each message
        // tagged so that erasing the mentee finds it.
        let outbox = email_outbox::Entity::find()
            .filter(Column::Kind.eq("pairing_proposed"))
            .all(&app.db)
            .await
            .unwrap();
        let mut expected = 0;
        for id in [&small, &large]
            .iter()
            .flat_map(|run| run["pairing_ids"].as_array().unwrap())
        {
            let id: Uuid = id.as_str().unwrap().parse().unwrap();
            let p = pairing::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .expect("the pairing");
            assert_eq!(p.status, "proposed");
            let mentor = &mentors[&p.mentor_id.unwrap().to_string()];
            let young = &mentees[&p.mentee_id.to_string()];
            let tagged = |reference: String| {
                outbox
                    .iter()
                    .filter(|m| m.reference.as_deref() == Some(reference.as_str()))
                    .collect::<Vec<_>>()
            };
            let to_mentor = tagged(format!("pairing:{id}"));
            assert_eq!(to_mentor.len(), 1, "pairing {id}");
            assert_eq!(Some(&to_mentor[0].recipient), mentor.address.as_ref());
            assert!(
                to_mentor[0].text_body.contains(&young.name),
                "{}",
                to_mentor[0].text_body
            );
            assert!(to_mentor[0].text_body.contains(&coordinator.email));
            expected += 1;
            let to_mentee = tagged(format!("mentee:{}", p.mentee_id));
            match &young.address {
                Some(address) => {
                    assert_eq!(to_mentee.len(), 1, "mentee of {id}");
                    assert_eq!(&to_mentee[0].recipient, address);
                    assert!(
                        to_mentee[0].text_body.contains(&mentor.name),
                        "{}",
                        to_mentee[0].text_body
                    );
                    expected += 1;
                }
                None => assert!(to_mentee.is_empty(), "{to_mentee:?}"),
            }
        }
        assert_eq!(expected, 2 + 6 + 2 + 4);
        assert_eq!(outbox.len(), expected);
    }
);
