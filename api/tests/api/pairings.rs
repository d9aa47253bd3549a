//! Pairings: the state machine (every allowed and forbidden move), the
//! fields each move needs, one open pairing per mentee, the mentor's
//! places under concurrent creations and activations, isolation and erasure.
use crate::db_test;
use crate::helpers::*;
use crate::mentees::{mentee, year};
use serde_json::{Value, json};
use uuid::Uuid;

const STATUSES: [&str; 6] = ["draft", "proposed", "active", "paused", "ended", "declined"];

/// The moves the service allows, by status.
fn allowed(from: &str) -> &'static [&'static str] {
    match from {
        "draft" => &["proposed", "declined"],
        "proposed" => &["active", "declined"],
        "active" => &["paused", "ended"],
        "paused" => &["active", "ended"],
        _ => &[],
    }
}

/// The moves that lead from a new draft to `status`.
fn path_to(status: &str) -> &'static [&'static str] {
    match status {
        "draft" => &[],
        "proposed" => &["proposed"],
        "active" => &["proposed", "active"],
        "paused" => &["proposed", "active", "paused"],
        "ended" => &["proposed", "active", "ended"],
        "declined" => &["proposed", "declined"],
        other => panic!("unknown status {other}"),
    }
}

/// The body of a move from `from` to `to`, with the fields it needs.
fn move_body(from: &str, to: &str) -> Value {
    match to {
        "active" if from != "paused" => json!({"status": "active", "start_date": "2026-01-05"}),
        "ended" => json!({"status": "ended", "end_reason": "completed"}),
        other => json!({"status": other}),
    }
}

async fn new_mentor(app: &TestApp, token: &str, capacity: u32) -> String {
    let body = with_capacity(capacity);
    let created = app
        .post("/v1/mentors", Some(token), &body)
        .await
        .expect(201);
    created["id"].as_str().unwrap().to_owned()
}

fn with_capacity(capacity: u32) -> Value {
    let mut body = mentor_body();
    body["capacity"] = json!(capacity);
    body
}

/// A new mentee of the structure, with a unique last name.
pub async fn new_mentee(app: &TestApp, token: &str) -> String {
    let last = format!("Binome{}", Uuid::now_v7().simple());
    let created = app
        .post("/v1/mentees", Some(token), &mentee("Sam", &last))
        .await
        .expect(201);
    created["id"].as_str().unwrap().to_owned()
}

/// A new draft of a new mentee with `mentor`: its id.
pub async fn new_pairing(app: &TestApp, token: &str, mentor: &str) -> String {
    let mentee = new_mentee(app, token).await;
    let created = app
        .post(
            "/v1/pairings",
            Some(token),
            &json!({"mentee_id": mentee, "mentor_id": mentor}),
        )
        .await
        .expect(201);
    assert_eq!(created["status"], "draft");
    created["id"].as_str().unwrap().to_owned()
}

async fn move_to(app: &TestApp, token: &str, id: &str, status: &str) {
    let mut from = "draft";
    for step in path_to(status) {
        app.patch(
            &format!("/v1/pairings/{id}"),
            Some(token),
            &move_body(from, step),
        )
        .await
        .expect(200);
        from = step;
    }
}

db_test!(
    async fn every_allowed_move_succeeds_and_every_other_is_a_409_listing_the_allowed(
        app: TestApp,
    ) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        for from in STATUSES {
            for to in STATUSES {
                let mentor = new_mentor(&app, token, 1).await;
                let id = new_pairing(&app, token, &mentor).await;
                move_to(&app, token, &id, from).await;
                let path = format!("/v1/pairings/{id}");
                let before = app.get(&path, Some(token)).await.expect(200);
                assert_eq!(before["status"], from);
                assert_eq!(before["allowed_transitions"], json!(allowed(from)));
                let answer = app.patch(&path, Some(token), &move_body(from, to)).await;
                if allowed(from).contains(&to) {
                    let after = answer.expect(200);
                    assert_eq!(after["status"], to, "{from} -> {to}");
                    let history = after["history"].as_array().unwrap();
                    assert_eq!(history.len(), path_to(from).len() + 2, "{from} -> {to}");
                    let last = history.last().unwrap();
                    assert_eq!(
                        (last["from"].as_str(), last["to"].as_str()),
                        (Some(from), Some(to))
                    );
                    assert!(last["actor_id"].is_string());
                    assert!(last["at"].is_string());
                } else {
                    assert_eq!(
                        answer.status.as_u16(),
                        409,
                        "{from} -> {to}: {}",
                        answer.text
                    );
                    let detail = answer.body["detail"].as_str().unwrap();
                    for next in allowed(from) {
                        assert!(detail.contains(next), "{from} -> {to}: {detail}");
                    }
                    if allowed(from).is_empty() {
                        assert!(detail.contains("none"), "{detail}");
                    }
                    let after = app.get(&path, Some(token)).await.expect(200);
                    assert_eq!(after, before, "a refused move changes nothing");
                }
            }
        }
    }
);

