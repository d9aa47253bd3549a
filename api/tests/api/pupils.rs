//! Pupils: the CRUD of a collège's own pupils, the computed priority tier,
//! validation, identity, cross-school isolation, erasure, and the CSV import.
use crate::db_test;
use crate::helpers::*;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Collège Jean Lurçat, Saint-Denis (93066): REP+.
const REP_PLUS: &str = "0930865K";
/// Collège Nelson Mandela, Le Blanc-Mesnil (93007): REP.
const REP: &str = "0930611J";
/// Collège Beaumarchais, Paris 11e (75111): HORS_EP, not FRR.
const PARIS: &str = "0750362L";
/// Collège Claude Chabrol, Ahun (23001): HORS_EP in an FRR commune.
const AHUN: &str = "0230001B";
/// Guéret (Creuse): `frr_ou_frr_plus = 1`.
const FRR_COMMUNE: &str = "23096";
/// Saint-Denis: `frr_ou_frr_plus = 0`.
const URBAN_COMMUNE: &str = "93066";

fn pupil(first: &str, last: &str) -> Value {
    json!({
        "first_name": first,
        "last_name": last,
        "birth_date": "2012-05-31",
        "class_name": "3A",
    })
}

fn with(mut body: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().expect("an object of changes") {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    app.post("/v1/pupils", Some(token), body).await.expect(201)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

/// Every pupil of the caller's school, whatever the page size.
async fn all_pupils(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/pupils?limit=100&cursor={c}"),
            None => "/v1/pupils?limit=100".to_owned(),
        };
        let page = app.get(&path, Some(token)).await.expect(200);
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn by_last_name<'a>(pupils: &'a [Value], last: &str) -> &'a Value {
    pupils
        .iter()
        .find(|p| p["last_name"] == last)
        .unwrap_or_else(|| panic!("no pupil named {last} in {pupils:?}"))
}

/// `POST /v1/pupils/import` with a raw `text/csv` body.
async fn import(app: &TestApp, token: &str, query: &str, body: impl Into<Vec<u8>>) -> Response {
    app.post_csv(&format!("/v1/pupils/import{query}"), token, body)
        .await
}

/// Windows-1252 bytes of a text made of ASCII and a few French letters.
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'é' => 0xE9,
            'è' => 0xE8,
            'ç' => 0xE7,
            'ï' => 0xEF,
            'ê' => 0xEA,
            'É' => 0xC9,
            c if c.is_ascii() => c as u8,
            other => panic!("{other} is not in the test's table"),
        })
        .collect()
}

fn sorted(fields: Vec<String>) -> Vec<String> {
    let mut fields = fields;
    fields.sort();
    fields
}

// ---------------------------------------------------------------------------
// CRUD
// ---------------------------------------------------------------------------

db_test!(
    async fn a_school_user_creates_reads_patches_and_deletes_a_pupil(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let created = create(
            &app,
            &school.token,
            &json!({
                "first_name": "  Zoé ",
                "last_name": "Martin",
                "birth_date": "2012-05-31",
                "class_name": " 3e b ",
                "track": "prepa_metiers",
                "home_commune_insee": URBAN_COMMUNE,
                "interests": ["m", "E", "M"],
                "needs_accessibility": true,
                "qpv": true,
                "external_id": "INE-0001",
            }),
        )
        .await;
        let id = id_of(&created);
        assert!(Uuid::parse_str(&id).is_ok());
        assert_eq!(created["first_name"], "Zoé", "names are trimmed");
        assert_eq!(created["last_name"], "Martin");
        assert_eq!(created["birth_date"], "2012-05-31");
        assert_eq!(
            created["class_name"], "3E B",
            "classes are trimmed and upper-cased"
        );
        assert_eq!(created["track"], "prepa_metiers");
        assert_eq!(created["home_commune_insee"], URBAN_COMMUNE);
        assert_eq!(
            created["interests"],
            json!(["E", "M"]),
            "deduplicated, sorted"
        );
        assert_eq!(created["needs_accessibility"], true);
        assert_eq!(created["qpv"], true);
        assert_eq!(created["external_id"], "INE-0001");
        assert_eq!(created["priority"], "qpv");
        assert_eq!(created["status"], "unplaced");
        assert!(created["created_at"].is_string() && created["updated_at"].is_string());

        let read = app
            .get(&format!("/v1/pupils/{id}"), Some(&school.token))
            .await
            .expect(200);
        assert_eq!(read, created);

        // Defaults: track générale, no interests, no flags.
        let minimal = create(&app, &school.token, &pupil("Léo", "Bernard")).await;
        assert_eq!(minimal["track"], "generale");
        assert_eq!(minimal["interests"], json!([]));
        assert_eq!(minimal["needs_accessibility"], false);
        assert_eq!(minimal["qpv"], false);
        assert_eq!(minimal["home_commune_insee"], Value::Null);
        assert_eq!(minimal["external_id"], Value::Null);
        assert_eq!(minimal["priority"], "standard");

        let patched = app
            .patch(
                &format!("/v1/pupils/{id}"),
                Some(&school.token),
                &json!({"class_name": "3c", "interests": ["N"], "qpv": false,
                        "home_commune_insee": FRR_COMMUNE}),
            )
            .await
            .expect(200);
        assert_eq!(patched["class_name"], "3C");
        assert_eq!(patched["interests"], json!(["N"]));
        assert_eq!(patched["qpv"], false);
        assert_eq!(patched["home_commune_insee"], FRR_COMMUNE);
        assert_eq!(patched["priority"], "rural", "the tier is computed again");
        for kept in [
            "first_name",
            "last_name",
            "birth_date",
            "track",
            "needs_accessibility",
            "external_id",
            "created_at",
            "status",
        ] {
            assert_eq!(patched[kept], created[kept], "{kept} is kept by the patch");
        }
        assert_eq!(
            app.get(&format!("/v1/pupils/{id}"), Some(&school.token))
                .await
                .expect(200),
            patched
        );

        app.delete(&format!("/v1/pupils/{id}"), Some(&school.token))
            .await
            .expect(204);
        for answer in [
            app.get(&format!("/v1/pupils/{id}"), Some(&school.token))
                .await,
            app.patch(
                &format!("/v1/pupils/{id}"),
                Some(&school.token),
                &json!({"class_name": "3D"}),
            )
            .await,
            app.delete(&format!("/v1/pupils/{id}"), Some(&school.token))
                .await,
        ] {
            assert_eq!(answer.status.as_u16(), 404, "{}", answer.text);
            assert_eq!(
                answer.headers.get("content-type").unwrap(),
                "application/problem+json"
            );
        }
        let listed: Vec<String> = all_pupils(&app, &school.token)
            .await
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(
            listed,
            vec![id_of(&minimal)],
            "the erased pupil is not listed"
        );
        let unknown = Uuid::now_v7();
        app.get(&format!("/v1/pupils/{unknown}"), Some(&school.token))
            .await
            .expect(404);
    }
);

