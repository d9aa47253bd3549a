//! A pairing reaches a mentor only while he is `active`. A new pairing and a
//! draft's change of mentor read his status under the lock that counts his
//! places, so a pause committed while they wait for it is seen (PostgreSQL;
//! SQLite has one writer and no row locks). An existing pairing proposed or
//! started (again), and a match run's publication, check it once more.
use crate::db_test;
use crate::helpers::*;
use crate::pairings::new_mentee;
use crate::postgres_or_skip;
use entity::mentor;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::future::Future;
use uuid::Uuid;

/// An active mentor with two places, in the mentees' commune.
pub async fn new_mentor(app: &TestApp, token: &str) -> String {
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

/// Sends `request` while another session has paused `mentor` without
/// committing yet, and commits the pause once the request waits for the
/// mentor's row: the request must then read him paused.
pub async fn paused_meanwhile(
    app: &TestApp,
    mentor_id: &str,
    request: impl Future<Output = Response>,
) -> Response {
    let id = Uuid::parse_str(mentor_id).expect("uuid");
    let write = mentor::Entity::update_many()
        .col_expr(mentor::Column::Status, Expr::value("paused"))
        .filter(mentor::Column::Id.eq(id));
    written_meanwhile(app, write, request).await
}

pub fn refused_as_paused(answer: &Response) {
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
    let backend = postgres_or_skip!();
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
    let backend = postgres_or_skip!();
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

pub async fn set_mentor_status(app: &TestApp, token: &str, mentor: &str, status: &str) {
    app.patch(
        &format!("/v1/mentors/{mentor}"),
        Some(token),
        &json!({"status": status}),
    )
    .await
    .expect(200);
}

db_test!(
    /// A draft whose mentor was paused or made inactive since is not
    /// proposed, a proposal not started, a paused pairing not resumed: 422
    /// on `mentor_id`, as for a new pairing, and the pairing stays as it
    /// was. Once the mentor is active again, each move goes through.
    async fn a_pairing_is_proposed_or_started_only_while_its_mentor_is_active(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        for status in ["paused", "inactive"] {
            let mentor = new_mentor(&app, t).await;
            let mentee = new_mentee(&app, t).await;
            let created = app
                .post(
                    "/v1/pairings",
                    Some(t),
                    &json!({"mentee_id": mentee, "mentor_id": mentor}),
                )
                .await
                .expect(201);
            let path = format!("/v1/pairings/{}", created["id"].as_str().expect("id"));
            for (from, body) in [
                ("draft", json!({"status": "proposed"})),
                (
                    "proposed",
                    json!({"status": "active", "start_date": "2026-01-05"}),
                ),
                ("active", json!({"status": "paused"})),
                ("paused", json!({"status": "active"})),
            ] {
                if from != "active" {
                    set_mentor_status(&app, t, &mentor, status).await;
                    let answer = app.patch(&path, Some(t), &body).await;
                    assert_eq!(answer.invalid_fields(), vec!["mentor_id"], "from {from}");
                    assert!(
                        answer.text.contains(&format!("the mentor is {status}")),
                        "{}",
                        answer.text
                    );
                    let pairing = app.get(&path, Some(t)).await.expect(200);
                    assert_eq!(pairing["status"], from, "{pairing}");
                    set_mentor_status(&app, t, &mentor, "active").await;
                }
                app.patch(&path, Some(t), &body).await.expect(200);
            }
            let pairing = app.get(&path, Some(t)).await.expect(200);
            assert_eq!(pairing["status"], "active", "{pairing}");
            let moves: Vec<&Value> = pairing["history"]
                .as_array()
                .expect("history")
                .iter()
                .map(|h| &h["to"])
                .collect();
            assert_eq!(
                moves,
                ["draft", "proposed", "active", "paused", "active"],
                "one row per move that went through"
            );
        }
    }
);

db_test!(
    /// Publishing a run whose drafts include one with a mentor paused since
    /// proposes nothing: 409 naming that draft (and its mentor), every draft
    /// still a draft and the run unpublished. Given another mentor, the
    /// draft is published with the others.
    async fn a_run_is_not_published_while_a_draft_s_mentor_is_not_active(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let mut mentors = Vec::new();
        for _ in 0..2 {
            let mentor = new_mentor(&app, t).await;
            app.patch(
                &format!("/v1/mentors/{mentor}"),
                Some(t),
                &json!({"capacity": 1}),
            )
            .await
            .expect(200);
            mentors.push(mentor);
        }
        for _ in 0..2 {
            new_mentee(&app, t).await;
        }
        let run = app
            .post("/v1/mentoring/match-runs", Some(t), &json!({}))
            .await
            .expect(201);
        let drafts: Vec<Value> = {
            let mut found = Vec::new();
            for id in run["pairing_ids"].as_array().expect("pairing_ids") {
                let path = format!("/v1/pairings/{}", id.as_str().expect("id"));
                found.push(app.get(&path, Some(t)).await.expect(200));
            }
            found
        };
        assert_eq!(drafts.len(), 2, "{run}");
        let stale = drafts
            .iter()
            .find(|d| d["mentor"]["id"] == json!(mentors[0]))
            .expect("a draft of the first mentor");
        let kept = drafts
            .iter()
            .find(|d| d["mentor"]["id"] == json!(mentors[1]))
            .expect("a draft of the second mentor");
        set_mentor_status(&app, t, &mentors[0], "paused").await;

        let publish = format!(
            "/v1/mentoring/match-runs/{}/publish",
            run["id"].as_str().expect("id")
        );
        let answer = app.post(&publish, Some(t), &json!({})).await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        let detail = answer.body["detail"].as_str().expect("detail");
        let stale_id = stale["id"].as_str().expect("id");
        assert!(
            detail.contains(&format!("{stale_id} (mentor {} is paused)", mentors[0])),
            "{detail}"
        );
        assert!(
            !detail.contains(kept["id"].as_str().expect("id")),
            "{detail}"
        );
        let now = app
            .get(
                &format!(
                    "/v1/mentoring/match-runs/{}",
                    run["id"].as_str().expect("id")
                ),
                Some(t),
            )
            .await
            .expect(200);
        assert_eq!(
            now["pairings_by_status"]["draft"], 2,
            "nothing written: {now}"
        );
        assert_eq!(now["published_at"], Value::Null, "{now}");

        let other = new_mentor(&app, t).await;
        app.patch(
            &format!("/v1/pairings/{stale_id}"),
            Some(t),
            &json!({"mentor_id": other}),
        )
        .await
        .expect(200);
        let published = app.post(&publish, Some(t), &json!({})).await.expect(200);
        let mut ids = ids_of(&published["published"]);
        ids.sort();
        let mut expected = ids_of(&run["pairing_ids"]);
        expected.sort();
        assert_eq!(ids, expected, "{published}");
    }
);

pub fn ids_of(values: &Value) -> Vec<String> {
    values
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect()
}