db_test!(
    async fn each_move_asks_for_its_own_fields_and_nothing_else(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let id = new_pairing(&app, token, &mentor).await;
        let path = format!("/v1/pairings/{id}");
        move_to(&app, token, &id, "proposed").await;
        let future = format!("{}-12-31", year() + 1);
        let cases = [
            (json!({"status": "active"}), vec!["start_date"]),
            (
                json!({"status": "active", "start_date": future}),
                vec!["start_date"],
            ),
            (
                json!({"status": "active", "start_date": "2026-01-05", "end_reason": "completed"}),
                vec!["end_reason"],
            ),
            (json!({"status": "flying"}), vec!["status"]),
        ];
        for (body, fields) in cases {
            let answer = app.patch(&path, Some(token), &body).await;
            assert_eq!(answer.invalid_fields(), fields, "{body}");
        }
        app.patch(
            &path,
            Some(token),
            &json!({"status": "active", "start_date": "2026-01-05", "note": "première rencontre"}),
        )
        .await
        .expect(200);
        let cases = [
            (json!({"status": "ended"}), vec!["end_reason"]),
            (
                json!({"status": "ended", "end_reason": "bored"}),
                vec!["end_reason"],
            ),
            (
                json!({"status": "ended", "end_reason": "moved", "end_date": "2025-12-31"}),
                vec!["end_date"],
            ),
            (
                json!({"status": "ended", "end_reason": "moved", "end_date": future}),
                vec!["end_date"],
            ),
            (
                json!({"status": "paused", "closing_note": "x"}),
                vec!["closing_note"],
            ),
        ];
        for (body, fields) in cases {
            let answer = app.patch(&path, Some(token), &body).await;
            assert_eq!(answer.invalid_fields(), fields, "{body}");
        }
        let unchanged = app.get(&path, Some(token)).await.expect(200);
        assert_eq!(unchanged["status"], "active");
        assert_eq!(unchanged["history"].as_array().unwrap().len(), 3);
        assert_eq!(unchanged["start_date"], "2026-01-05");

        let ended = app
            .patch(
                &path,
                Some(token),
                &json!({
                    "status": "ended",
                    "end_reason": "mentee_withdrew",
                    "end_date": "2026-03-01",
                    "closing_note": "a déménagé",
                }),
            )
            .await
            .expect(200);
        assert_eq!(ended["end_reason"], "mentee_withdrew");
        assert_eq!(ended["end_date"], "2026-03-01");
        assert_eq!(ended["closing_note"], "a déménagé");
        assert_eq!(ended["allowed_transitions"], json!([]));
        let last = ended["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["reason"], "mentee_withdrew");
    }
);

db_test!(
    async fn a_mentee_has_one_open_pairing_at_a_time(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let other_mentor = new_mentor(&app, token, 3).await;
        let mentee = new_mentee(&app, token).await;
        let body = json!({"mentee_id": mentee, "mentor_id": mentor, "status": "proposed"});
        let first = app
            .post("/v1/pairings", Some(token), &body)
            .await
            .expect(201);
        assert_eq!(first["status"], "proposed");
        assert!(first["proposed_at"].is_string());
        let id = first["id"].as_str().unwrap();
        app.patch(
            &format!("/v1/pairings/{id}"),
            Some(token),
            &json!({"status": "active", "start_date": "2026-02-02"}),
        )
        .await
        .expect(200);
        let again = json!({"mentee_id": mentee, "mentor_id": other_mentor});
        let answer = app.post("/v1/pairings", Some(token), &again).await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        assert!(answer.text.contains("active"), "{}", answer.text);
        // Once it ends, the mentee may be paired again.
        app.patch(
            &format!("/v1/pairings/{id}"),
            Some(token),
            &json!({"status": "ended", "end_reason": "mentor_withdrew"}),
        )
        .await
        .expect(200);
        app.post("/v1/pairings", Some(token), &again)
            .await
            .expect(201);
        let listed = app
            .get(&format!("/v1/pairings?mentee_id={mentee}"), Some(token))
            .await
            .expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
        let ended = app
            .get("/v1/pairings?status=ended", Some(token))
            .await
            .expect(200);
        assert_eq!(ended["items"].as_array().unwrap().len(), 1);
        // Starting active is not a creation.
        let other = new_mentee(&app, token).await;
        let answer = app
            .post(
                "/v1/pairings",
                Some(token),
                &json!({"mentee_id": other, "mentor_id": mentor, "status": "active"}),
            )
            .await;
        assert_eq!(answer.invalid_fields(), vec!["status"]);
    }
);

db_test!(
    async fn a_drafts_mentor_changes_before_publication_only(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let first = new_mentor(&app, token, 1).await;
        let second = new_mentor(&app, token, 1).await;
        let id = new_pairing(&app, token, &first).await;
        let path = format!("/v1/pairings/{id}");
        let changed = app
            .patch(&path, Some(token), &json!({"mentor_id": second}))
            .await
            .expect(200);
        assert_eq!(changed["mentor"]["id"], second.as_str());
        assert_eq!(changed["mentor"]["name"], "Sami B.");
        move_to(&app, token, &id, "proposed").await;
        let answer = app
            .patch(&path, Some(token), &json!({"mentor_id": first}))
            .await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        let answer = app.patch(&path, Some(token), &json!({})).await;
        assert_eq!(answer.invalid_fields(), vec!["status"]);
    }
);

db_test!(
    /// A draft moves only to a mentor with a free place, counted as a match
    /// run counts them: capacity minus draft, proposed, active and paused
    /// pairings.
    async fn a_drafts_new_mentor_needs_a_free_place(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let first = new_mentor(&app, token, 1).await;
        let full = new_mentor(&app, token, 1).await;
        let id = new_pairing(&app, token, &first).await;
        let path = format!("/v1/pairings/{id}");
        let holder = new_pairing(&app, token, &full).await;
        let mut from = "draft";
        for status in ["draft", "proposed", "active", "paused"] {
            if status != from {
                app.patch(
                    &format!("/v1/pairings/{holder}"),
                    Some(token),
                    &move_body(from, status),
                )
                .await
                .expect(200);
                from = status;
            }
            let answer = app
                .patch(&path, Some(token), &json!({"mentor_id": full}))
                .await;
            assert_eq!(answer.status.as_u16(), 409, "{status}: {}", answer.text);
            assert!(
                answer.text.contains("capacity 1, 1 taken"),
                "{status}: {}",
                answer.text
            );
        }
        let kept = app.get(&path, Some(token)).await.expect(200);
        assert_eq!(kept["mentor"]["id"], first.as_str(), "nothing changed");
        // The draft's own place is not counted against its mentor.
        app.patch(&path, Some(token), &json!({"mentor_id": first}))
            .await
            .expect(200);
        // A closed pairing frees the place.
        app.patch(
            &format!("/v1/pairings/{holder}"),
            Some(token),
            &move_body("paused", "ended"),
        )
        .await
        .expect(200);
        let moved = app
            .patch(&path, Some(token), &json!({"mentor_id": full}))
            .await
            .expect(200);
        assert_eq!(moved["mentor"]["id"], full.as_str());
    }
);

db_test!(
    /// A new pairing takes a place as a match run counts them (capacity
    /// minus draft, proposed, active and paused pairings): a full mentor
    /// answers 409 as when a draft moves to him, and nothing is written.
    async fn a_new_pairing_needs_a_free_place_of_its_mentor(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let full = new_mentor(&app, token, 1).await;
        let other = new_mentor(&app, token, 1).await;
        let holder = new_pairing(&app, token, &full).await;
        let draft = new_pairing(&app, token, &other).await;
        let waiting = new_mentee(&app, token).await;
        let note = format!("Attente{}", Uuid::now_v7().simple());
        let mut from = "draft";
        for status in ["draft", "proposed", "active", "paused"] {
            if status != from {
                app.patch(
                    &format!("/v1/pairings/{holder}"),
                    Some(token),
                    &move_body(from, status),
                )
                .await
                .expect(200);
                from = status;
            }
            for asked in ["draft", "proposed"] {
                let created = app
                    .post(
                        "/v1/pairings",
                        Some(token),
                        &json!({"mentee_id": waiting, "mentor_id": full,
                                "status": asked, "note": note}),
                    )
                    .await;
                assert_eq!(created.status.as_u16(), 409, "{status}: {}", created.text);
                assert!(
                    created.text.contains("capacity 1, 1 taken"),
                    "{status}: {}",
                    created.text
                );
                let edited = app
                    .patch(
                        &format!("/v1/pairings/{draft}"),
                        Some(token),
                        &json!({"mentor_id": full}),
                    )
                    .await;
                assert_eq!(created.body, edited.body, "{status}: the same problem");
            }
        }
        let none = app
            .get(&format!("/v1/pairings?mentee_id={waiting}"), Some(token))
            .await
            .expect(200);
        assert_eq!(none["items"], json!([]));
        let hits = app.search_database(&note).await;
        assert!(hits.is_empty(), "written to {hits:?}");
        // A closed pairing frees the place.
        app.patch(
            &format!("/v1/pairings/{holder}"),
            Some(token),
            &move_body("paused", "ended"),
        )
        .await
        .expect(200);
        let created = app
            .post(
                "/v1/pairings",
                Some(token),
                &json!({"mentee_id": waiting, "mentor_id": full, "note": note}),
            )
            .await
            .expect(201);
        assert_eq!(created["mentor"]["id"], full.as_str());
    }
);

db_test!(
    async fn another_structures_mentors_and_pairings_are_unknown(app: TestApp) {
        let admin = app.admin().await;
        let mine = app.coordinator(&admin).await;
        let other = app.coordinator(&admin).await;
        let my_mentor = new_mentor(&app, &mine.token, 1).await;
        let their_mentor = new_mentor(&app, &other.token, 1).await;
        let my_mentee = new_mentee(&app, &mine.token).await;
        let company = app.company(&admin).await;
        let company_mentor = new_mentor(&app, &company.token, 1).await;
        for mentor in [&their_mentor, &company_mentor] {
            let answer = app
                .post(
                    "/v1/pairings",
                    Some(&mine.token),
                    &json!({"mentee_id": my_mentee, "mentor_id": mentor}),
                )
                .await;
            assert_eq!(answer.invalid_fields(), vec!["mentor_id"]);
        }
        let answer = app
            .post(
                "/v1/pairings",
                Some(&other.token),
                &json!({"mentee_id": my_mentee, "mentor_id": their_mentor}),
            )
            .await;
        assert_eq!(answer.invalid_fields(), vec!["mentee_id"]);
        let id = new_pairing(&app, &mine.token, &my_mentor).await;
        let path = format!("/v1/pairings/{id}");
        app.get(&path, Some(&other.token)).await.expect(404);
        app.patch(&path, Some(&other.token), &json!({"status": "proposed"}))
            .await
            .expect(404);
        let listed = app
            .get("/v1/pairings", Some(&other.token))
            .await
            .expect(200);
        assert_eq!(listed["items"], json!([]));
        // A draft may not take another structure's mentor either.
        let answer = app
            .patch(
                &path,
                Some(&mine.token),
                &json!({"mentor_id": their_mentor}),
            )
            .await;
        assert_eq!(answer.invalid_fields(), vec!["mentor_id"]);
        for token in [admin.as_str(), company.token.as_str()] {
            app.get(&path, Some(token)).await.expect(403);
            app.get("/v1/pairings", Some(token)).await.expect(403);
            let answer = app
                .post(
                    "/v1/pairings",
                    Some(token),
                    &json!({"mentee_id": my_mentee, "mentor_id": my_mentor}),
                )
                .await;
            assert_eq!(answer.status.as_u16(), 403);
        }
        assert_eq!(
            app.get(&path, Some(&mine.token)).await.expect(200)["status"],
            "draft"
        );
    }
);

db_test!(
    /// Match runs and suggestions pair active mentors only: a paused or
    /// inactive one is refused by hand too, new or as a draft's new mentor,
    /// with the reason on `mentor_id`; once active again he can be paired.
    async fn a_mentor_who_is_not_active_cannot_be_paired(app: TestApp) {
        let admin = app.admin().await;
        let c = app.coordinator(&admin).await;
        let t = c.token.as_str();
        let active = new_mentor(&app, t, 2).await;
        let mentee = new_mentee(&app, t).await;
        let id = new_pairing(&app, t, &active).await;
        let path = format!("/v1/pairings/{id}");
        for status in ["paused", "inactive"] {
            let mentor = new_mentor(&app, t, 2).await;
            app.patch(
                &format!("/v1/mentors/{mentor}"),
                Some(t),
                &json!({"status": status}),
            )
            .await
            .expect(200);
            let answer = app
                .post(
                    "/v1/pairings",
                    Some(t),
                    &json!({"mentee_id": mentee, "mentor_id": mentor}),
                )
                .await;
            assert_eq!(answer.invalid_fields(), vec!["mentor_id"]);
            assert!(
                answer.text.contains(&format!("the mentor is {status}")),
                "{}",
                answer.text
            );
            let answer = app
                .patch(&path, Some(t), &json!({"mentor_id": mentor}))
                .await;
            assert_eq!(answer.invalid_fields(), vec!["mentor_id"]);
            assert!(
                answer.text.contains(&format!("the mentor is {status}")),
                "{}",
                answer.text
            );
            let draft = app.get(&path, Some(t)).await.expect(200);
            assert_eq!(draft["mentor"]["id"], json!(active), "{draft}");

            app.patch(
                &format!("/v1/mentors/{mentor}"),
                Some(t),
                &json!({"status": "active"}),
            )
            .await
            .expect(200);
            app.patch(&path, Some(t), &json!({"mentor_id": mentor}))
                .await
                .expect(200);
            app.patch(&path, Some(t), &json!({"mentor_id": active}))
                .await
                .expect(200);
        }
        let paired = app
            .get(&format!("/v1/pairings?mentee_id={mentee}"), Some(t))
            .await
            .expect(200);
        assert_eq!(paired["items"], json!([]), "nothing written: {paired}");
    }
);

db_test!(
    async fn a_mentor_never_accompanies_more_mentees_than_his_capacity(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let mentor = new_mentor(&app, token, 2).await;
        let first = new_pairing(&app, token, &mentor).await;
        let second = new_pairing(&app, token, &mentor).await;
        move_to(&app, token, &first, "active").await;
        move_to(&app, token, &second, "proposed").await;
        // The proposal took its place when there were two; one is left.
        app.patch(
            &format!("/v1/mentors/{mentor}"),
            Some(token),
            &json!({"capacity": 1}),
        )
        .await
        .expect(200);
        let activate = move_body("proposed", "active");
        let second_path = format!("/v1/pairings/{second}");
        let answer = app.patch(&second_path, Some(token), &activate).await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        assert!(answer.text.contains("capacity"), "{}", answer.text);
        // A paused pairing keeps its place.
        app.patch(
            &format!("/v1/pairings/{first}"),
            Some(token),
            &json!({"status": "paused"}),
        )
        .await
        .expect(200);
        app.patch(&second_path, Some(token), &activate)
            .await
            .expect(409);
        app.patch(
            &format!("/v1/pairings/{first}"),
            Some(token),
            &json!({"status": "ended", "end_reason": "completed"}),
        )
        .await
        .expect(200);
        app.patch(&second_path, Some(token), &activate)
            .await
            .expect(200);
    }
);

db_test!(
    async fn concurrent_activations_never_exceed_the_mentors_capacity(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        // Proposals hold places too, so only a capacity lowered after them
        // leaves more proposals than places to activate.
        let mentor = new_mentor(&app, token, 3).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let id = new_pairing(&app, token, &mentor).await;
            move_to(&app, token, &id, "proposed").await;
            ids.push(id);
        }
        app.patch(
            &format!("/v1/mentors/{mentor}"),
            Some(token),
            &json!({"capacity": 1}),
        )
        .await
        .expect(200);
        let body = move_body("proposed", "active");
        let answers = futures::future::join_all(ids.iter().map(|id| {
            let path = format!("/v1/pairings/{id}");
            let body = body.clone();
            let app = &app;
            async move { app.patch(&path, Some(token), &body).await }
        }))
        .await;
        let mut codes: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        codes.sort();
        assert_eq!(
            codes,
            vec![200, 409, 409],
            "{:?}",
            answers.iter().map(|a| &a.text).collect::<Vec<_>>()
        );
        let active = app
            .get(
                &format!("/v1/pairings?mentor_id={mentor}&status=active"),
                Some(token),
            )
            .await
            .expect(200);
        assert_eq!(active["items"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn concurrent_creations_never_exceed_the_mentors_capacity(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let mentor = new_mentor(&app, token, 2).await;
        let mut mentees = Vec::new();
        for _ in 0..6 {
            mentees.push(new_mentee(&app, token).await);
        }
        let answers = futures::future::join_all(mentees.iter().map(|mentee| {
            let body = json!({"mentee_id": mentee, "mentor_id": mentor});
            let app = &app;
            async move { app.post("/v1/pairings", Some(token), &body).await }
        }))
        .await;
        let mut codes: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        codes.sort();
        assert_eq!(
            codes,
            vec![201, 201, 409, 409, 409, 409],
            "{:?}",
            answers.iter().map(|a| &a.text).collect::<Vec<_>>()
        );
        let open = app
            .get(&format!("/v1/pairings?mentor_id={mentor}"), Some(token))
            .await
            .expect(200);
        assert_eq!(open["items"].as_array().unwrap().len(), 2);
    }
);

db_test!(
    async fn erasing_a_mentee_closes_the_pairing_and_keeps_it_anonymous(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let tag = Uuid::now_v7().simple().to_string();
        let tag = &tag[tag.len() - 10..];
        let first = format!("Maelys{tag}");
        let created = app
            .post(
                "/v1/mentees",
                Some(token),
                &mentee(&first, &format!("Oubli{tag}")),
            )
            .await
            .expect(201);
        let mentee_id = created["id"].as_str().unwrap();
        let mentor = new_mentor(&app, token, 1).await;
        let pairing = app
            .post(
                "/v1/pairings",
                Some(token),
                &json!({"mentee_id": mentee_id, "mentor_id": mentor, "note": format!("{first} souhaite un mentor")}),
            )
            .await
            .expect(201);
        let id = pairing["id"].as_str().unwrap();
        let path = format!("/v1/pairings/{id}");
        app.patch(
            &path,
            Some(token),
            &json!({"status": "proposed", "note": format!("{first} est d'accord")}),
        )
        .await
        .expect(200);
        app.patch(
            &path,
            Some(token),
            &json!({"status": "active", "start_date": "2026-01-05"}),
        )
        .await
        .expect(200);
        assert!(!app.search_database(&first).await.is_empty());
        app.delete(&format!("/v1/mentees/{mentee_id}"), Some(token))
            .await
            .expect(204);
        let hits = app.search_database(&first).await;
        assert!(hits.is_empty(), "still in {hits:?}");
        let after = app.get(&path, Some(token)).await.expect(200);
        assert_eq!(after["status"], "ended");
        assert_eq!(after["end_reason"], "mentee_withdrew");
        assert_eq!(after["mentee"]["name"], Value::Null);
        assert_eq!(after["start_date"], "2026-01-05");
        assert_eq!(after["priority"], "standard");
        assert_eq!(after["departement"], "93");
        let history = after["history"].as_array().unwrap();
        assert_eq!(history.len(), 4);
        assert!(history.iter().all(|e| e["note"].is_null()));
        // The mentor's place is free again.
        let next = new_pairing(&app, token, &mentor).await;
        move_to(&app, token, &next, "active").await;
    }
);
