//! Mentoring suggestions and match runs: ranking with reasons, remote pairs,
//! tiers served strongest first, drafts that reach nobody until published,
//! publication through the state machine, no duplicate drafts, isolation
//! between structures and bad input.
use crate::db_test;
use crate::helpers::*;
use crate::postgres_or_skip;
use chrono::Datelike;
use entity::mentor;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, QuerySelect, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

/// Saint-Denis (93): not FRR.
const SAINT_DENIS: &str = "93066";
/// Aubervilliers, 2.6 km from Saint-Denis.
const AUBERVILLIERS: &str = "93001";
/// Bobigny, 6.3 km from Saint-Denis.
const BOBIGNY: &str = "93008";
/// Paris, 8.2 km from Saint-Denis.
const PARIS: &str = "75056";
/// Marseille, 660 km away.
const MARSEILLE: &str = "13055";
/// Collège Jean Lurçat, Saint-Denis: REP+.
const REP_PLUS: &str = "0930865K";

fn mentee_body(commune: &str, changes: Value) -> Value {
    let mut body = json!({
        "first_name": "Inès",
        "last_name": format!("Binome{}", Uuid::now_v7().simple()),
        "birth_year": chrono::Utc::now().year() - 17,
        "situation": "lyceen",
        "commune_insee": commune,
    });
    for (k, v) in changes.as_object().expect("changes") {
        body[k] = v.clone();
    }
    body
}

async fn new_mentee(app: &TestApp, token: &str, commune: &str, changes: Value) -> String {
    let created = app
        .post("/v1/mentees", Some(token), &mentee_body(commune, changes))
        .await
        .expect(201);
    created["id"].as_str().expect("id").to_owned()
}

/// A mentor available now, in `commune`, 30 km at most, in person only
/// unless `changes` say otherwise.
async fn new_mentor(app: &TestApp, token: &str, commune: &str, changes: Value) -> String {
    let mut body = mentor_body();
    body["commune_insee"] = json!(commune);
    body["remote_ok"] = json!(false);
    body.as_object_mut()
        .expect("object")
        .remove("available_from");
    for (k, v) in changes.as_object().expect("changes") {
        body[k] = v.clone();
    }
    let created = app
        .post("/v1/mentors", Some(token), &body)
        .await
        .expect(201);
    created["id"].as_str().expect("id").to_owned()
}

async fn suggest(app: &TestApp, token: &str, body: Value) -> Value {
    app.post("/v1/mentoring/suggestions", Some(token), &body)
        .await
        .expect(200)
}

async fn match_run(app: &TestApp, token: &str) -> Value {
    app.post("/v1/mentoring/match-runs", Some(token), &json!({}))
        .await
        .expect(201)
}

fn ids(values: &Value) -> Vec<String> {
    values
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect()
}

fn mentor_ids(item: &Value) -> Vec<String> {
    item["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .map(|s| s["mentor_id"].as_str().expect("id").to_owned())
        .collect()
}

fn tier<'a>(metrics: &'a Value, name: &str) -> &'a Value {
    metrics["per_tier"]
        .as_array()
        .expect("per_tier")
        .iter()
        .find(|t| t["tier"] == name)
        .expect("tier")
}

