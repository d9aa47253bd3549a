//! `/v1/mentors`: mentor profiles of companies and mentoring structures.
use crate::db_test;
use crate::helpers::{Member, TestApp, mentor_body};
use entity::mentor;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

async fn create_mentor(app: &TestApp, member: &Member, body: &Value) -> Value {
    app.post("/v1/mentors", Some(&member.token), body)
        .await
        .expect(201)
}

async fn centroid(app: &TestApp, insee: &str) -> Value {
    app.get(&format!("/v1/communes/{insee}"), None)
        .await
        .expect(200)["location"]
        .clone()
}

async fn row(app: &TestApp, id: &str) -> Option<mentor::Model> {
    mentor::Entity::find_by_id(id.parse::<Uuid>().expect("a uuid"))
        .one(&app.db)
        .await
        .expect("query mentor")
}

/// The whole life of a mentor profile, run by any member allowed to.
async fn manage_a_mentor(app: &TestApp, member: &Member) {
    let created = create_mentor(app, member, &mentor_body()).await;
    assert_eq!(created["display_name"], "Sami B.");
    assert_eq!(created["email"], "sami@example.fr");
    assert_eq!(
        created["sectors"],
        json!(["E", "M"]),
        "sectors come back sorted"
    );
    assert_eq!(created["commune_insee"], "23096");
    assert_eq!(created["location"], centroid(app, "23096").await);
    assert_eq!(created["max_distance_km"], 30);
    assert_eq!(created["remote_ok"], true);
    assert_eq!(created["capacity"], 2);
    assert_eq!(created["available_from"], "2027-01-04");
    assert_eq!(created["status"], "active");
    let path = format!("/v1/mentors/{}", id_of(&created));

    assert_eq!(
        app.get(&path, Some(&member.token)).await.expect(200),
        created
    );
    let listed = app
        .get("/v1/mentors", Some(&member.token))
        .await
        .expect(200);
    assert_eq!(listed["items"], json!([created.clone()]));

    let patched = app
        .patch(
            &path,
            Some(&member.token),
            &json!({"capacity": 3, "status": "paused"}),
        )
        .await
        .expect(200);
    assert_eq!(patched["capacity"], 3);
    assert_eq!(patched["status"], "paused");
    for unchanged in [
        "display_name",
        "email",
        "sectors",
        "commune_insee",
        "location",
        "max_distance_km",
        "remote_ok",
        "available_from",
        "created_at",
    ] {
        assert_eq!(patched[unchanged], created[unchanged], "{unchanged}");
    }
    assert_eq!(
        app.get(&path, Some(&member.token)).await.expect(200),
        patched
    );

    // A new commune without a location moves the mentor to its centroid.
    let moved = app
        .patch(
            &path,
            Some(&member.token),
            &json!({"commune_insee": "93066"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["location"], centroid(app, "93066").await);
    let placed = app
        .patch(
            &path,
            Some(&member.token),
            &json!({"location": {"lat": 48.93, "lon": 2.36}, "sectors": ["a"]}),
        )
        .await
        .expect(200);
    assert_eq!(placed["location"], json!({"lat": 48.93, "lon": 2.36}));
    assert_eq!(
        placed["sectors"],
        json!(["A"]),
        "sector letters are upper-cased"
    );
    assert_eq!(placed["commune_insee"], "93066");

    let deleted = app.delete(&path, Some(&member.token)).await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
    assert!(
        row(app, &id_of(&created)).await.is_none(),
        "the row is gone"
    );
    app.get(&path, Some(&member.token)).await.expect(404);
    app.delete(&path, Some(&member.token)).await.expect(404);
    app.patch(&path, Some(&member.token), &json!({"capacity": 1}))
        .await
        .expect(404);
    let listed = app
        .get("/v1/mentors", Some(&member.token))
        .await
        .expect(200);
    assert_eq!(listed["items"], json!([]));
}

db_test!(
    async fn a_company_user_manages_its_mentors(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        manage_a_mentor(&app, &company).await;
    }
);

db_test!(
    async fn a_coordinator_manages_the_mentors_of_its_structure(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        manage_a_mentor(&app, &coordinator).await;
    }
);

db_test!(
    async fn a_mentor_needs_only_a_name_an_email_and_a_commune(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_mentor(
            &app,
            &company,
            &json!({"display_name": "  Léa  ", "email": "Lea@Example.fr", "commune_insee": "2A004"}),
        )
        .await;
        assert_eq!(created["display_name"], "Léa", "names are trimmed");
        assert_eq!(created["email"], "lea@example.fr", "e-mails are normalised");
        assert_eq!(created["commune_insee"], "2A004");
        assert_eq!(created["location"], centroid(&app, "2A004").await);
        assert_eq!(created["sectors"], json!([]));
        assert_eq!(created["max_distance_km"], 20);
        assert_eq!(created["capacity"], 1);
        assert_eq!(created["remote_ok"], false);
        assert_eq!(created["available_from"], Value::Null);
        assert_eq!(created["status"], "active");
    }
);

type Change = fn(&mut Value);

db_test!(
    async fn every_invalid_mentor_field_is_reported_by_its_path(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let cases: Vec<(&str, Change, &[&str])> = vec![
            ("capacity 0", |b| b["capacity"] = json!(0), &["capacity"]),
            ("capacity 4", |b| b["capacity"] = json!(4), &["capacity"]),
            (
                "a negative capacity",
                |b| b["capacity"] = json!(-1),
                &["capacity"],
            ),
            (
                "max_distance_km 0",
                |b| b["max_distance_km"] = json!(0),
                &["max_distance_km"],
            ),
            (
                "max_distance_km 201",
                |b| b["max_distance_km"] = json!(201),
                &["max_distance_km"],
            ),
            (
                "a fractional distance",
                |b| b["max_distance_km"] = json!(2.5),
                &["max_distance_km"],
            ),
            (
                "a sector out of A–N",
                |b| b["sectors"] = json!(["Z"]),
                &["sectors[0]"],
            ),
            (
                "a sector of two letters",
                |b| b["sectors"] = json!(["M", "MN"]),
                &["sectors[1]"],
            ),
            (
                "a sector digit",
                |b| b["sectors"] = json!(["A", "B", "1"]),
                &["sectors[2]"],
            ),
            (
                "more sectors than exist",
                |b| {
                    b["sectors"] = json!([
                        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "A"
                    ])
                },
                &["sectors"],
            ),
            (
                "an e-mail without @",
                |b| b["email"] = json!("sami.example.fr"),
                &["email"],
            ),
            ("an empty e-mail", |b| b["email"] = json!(""), &["email"]),
            (
                "an empty name",
                |b| b["display_name"] = json!(""),
                &["display_name"],
            ),
            (
                "a name of spaces",
                |b| b["display_name"] = json!("   "),
                &["display_name"],
            ),
            (
                "a name too long",
                |b| b["display_name"] = json!("n".repeat(121)),
                &["display_name"],
            ),
            (
                "an unknown commune",
                |b| b["commune_insee"] = json!("99999"),
                &["commune_insee"],
            ),
            (
                "a malformed commune",
                |b| b["commune_insee"] = json!("230"),
                &["commune_insee"],
            ),
            (
                "a location in London",
                |b| b["location"] = json!({"lat": 51.5072, "lon": -0.1276}),
                &["location"],
            ),
            (
                "a location at sea",
                |b| b["location"] = json!({"lat": 0.0, "lon": 0.0}),
                &["location"],
            ),
            (
                "an unknown status",
                |b| b["status"] = json!("retired"),
                &["status"],
            ),
            (
                "a date that is not one",
                |b| b["available_from"] = json!("2027-02-30"),
                &["available_from"],
            ),
            (
                "remote_ok as text",
                |b| b["remote_ok"] = json!("yes"),
                &["remote_ok"],
            ),
            (
                "several problems at once",
                |b| {
                    b["sectors"] = json!(["Q"]);
                    b["commune_insee"] = json!("99999");
                    b["status"] = json!("gone");
                },
                &["commune_insee", "sectors[0]", "status"],
            ),
        ];
        for (what, change, fields) in cases {
            let mut body = mentor_body();
            change(&mut body);
            let response = app.post("/v1/mentors", Some(&company.token), &body).await;
            assert_eq!(
                response.invalid_fields(),
                fields,
                "{what}: {}",
                response.text
            );
            assert_eq!(response.headers["content-type"], "application/problem+json");
        }
        for field in ["display_name", "email", "commune_insee"] {
            let mut body = mentor_body();
            body.as_object_mut().unwrap().remove(field);
            let response = app.post("/v1/mentors", Some(&company.token), &body).await;
            assert_eq!(
                response.invalid_fields(),
                [field],
                "without {field}: {}",
                response.text
            );
        }
        let mut body = mentor_body();
        body["age"] = json!(41);
        let unknown = app.post("/v1/mentors", Some(&company.token), &body).await;
        assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.text);
        assert_eq!(mentor::Entity::find().count(&app.db).await.unwrap(), 0);
    }
);

db_test!(
    async fn an_invalid_patch_leaves_the_mentor_as_it_was(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let created = create_mentor(&app, &coordinator, &mentor_body()).await;
        let path = format!("/v1/mentors/{}", id_of(&created));
        let cases: [(Value, &[&str]); 8] = [
            (json!({"capacity": 4}), &["capacity"]),
            (json!({"capacity": 0}), &["capacity"]),
            (json!({"max_distance_km": 500}), &["max_distance_km"]),
            (json!({"display_name": ""}), &["display_name"]),
            (json!({"email": "nope"}), &["email"]),
            (json!({"sectors": ["A", "X"]}), &["sectors[1]"]),
            (json!({"commune_insee": "99999"}), &["commune_insee"]),
            (json!({"status": "retired"}), &["status"]),
        ];
        for (patch, fields) in cases {
            let response = app.patch(&path, Some(&coordinator.token), &patch).await;
            assert_eq!(
                response.invalid_fields(),
                fields,
                "{patch}: {}",
                response.text
            );
        }
        let unknown = app
            .patch(
                &path,
                Some(&coordinator.token),
                &json!({"id": Uuid::now_v7()}),
            )
            .await;
        assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.text);
        assert_eq!(
            app.get(&path, Some(&coordinator.token)).await.expect(200),
            created
        );
    }
);

