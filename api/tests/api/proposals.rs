//! A draft goes out (proposed by hand, or with its run) only to the mentor
//! it has when it goes out, and only while he is `active`: the mentor is
//! read under his lock, then the draft under its own, so neither a pause
//! nor a change of the draft's mentor slips in between (PostgreSQL; SQLite
//! has one writer and no row locks). A draft left without a mentor (his
//! profile deleted) is given one before it is proposed by hand.
use crate::db_test;
use crate::helpers::*;
use crate::mentor_status::{
    ids_of, new_mentor, paused_meanwhile, refused_as_paused, set_mentor_status,
};
use crate::pairings::{new_mentee, new_pairing};
use crate::postgres_or_skip;
use entity::mentor;
use sea_orm::{EntityTrait, QuerySelect, TransactionTrait};
use serde_json::{Value, json};
use std::future::Future;
use uuid::Uuid;

/// A new draft of a new mentee with `mentor`: its path.
async fn new_draft(app: &TestApp, token: &str, mentor: &str) -> String {
    format!("/v1/pairings/{}", new_pairing(app, token, mentor).await)
}

/// Sends `request` while a test session holds `mentor`'s row lock; once the
/// request waits for a row lock, runs `meanwhile` (other requests, which
/// must not need that lock), then lets the lock go.
async fn while_mentor_held(
    app: &TestApp,
    mentor_id: &str,
    request: impl Future<Output = Response>,
    meanwhile: impl Future<Output = ()>,
) -> Response {
    let id = Uuid::parse_str(mentor_id).expect("uuid");
    let holder = app.db.begin().await.unwrap();
    mentor::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&holder)
        .await
        .unwrap()
        .expect("the mentor");
    let then = async {
        wait_for_a_lock_waiter(app).await;
        meanwhile.await;
        holder.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(request, then);
    answer
}

/// The draft at `path` is given `mentor` (and he is then paused when
/// `pause`), each change committed.
async fn give_mentor(app: &TestApp, token: &str, path: &str, mentor: &str, pause: bool) {
    app.patch(path, Some(token), &json!({"mentor_id": mentor}))
        .await
        .expect(200);
    if pause {
        set_mentor_status(app, token, mentor, "paused").await;
    }
}

fn moves(pairing: &Value) -> Vec<&Value> {
    pairing["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| &h["to"])
        .collect()
}

/// A pause committed while `PATCH {status: proposed}` waits for the
/// draft's mentor is refused like one committed before: 422 on
/// `mentor_id`, the draft still a draft.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mentor_paused_while_his_draft_is_proposed_is_refused() {
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let mentor = new_mentor(&app, t).await;
    let path = new_draft(&app, t, &mentor).await;
    let body = json!({"status": "proposed"});
    let answer = paused_meanwhile(&app, &mentor, app.patch(&path, Some(t), &body)).await;
    refused_as_paused(&answer);
    let draft = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(draft["status"], "draft", "{draft}");
    assert_eq!(moves(&draft), ["draft"], "nothing written: {draft}");
}

/// A draft given another mentor, then that mentor paused, while
/// `PATCH {status: proposed}` waits for the draft's first mentor: the move
/// reads the draft again under its lock, sees the new mentor and answers
/// 409 (read it again) instead of proposing the draft to a paused mentor it
/// never checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_draft_given_another_mentor_while_it_is_proposed_is_not_proposed() {
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let first = new_mentor(&app, t).await;
    let second = new_mentor(&app, t).await;
    let path = new_draft(&app, t, &first).await;
    let answer = while_mentor_held(
        &app,
        &first,
        app.patch(&path, Some(t), &json!({"status": "proposed"})),
        give_mentor(&app, t, &path, &second, true),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    assert!(answer.text.contains("changed meanwhile"), "{}", answer.text);
    let draft = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(draft["status"], "draft", "{draft}");
    assert_eq!(draft["mentor"]["id"], json!(second), "{draft}");
}