db_test!(
    async fn suggestions_rank_mentors_with_reasons_and_skip_full_ones(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let mentee = new_mentee(
            &app,
            t,
            SAINT_DENIS,
            json!({"interests": ["M"], "needs": ["orientation", "confiance"]}),
        )
        .await;
        let near_shared = new_mentor(
            &app,
            t,
            AUBERVILLIERS,
            json!({"sectors": ["M"], "helps_with": ["confiance", "reseau"]}),
        )
        .await;
        let farther_other = new_mentor(&app, t, BOBIGNY, json!({"sectors": ["B"]})).await;
        let full = new_mentor(&app, t, PARIS, json!({"sectors": ["M"], "capacity": 1})).await;
        let out_of_range = new_mentor(&app, t, MARSEILLE, json!({"remote_ok": true})).await;
        // The full mentor's one place goes to a draft with another mentee.
        let other = new_mentee(&app, t, PARIS, json!({})).await;
        app.post(
            "/v1/pairings",
            Some(t),
            &json!({"mentee_id": other, "mentor_id": full}),
        )
        .await
        .expect(201);

        let page = suggest(&app, t, json!({"mentee_ids": [mentee]})).await;
        let item = &page["items"][0];
        assert_eq!(item["mentee_id"], json!(mentee));
        assert_eq!(
            mentor_ids(item),
            vec![near_shared.clone(), farther_other.clone()]
        );
        let (best, second) = (&item["suggestions"][0], &item["suggestions"][1]);
        assert!(best["score"].as_f64() > second["score"].as_f64(), "{item}");
        assert_eq!(best["shared_sectors"], json!(["M"]));
        assert_eq!(second["shared_sectors"], json!([]));
        assert_eq!(best["shared_needs"], json!(["confiance"]));
        assert_eq!(second["shared_needs"], json!([]));
        assert_eq!(best["remote"], false);
        let km = best["distance_km"].as_f64().expect("km");
        assert!((2.0..3.5).contains(&km), "{km}");
        assert_eq!(best["load"], json!({"open_pairings": 0, "capacity": 2}));
        let reasons = best["reasons"].to_string();
        for words in [
            "km away",
            "shared sectors: M",
            "helps with 1 of 2 need(s): confiance",
        ] {
            assert!(reasons.contains(words), "{reasons}");
        }
        assert!(!mentor_ids(item).contains(&out_of_range));
        // Same records, same answer.
        assert_eq!(
            suggest(&app, t, json!({"mentee_ids": [mentee]})).await,
            page
        );

        // Without names: the unpaired mentees only (the other one has a draft).
        let all = suggest(&app, t, json!({"limit": 1})).await;
        let listed: Vec<&Value> = all["items"].as_array().expect("items").iter().collect();
        assert_eq!(listed.len(), 1, "{all}");
        assert_eq!(listed[0]["mentee_id"], json!(mentee));
        assert_eq!(mentor_ids(listed[0]), vec![near_shared]);
        assert_eq!(all["next_cursor"], Value::Null);
    }
);

db_test!(
    async fn remote_pairs_ignore_distance(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let far = new_mentor(&app, t, MARSEILLE, json!({"remote_ok": true})).await;
        let remote = new_mentee(&app, t, SAINT_DENIS, json!({"remote_ok": true})).await;
        let in_person = new_mentee(&app, t, SAINT_DENIS, json!({})).await;

        let page = suggest(&app, t, json!({"mentee_ids": [remote, in_person]})).await;
        assert_eq!(mentor_ids(&page["items"][0]), vec![far.clone()]);
        let s = &page["items"][0]["suggestions"][0];
        assert_eq!(s["remote"], true);
        assert!(s["distance_km"].as_f64() > Some(600.0));
        assert!(
            s["reasons"][0]
                .as_str()
                .expect("reason")
                .starts_with("remote")
        );
        assert_eq!(page["items"][1]["suggestions"], json!([]));
        assert_eq!(
            page["items"][1]["no_suggestion_reason"],
            "no_mentor_in_range"
        );

        let result = match_run(&app, t).await;
        let drafts = ids(&result["pairing_ids"]);
        assert_eq!(drafts.len(), 1, "{result}");
        let pairing = app
            .get(&format!("/v1/pairings/{}", drafts[0]), Some(t))
            .await
            .expect(200);
        assert_eq!(pairing["mentee"]["id"], json!(remote));
        assert_eq!(pairing["mentor"]["id"], json!(far));
        assert_eq!(pairing["remote"], true);
        assert_eq!(
            result["unmatched"],
            json!([{"mentee_id": in_person, "priority": "standard", "reason": "no_mentor_in_range"}])
        );
    }
);