db_test!(
    /// PATCH is a JSON merge patch: `null` puts back what a creation without
    /// the field gets, and `null` on a required field is a 422 that changes
    /// nothing, not even the other fields of the same body.
    async fn a_patch_clears_optional_mentor_fields_with_null(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let mut body = mentor_body();
        body["location"] = json!({"lat": 46.0, "lon": 2.2});
        body["helps_with"] = json!(["reseau", "confiance"]);
        body["status"] = json!("paused");
        let created = create_mentor(&app, &company, &body).await;
        assert_eq!(created["helps_with"], json!(["confiance", "reseau"]));
        let path = format!("/v1/mentors/{}", id_of(&created));
        let cleared = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"location": null, "available_from": null, "sectors": null,
                        "helps_with": null, "max_distance_km": null, "capacity": null,
                        "remote_ok": null}),
            )
            .await
            .expect(200);
        assert_eq!(cleared["location"], centroid(&app, "23096").await);
        assert_eq!(cleared["available_from"], Value::Null);
        assert_eq!(cleared["sectors"], json!([]));
        assert_eq!(cleared["helps_with"], json!([]));
        assert_eq!(cleared["max_distance_km"], 20, "the creation default");
        assert_eq!(cleared["capacity"], 1, "the creation default");
        assert_eq!(cleared["remote_ok"], false);
        for required in ["display_name", "email", "commune_insee", "status"] {
            assert_eq!(cleared[required], created[required], "{required} is kept");
            let answer = app
                .patch(
                    &path,
                    Some(&company.token),
                    &json!({ required: null, "capacity": 3 }),
                )
                .await;
            assert_eq!(answer.invalid_fields(), vec![required.to_owned()]);
        }
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200),
            cleared
        );
        let stored = row(&app, &id_of(&created)).await.expect("the mentor");
        assert_eq!((stored.capacity, stored.max_distance_km), (1, 20));
        assert_eq!(stored.status, "paused", "a null status never reopens");
    }
);