db_test!(
    /// A draft whose mentor's profile was deleted is not proposed to no
    /// one: 422 on `mentor_id` (give it a mentor first), the draft still a
    /// draft. Given another mentor, it is proposed.
    async fn a_draft_without_a_mentor_is_given_one_before_it_is_proposed(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let gone = new_mentor(&app, t).await;
        let path = new_draft(&app, t, &gone).await;
        app.delete(&format!("/v1/mentors/{gone}"), Some(t))
            .await
            .expect(204);
        let draft = app.get(&path, Some(t)).await.expect(200);
        assert_eq!(draft["mentor"]["id"], Value::Null, "{draft}");

        let body = json!({"status": "proposed"});
        let answer = app.patch(&path, Some(t), &body).await;
        assert_eq!(answer.invalid_fields(), vec!["mentor_id"]);
        assert!(answer.text.contains("give it one first"), "{}", answer.text);
        let draft = app.get(&path, Some(t)).await.expect(200);
        assert_eq!(draft["status"], "draft", "{draft}");
        assert_eq!(moves(&draft), ["draft"], "nothing written: {draft}");

        let other = new_mentor(&app, t).await;
        give_mentor(&app, t, &path, &other, false).await;
        let proposed = app.patch(&path, Some(t), &body).await.expect(200);
        assert_eq!(proposed["status"], "proposed", "{proposed}");
        assert_eq!(proposed["mentor"]["id"], json!(other), "{proposed}");
    }
);

/// A run with one draft, to a mentor of its own, and another active mentor
/// created after it: the run's id, the draft's path, the draft's mentor and
/// the other mentor.
async fn run_with_one_draft(app: &TestApp, token: &str) -> (String, String, String, String) {
    let mentor = new_mentor(app, token).await;
    new_mentee(app, token).await;
    let run = app
        .post("/v1/mentoring/match-runs", Some(token), &json!({}))
        .await
        .expect(201);
    let ids = ids_of(&run["pairing_ids"]);
    assert_eq!(ids.len(), 1, "{run}");
    let path = format!("/v1/pairings/{}", ids[0]);
    let draft = app.get(&path, Some(token)).await.expect(200);
    assert_eq!(draft["mentor"]["id"], json!(mentor), "{draft}");
    let other = new_mentor(app, token).await;
    let run = run["id"].as_str().expect("id").to_owned();
    (run, path, mentor, other)
}

/// Publishes `run` while a test session holds `first`'s lock (the draft's
/// mentor as the publication reads it), giving the draft at `path` the
/// mentor `second` (paused then when `pause`) while the publication waits.
async fn publish_while_draft_changes(
    app: &TestApp,
    token: &str,
    run: &str,
    (path, first, second): (&str, &str, &str),
    pause: bool,
) -> Response {
    let publish = format!("/v1/mentoring/match-runs/{run}/publish");
    while_mentor_held(
        app,
        first,
        app.post(&publish, Some(token), &json!({})),
        give_mentor(app, token, path, second, pause),
    )
    .await
}

/// A run's draft given another mentor, then that mentor paused, while the
/// publication waits for the draft's first mentor: the publication reads
/// the draft again under its lock, starts over with the new mentor, finds
/// him paused and proposes nothing (409 naming the draft and him), instead
/// of proposing the draft to him unchecked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_draft_given_a_paused_mentor_while_its_run_is_published_stops_it() {
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let (run, path, first, second) = run_with_one_draft(&app, t).await;
    let answer = publish_while_draft_changes(&app, t, &run, (&path, &first, &second), true).await;
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    let detail = answer.body["detail"].as_str().expect("detail");
    let draft_id = path.trim_start_matches("/v1/pairings/");
    assert!(
        detail.contains(&format!("{draft_id} (mentor {second} is paused)")),
        "{detail}"
    );
    let draft = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(draft["status"], "draft", "{draft}");
    let now = app
        .get(&format!("/v1/mentoring/match-runs/{run}"), Some(t))
        .await
        .expect(200);
    assert_eq!(now["published_at"], Value::Null, "{now}");
}

/// The same with the new mentor left active: the publication starts over
/// with him and the draft goes out to him, as the coordinator chose.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_draft_given_another_mentor_while_its_run_is_published_goes_to_him() {
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let (run, path, first, second) = run_with_one_draft(&app, t).await;
    let answer = publish_while_draft_changes(&app, t, &run, (&path, &first, &second), false).await;
    let published = answer.expect(200);
    let draft_id = path.trim_start_matches("/v1/pairings/");
    assert_eq!(ids_of(&published["published"]), [draft_id], "{published}");
    let draft = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(draft["status"], "proposed", "{draft}");
    assert_eq!(draft["mentor"]["id"], json!(second), "{draft}");
}