db_test!(
    /// A remote pair counts 0 km in the run's distance figures (nobody
    /// travels), while the pairing keeps its real distance: a remote pair
    /// 660 km apart and an in-person one 2.6 km apart report a largest
    /// distance of 2.6 km and a mean of half that.
    async fn a_remote_pair_counts_no_distance_in_the_run_metrics(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        new_mentor(&app, t, MARSEILLE, json!({"remote_ok": true})).await;
        new_mentor(&app, t, AUBERVILLIERS, json!({})).await;
        let remote = new_mentee(&app, t, SAINT_DENIS, json!({"remote_ok": true})).await;
        new_mentee(&app, t, SAINT_DENIS, json!({})).await;

        let result = match_run(&app, t).await;
        let mut near_km = None;
        for id in ids(&result["pairing_ids"]) {
            let pairing = app
                .get(&format!("/v1/pairings/{id}"), Some(t))
                .await
                .expect(200);
            let km = pairing["distance_km"].as_f64().expect("distance_km");
            if pairing["mentee"]["id"] == json!(remote) {
                assert_eq!(pairing["remote"], true, "{pairing}");
                assert!(km > 600.0, "the pairing keeps its real distance: {pairing}");
            } else {
                assert_eq!(pairing["remote"], false, "{pairing}");
                near_km = Some(km);
            }
        }
        let near_km = near_km.expect("an in-person pair");
        assert!((2.0..3.0).contains(&near_km), "{near_km}");
        let metrics = &result["metrics"];
        assert_eq!(metrics["matched"], 2, "{metrics}");
        let close = |field: &Value, expected: f64| {
            let got = field.as_f64().expect("a number");
            assert!(
                (got - expected).abs() < 1e-3,
                "{got} != {expected}: {metrics}"
            );
        };
        close(&metrics["distance_km"]["max"], near_km);
        close(&metrics["distance_km"]["p90"], near_km);
        close(&metrics["distance_km"]["mean"], near_km / 2.0);
        close(
            &tier(metrics, "standard")["distance_mean_km"],
            near_km / 2.0,
        );
    }
);

db_test!(
    async fn the_rep_plus_mentee_gets_the_last_place_before_a_nearer_standard_one(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let mentor = new_mentor(&app, t, AUBERVILLIERS, json!({"capacity": 1})).await;
        // The standard mentee lives where the mentor does; the REP+ one 2.6 km away.
        let standard = new_mentee(&app, t, AUBERVILLIERS, json!({})).await;
        let rep_plus = new_mentee(
            &app,
            t,
            SAINT_DENIS,
            json!({"situation": "collegien", "school_uai": REP_PLUS,
                   "birth_year": chrono::Utc::now().year() - 14}),
        )
        .await;

        let result = match_run(&app, t).await;
        let drafts = ids(&result["pairing_ids"]);
        assert_eq!(drafts.len(), 1, "{result}");
        let pairing = app
            .get(&format!("/v1/pairings/{}", drafts[0]), Some(t))
            .await
            .expect(200);
        assert_eq!(pairing["mentee"]["id"], json!(rep_plus));
        assert_eq!(pairing["mentor"]["id"], json!(mentor));
        assert_eq!(pairing["priority"], "rep_plus");
        assert_eq!(
            result["unmatched"],
            json!([{"mentee_id": standard, "priority": "standard",
                    "reason": "places_taken_by_higher_priority"}])
        );
        let metrics = &result["metrics"];
        assert_eq!(tier(metrics, "rep_plus")["matched"], 1);
        assert_eq!(tier(metrics, "standard")["matched"], 0);
        assert_eq!(tier(metrics, "standard")["units"], 1);
        assert_eq!(metrics["blocking_pairs"], 0);
        assert_eq!(metrics["seats"], 1);

        // The mentor is now full: suggested to nobody.
        let page = suggest(&app, t, json!({"mentee_ids": [standard]})).await;
        assert_eq!(
            page["items"][0]["no_suggestion_reason"],
            "no_mentor_with_free_place"
        );
    }
);