db_test!(
    async fn another_organisation_can_neither_see_nor_change_a_mentor(app: TestApp) {
        let admin = app.admin().await;
        let owner = app.company(&admin).await;
        let other_company = app.company(&admin).await;
        let coordinator = app.coordinator(&admin).await;
        let created = create_mentor(&app, &owner, &mentor_body()).await;
        let path = format!("/v1/mentors/{}", id_of(&created));
        let theirs = create_mentor(&app, &coordinator, &mentor_body()).await;

        for (who, member) in [
            ("another company", &other_company),
            ("a coordinator", &coordinator),
        ] {
            let token = Some(member.token.as_str());
            let get = app.get(&path, token).await;
            assert_eq!(get.status.as_u16(), 404, "{who}: {}", get.text);
            assert_eq!(get.headers["content-type"], "application/problem+json");
            app.patch(&path, token, &json!({"capacity": 1}))
                .await
                .expect(404);
            app.patch(&path, token, &json!({"capacity": 9}))
                .await
                .expect(404);
            app.delete(&path, token).await.expect(404);
        }
        assert_eq!(
            ids(&app
                .get("/v1/mentors", Some(&other_company.token))
                .await
                .expect(200)),
            Vec::<String>::new()
        );
        assert_eq!(
            ids(&app
                .get("/v1/mentors", Some(&coordinator.token))
                .await
                .expect(200)),
            [id_of(&theirs)]
        );
        assert_eq!(
            ids(&app.get("/v1/mentors", Some(&owner.token)).await.expect(200)),
            [id_of(&created)]
        );
        assert!(row(&app, &id_of(&created)).await.is_some(), "not deleted");
        assert_eq!(
            app.get(&path, Some(&owner.token)).await.expect(200),
            created,
            "untouched"
        );
        // The owner cannot reach the other organisation's mentor either.
        app.get(
            &format!("/v1/mentors/{}", id_of(&theirs)),
            Some(&owner.token),
        )
        .await
        .expect(404);
        app.get(
            &format!("/v1/mentors/{}", Uuid::now_v7()),
            Some(&owner.token),
        )
        .await
        .expect(404);
    }
);