db_test!(
    async fn the_list_filters_by_class_track_and_status_and_is_paginated(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let mut all = BTreeSet::new();
        for (i, (class, track)) in [
            ("3A", "generale"),
            ("3A", "generale"),
            ("3A", "prepa_metiers"),
            ("3B", "segpa"),
            ("3B", "ulis"),
            ("3B", "generale"),
            ("3C", "prepa_metiers"),
        ]
        .into_iter()
        .enumerate()
        {
            let body = with(
                pupil("Élève", &format!("Numéro{i}")),
                json!({"class_name": class, "track": track}),
            );
            all.insert(id_of(&create(&app, &school.token, &body).await));
        }
        let count = |path: String| {
            let app = &app;
            let token = school.token.clone();
            async move {
                let page = app.get(&path, Some(&token)).await.expect(200);
                page["items"].as_array().unwrap().len()
            }
        };
        assert_eq!(count("/v1/pupils?class_name=3A".into()).await, 3);
        assert_eq!(
            count("/v1/pupils?class_name=3b".into()).await,
            3,
            "case-insensitive class"
        );
        assert_eq!(count("/v1/pupils?track=prepa_metiers".into()).await, 2);
        assert_eq!(
            count("/v1/pupils?class_name=3A&track=prepa_metiers".into()).await,
            1
        );
        assert_eq!(count("/v1/pupils?track=segpa".into()).await, 1);
        assert_eq!(count("/v1/pupils?status=unplaced".into()).await, 7);
        assert_eq!(count("/v1/pupils?status=placed".into()).await, 0);
        assert_eq!(count("/v1/pupils?class_name=3Z".into()).await, 0);

        for (query, field) in [
            ("track=cap", "track"),
            ("status=somewhere", "status"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("cursor=not-a-cursor", "cursor"),
        ] {
            let answer = app
                .get(&format!("/v1/pupils?{query}"), Some(&school.token))
                .await;
            assert_eq!(answer.invalid_fields(), [field], "{query}");
        }

        // Pages of 3: 3 + 3 + 1, each pupil once, in a stable order.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut sizes = Vec::new();
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/pupils?limit=3&cursor={c}"),
                None => "/v1/pupils?limit=3".to_owned(),
            };
            let page = app.get(&path, Some(&school.token)).await.expect(200);
            sizes.push(page["items"].as_array().unwrap().len());
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), all);
        assert_eq!(seen.len(), all.len(), "no pupil twice");
        // A filtered list pages too.
        let first = app
            .get("/v1/pupils?class_name=3B&limit=2", Some(&school.token))
            .await
            .expect(200);
        let cursor = first["next_cursor"].as_str().expect("a second page");
        let second = app
            .get(
                &format!("/v1/pupils?class_name=3B&limit=2&cursor={cursor}"),
                Some(&school.token),
            )
            .await
            .expect(200);
        assert_eq!(ids(&second).len(), 1);
        assert!(second["next_cursor"].is_null());
        for p in first["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["items"].as_array().unwrap())
        {
            assert_eq!(p["class_name"], "3B");
        }
    }
);

// ---------------------------------------------------------------------------
// Priority
// ---------------------------------------------------------------------------

db_test!(
    async fn the_priority_tier_comes_from_the_school_the_home_commune_and_qpv(app: TestApp) {
        let admin = app.admin().await;
        let rep_plus = app.school(&admin, REP_PLUS).await;
        let rep = app.school(&admin, REP).await;
        let paris = app.school(&admin, PARIS).await;
        let ahun = app.school(&admin, AHUN).await;
        let cases = [
            (&rep_plus, json!({}), "rep_plus"),
            // REP+ outranks a rural home and a QPV declaration.
            (
                &rep_plus,
                json!({"home_commune_insee": FRR_COMMUNE, "qpv": true}),
                "rep_plus",
            ),
            (&rep, json!({}), "rep"),
            (
                &rep,
                json!({"home_commune_insee": FRR_COMMUNE, "qpv": true}),
                "rep",
            ),
            // HORS_EP collège in Paris, pupil living in an FRR commune.
            (&paris, json!({"home_commune_insee": FRR_COMMUNE}), "rural"),
            (
                &paris,
                json!({"home_commune_insee": "23001", "qpv": true}),
                "rural",
            ),
            (&paris, json!({"qpv": true}), "qpv"),
            (
                &paris,
                json!({"home_commune_insee": URBAN_COMMUNE, "qpv": true}),
                "qpv",
            ),
            (&paris, json!({}), "standard"),
            (
                &paris,
                json!({"home_commune_insee": URBAN_COMMUNE}),
                "standard",
            ),
            // Without a home commune, the school's FRR commune decides...
            (&ahun, json!({}), "rural"),
            (&ahun, json!({"home_commune_insee": FRR_COMMUNE}), "rural"),
            // ...but a known home commune outside FRR overrides it.
            (
                &ahun,
                json!({"home_commune_insee": URBAN_COMMUNE}),
                "standard",
            ),
            (
                &ahun,
                json!({"home_commune_insee": URBAN_COMMUNE, "qpv": true}),
                "qpv",
            ),
        ];
        for (i, (school, changes, expected)) in cases.iter().enumerate() {
            let body = with(pupil("Camille", &format!("Tier{i}")), changes.clone());
            let created = create(&app, &school.token, &body).await;
            assert_eq!(created["priority"], *expected, "case {i}: {changes}");
            let read = app
                .get(
                    &format!("/v1/pupils/{}", id_of(&created)),
                    Some(&school.token),
                )
                .await
                .expect(200);
            assert_eq!(read["priority"], *expected, "stored tier, case {i}");
        }
        // A patch that moves the pupil recomputes the tier both ways.
        let moving = create(&app, &ahun.token, &pupil("Jules", "Déménage")).await;
        assert_eq!(moving["priority"], "rural");
        let path = format!("/v1/pupils/{}", id_of(&moving));
        let urban = app
            .patch(
                &path,
                Some(&ahun.token),
                &json!({"home_commune_insee": URBAN_COMMUNE}),
            )
            .await
            .expect(200);
        assert_eq!(urban["priority"], "standard");
        let qpv = app
            .patch(&path, Some(&ahun.token), &json!({"qpv": true}))
            .await
            .expect(200);
        assert_eq!(qpv["priority"], "qpv");
        let rural = app
            .patch(
                &path,
                Some(&ahun.token),
                &json!({"home_commune_insee": FRR_COMMUNE}),
            )
            .await
            .expect(200);
        assert_eq!(rural["priority"], "rural");
    }
);

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