db_test!(
    async fn a_run_writes_drafts_that_reach_nobody_until_published(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let first = new_mentor(&app, t, AUBERVILLIERS, json!({"capacity": 3})).await;
        let second = new_mentor(&app, t, BOBIGNY, json!({"capacity": 1})).await;
        for _ in 0..3 {
            new_mentee(&app, t, SAINT_DENIS, json!({})).await;
        }
        let emails_before = entity::email_outbox::Entity::find()
            .count(&app.db)
            .await
            .expect("count");

        let result = match_run(&app, t).await;
        let drafts = ids(&result["pairing_ids"]);
        assert_eq!(drafts.len(), 3, "{result}");
        assert_eq!(result["metrics"]["matched"], 3);
        assert_eq!(result["metrics"]["blocking_pairs"], 0);
        assert_eq!(result["pairings_by_status"]["draft"], 3);
        assert_eq!(result["published_at"], Value::Null);
        for id in &drafts {
            let p = app
                .get(&format!("/v1/pairings/{id}"), Some(t))
                .await
                .expect(200);
            assert_eq!(p["status"], "draft");
            assert_eq!(p["origin"], "match_run");
            assert!(p["distance_km"].as_f64().is_some());
            assert_eq!(p["proposed_at"], Value::Null);
            assert_eq!(p["history"].as_array().map(Vec::len), Some(1));
        }
        // Nothing proposed, nothing sent.
        let proposed = app
            .get("/v1/pairings?status=proposed", Some(t))
            .await
            .expect(200);
        assert_eq!(proposed["items"], json!([]));
        let emails_after = entity::email_outbox::Entity::find()
            .count(&app.db)
            .await
            .expect("count");
        assert_eq!(emails_after, emails_before);

        // A second run finds every mentee with an open pairing: no duplicate.
        let again = match_run(&app, t).await;
        assert_eq!(again["pairing_ids"], json!([]));
        assert_eq!(again["metrics"]["units"], 0);
        let listed = app.get("/v1/pairings", Some(t)).await.expect(200);
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(3));

        // Review: discard one draft, give another the second mentor.
        let (discarded, edited, kept) = (&drafts[0], &drafts[1], &drafts[2]);
        app.patch(
            &format!("/v1/pairings/{discarded}"),
            Some(t),
            &json!({"status": "declined", "note": "déjà accompagné ailleurs"}),
        )
        .await
        .expect(200);
        let edited_now = app
            .patch(
                &format!("/v1/pairings/{edited}"),
                Some(t),
                &json!({"mentor_id": second}),
            )
            .await
            .expect(200);
        assert_eq!(edited_now["mentor"]["id"], json!(second));

        let run_id = result["id"].as_str().expect("id");
        let published = app
            .post(
                &format!("/v1/mentoring/match-runs/{run_id}/publish"),
                Some(t),
                &json!({}),
            )
            .await
            .expect(200);
        let mut moved = ids(&published["published"]);
        moved.sort();
        let mut expected = vec![edited.clone(), kept.clone()];
        expected.sort();
        assert_eq!(moved, expected);
        assert_eq!(published["run"]["pairings_by_status"]["proposed"], 2);
        assert_eq!(published["run"]["pairings_by_status"]["declined"], 1);
        assert_eq!(published["run"]["pairings_by_status"]["draft"], 0);
        assert!(published["run"]["published_at"].is_string());
        for id in &expected {
            let p = app
                .get(&format!("/v1/pairings/{id}"), Some(t))
                .await
                .expect(200);
            assert_eq!(p["status"], "proposed");
            assert!(p["proposed_at"].is_string());
            let history = p["history"].as_array().expect("history");
            let last = history.last().expect("event");
            assert_eq!(
                (history.len(), &last["from"], &last["to"]),
                (2, &json!("draft"), &json!("proposed"))
            );
            assert!(last["note"].as_str().expect("note").contains(run_id));
        }
        let kept_pairing = app
            .get(&format!("/v1/pairings/{kept}"), Some(t))
            .await
            .expect(200);
        assert_eq!(kept_pairing["mentor"]["id"], json!(first));
        let declined = app
            .get(&format!("/v1/pairings/{discarded}"), Some(t))
            .await
            .expect(200);
        assert_eq!(declined["status"], "declined");

        // Publishing again proposes nothing more; the run reads the same.
        let twice = app
            .post(
                &format!("/v1/mentoring/match-runs/{run_id}/publish"),
                Some(t),
                &json!({}),
            )
            .await
            .expect(200);
        assert_eq!(twice["published"], json!([]));
        let read = app
            .get(&format!("/v1/mentoring/match-runs/{run_id}"), Some(t))
            .await
            .expect(200);
        assert_eq!(
            read["pairings_by_status"],
            published["run"]["pairings_by_status"]
        );
        assert_eq!(read["metrics"], result["metrics"]);
        // Both runs are listed, newest first, one per page.
        let first_page = app
            .get("/v1/mentoring/match-runs?limit=1", Some(t))
            .await
            .expect(200);
        assert_eq!(first_page["items"][0]["id"], again["id"]);
        let cursor = first_page["next_cursor"].as_str().expect("cursor");
        let second_page = app
            .get(
                &format!("/v1/mentoring/match-runs?limit=1&cursor={cursor}"),
                Some(t),
            )
            .await
            .expect(200);
        assert_eq!(second_page["items"][0]["id"], result["id"]);
        assert_eq!(second_page["next_cursor"], Value::Null);
    }
);