db_test!(
    async fn school_users_and_admins_may_not_manage_mentors(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_mentor(&app, &company, &mentor_body()).await;
        let path = format!("/v1/mentors/{}", id_of(&created));
        let school = app.school(&admin, "0010002X").await;
        for (who, token) in [("school", school.token.as_str()), ("admin", admin.as_str())] {
            let answers = [
                (
                    "POST",
                    app.post("/v1/mentors", Some(token), &mentor_body()).await,
                ),
                ("GET list", app.get("/v1/mentors", Some(token)).await),
                ("GET", app.get(&path, Some(token)).await),
                (
                    "PATCH",
                    app.patch(&path, Some(token), &json!({"capacity": 1})).await,
                ),
                ("DELETE", app.delete(&path, Some(token)).await),
            ];
            for (what, response) in answers {
                assert_eq!(
                    response.status.as_u16(),
                    403,
                    "{who} {what}: {}",
                    response.text
                );
                assert_eq!(response.headers["content-type"], "application/problem+json");
            }
        }
        let answers = [
            app.post("/v1/mentors", None, &mentor_body()).await,
            app.get("/v1/mentors", None).await,
            app.get(&path, None).await,
            app.patch(&path, None, &json!({"capacity": 1})).await,
            app.delete(&path, None).await,
        ];
        for response in answers {
            assert_eq!(response.status.as_u16(), 401, "{}", response.text);
            assert_eq!(response.headers["content-type"], "application/problem+json");
        }
        assert_eq!(mentor::Entity::find().count(&app.db).await.unwrap(), 1);
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200),
            created
        );
    }
);

db_test!(
    async fn mentors_are_paged_without_overlap_and_filtered_by_status(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let mut paused = HashSet::new();
        let mut all = HashSet::new();
        for (i, status) in [
            "active", "paused", "active", "inactive", "paused", "active", "active",
        ]
        .into_iter()
        .enumerate()
        {
            let mut body = mentor_body();
            body["display_name"] = json!(format!("Mentor {i}"));
            body["status"] = json!(status);
            let id = id_of(&create_mentor(&app, &coordinator, &body).await);
            if status == "paused" {
                paused.insert(id.clone());
            }
            all.insert(id);
        }
        let full = ids(&app
            .get("/v1/mentors?limit=100", Some(&coordinator.token))
            .await
            .expect(200));
        assert_eq!(full.iter().cloned().collect::<HashSet<_>>(), all);

        let mut walked = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("/v1/mentors?limit=3&cursor={c}"),
                None => "/v1/mentors?limit=3".to_owned(),
            };
            let page = app.get(&url, Some(&coordinator.token)).await.expect(200);
            sizes.push(ids(&page).len());
            walked.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(walked, full, "every mentor once, in the same order");

        let filtered = app
            .get("/v1/mentors?status=paused", Some(&coordinator.token))
            .await
            .expect(200);
        assert_eq!(ids(&filtered).into_iter().collect::<HashSet<_>>(), paused);
        assert!(
            filtered["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["status"] == "paused")
        );
        let first = app
            .get(
                "/v1/mentors?status=active&limit=2",
                Some(&coordinator.token),
            )
            .await
            .expect(200);
        let cursor = first["next_cursor"].as_str().expect("more active mentors");
        let rest = app
            .get(
                &format!("/v1/mentors?status=active&limit=2&cursor={cursor}"),
                Some(&coordinator.token),
            )
            .await
            .expect(200);
        assert_eq!(ids(&first).len() + ids(&rest).len(), 4);
        assert!(ids(&first).iter().all(|id| !ids(&rest).contains(id)));

        for (query, field) in [
            ("status=retired", "status"),
            ("limit=0", "limit"),
            ("cursor=bm90LWEtdXVpZA", "cursor"),
        ] {
            let response = app
                .get(&format!("/v1/mentors?{query}"), Some(&coordinator.token))
                .await;
            assert_eq!(
                response.invalid_fields(),
                [field],
                "?{query}: {}",
                response.text
            );
        }
    }
);