db_test!(
    async fn invalid_pupils_are_refused_with_each_field_named(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let long = "x".repeat(101);
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"first_name": ""}), vec!["first_name"]),
            (json!({"first_name": "   "}), vec!["first_name"]),
            (json!({"first_name": null}), vec!["first_name"]),
            (json!({"first_name": 42}), vec!["first_name"]),
            (json!({"last_name": ""}), vec!["last_name"]),
            (json!({"last_name": " \t "}), vec!["last_name"]),
            (json!({"last_name": long}), vec!["last_name"]),
            (json!({"last_name": null}), vec!["last_name"]),
            (json!({"class_name": ""}), vec!["class_name"]),
            (json!({"class_name": "  "}), vec!["class_name"]),
            (json!({"class_name": "x".repeat(33)}), vec!["class_name"]),
            (json!({"class_name": null}), vec!["class_name"]),
            (json!({"track": "cap"}), vec!["track"]),
            (json!({"track": ""}), vec!["track"]),
            (
                json!({"interests": ["A", "Z", "AB"]}),
                vec!["interests[1]", "interests[2]"],
            ),
            (json!({"interests": ["O"]}), vec!["interests[0]"]),
            (json!({"interests": "A"}), vec!["interests"]),
            (
                json!({"interests": ["A","B","C","D","E","F","G","H","I","J","K","L","M","N","A"]}),
                vec!["interests"],
            ),
            (
                json!({"home_commune_insee": "9306"}),
                vec!["home_commune_insee"],
            ),
            (
                json!({"home_commune_insee": "93O66"}),
                vec!["home_commune_insee"],
            ),
            (
                json!({"home_commune_insee": "99999"}),
                vec!["home_commune_insee"],
            ),
            (json!({"birth_date": null}), vec!["birth_date"]),
            (json!({"birth_date": "1950-01-01"}), vec!["birth_date"]),
            (json!({"birth_date": "2099-01-01"}), vec!["birth_date"]),
            (json!({"birth_date": "2012-02-30"}), vec!["birth_date"]),
            (json!({"birth_date": "31/05/2012"}), vec!["birth_date"]),
            (json!({"external_id": ""}), vec!["external_id"]),
            (json!({"external_id": "e".repeat(65)}), vec!["external_id"]),
            (json!({"qpv": "oui"}), vec!["qpv"]),
            (
                json!({"needs_accessibility": 1}),
                vec!["needs_accessibility"],
            ),
            (json!({"nickname": "Zozo"}), vec!["nickname"]),
            (json!({"priority": "rep_plus"}), vec!["priority"]),
            (
                json!({"organisation_id": Uuid::now_v7()}),
                vec!["organisation_id"],
            ),
            // Several rules at once are reported together.
            (
                json!({"track": "cap", "home_commune_insee": "99999", "birth_date": null,
                       "interests": ["Z"]}),
                vec!["birth_date", "home_commune_insee", "interests[0]", "track"],
            ),
        ];
        for (changes, fields) in cases {
            let body = with(pupil("Inès", "Valide"), changes.clone());
            let answer = app.post("/v1/pupils", Some(&school.token), &body).await;
            assert_eq!(
                sorted(answer.invalid_fields()),
                fields,
                "{changes}: {}",
                answer.text
            );
            assert_eq!(
                answer.headers.get("content-type").unwrap(),
                "application/problem+json"
            );
        }
        assert!(
            all_pupils(&app, &school.token).await.is_empty(),
            "nothing was stored"
        );

        // A birth date is not needed when the school's own id identifies the pupil.
        let without_date = create(
            &app,
            &school.token,
            &with(
                pupil("Inès", "Valide"),
                json!({"birth_date": null, "external_id": "ID-42"}),
            ),
        )
        .await;
        assert_eq!(without_date["birth_date"], Value::Null);

        // A patch is held to the same rules, and a refused patch changes nothing.
        let path = format!("/v1/pupils/{}", id_of(&without_date));
        for (patch, fields) in [
            (json!({"first_name": ""}), vec!["first_name"]),
            (json!({"first_name": "  "}), vec!["first_name"]),
            (json!({"class_name": "x".repeat(33)}), vec!["class_name"]),
            (json!({"track": "lycee"}), vec!["track"]),
            (json!({"interests": ["B", "Q"]}), vec!["interests[1]"]),
            (
                json!({"home_commune_insee": "00000"}),
                vec!["home_commune_insee"],
            ),
            (json!({"birth_date": "1900-01-01"}), vec!["birth_date"]),
            (json!({"birth_date": "tomorrow"}), vec!["birth_date"]),
            (json!({"priority": "rep_plus"}), vec!["priority"]),
            (json!({"nickname": "Zozo"}), vec!["nickname"]),
        ] {
            let answer = app.patch(&path, Some(&school.token), &patch).await;
            assert_eq!(
                sorted(answer.invalid_fields()),
                fields,
                "{patch}: {}",
                answer.text
            );
        }
        let unchanged = app.get(&path, Some(&school.token)).await.expect(200);
        assert_eq!(unchanged, without_date);

        // Malformed JSON is a 400, not a 422.
        let malformed = app
            .client
            .post(format!("{}/v1/pupils", app.address))
            .bearer_auth(&school.token)
            .header("content-type", "application/json")
            .body("{\"first_name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status().as_u16(), 400);
    }
);

db_test!(
    async fn a_pupil_is_stored_once_per_identity(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let other_school = app.school(&admin, REP).await;
        let first = create(&app, &school.token, &pupil("Jean", "Dupont")).await;

        // Same class, names and birth date, whatever the case and spacing.
        for same in [
            pupil("Jean", "Dupont"),
            pupil("  JEAN ", "dupont"),
            with(pupil("jean", "DUPONT"), json!({"class_name": "3a"})),
        ] {
            let answer = app.post("/v1/pupils", Some(&school.token), &same).await;
            assert_eq!(answer.status.as_u16(), 409, "{same}: {}", answer.text);
            assert_eq!(
                answer.headers.get("content-type").unwrap(),
                "application/problem+json"
            );
            assert_eq!(answer.body["status"], 409);
        }
        // Another birth date or class is another pupil; another school has its own pupils.
        create(
            &app,
            &school.token,
            &with(pupil("Jean", "Dupont"), json!({"birth_date": "2012-06-01"})),
        )
        .await;
        let other_class = create(
            &app,
            &school.token,
            &with(pupil("Jean", "Dupont"), json!({"class_name": "3B"})),
        )
        .await;
        create(&app, &other_school.token, &pupil("Jean", "Dupont")).await;

        // External ids are unique within the school.
        create(
            &app,
            &school.token,
            &with(pupil("Anna", "Lemoine"), json!({"external_id": "INE-7"})),
        )
        .await;
        let answer = app
            .post(
                "/v1/pupils",
                Some(&school.token),
                &with(pupil("Autre", "Personne"), json!({"external_id": "INE-7"})),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);

        // A patch that would make two records the same person is refused too.
        let path = format!("/v1/pupils/{}", id_of(&other_class));
        let answer = app
            .patch(&path, Some(&school.token), &json!({"class_name": "3A"}))
            .await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        assert_eq!(
            app.get(&path, Some(&school.token)).await.expect(200)["class_name"],
            "3B"
        );
        assert_eq!(all_pupils(&app, &school.token).await.len(), 4);
        assert!(
            all_pupils(&app, &school.token)
                .await
                .iter()
                .any(|p| p["id"] == first["id"])
        );
    }
);