db_test!(
    async fn other_structures_records_are_unknown_and_bad_input_names_its_field(app: TestApp) {
        let admin = app.admin().await;
        let mine = app.coordinator(&admin).await;
        let theirs = app.coordinator(&admin).await;
        let t = mine.token.as_str();
        let their_mentee = new_mentee(&app, &theirs.token, SAINT_DENIS, json!({})).await;
        new_mentor(&app, &theirs.token, SAINT_DENIS, json!({})).await;
        let their_run = match_run(&app, &theirs.token).await;
        assert_eq!(ids(&their_run["pairing_ids"]).len(), 1);
        let their_run = their_run["id"].as_str().expect("id");

        let my_mentee = new_mentee(&app, t, SAINT_DENIS, json!({})).await;
        let unknown = app
            .post(
                "/v1/mentoring/suggestions",
                Some(t),
                &json!({"mentee_ids": [my_mentee, their_mentee]}),
            )
            .await;
        assert_eq!(unknown.status.as_u16(), 404, "{}", unknown.text);
        assert!(!unknown.text.contains("Inès"));
        app.get(&format!("/v1/mentoring/match-runs/{their_run}"), Some(t))
            .await
            .expect(404);
        app.post(
            &format!("/v1/mentoring/match-runs/{their_run}/publish"),
            Some(t),
            &json!({}),
        )
        .await
        .expect(404);
        // My run sees neither their mentee nor their mentor.
        let mine_run = match_run(&app, t).await;
        assert_eq!(mine_run["pairing_ids"], json!([]));
        assert_eq!(mine_run["metrics"]["units"], 1);
        assert_eq!(mine_run["metrics"]["seats"], 0);

        for (body, field) in [
            (json!({"max_distance_km": 500}), "max_distance_km"),
            (json!({"limit": 0}), "limit"),
            (json!({"mentee_ids": []}), "mentee_ids"),
            (json!({"mentee_ids": ["not-a-uuid"]}), "mentee_ids[0]"),
            (
                json!({"mentee_ids": [my_mentee], "cursor": "abc"}),
                "cursor",
            ),
            (json!({"cursor": "%%%"}), "cursor"),
        ] {
            let answer = app.post("/v1/mentoring/suggestions", Some(t), &body).await;
            assert_eq!(
                answer.headers["content-type"], "application/problem+json",
                "{body}"
            );
            assert_eq!(answer.invalid_fields(), vec![field.to_owned()], "{body}");
        }
        for (body, field) in [
            (json!({"max_distance_km": 0}), "max_distance_km"),
            (json!({"seed": -1}), "seed"),
            (json!({"available_by": "tomorrow"}), "available_by"),
        ] {
            let answer = app.post("/v1/mentoring/match-runs", Some(t), &body).await;
            assert_eq!(answer.invalid_fields(), vec![field.to_owned()], "{body}");
        }
        // What a mentor helps with is a list of mentee needs.
        let mut mentor = mentor_body();
        mentor["helps_with"] = json!(["orientation", "cuisine"]);
        let answer = app.post("/v1/mentors", Some(t), &mentor).await;
        assert_eq!(answer.invalid_fields(), vec!["helps_with[1]".to_owned()]);
        let helper = new_mentor(&app, t, SAINT_DENIS, json!({"helps_with": ["reseau"]})).await;
        let patched = app
            .patch(
                &format!("/v1/mentors/{helper}"),
                Some(t),
                &json!({"helps_with": ["mobilite", "confiance"]}),
            )
            .await
            .expect(200);
        assert_eq!(patched["helps_with"], json!(["confiance", "mobilite"]));
        let company = app.company(&admin).await;
        app.post("/v1/mentoring/match-runs", Some(&company.token), &json!({}))
            .await
            .expect(403);
    }
);

db_test!(
    async fn the_answers_match_their_documented_schemas_strictly(app: TestApp) {
        use crate::openapi::check_strictly;
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        new_mentor(
            &app,
            t,
            AUBERVILLIERS,
            json!({"sectors": ["M"], "capacity": 1}),
        )
        .await;
        let paired = new_mentee(&app, t, SAINT_DENIS, json!({"interests": ["M"]})).await;
        let left = new_mentee(&app, t, SAINT_DENIS, json!({})).await;
        let suggestions = app
            .post(
                "/v1/mentoring/suggestions",
                Some(t),
                &json!({"mentee_ids": [paired, left], "max_distance_km": 20}),
            )
            .await;
        assert_eq!(mentor_ids(&suggestions.body["items"][0]).len(), 1);
        check_strictly("POST", "/v1/mentoring/suggestions", &suggestions);
        let created = app
            .post("/v1/mentoring/match-runs", Some(t), &json!({"seed": 3}))
            .await;
        assert_eq!(created.body["unmatched"].as_array().map(Vec::len), Some(1));
        check_strictly("POST", "/v1/mentoring/match-runs", &created);
        let id = created.body["id"].as_str().expect("id").to_owned();
        let read = app
            .get(&format!("/v1/mentoring/match-runs/{id}"), Some(t))
            .await;
        check_strictly("GET", "/v1/mentoring/match-runs/{id}", &read);
        let published = app
            .post(
                &format!("/v1/mentoring/match-runs/{id}/publish"),
                Some(t),
                &json!({}),
            )
            .await;
        assert_eq!(ids(&published.body["published"]).len(), 1);
        check_strictly("POST", "/v1/mentoring/match-runs/{id}/publish", &published);
        let listed = app.get("/v1/mentoring/match-runs", Some(t)).await;
        check_strictly("GET", "/v1/mentoring/match-runs", &listed);
        let empty = suggest(&app, t, json!({})).await;
        assert_eq!(
            empty["items"][0]["no_suggestion_reason"],
            "no_mentor_with_free_place"
        );
    }
);

