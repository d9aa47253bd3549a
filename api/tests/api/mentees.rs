//! Mentees: a structure's young people, their computed tier, validation,
//! isolation between structures, erasure, and the CSV import.
use crate::helpers::*;
use crate::{backend_test, db_test};
use chrono::Datelike;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

/// Collège Jean Lurçat, Saint-Denis: REP+.
const REP_PLUS: &str = "0930865K";
/// Collège Nelson Mandela, Le Blanc-Mesnil: REP.
const REP: &str = "0930611J";
/// Collège Beaumarchais, Paris 11e: HORS_EP.
const PARIS: &str = "0750362L";
/// Guéret (Creuse): FRR.
const FRR_COMMUNE: &str = "23096";
/// Saint-Denis: not FRR.
const URBAN_COMMUNE: &str = "93066";

pub fn year() -> i32 {
    chrono::Utc::now().year()
}

pub fn mentee(first: &str, last: &str) -> Value {
    json!({
        "first_name": first,
        "last_name": last,
        "birth_year": year() - 17,
        "situation": "lyceen",
        "commune_insee": URBAN_COMMUNE,
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
    app.post("/v1/mentees", Some(token), body).await.expect(201)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Every mentee of the caller's structure, page by page.
async fn all_mentees(app: &TestApp, token: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/mentees?limit={limit}&cursor={c}"),
            None => format!("/v1/mentees?limit={limit}"),
        };
        let page = app.get(&path, Some(token)).await.expect(200);
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn by_last_name<'a>(mentees: &'a [Value], last: &str) -> &'a Value {
    mentees
        .iter()
        .find(|m| m["last_name"] == last)
        .unwrap_or_else(|| panic!("no mentee named {last} in {mentees:?}"))
}

/// `POST /v1/mentees/import` with a raw `text/csv` body.
async fn import(app: &TestApp, token: &str, query: &str, body: impl Into<Vec<u8>>) -> Response {
    app.post_csv(&format!("/v1/mentees/import{query}"), token, body)
        .await
}

db_test!(
    async fn a_coordinator_creates_reads_patches_and_lists_mentees(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let created = create(
            &app,
            token,
            &json!({
                "first_name": "  Inès ",
                "last_name": "Benali",
                "email": "ines.benali@example.fr",
                "birth_year": year() - 19,
                "situation": "etudiant",
                "school_uai": PARIS,
                "commune_insee": URBAN_COMMUNE,
                "needs": ["confiance", "orientation", "confiance"],
                "interests": ["m", "E"],
                "remote_ok": true,
                "available_from": "2027-01-04",
            }),
        )
        .await;
        assert_eq!(created["first_name"], "Inès");
        assert_eq!(created["situation"], "etudiant");
        assert_eq!(created["departement"], "93");
        assert_eq!(created["needs"], json!(["orientation", "confiance"]));
        assert_eq!(created["interests"], json!(["E", "M"]));
        assert_eq!(created["priority"], "standard");
        assert_eq!(created["remote_ok"], true);
        let path = format!("/v1/mentees/{}", id_of(&created));
        let read = app.get(&path, Some(token)).await.expect(200);
        assert_eq!(read, created);

        // Moving to a rural commune changes the tier; the rest stays.
        let patched = app
            .patch(
                &path,
                Some(token),
                &json!({"commune_insee": FRR_COMMUNE, "email": ""}),
            )
            .await
            .expect(200);
        assert_eq!(patched["priority"], "rural");
        assert_eq!(patched["departement"], "23");
        assert_eq!(patched["email"], Value::Null);
        assert_eq!(patched["needs"], created["needs"]);
        assert_eq!(patched["first_name"], "Inès");

        for (first, last) in [("Yanis", "Martin"), ("Léa", "Nguyen")] {
            create(&app, token, &mentee(first, last)).await;
        }
        let all = all_mentees(&app, token, 2).await;
        assert_eq!(all.len(), 3);
        let page = app
            .get("/v1/mentees?limit=2", Some(token))
            .await
            .expect(200);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert!(page["next_cursor"].is_string());
        let rural = app
            .get("/v1/mentees?priority=rural", Some(token))
            .await
            .expect(200);
        assert_eq!(rural["items"].as_array().unwrap().len(), 1);
        let lyceens = app
            .get("/v1/mentees?situation=lyceen", Some(token))
            .await
            .expect(200);
        assert_eq!(lyceens["items"].as_array().unwrap().len(), 2);
        let bad = app.get("/v1/mentees?situation=retraite", Some(token)).await;
        assert_eq!(bad.invalid_fields(), vec!["situation"]);

        // The same person twice is a conflict.
        let again = app
            .post("/v1/mentees", Some(token), &mentee("yanis", "MARTIN"))
            .await;
        assert_eq!(again.status.as_u16(), 409, "{}", again.text);
    }
);

db_test!(
    async fn the_tier_comes_from_the_college_the_commune_and_qpv(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let cases = [
            (Some(REP_PLUS), FRR_COMMUNE, true, "rep_plus"),
            (Some(REP), FRR_COMMUNE, true, "rep"),
            (Some(PARIS), FRR_COMMUNE, true, "rural"),
            (None, FRR_COMMUNE, false, "rural"),
            (Some(PARIS), URBAN_COMMUNE, true, "qpv"),
            (None, URBAN_COMMUNE, false, "standard"),
        ];
        for (i, (uai, commune, qpv, expected)) in cases.into_iter().enumerate() {
            let body = with(
                mentee("Sacha", &format!("Tier{i}")),
                json!({"school_uai": uai, "commune_insee": commune, "qpv": qpv}),
            );
            let created = create(&app, &coordinator.token, &body).await;
            assert_eq!(created["priority"], expected, "case {i}: {body}");
        }
    }
);

db_test!(
    async fn invalid_mentees_are_refused_with_each_field_named(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"birth_year": year() - 31}), vec!["birth_year"]),
            (json!({"birth_year": year() - 5}), vec!["birth_year"]),
            (json!({"commune_insee": "99999"}), vec!["commune_insee"]),
            (json!({"commune_insee": "1234"}), vec!["commune_insee"]),
            (json!({"situation": "retraite"}), vec!["situation"]),
            (json!({"school_uai": "0930865A"}), vec!["school_uai"]),
            // A well-formed UAI that is no known collège.
            (json!({"school_uai": "0999999F"}), vec!["school_uai"]),
            (
                json!({"needs": ["orientation", "argent"]}),
                vec!["needs[1]"],
            ),
            (json!({"interests": ["Z"]}), vec!["interests[0]"]),
            (json!({"email": "not-an-address"}), vec!["email"]),
            (json!({"first_name": "   "}), vec!["first_name"]),
            (json!({"birth_year": null}), vec!["birth_year"]),
            (json!({"age": 17}), vec!["age"]),
            (
                json!({"birth_year": year() - 40, "commune_insee": "99999", "situation": "x"}),
                vec!["birth_year", "commune_insee", "situation"],
            ),
        ];
        for (changes, expected) in cases {
            let body = with(mentee("Nour", "Invalide"), changes.clone());
            let answer = app.post("/v1/mentees", Some(token), &body).await;
            if answer.status.as_u16() == 400 {
                // Unknown and missing fields are malformed JSON for serde.
                assert!(
                    expected.iter().all(|f| answer.text.contains(f)),
                    "{changes}: {}",
                    answer.text
                );
                continue;
            }
            let mut fields = answer.invalid_fields();
            fields.sort();
            assert_eq!(fields, expected, "{changes}: {}", answer.text);
            assert_eq!(
                answer.headers["content-type"], "application/problem+json",
                "{changes}"
            );
        }
        // Over 30 says so.
        let old = app
            .post(
                "/v1/mentees",
                Some(token),
                &with(
                    mentee("Nour", "Invalide"),
                    json!({"birth_year": year() - 31}),
                ),
            )
            .await;
        assert!(old.text.contains("under 30"), "{}", old.text);
        // Nothing was stored, and a bad patch changes nothing.
        assert!(all_mentees(&app, token, 50).await.is_empty());
        let created = create(&app, token, &mentee("Nour", "Valide")).await;
        let path = format!("/v1/mentees/{}", id_of(&created));
        let answer = app
            .patch(&path, Some(token), &json!({"birth_year": year() - 35}))
            .await;
        assert_eq!(answer.invalid_fields(), vec!["birth_year"]);
        assert_eq!(app.get(&path, Some(token)).await.expect(200), created);
    }
);

