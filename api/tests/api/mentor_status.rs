//! A pairing reaches a mentor only while he is `active`. A new pairing and a
//! draft's change of mentor read his status under the lock that counts his
//! places, so a pause committed while they wait for it is seen (PostgreSQL;
//! SQLite has one writer and no row locks).
use crate::helpers::*;
use crate::matching::wait_for_a_lock_waiter;
use crate::mentees::mentee;
use entity::mentor;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use std::future::Future;
use uuid::Uuid;

/// An active mentor with two places, in the mentees' commune.
async fn new_mentor(app: &TestApp, token: &str) -> String {
    let mut body = mentor_body();
    body["commune_insee"] = json!("93066");
    body.as_object_mut()
        .expect("object")
        .remove("available_from");
    let created = app
        .post("/v1/mentors", Some(token), &body)
        .await
        .expect(201);
    created["id"].as_str().expect("id").to_owned()
}

async fn new_mentee(app: &TestApp, token: &str) -> String {
    let last = format!("Binome{}", Uuid::now_v7().simple());
    let created = app
        .post("/v1/mentees", Some(token), &mentee("Sam", &last))
        .await
        .expect(201);
    created["id"].as_str().expect("id").to_owned()
}

/// Sends `request` while another session has paused `mentor` without
/// committing yet, and commits the pause once the request waits for the
/// mentor's row: the request must then read him paused.
async fn paused_meanwhile(
    app: &TestApp,
    mentor_id: &str,
    request: impl Future<Output = Response>,
) -> Response {
    let id = Uuid::parse_str(mentor_id).expect("uuid");
    let holder = app.db.begin().await.unwrap();
    mentor::Entity::update_many()
        .col_expr(mentor::Column::Status, Expr::value("paused"))
        .filter(mentor::Column::Id.eq(id))
        .exec(&holder)
        .await
        .unwrap();
    let meanwhile = async {
        wait_for_a_lock_waiter(app).await;
        holder.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(request, meanwhile);
    answer
}

fn refused_as_paused(answer: &Response) {
    assert_eq!(answer.invalid_fields(), vec!["mentor_id"]);
    assert!(
        answer.text.contains("the mentor is paused"),
        "{}",
        answer.text
    );
}

/// A pause committed while `POST /v1/pairings` waits for the mentor's lock
/// is refused like one committed before: the status is read under the lock,
/// not before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mentor_paused_while_a_new_pairing_waits_for_him_is_refused() {
    let Some(backend) = Backend::postgres() else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
        return;
    };
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let mentor = new_mentor(&app, t).await;
    let mentee = new_mentee(&app, t).await;
    let body = json!({"mentee_id": mentee, "mentor_id": mentor});
    let answer = paused_meanwhile(&app, &mentor, app.post("/v1/pairings", Some(t), &body)).await;
    refused_as_paused(&answer);
    let paired = app
        .get(&format!("/v1/pairings?mentee_id={mentee}"), Some(t))
        .await
        .expect(200);
    assert_eq!(paired["items"], json!([]), "nothing written: {paired}");
}

/// The same for a draft given another mentor: the draft keeps its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mentor_paused_while_a_draft_waits_for_him_is_refused() {
    let Some(backend) = Backend::postgres() else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
        return;
    };
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let first = new_mentor(&app, t).await;
    let second = new_mentor(&app, t).await;
    let mentee = new_mentee(&app, t).await;
    let draft = app
        .post(
            "/v1/pairings",
            Some(t),
            &json!({"mentee_id": mentee, "mentor_id": first}),
        )
        .await
        .expect(201);
    let path = format!("/v1/pairings/{}", draft["id"].as_str().expect("id"));
    let body = json!({"mentor_id": second});
    let answer = paused_meanwhile(&app, &second, app.patch(&path, Some(t), &body)).await;
    refused_as_paused(&answer);
    let draft = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(draft["mentor"]["id"], json!(first), "{draft}");
}