db_test!(
    async fn concurrent_runs_never_give_a_mentee_two_drafts(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        for _ in 0..3 {
            new_mentor(&app, t, AUBERVILLIERS, json!({"capacity": 3})).await;
        }
        let mut mentees = Vec::new();
        for _ in 0..6 {
            mentees.push(new_mentee(&app, t, SAINT_DENIS, json!({})).await);
        }
        let empty = json!({});
        let runs = futures::future::join_all(
            (0..3).map(|_| app.post("/v1/mentoring/match-runs", Some(t), &empty)),
        )
        .await;
        let mut drafted = Vec::new();
        for answer in runs {
            // A run that met another's drafts on the unique index answers 409.
            match answer.status.as_u16() {
                201 => drafted.extend(ids(&answer.body["pairing_ids"])),
                409 => {}
                other => panic!("unexpected {other}: {}", answer.text),
            }
        }
        assert_eq!(drafted.len(), 6, "{drafted:?}");
        for mentee in &mentees {
            let open = app
                .get(&format!("/v1/pairings?mentee_id={mentee}"), Some(t))
                .await
                .expect(200);
            assert_eq!(open["items"].as_array().map(Vec::len), Some(1), "{open}");
        }
    }
);

/// A run locks the structure's mentors by id, so that it and any other
/// transaction locking several of them never each hold one the other waits
/// for (a deadlock on PostgreSQL). The first mentor's row is written again
/// after the second's, as concurrent creations (ids drawn in one order, rows
/// written in the other) leave them, so a scan meets the second first.
/// While another transaction holds the first, the run waits for him holding
/// no one: the second stays free.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_match_run_locks_the_structures_mentors_in_id_order() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    new_mentee(&app, t, SAINT_DENIS, json!({})).await;
    let first = new_mentor(&app, t, AUBERVILLIERS, json!({})).await;
    let second = new_mentor(&app, t, BOBIGNY, json!({})).await;
    let (first, second) = (
        Uuid::parse_str(&first).unwrap(),
        Uuid::parse_str(&second).unwrap(),
    );
    assert!(first < second, "ids are time-ordered");
    let row = mentor::Entity::find_by_id(first)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the first mentor");
    mentor::Entity::delete_by_id(first)
        .exec(&app.db)
        .await
        .unwrap();
    mentor::Entity::insert(mentor::ActiveModel::from(row).reset_all())
        .exec_without_returning(&app.db)
        .await
        .unwrap();

    let holder = app.db.begin().await.unwrap();
    mentor::Entity::find_by_id(first)
        .lock(LockType::Update)
        .one(&holder)
        .await
        .unwrap()
        .expect("the first mentor");
    let meanwhile = async {
        wait_for_a_lock_waiter(&app).await;
        let probe = app.db.begin().await.unwrap();
        let second_free = mentor::Entity::find_by_id(second)
            .lock_with_behavior(LockType::Update, LockBehavior::Nowait)
            .one(&probe)
            .await;
        probe.rollback().await.unwrap();
        holder.commit().await.unwrap();
        second_free
    };
    let empty = json!({});
    let (answer, second_free) = tokio::join!(
        app.post("/v1/mentoring/match-runs", Some(t), &empty),
        meanwhile
    );
    assert!(
        matches!(second_free, Ok(Some(_))),
        "the run waiting for the first mentor holds the second: {second_free:?}"
    );
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.text);
    assert_eq!(answer.body["pairing_ids"].as_array().map(Vec::len), Some(1));
}