// ---------------------------------------------------------------------------
// Access
// ---------------------------------------------------------------------------

db_test!(
    async fn another_schools_pupils_are_not_found(app: TestApp) {
        let admin = app.admin().await;
        let mine = app.school(&admin, PARIS).await;
        let theirs = app.school(&admin, REP_PLUS).await;
        let colleague = app.member(&admin, &mine.organisation_id, "school").await;
        let pupil_a = create(&app, &mine.token, &pupil("Nora", "Secret")).await;
        let path = format!("/v1/pupils/{}", id_of(&pupil_a));

        app.get(&path, Some(&theirs.token)).await.expect(404);
        app.patch(&path, Some(&theirs.token), &json!({"first_name": "Volé"}))
            .await
            .expect(404);
        app.delete(&path, Some(&theirs.token)).await.expect(404);
        // Same answer as for an id that does not exist at all.
        let missing = app
            .get(
                &format!("/v1/pupils/{}", Uuid::now_v7()),
                Some(&theirs.token),
            )
            .await;
        let stolen = app.get(&path, Some(&theirs.token)).await;
        assert_eq!(missing.status, stolen.status);
        assert_eq!(missing.body["detail"], stolen.body["detail"]);
        assert!(!stolen.text.contains("Nora") && !stolen.text.contains("Secret"));

        assert!(all_pupils(&app, &theirs.token).await.is_empty());
        let filtered = app
            .get("/v1/pupils?class_name=3A", Some(&theirs.token))
            .await
            .expect(200);
        assert_eq!(filtered["items"], json!([]));

        // Untouched, and visible to every user of the owning school.
        assert_eq!(app.get(&path, Some(&mine.token)).await.expect(200), pupil_a);
        assert_eq!(
            app.get(&path, Some(&colleague.token)).await.expect(200),
            pupil_a
        );
        // Patch and import of the other school never reach it either.
        let report = import(
            &app,
            &theirs.token,
            "",
            "nom;prénom;date de naissance;classe\nSecret;Nora;31/05/2012;3A\n",
        )
        .await
        .expect(200);
        assert_eq!(report["created"], 1, "a pupil of its own: {report}");
        assert_eq!(app.get(&path, Some(&mine.token)).await.expect(200), pupil_a);
        assert_eq!(all_pupils(&app, &mine.token).await.len(), 1);
    }
);

db_test!(
    async fn only_school_users_manage_pupils(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let company = app.company(&admin).await;
        let coordinator = app.coordinator(&admin).await;
        let existing = create(&app, &school.token, &pupil("Lina", "Gardée")).await;
        let path = format!("/v1/pupils/{}", id_of(&existing));
        let csv = "nom;prénom;date de naissance;classe\nIntrus;Paul;31/05/2012;3A\n";
        for (who, token) in [
            ("company", Some(company.token.as_str())),
            ("coordinator", Some(coordinator.token.as_str())),
            ("admin", Some(admin.as_str())),
            ("anonymous", None),
        ] {
            let expected = if token.is_some() { 403 } else { 401 };
            let answers = [
                app.post("/v1/pupils", token, &pupil("Paul", "Intrus"))
                    .await,
                app.get("/v1/pupils", token).await,
                app.get(&path, token).await,
                app.patch(&path, token, &json!({"first_name": "Paul"}))
                    .await,
                app.delete(&path, token).await,
            ];
            for answer in answers {
                assert_eq!(answer.status.as_u16(), expected, "{who}: {}", answer.text);
                assert_eq!(
                    answer.headers.get("content-type").unwrap(),
                    "application/problem+json"
                );
            }
            let mut request = app
                .client
                .post(format!("{}/v1/pupils/import", app.address))
                .header("content-type", "text/csv")
                .body(csv);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status().as_u16(), expected, "{who} import");
        }
        let stored = all_pupils(&app, &school.token).await;
        assert_eq!(stored, vec![existing], "nothing changed");
    }
);

// ---------------------------------------------------------------------------
// Erasure
// ---------------------------------------------------------------------------

db_test!(
    async fn erasing_a_pupil_leaves_no_personal_data_in_the_database(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, AHUN).await;
        let tag = Uuid::now_v7().simple().to_string();
        let tag = &tag[tag.len() - 10..];
        let first = format!("Ondine{tag}");
        let last = format!("Vasseurq{tag}");
        let external = format!("INE{tag}");
        let created = create(
            &app,
            &school.token,
            &json!({
                "first_name": first,
                "last_name": last,
                "birth_date": "2012-03-04",
                "class_name": "3E",
                "track": "prepa_metiers",
                "home_commune_insee": FRR_COMMUNE,
                "interests": ["A", "M"],
                "needs_accessibility": true,
                "qpv": true,
                "external_id": external,
            }),
        )
        .await;
        assert_eq!(created["priority"], "rural");
        // A second one arrives through the CSV import, a third stays.
        let imported_first = format!("Gaspard{tag}");
        let imported_last = format!("Lheureuxq{tag}");
        import(
            &app,
            &school.token,
            "",
            format!(
                "nom;prénom;date de naissance;classe;qpv\n\
                 {imported_last};{imported_first};01/02/2012;3F;oui\n\
                 Restant;Témoin;01/02/2012;3F;non\n"
            ),
        )
        .await
        .expect(200);
        let stored = all_pupils(&app, &school.token).await;
        let imported = by_last_name(&stored, &imported_last).clone();
        let witness = by_last_name(&stored, "Restant").clone();

        let needles = [
            first.as_str(),
            last.as_str(),
            external.as_str(),
            imported_first.as_str(),
            imported_last.as_str(),
        ];
        // The search finds them while they exist: it is not blind.
        for needle in needles {
            let hits = app.search_database(needle).await;
            assert!(!hits.is_empty(), "{needle} should be found before erasure");
        }

        for p in [&created, &imported] {
            app.delete(&format!("/v1/pupils/{}", id_of(p)), Some(&school.token))
                .await
                .expect(204);
            app.get(&format!("/v1/pupils/{}", id_of(p)), Some(&school.token))
                .await
                .expect(404);
        }
        for needle in needles {
            let hits = app.search_database(needle).await;
            assert!(hits.is_empty(), "{needle} is still in {hits:?}");
        }

        // What stays is anonymous: the row, with its tier, class and track.
        for (p, priority, class, track) in [
            (&created, "rural", "3E", "prepa_metiers"),
            (&imported, "rural", "3F", "generale"),
        ] {
            let id = Uuid::parse_str(p["id"].as_str().unwrap()).unwrap();
            let row = entity::pupil::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .expect("the anonymous row stays for statistics");
            assert_eq!(row.priority, priority);
            assert_eq!(row.class_name, class);
            assert_eq!(row.track, track);
            assert_eq!(row.status, "erased");
            assert!(row.erased_at.is_some());
            assert_eq!(row.first_name, None);
            assert_eq!(row.last_name, None);
            assert_eq!(row.birth_date, None);
            assert_eq!(row.external_id, None);
            assert_eq!(row.identity_hash, None);
            assert_eq!(row.home_commune_insee, None);
            assert_eq!(row.interests, json!([]));
        }
        // Counts by tier and class still see all three records.
        let backend = app.db.get_database_backend();
        let counts = app
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT priority, class_name, COUNT(*) AS n FROM pupil \
                 GROUP BY priority, class_name ORDER BY class_name"
                    .to_owned(),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get::<String>("", "priority").unwrap(),
                    r.try_get::<String>("", "class_name").unwrap(),
                    r.try_get::<i64>("", "n").unwrap(),
                )
            })
            .collect::<Vec<_>>();
        assert_eq!(
            counts,
            [
                ("rural".to_owned(), "3E".to_owned(), 1),
                ("rural".to_owned(), "3F".to_owned(), 2)
            ]
        );
        // The other pupil is untouched; the same person can be registered again.
        assert_eq!(all_pupils(&app, &school.token).await, vec![witness]);
        let again = import(
            &app,
            &school.token,
            "",
            format!("nom;prénom;date de naissance;classe\n{imported_last};{imported_first};01/02/2012;3F\n"),
        )
        .await
        .expect(200);
        assert_eq!(again["created"], 1, "{again}");
    }
);