db_test!(
    async fn another_structures_mentees_are_not_found(app: TestApp) {
        let admin = app.admin().await;
        let mine = app.coordinator(&admin).await;
        let other = app.coordinator(&admin).await;
        let created = create(&app, &mine.token, &mentee("Aya", "Privée")).await;
        let path = format!("/v1/mentees/{}", id_of(&created));
        app.get(&path, Some(&other.token)).await.expect(404);
        app.patch(&path, Some(&other.token), &json!({"qpv": true}))
            .await
            .expect(404);
        app.delete(&path, Some(&other.token)).await.expect(404);
        let listed = app.get("/v1/mentees", Some(&other.token)).await.expect(200);
        assert_eq!(listed["items"], json!([]));
        // Still there, unchanged, for its own structure.
        assert_eq!(app.get(&path, Some(&mine.token)).await.expect(200), created);
        let unknown = format!("/v1/mentees/{}", Uuid::now_v7());
        app.get(&unknown, Some(&mine.token)).await.expect(404);
    }
);

db_test!(
    async fn only_coordinators_manage_mentees(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let created = create(&app, &coordinator.token, &mentee("Lina", "Rôles")).await;
        let path = format!("/v1/mentees/{}", id_of(&created));
        let company = app.company(&admin).await;
        let school = app.school(&admin, PARIS).await;
        for token in [
            admin.as_str(),
            company.token.as_str(),
            school.token.as_str(),
        ] {
            let body = mentee("Lina", "Autre");
            assert_eq!(
                app.post("/v1/mentees", Some(token), &body)
                    .await
                    .status
                    .as_u16(),
                403
            );
            app.get("/v1/mentees", Some(token)).await.expect(403);
            app.get(&path, Some(token)).await.expect(403);
            app.patch(&path, Some(token), &json!({"qpv": true}))
                .await
                .expect(403);
            app.delete(&path, Some(token)).await.expect(403);
            import(&app, token, "", "nom;prénom\n").await.expect(403);
        }
        app.get("/v1/mentees", None).await.expect(401);
        app.get(&path, Some(&coordinator.token)).await.expect(200);
    }
);