// ---------------------------------------------------------------------------
// CSV import
// ---------------------------------------------------------------------------

db_test!(
    async fn a_utf8_comma_separated_file_is_imported_with_every_field(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let csv = "last_name,first_name,birth_date,class_name,track,home_commune_insee,interests,needs_accessibility,qpv\n\
                   Durand,Chloé,2012-01-15,3a,generale,23096,M|E,non,non\n\
                   Petit,Hugo,15/02/2012,3A,SEGPA,,,oui,oui\n\
                   \"Nguyen, dit \"\"Bao\"\"\",Bao,2012-03-20,3B,prépa-métiers,93066,\"A,B\",0,1\n";
        let report = import(&app, &school.token, "", csv).await.expect(200);
        assert_eq!(
            report,
            json!({"dry_run": false, "rows": 3, "created": 3, "updated": 0,
                   "duplicates": 0, "rejected": 0, "errors": [], "errors_total": 0})
        );
        let stored = all_pupils(&app, &school.token).await;
        assert_eq!(stored.len(), 3);
        let durand = by_last_name(&stored, "Durand");
        assert_eq!(durand["first_name"], "Chloé");
        assert_eq!(durand["birth_date"], "2012-01-15");
        assert_eq!(durand["class_name"], "3A");
        assert_eq!(durand["track"], "generale");
        assert_eq!(durand["home_commune_insee"], "23096");
        assert_eq!(durand["interests"], json!(["E", "M"]));
        assert_eq!(durand["needs_accessibility"], false);
        assert_eq!(durand["qpv"], false);
        assert_eq!(durand["priority"], "rural");
        assert_eq!(durand["status"], "unplaced");
        let petit = by_last_name(&stored, "Petit");
        assert_eq!(petit["birth_date"], "2012-02-15");
        assert_eq!(petit["track"], "segpa");
        assert_eq!(petit["home_commune_insee"], Value::Null);
        assert_eq!(petit["interests"], json!([]));
        assert_eq!(petit["needs_accessibility"], true);
        assert_eq!(petit["qpv"], true);
        assert_eq!(petit["priority"], "qpv");
        let nguyen = by_last_name(&stored, "Nguyen, dit \"Bao\"");
        assert_eq!(nguyen["track"], "prepa_metiers");
        assert_eq!(nguyen["interests"], json!(["A", "B"]));
        assert_eq!(nguyen["qpv"], true);
        assert_eq!(nguyen["priority"], "qpv");
    }
);

db_test!(
    async fn a_french_excel_file_with_bom_and_semicolons_is_imported(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, REP_PLUS).await;
        let csv = "\u{feff}nom;prénom;date de naissance;classe;parcours;commune_insee;intérêts;qpv\r\n\
                   Dupont;Zoé;31/05/2012;3e B;Prépa-métiers;93066;M|E;oui\r\n\
                   Lefèvre;Élodie;01/09/2011;3e B;Générale;;;non\r\n\
                   Benali;Yanis;12/12/2012;3e C;ULIS;23096;N;\r\n";
        let report = import(&app, &school.token, "", csv).await.expect(200);
        assert_eq!(report["created"], 3, "{report}");
        assert_eq!(report["errors"], json!([]));
        let stored = all_pupils(&app, &school.token).await;
        let dupont = by_last_name(&stored, "Dupont");
        assert_eq!(dupont["first_name"], "Zoé");
        assert_eq!(dupont["birth_date"], "2012-05-31");
        assert_eq!(dupont["class_name"], "3E B");
        assert_eq!(dupont["track"], "prepa_metiers");
        assert_eq!(dupont["home_commune_insee"], "93066");
        assert_eq!(dupont["interests"], json!(["E", "M"]));
        assert_eq!(dupont["qpv"], true);
        assert_eq!(dupont["priority"], "rep_plus");
        let lefevre = by_last_name(&stored, "Lefèvre");
        assert_eq!(lefevre["first_name"], "Élodie");
        assert_eq!(lefevre["track"], "generale");
        assert_eq!(lefevre["qpv"], false);
        let benali = by_last_name(&stored, "Benali");
        assert_eq!(benali["track"], "ulis");
        assert_eq!(benali["class_name"], "3E C");
        // The header is the first line, not the BOM: no column was lost.
        assert!(stored.iter().all(|p| {
            p["last_name"]
                .as_str()
                .is_some_and(|n| !n.starts_with('\u{feff}'))
        }));
    }
);

db_test!(
    async fn a_windows_1252_file_is_decoded(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let text = "nom;prénom;date de naissance;classe;intérêts\r\n\
                    Mézières;Hélène;03/04/2012;3e A;E\r\n\
                    Garçon;François;04/05/2012;3e A;\r\n\
                    Loïc;Anaïs;05/06/2012;3e É;\r\n";
        let bytes = windows_1252(text);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
        assert!(bytes.contains(&0xE9));
        let report = import(&app, &school.token, "", bytes).await.expect(200);
        assert_eq!(report["created"], 3, "{report}");
        let stored = all_pupils(&app, &school.token).await;
        assert_eq!(by_last_name(&stored, "Mézières")["first_name"], "Hélène");
        assert_eq!(by_last_name(&stored, "Garçon")["first_name"], "François");
        let loic = by_last_name(&stored, "Loïc");
        assert_eq!(loic["first_name"], "Anaïs");
        assert_eq!(loic["class_name"], "3E É");
    }
);

db_test!(
    async fn a_file_in_a_broken_encoding_or_without_the_columns_is_refused(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let good = "nom;prénom;date de naissance;classe\nMartin;Léa;31/05/2012;3A\n";

        // Bytes that no Windows-1252 text contains (0x81, 0x8D).
        let mut broken = windows_1252("nom;prénom;date de naissance;classe\nMartin;L");
        broken.extend_from_slice(&[0x81, 0x8D]);
        broken.extend_from_slice(b"a;31/05/2012;3A\n");
        // A "Unicode text" spreadsheet export: UTF-16LE with its BOM (decoded
        // below), and without it: valid UTF-8, full of NUL bytes.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in good.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let utf16_no_bom: Vec<u8> = good.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        // One NUL byte in a cell: PostgreSQL cannot store it in a text column.
        let nul_in_cell = good.replace("Léa", "L\0a").into_bytes();
        for (name, bytes) in [
            ("C1 bytes", broken),
            ("UTF-16 without BOM", utf16_no_bom),
            ("NUL in a cell", nul_in_cell),
            ("empty", Vec::new()),
        ] {
            let answer = import(&app, &school.token, "", bytes).await;
            assert_eq!(answer.status.as_u16(), 422, "{name}: {}", answer.text);
            assert_eq!(answer.invalid_fields(), ["file"], "{name}: {}", answer.text);
            assert_eq!(
                answer.headers.get("content-type").unwrap(),
                "application/problem+json"
            );
        }

        for (header, missing) in [
            ("nom;date de naissance", vec!["class_name", "first_name"]),
            (
                "name;firstname;class",
                vec!["class_name", "first_name", "last_name"],
            ),
            ("prénom,classe,naissance", vec!["last_name"]),
            ("", vec!["class_name", "first_name", "last_name"]),
        ] {
            let answer = import(&app, &school.token, "", format!("{header}\nA;B;C\n")).await;
            assert_eq!(
                sorted(answer.invalid_fields()),
                missing,
                "{header}: {}",
                answer.text
            );
            for error in answer.body["errors"].as_array().unwrap() {
                assert!(
                    error["message"]
                        .as_str()
                        .unwrap()
                        .contains("missing column"),
                    "{error}"
                );
            }
        }
        assert!(
            all_pupils(&app, &school.token).await.is_empty(),
            "nothing stored"
        );
        // A UTF-16 file with its BOM is recognised and decoded.
        let report = import(&app, &school.token, "", utf16).await.expect(200);
        assert_eq!(report["created"], 1, "{report}");
        let stored = all_pupils(&app, &school.token).await;
        assert_eq!(stored[0]["first_name"], "Léa");
        assert_eq!(stored[0]["last_name"], "Martin");
        // A header alone is a valid, empty import.
        let report = import(
            &app,
            &school.token,
            "",
            "nom;prénom;classe;date de naissance\n",
        )
        .await
        .expect(200);
        assert_eq!(report["rows"], 0);
        assert_eq!(report["created"], 0);
    }
);