/// Pairs the mentee with a new mentor, proposed then active, and waits
/// until the four e-mails (two to each) are sent: their ids.
async fn mail_the_mentee_and_a_mentor(app: &TestApp, token: &str, mentee_id: &str) -> Vec<Uuid> {
    use entity::email_outbox::{Column, Entity};
    use sea_orm::{ColumnTrait, QueryFilter};
    let mentor = app
        .post("/v1/mentors", Some(token), &mentor_body())
        .await
        .expect(201);
    let pairing = app
        .post(
            "/v1/pairings",
            Some(token),
            &json!({"mentee_id": mentee_id, "mentor_id": mentor["id"], "status": "proposed"}),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/v1/pairings/{}", id_of(&pairing)),
        Some(token),
        &json!({"status": "active", "start_date": chrono::Utc::now().date_naive()}),
    )
    .await
    .expect(200);
    let kinds = ["pairing_proposed", "pairing_started"];
    for _ in 0..1000 {
        let rows = Entity::find()
            .filter(Column::Kind.is_in(kinds))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 4, "two messages to each");
        if rows.iter().all(|r| r.status == "sent") {
            return rows.into_iter().map(|r| r.id).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the pairing e-mails were not sent within 20 s");
}

async fn outbox_rows(app: &TestApp, ids: &[Uuid]) -> Vec<entity::email_outbox::Model> {
    use entity::email_outbox::{Column, Entity};
    use sea_orm::{ColumnTrait, QueryFilter};
    Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(&app.db)
        .await
        .unwrap()
}

db_test!(
    async fn erasing_a_mentee_leaves_no_personal_data_in_the_database(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let tag = Uuid::now_v7().simple().to_string();
        let tag = &tag[tag.len() - 10..];
        let first = format!("Ondine{tag}");
        let last = format!("Vasseurq{tag}");
        let email = format!("ondine{tag}@example.fr");
        let created = create(
            &app,
            token,
            &json!({
                "first_name": first,
                "last_name": last,
                "email": email,
                "birth_year": year() - 15,
                "situation": "collegien",
                "school_uai": REP_PLUS,
                "commune_insee": URBAN_COMMUNE,
                "qpv": true,
                "needs": ["scolarite"],
                "interests": ["A"],
                "remote_ok": true,
            }),
        )
        .await;
        let mails = mail_the_mentee_and_a_mentor(&app, token, &id_of(&created)).await;
        // A second one comes through the CSV import, a third stays.
        let imported_first = format!("Gaspard{tag}");
        let imported_last = format!("Lheureuxq{tag}");
        import(
            &app,
            token,
            "",
            format!(
                "nom;prénom;année de naissance;situation;code commune\n\
                 {imported_last};{imported_first};{};étudiant;{FRR_COMMUNE}\n\
                 Restant;Témoin;{};lycéen;{URBAN_COMMUNE}\n",
                year() - 20,
                year() - 16
            ),
        )
        .await
        .expect(200);
        let stored = all_mentees(&app, token, 50).await;
        let imported = by_last_name(&stored, &imported_last).clone();
        let witness = by_last_name(&stored, "Restant").clone();

        let needles = [
            first.as_str(),
            last.as_str(),
            email.as_str(),
            imported_first.as_str(),
            imported_last.as_str(),
        ];
        for needle in needles {
            assert!(
                !app.search_database(needle).await.is_empty(),
                "{needle} should be found before erasure"
            );
        }
        for needle in [&first, &email] {
            let hits = app.search_database(needle).await;
            assert!(
                hits.iter().any(|h| h.contains("email_outbox")),
                "the e-mails name {needle}: {hits:?}"
            );
        }
        for m in [&created, &imported] {
            let path = format!("/v1/mentees/{}", id_of(m));
            app.delete(&path, Some(token)).await.expect(204);
            app.get(&path, Some(token)).await.expect(404);
            app.delete(&path, Some(token)).await.expect(404);
        }
        for needle in needles {
            let hits = app.search_database(needle).await;
            assert!(hits.is_empty(), "{needle} is still in {hits:?}");
        }
        // What stays is anonymous: situation, tier, département.
        for (m, situation, priority, departement) in [
            (&created, "collegien", "rep_plus", "93"),
            (&imported, "etudiant", "rural", "23"),
        ] {
            let id = Uuid::parse_str(m["id"].as_str().unwrap()).unwrap();
            let row = entity::mentee::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .expect("the anonymous row stays for statistics");
            assert_eq!(row.situation, situation);
            assert_eq!(row.priority, priority);
            assert_eq!(row.departement, departement);
            assert!(row.erased_at.is_some());
            assert_eq!(
                (row.first_name, row.last_name, row.email, row.birth_year),
                (None, None, None, None)
            );
            assert_eq!((row.commune_insee, row.school_uai), (None, None));
            assert_eq!(row.identity_hash, None);
        }
        // The e-mails stay as anonymous traces: kind, status and dates.
        let kept = outbox_rows(&app, &mails).await;
        assert_eq!(kept.len(), 4);
        assert!(
            kept.iter()
                .all(|m| m.status == "sent" && m.text_body == "[effacé]")
        );
        assert_eq!(kept.iter().filter(|m| m.recipient == "[effacé]").count(), 2);
        let left = all_mentees(&app, token, 50).await;
        assert_eq!(left, vec![witness]);
        // The same person may be registered again after erasure.
        create(
            &app,
            token,
            &with(mentee(&first, &last), json!({"birth_year": year() - 15})),
        )
        .await;
    }
);

db_test!(
    async fn a_french_excel_file_is_imported_with_every_field(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let file = format!(
            "\u{feff}Nom;Prénom;Date de naissance;Situation;Code commune;UAI;QPV;Besoins;Secteurs;Distanciel;Disponible le;Courriel\n\
             Diallo;Awa;14/03/{};Collégienne;{URBAN_COMMUNE};{REP};non;Scolarité|Confiance;H M;oui;04/01/2027;awa@example.fr\n\
             Petit;Hugo;{};En insertion;{FRR_COMMUNE};;oui;Insertion professionnelle;;non;;\n",
            year() - 14,
            year() - 24
        );
        // "Collégienne" is not in the list: the row is reported, the other kept.
        let report = import(&app, token, "", file.clone()).await.expect(200);
        assert_eq!(row_errors(&report), vec![(2, "situation".to_owned())]);
        assert_eq!(
            (report["created"].as_u64(), report["rejected"].as_u64()),
            (Some(1), Some(1))
        );
        let fixed = file.replace("Collégienne", "Collégien");
        let report = import(&app, token, "", fixed).await.expect(200);
        assert_eq!(report["errors"], json!([]), "{report}");
        assert_eq!(report["created"], 1);
        assert_eq!(report["updated"], 1);
        let stored = all_mentees(&app, token, 50).await;
        let awa = by_last_name(&stored, "Diallo");
        assert_eq!(awa["first_name"], "Awa");
        assert_eq!(awa["birth_year"], year() - 14);
        assert_eq!(awa["situation"], "collegien");
        assert_eq!(awa["school_uai"], REP);
        assert_eq!(awa["priority"], "rep");
        assert_eq!(awa["needs"], json!(["scolarite", "confiance"]));
        assert_eq!(awa["interests"], json!(["H", "M"]));
        assert_eq!(awa["remote_ok"], true);
        assert_eq!(awa["available_from"], "2027-01-04");
        assert_eq!(awa["email"], "awa@example.fr");
        let hugo = by_last_name(&stored, "Petit");
        assert_eq!(hugo["situation"], "en_insertion");
        assert_eq!(hugo["priority"], "rural");
        assert_eq!(hugo["qpv"], true);
        assert_eq!(hugo["needs"], json!(["insertion_professionnelle"]));
    }
);

db_test!(
    async fn bad_rows_are_reported_and_every_good_row_is_stored_whole(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let (ok, old) = (year() - 18, year() - 31);
        let file = format!(
            "last_name,first_name,birth_year,situation,commune_insee,needs,qpv\n\
             Bon,Un,{ok},lyceen,{URBAN_COMMUNE},orientation,non\n\
             Vieux,Trop,{old},etudiant,{URBAN_COMMUNE},,\n\
             Loin,Nulle,{ok},lyceen,99999,,\n\
             Flou,Besoin,{ok},lyceen,{URBAN_COMMUNE},argent,peut-être\n\
             ,Sans nom,{ok},lyceen,{URBAN_COMMUNE},,\n\
             Bon,Deux,{ok},etudiant,{FRR_COMMUNE},,oui\n\
             Bon,Un,{ok},lyceen,{URBAN_COMMUNE},confiance,non\n"
        );
        let dry = import(&app, token, "?dry_run=true", file.clone())
            .await
            .expect(200);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["created"], 2);
        assert!(
            all_mentees(&app, token, 50).await.is_empty(),
            "a dry run writes nothing"
        );
        let report = import(&app, token, "", file).await.expect(200);
        assert_eq!(report["rows"], 7);
        assert_eq!(report["created"], 2);
        assert_eq!(report["rejected"], 4);
        assert_eq!(report["duplicates"], 1);
        assert_eq!(
            row_errors(&report),
            vec![
                (3, "birth_year".to_owned()),
                (4, "commune_insee".to_owned()),
                (5, "needs".to_owned()),
                (5, "qpv".to_owned()),
                (6, "last_name".to_owned()),
                (8, String::new()),
            ]
        );
        let stored = all_mentees(&app, token, 50).await;
        let mut names: Vec<&str> = stored
            .iter()
            .map(|m| m["first_name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["Deux", "Un"]);
        // Sent again, the file stores nobody twice.
        let file_again = format!(
            "last_name,first_name,birth_year,situation,commune_insee\n\
             BON,un,{ok},etudiant,{URBAN_COMMUNE}\n"
        );
        let again = import(&app, token, "", file_again).await.expect(200);
        assert_eq!(
            (again["created"].as_u64(), again["updated"].as_u64()),
            (Some(0), Some(1))
        );
        let stored = all_mentees(&app, token, 50).await;
        assert_eq!(stored.len(), 2);
        assert_eq!(by_last_name(&stored, "BON")["situation"], "etudiant");
    }
);

db_test!(
    async fn a_file_without_the_columns_or_in_a_broken_encoding_is_refused(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let missing = import(&app, token, "", "nom;prénom\nA;B\n").await;
        let mut fields = missing.invalid_fields();
        fields.sort();
        assert_eq!(fields, vec!["birth_year", "commune_insee", "situation"]);
        let broken = import(&app, token, "", b"nom;pr\x81nom\n".to_vec()).await;
        assert_eq!(broken.invalid_fields(), vec!["file"]);
        let empty = import(&app, token, "", Vec::new()).await;
        assert_eq!(empty.invalid_fields(), vec!["file"]);
        assert!(all_mentees(&app, token, 50).await.is_empty());
    }
);

db_test!(
    /// PATCH is a JSON merge patch: `null` clears an optional field (or puts
    /// its creation default back), a left-out field is kept, and `null` on a
    /// required field is a 422 that changes nothing.
    async fn a_mentee_patch_clears_optional_fields_with_null(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let created = create(
            &app,
            token,
            &with(
                mentee("Inès", "Haddad"),
                json!({"email": "ines@exemple.fr", "school_uai": REP_PLUS, "qpv": true,
                       "needs": ["orientation"], "interests": ["M"], "remote_ok": true,
                       "available_from": "2027-01-04"}),
            ),
        )
        .await;
        assert_eq!(created["priority"], "rep_plus");
        let path = format!("/v1/mentees/{}", id_of(&created));
        let cleared = app
            .patch(
                &path,
                Some(token),
                &json!({"email": null, "school_uai": null, "available_from": null, "qpv": null,
                        "needs": null, "interests": null, "remote_ok": null}),
            )
            .await
            .expect(200);
        for field in ["email", "school_uai", "available_from"] {
            assert_eq!(cleared[field], Value::Null, "{field} is cleared");
        }
        assert_eq!(cleared["needs"], json!([]));
        assert_eq!(cleared["interests"], json!([]));
        assert_eq!(cleared["qpv"], false);
        assert_eq!(cleared["remote_ok"], false);
        assert_eq!(cleared["priority"], "standard", "no collège, no QPV");
        for kept in [
            "first_name",
            "last_name",
            "birth_year",
            "situation",
            "commune_insee",
        ] {
            assert_eq!(cleared[kept], created[kept], "{kept} is kept");
            let answer = app.patch(&path, Some(token), &json!({ kept: null })).await;
            assert_eq!(answer.invalid_fields(), vec![kept.to_owned()]);
        }
        assert_eq!(app.get(&path, Some(token)).await.expect(200), cleared);
    }
);

backend_test!(
    /// A message a sender has claimed but not delivered yet (its text is in
    /// the sender's memory) is not delivered once its mentee is erased: the
    /// sender's last check before delivering, `renew`, finds the claim gone.
    async fn erasing_a_mentee_stops_a_claimed_message(backend: Backend) {
        use entity::email_outbox::{Column, Entity};
        use sea_orm::{ColumnTrait, QueryFilter};
        // No sender in this process: the test plays one, step by step.
        let app = TestApp::spawn_with(backend, |s| s.email.sender_enabled = false).await;
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let address = format!("claimed-{}@example.fr", Uuid::now_v7().simple());
        let body = with(mentee("Maëlle", "Claimed"), json!({"email": address}));
        let created = create(&app, token, &body).await;
        let mentor = app
            .post("/v1/mentors", Some(token), &mentor_body())
            .await
            .expect(201);
        app.post(
            "/v1/pairings",
            Some(token),
            &json!({"mentee_id": created["id"], "mentor_id": mentor["id"], "status": "proposed"}),
        )
        .await
        .expect(201);

        let claim = api::email::claim(
            &app.db,
            chrono::Utc::now(),
            std::time::Duration::from_secs(600),
            100,
        )
        .await
        .unwrap();
        let claimed: Vec<Uuid> = claim
            .messages
            .iter()
            .filter(|m| m.kind == "pairing_proposed")
            .map(|m| m.id)
            .collect();
        assert_eq!(claimed.len(), 2, "one to the mentee, one to the mentor");
        assert!(claim.messages.iter().any(|m| m.recipient == address));

        app.delete(&format!("/v1/mentees/{}", id_of(&created)), Some(token))
            .await
            .expect(204);

        let until = chrono::Utc::now() + chrono::Duration::minutes(10);
        for &id in &claimed {
            assert!(
                !api::email::renew(&app.db, id, claim.token, until)
                    .await
                    .unwrap(),
                "the sender would still deliver {id}, which names the erased mentee"
            );
        }
        let rows = Entity::find()
            .filter(Column::Id.is_in(claimed.clone()))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        for row in rows {
            assert_eq!(row.status, "suppressed");
            assert_eq!(row.text_body, api::email::ERASED);
            assert_eq!(row.claim_token, None);
        }
        assert!(app.search_database(&address).await.is_empty());
    }
);