db_test!(
    async fn bad_rows_are_reported_and_every_good_row_is_stored_whole(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let long = "x".repeat(101);
        let csv = format!(
            "nom;prénom;date de naissance;classe;parcours;commune_insee;intérêts;besoin accessibilité;qpv\n\
             Bon;Un;31/05/2012;3A;generale;23096;M;non;non\n\
             DateFausse;Deux;31/02/2012;3A;generale;23096;M;non;non\n\
             Bon;Trois;01/06/2012;3B;segpa;;E|N;oui;oui\n\
             Commune;Quatre;31/05/2012;3A;lycée;99999;M;non;non\n\
             ;Cinq;31/05/2012;3A;;;;;\n\
             QpvFaux;Six;31/05/2012;3A;;;;;peut-être\n\
             {long};Sept;31/05/2012;3A;;;;;\n\
             Interet;Huit;31/05/2012;3A;;;Z;;\n\
             Vieux;Neuf;01/01/1850;3A;;;;;\n\
             Futur;Dix;01/01/2099;3A;;;;;\n\
             SansDate;Onze;;3A;;;;;\n\
             Access;Douze;31/05/2012;3A;;;;peut-être;\n\
             ;;;;;;;;\n\
             Bon;Treize;02/06/2012;3C;prepa_metiers;9306;;;\n\
             Bon;Quatorze;03/06/2012;3C;ulis;23001;A;non;oui\n"
        );
        let report = import(&app, &school.token, "", csv).await.expect(200);
        assert_eq!(
            row_errors(&report),
            vec![
                (3, "birth_date".to_owned()),
                (5, "track".to_owned()),
                (5, "home_commune_insee".to_owned()),
                (6, "last_name".to_owned()),
                (7, "qpv".to_owned()),
                (8, "last_name".to_owned()),
                (9, "interests".to_owned()),
                (10, "birth_date".to_owned()),
                (11, "birth_date".to_owned()),
                (12, "birth_date".to_owned()),
                (13, "needs_accessibility".to_owned()),
                (15, "home_commune_insee".to_owned()),
            ],
            "{report}"
        );
        assert_eq!(report["rows"], 14, "the blank row is not counted: {report}");
        assert_eq!(report["rejected"], 11);
        assert_eq!(report["created"], 3);
        assert_eq!(report["updated"], 0);
        assert_eq!(report["duplicates"], 0);

        let stored = all_pupils(&app, &school.token).await;
        let mut names: Vec<&str> = stored
            .iter()
            .map(|p| p["first_name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["Quatorze", "Trois", "Un"], "only the good rows");
        // Each stored row has every one of its fields: none is half-written.
        let expected = [
            (
                "Un",
                json!({"birth_date": "2012-05-31", "class_name": "3A", "track": "generale",
                         "home_commune_insee": "23096", "interests": ["M"], "needs_accessibility": false,
                         "qpv": false, "priority": "rural", "last_name": "Bon", "status": "unplaced"}),
            ),
            (
                "Trois",
                json!({"birth_date": "2012-06-01", "class_name": "3B", "track": "segpa",
                         "home_commune_insee": null, "interests": ["E", "N"], "needs_accessibility": true,
                         "qpv": true, "priority": "qpv", "last_name": "Bon", "status": "unplaced"}),
            ),
            (
                "Quatorze",
                json!({"birth_date": "2012-06-03", "class_name": "3C", "track": "ulis",
                         "home_commune_insee": "23001", "interests": ["A"], "needs_accessibility": false,
                         "qpv": true, "priority": "rural", "last_name": "Bon", "status": "unplaced"}),
            ),
        ];
        for (first, fields) in expected {
            let p = stored.iter().find(|p| p["first_name"] == first).unwrap();
            for (key, value) in fields.as_object().unwrap() {
                assert_eq!(&p[key], value, "{first}.{key}");
            }
        }
        // The same through the database: no stored row lacks a required value.
        let backend = app.db.get_database_backend();
        let incomplete = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM pupil WHERE first_name IS NULL OR last_name IS NULL \
                 OR birth_date IS NULL OR identity_hash IS NULL OR class_name = '' \
                 OR track = '' OR priority = '' OR interests IS NULL"
                    .to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(incomplete, 0);

        // Fixing the bad rows and sending the file again adds them, once.
        let fixed = "nom;prénom;date de naissance;classe\n\
                     Bon;Un;31/05/2012;3A\n\
                     DateFausse;Deux;28/02/2012;3A\n";
        let report = import(&app, &school.token, "", fixed).await.expect(200);
        assert_eq!(
            (report["created"].as_u64(), report["updated"].as_u64()),
            (Some(1), Some(1)),
            "{report}"
        );
        assert_eq!(all_pupils(&app, &school.token).await.len(), 4);
    }
);

db_test!(
    async fn sending_the_same_file_twice_stores_every_pupil_once(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, AHUN).await;
        let mut csv = String::from("nom;prénom;date de naissance;classe;parcours;commune_insee\n");
        for i in 0..250 {
            let commune = if i % 2 == 0 { URBAN_COMMUNE } else { "" };
            csv.push_str(&format!(
                "Nom{i};Prénom{i};{:02}/03/2012;3{};generale;{commune}\n",
                1 + i % 28,
                ["A", "B", "C"][i % 3]
            ));
        }
        let first = import(&app, &school.token, "", csv.clone())
            .await
            .expect(200);
        assert_eq!(
            (
                first["rows"].as_u64(),
                first["created"].as_u64(),
                first["updated"].as_u64()
            ),
            (Some(250), Some(250), Some(0)),
            "{first}"
        );
        let before = all_pupils(&app, &school.token).await;
        assert_eq!(before.len(), 250);
        let second = import(&app, &school.token, "", csv.clone())
            .await
            .expect(200);
        assert_eq!(
            second,
            json!({"dry_run": false, "rows": 250, "created": 0, "updated": 250,
                   "duplicates": 0, "rejected": 0, "errors": [], "errors_total": 0})
        );
        let after = all_pupils(&app, &school.token).await;
        assert_eq!(after.len(), 250);
        let before_ids: BTreeSet<String> = before.iter().map(id_of).collect();
        let after_ids: BTreeSet<String> = after.iter().map(id_of).collect();
        assert_eq!(before_ids, after_ids, "the same records, not new ones");
        assert_eq!(by_last_name(&after, "Nom0")["priority"], "standard");
        assert_eq!(by_last_name(&after, "Nom1")["priority"], "rural");

        // Case and spacing do not make another person; other fields are updated.
        let changed = "NOM;PRENOM;DATE DE NAISSANCE;CLASSE;PARCOURS;COMMUNE_INSEE\n\
                       nom0;  PRÉNOM0 ;01/03/2012;3a;segpa;23096\n\
                       Nom1;Prénom1;02/03/2012;3B;ulis;93066\n";
        let third = import(&app, &school.token, "", changed).await.expect(200);
        assert_eq!(
            (third["created"].as_u64(), third["updated"].as_u64()),
            (Some(0), Some(2)),
            "{third}"
        );
        let after = all_pupils(&app, &school.token).await;
        assert_eq!(after.len(), 250);
        let nom0 = after
            .iter()
            .find(|p| p["id"] == by_last_name(&before, "Nom0")["id"])
            .unwrap();
        assert_eq!(nom0["track"], "segpa");
        assert_eq!(nom0["home_commune_insee"], "23096");
        assert_eq!(nom0["priority"], "rural");
        let nom1 = by_last_name(&after, "Nom1");
        assert_eq!(nom1["track"], "ulis");
        assert_eq!(nom1["priority"], "standard");
        // A pupil created through the API is recognised by the import too.
        let api = create(&app, &school.token, &pupil("Solo", "Seul")).await;
        let report = import(
            &app,
            &school.token,
            "",
            "nom;prénom;date de naissance;classe;parcours\nSeul;Solo;2012-05-31;3A;prepa_metiers\n",
        )
        .await
        .expect(200);
        assert_eq!(report["updated"], 1, "{report}");
        let path = format!("/v1/pupils/{}", id_of(&api));
        assert_eq!(
            app.get(&path, Some(&school.token)).await.expect(200)["track"],
            "prepa_metiers"
        );
    }
);

db_test!(
    async fn a_pupil_twice_in_one_file_is_reported_and_stored_once(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let csv = "nom;prénom;date de naissance;classe\n\
                   Roux;Emma;31/05/2012;3A\n\
                   Roux;Louis;31/05/2012;3A\n\
                   ROUX; emma ;2012-05-31;3a\n\
                   Roux;Emma;31/05/2012;3B\n\
                   Roux;Louis;31/05/2012;3A\n";
        let report = import(&app, &school.token, "", csv).await.expect(200);
        assert_eq!(report["rows"], 5);
        assert_eq!(report["created"], 3, "{report}");
        assert_eq!(report["duplicates"], 2);
        assert_eq!(report["rejected"], 0);
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "{report}");
        assert_eq!(errors[0]["row"], 4);
        assert!(
            errors[0]["message"].as_str().unwrap().contains("row 2"),
            "{report}"
        );
        assert_eq!(errors[1]["row"], 6);
        assert!(
            errors[1]["message"].as_str().unwrap().contains("row 3"),
            "{report}"
        );
        let stored = all_pupils(&app, &school.token).await;
        assert_eq!(stored.len(), 3);
        let emma_3a = stored
            .iter()
            .find(|p| p["first_name"] == "Emma" && p["class_name"] == "3A")
            .unwrap();
        assert_eq!(
            emma_3a["last_name"], "Roux",
            "the first row is the one kept"
        );
    }
);

db_test!(
    async fn a_dry_run_writes_nothing_and_reports_what_would_happen(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let csv = "nom;prénom;date de naissance;classe\n\
                   Blanc;Marie;31/05/2012;3A\n\
                   Noir;Paul;01/06/2012;3A\n\
                   Gris;;01/06/2012;3A\n\
                   Vert;Lou;02/06/2012;3B\n";
        let dry = import(&app, &school.token, "?dry_run=true", csv)
            .await
            .expect(200);
        assert_eq!(
            dry,
            json!({"dry_run": true, "rows": 4, "created": 3, "updated": 0, "duplicates": 0,
                   "rejected": 1, "errors": [{"row": 4, "field": "first_name", "message": dry["errors"][0]["message"]}],
                   "errors_total": 1})
        );
        assert!(
            all_pupils(&app, &school.token).await.is_empty(),
            "a dry run writes nothing"
        );
        let backend = app.db.get_database_backend();
        let rows = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM pupil".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(rows, 0);

        let real = import(&app, &school.token, "?dry_run=false", csv)
            .await
            .expect(200);
        assert_eq!(real["dry_run"], false);
        assert_eq!(real["created"], 3);
        let stored = all_pupils(&app, &school.token).await;
        assert_eq!(stored.len(), 3);

        let more = format!("{csv}Rose;Ali;03/06/2012;3B\n");
        let dry = import(&app, &school.token, "?dry_run=true", more.clone())
            .await
            .expect(200);
        assert_eq!(
            (dry["created"].as_u64(), dry["updated"].as_u64()),
            (Some(1), Some(3)),
            "{dry}"
        );
        assert_eq!(
            all_pupils(&app, &school.token).await,
            stored,
            "nothing changed"
        );
        let answer = import(&app, &school.token, "?dry_run=perhaps", more).await;
        assert_eq!(answer.status.as_u16(), 400, "{}", answer.text);
        assert_eq!(all_pupils(&app, &school.token).await.len(), 3);
    }
);

db_test!(
    async fn an_external_id_column_identifies_the_pupil(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let csv = "identifiant;nom;prénom;classe;date de naissance\n\
                   E-001;Morel;Inès;3A;\n\
                   E-002;Morel;Adam;3A;12/04/2012\n\
                   ;Fournier;Léon;3A;\n";
        let report = import(&app, &school.token, "", csv).await.expect(200);
        assert_eq!(report["created"], 2, "{report}");
        assert_eq!(row_errors(&report), vec![(4, "birth_date".to_owned())]);
        let before = all_pupils(&app, &school.token).await;
        let ines = by_last_name(&before, "Morel");
        assert!(ines["external_id"].is_string());

        // New names, class and date: the same pupils, because the ids are the same.
        let renamed = "identifiant;nom;prénom;classe;date de naissance\n\
                       E-001;Morel-Petit;Inès;3B;01/01/2012\n\
                       E-002;Morel;Adam;3C;12/04/2012\n\
                       E-003;Fournier;Léon;3A;\n";
        let report = import(&app, &school.token, "", renamed).await.expect(200);
        assert_eq!(
            (report["created"].as_u64(), report["updated"].as_u64()),
            (Some(1), Some(2)),
            "{report}"
        );
        let after = all_pupils(&app, &school.token).await;
        assert_eq!(after.len(), 3);
        let e1 = after.iter().find(|p| p["external_id"] == "E-001").unwrap();
        assert_eq!(e1["last_name"], "Morel-Petit");
        assert_eq!(e1["class_name"], "3B");
        assert_eq!(e1["birth_date"], "2012-01-01");
        let e1_before = before.iter().find(|p| p["external_id"] == "E-001").unwrap();
        assert_eq!(e1["id"], e1_before["id"]);
        let e2 = after.iter().find(|p| p["external_id"] == "E-002").unwrap();
        assert_eq!(e2["class_name"], "3C");
        // The API knows the same ids.
        let answer = app
            .post(
                "/v1/pupils",
                Some(&school.token),
                &with(pupil("Autre", "Nom"), json!({"external_id": "E-003"})),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    }
);

db_test!(
    async fn a_large_file_is_imported_in_batches(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, REP).await;
        let mut csv =
            String::from("last_name,first_name,birth_date,class_name,home_commune_insee\n");
        for i in 0..2500 {
            csv.push_str(&format!(
                "Nom{i},Prénom{i},2012-04-{:02},3{},{}\n",
                1 + i % 30,
                i % 7,
                ["93007", "93066", "23096"][i % 3]
            ));
            if i == 1700 {
                csv.push_str("Mauvais,Rang,2012-04-01,3A,12\n");
            }
        }
        let report = import(&app, &school.token, "", csv.clone())
            .await
            .expect(200);
        assert_eq!(report["created"], 2500, "{}", report["errors"]);
        assert_eq!(
            row_errors(&report),
            vec![(1703, "home_commune_insee".to_owned())]
        );
        let again = import(&app, &school.token, "", csv).await.expect(200);
        assert_eq!(
            (again["created"].as_u64(), again["updated"].as_u64()),
            (Some(0), Some(2500))
        );
        let backend = app.db.get_database_backend();
        let n = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM pupil".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(n, 2500);
        let tiers = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM pupil WHERE priority <> 'rep'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(tiers, 0, "a REP collège's pupils are all rep");
    }
);

db_test!(
    /// PATCH is a JSON merge patch: `null` clears an optional field (or puts
    /// its creation default back), a left-out field is kept, and `null` on a
    /// required field is a 422 that changes nothing.
    async fn a_patch_clears_optional_fields_with_null(app: TestApp) {
        let admin = app.admin().await;
        let school = app.school(&admin, PARIS).await;
        let created = create(
            &app,
            &school.token,
            &json!({
                "first_name": "Zoé",
                "last_name": "Martin",
                "birth_date": "2012-05-31",
                "class_name": "3B",
                "track": "prepa_metiers",
                "home_commune_insee": FRR_COMMUNE,
                "interests": ["M"],
                "needs_accessibility": true,
                "qpv": true,
                "external_id": "INE-0002",
            }),
        )
        .await;
        assert_eq!(created["priority"], "rural");
        let path = format!("/v1/pupils/{}", id_of(&created));
        let cleared = app
            .patch(
                &path,
                Some(&school.token),
                &json!({"home_commune_insee": null, "birth_date": null, "track": null,
                        "interests": null, "needs_accessibility": null, "qpv": null}),
            )
            .await
            .expect(200);
        assert_eq!(cleared["home_commune_insee"], Value::Null);
        assert_eq!(cleared["birth_date"], Value::Null);
        assert_eq!(cleared["track"], "generale", "the creation default");
        assert_eq!(cleared["interests"], json!([]));
        assert_eq!(cleared["needs_accessibility"], false);
        assert_eq!(cleared["qpv"], false);
        assert_eq!(
            cleared["priority"], "standard",
            "no FRR commune, no QPV: the tier is computed again"
        );
        for kept in ["first_name", "last_name", "class_name", "external_id"] {
            assert_eq!(cleared[kept], created[kept], "{kept} is kept");
        }
        for required in ["first_name", "last_name", "class_name"] {
            let answer = app
                .patch(&path, Some(&school.token), &json!({ required: null }))
                .await;
            assert_eq!(answer.invalid_fields(), vec![required.to_owned()]);
        }
        // Without an external id nor a birth date the pupil cannot be told
        // apart from a namesake: refused, nothing changed.
        app.patch(&path, Some(&school.token), &json!({"external_id": null}))
            .await
            .expect(422);
        assert_eq!(
            app.get(&path, Some(&school.token)).await.expect(200),
            cleared
        );
    }
);
