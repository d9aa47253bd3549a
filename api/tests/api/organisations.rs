//! `/v1/organisations`, invitations and `/v1/api-clients`: what admins and
//! companies set up before any offer is posted.
use crate::db_test;
use crate::helpers::{Member, TestApp, offer_body, siret};
use entity::{api_client, offer, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

/// Two collèges of the reference data (Ain).
const UAI: &str = "0010002X";
const OTHER_UAI: &str = "0010005A";

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

async fn invite(
    app: &TestApp,
    admin: &str,
    organisation_id: &str,
    email: &str,
    role: &str,
) -> Value {
    app.post(
        &format!("/v1/organisations/{organisation_id}/users"),
        Some(admin),
        &json!({"email": email, "role": role}),
    )
    .await
    .expect(201)
}

async fn accept(app: &TestApp, token: &Value, password: &str) -> crate::helpers::Response {
    app.post(
        "/v1/auth/accept-invitation",
        None,
        &json!({"token": token, "password": password}),
    )
    .await
}

async fn client_token(
    app: &TestApp,
    client_id: &Value,
    secret: &Value,
) -> crate::helpers::Response {
    app.post(
        "/v1/auth/token",
        None,
        &json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}),
    )
    .await
}

/// A SIRET of 14 digits whose Luhn sum is wrong.
fn bad_luhn(valid: &str) -> String {
    let last = valid.as_bytes()[13] - b'0';
    format!("{}{}", &valid[..13], (last + 1) % 10)
}

db_test!(
    async fn an_admin_creates_a_company_a_school_and_a_mentoring_structure(app: TestApp) {
        let admin = app.admin().await;
        let number = siret();
        let spaced = format!(
            "{} {} {} {}",
            &number[..3],
            &number[3..6],
            &number[6..9],
            &number[9..]
        );
        let company = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "company", "name": "  Transports Martin ", "siret": spaced}),
            )
            .await
            .expect(201);
        assert_eq!(company["kind"], "company");
        assert_eq!(company["name"], "Transports Martin", "names are trimmed");
        assert_eq!(company["siret"], number.as_str(), "spaces are dropped");
        assert_eq!(company["uai"], Value::Null);
        assert!(company["created_at"].is_string());

        let school = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "school", "name": "Collège Saint-Exupéry", "uai": "0010002x"}),
            )
            .await
            .expect(201);
        assert_eq!(school["kind"], "school");
        assert_eq!(school["uai"], UAI, "the check letter is upper-cased");
        assert_eq!(school["siret"], Value::Null);

        let structure = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "mentoring_structure", "name": "Association Tremplin 23"}),
            )
            .await
            .expect(201);
        assert_eq!(structure["kind"], "mentoring_structure");
        assert_eq!(
            (&structure["siret"], &structure["uai"]),
            (&Value::Null, &Value::Null)
        );
        // An association may give its SIRET.
        let with_siret = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "mentoring_structure", "name": "Association déclarée", "siret": siret()}),
            )
            .await
            .expect(201);
        assert!(with_siret["siret"].is_string());

        for created in [&company, &school, &structure] {
            let read = app
                .get(
                    &format!("/v1/organisations/{}", id_of(created)),
                    Some(&admin),
                )
                .await
                .expect(200);
            assert_eq!(&read, created);
        }
    }
);

type Change = fn(&mut Value);

db_test!(
    async fn every_invalid_organisation_is_refused_with_the_field_at_fault(app: TestApp) {
        let admin = app.admin().await;
        let company = || json!({"kind": "company", "name": "Entreprise", "siret": siret()});
        let school = || json!({"kind": "school", "name": "Collège", "uai": UAI});
        let structure = || json!({"kind": "mentoring_structure", "name": "Association"});
        type Base = fn() -> Value;
        let cases: Vec<(&str, Base, Change, &[&str])> = vec![
            (
                "an unknown kind",
                company,
                |b| b["kind"] = json!("association"),
                &["kind"],
            ),
            (
                "an empty name",
                company,
                |b| b["name"] = json!(""),
                &["name"],
            ),
            (
                "a name too long",
                school,
                |b| b["name"] = json!("n".repeat(201)),
                &["name"],
            ),
            (
                "a company without SIRET",
                company,
                |b| {
                    b.as_object_mut().unwrap().remove("siret");
                },
                &["siret"],
            ),
            (
                "a company with a null SIRET",
                company,
                |b| b["siret"] = Value::Null,
                &["siret"],
            ),
            (
                "a SIRET too short",
                company,
                |b| b["siret"] = json!("1234567890123"),
                &["siret"],
            ),
            (
                "a SIRET too long",
                company,
                |b| b["siret"] = json!("123456789012345"),
                &["siret"],
            ),
            (
                "a SIRET of letters",
                company,
                |b| b["siret"] = json!("ABCDEFGHIJKLMN"),
                &["siret"],
            ),
            (
                "a SIRET failing Luhn",
                company,
                |b| b["siret"] = json!(bad_luhn(&siret())),
                &["siret"],
            ),
            (
                "a company with a UAI",
                company,
                |b| b["uai"] = json!(UAI),
                &["uai"],
            ),
            (
                "a school without UAI",
                school,
                |b| {
                    b.as_object_mut().unwrap().remove("uai");
                },
                &["uai"],
            ),
            (
                "a UAI with a wrong check letter",
                school,
                |b| b["uai"] = json!("0010002Y"),
                &["uai"],
            ),
            (
                "a UAI too short",
                school,
                |b| b["uai"] = json!("001002X"),
                &["uai"],
            ),
            (
                "a UAI without letter",
                school,
                |b| b["uai"] = json!("00100020"),
                &["uai"],
            ),
            (
                "a UAI absent from the reference data",
                school,
                |b| b["uai"] = json!("0000000A"),
                &["uai"],
            ),
            (
                "a school with a SIRET",
                school,
                |b| b["siret"] = json!(siret()),
                &["siret"],
            ),
            (
                "a mentoring structure with a UAI",
                structure,
                |b| b["uai"] = json!(UAI),
                &["uai"],
            ),
            (
                "a mentoring structure with a bad SIRET",
                structure,
                |b| b["siret"] = json!("123"),
                &["siret"],
            ),
            (
                "a company with a bad SIRET and a UAI",
                company,
                |b| {
                    b["siret"] = json!("123");
                    b["uai"] = json!(UAI);
                },
                &["siret", "uai"],
            ),
        ];
        for (what, base, change, fields) in cases {
            let mut body = base();
            change(&mut body);
            let response = app.post("/v1/organisations", Some(&admin), &body).await;
            let mut got = response.invalid_fields();
            got.sort();
            assert_eq!(got, fields, "{what}: {}", response.text);
            assert_eq!(response.headers["content-type"], "application/problem+json");
        }
        for field in ["kind", "name"] {
            let mut body = structure();
            body.as_object_mut().unwrap().remove(field);
            let response = app.post("/v1/organisations", Some(&admin), &body).await;
            assert_eq!(
                response.invalid_fields(),
                [field],
                "without {field}: {}",
                response.text
            );
        }
        let mut body = structure();
        body["website"] = json!("https://example.org");
        assert_eq!(
            app.post("/v1/organisations", Some(&admin), &body)
                .await
                .status
                .as_u16(),
            422
        );
        let listed = app.get("/v1/organisations", Some(&admin)).await.expect(200);
        assert_eq!(listed["items"], json!([]), "nothing was stored");
    }
);

db_test!(
    async fn a_second_organisation_with_the_same_siret_or_uai_is_a_conflict(app: TestApp) {
        let admin = app.admin().await;
        let number = siret();
        app.create_organisation(
            &admin,
            json!({"kind": "company", "name": "Première", "siret": number}),
        )
        .await;
        let spaced = format!("{} {}", &number[..9], &number[9..]);
        for same in [number.clone(), spaced] {
            let again = app
                .post(
                    "/v1/organisations",
                    Some(&admin),
                    &json!({"kind": "company", "name": "Seconde", "siret": same}),
                )
                .await;
            assert_eq!(again.status.as_u16(), 409, "{}", again.text);
            assert_eq!(again.headers["content-type"], "application/problem+json");
        }
        app.create_organisation(
            &admin,
            json!({"kind": "school", "name": "Collège", "uai": UAI}),
        )
        .await;
        let again = app
            .post(
                "/v1/organisations",
                Some(&admin),
                &json!({"kind": "school", "name": "Autre", "uai": UAI.to_lowercase()}),
            )
            .await;
        assert_eq!(again.status.as_u16(), 409, "{}", again.text);
        // Other identifiers are still free.
        app.create_organisation(
            &admin,
            json!({"kind": "school", "name": "Voisin", "uai": OTHER_UAI}),
        )
        .await;
        app.create_organisation(
            &admin,
            json!({"kind": "company", "name": "Autre", "siret": siret()}),
        )
        .await;
        // Structures without identifiers never collide.
        for _ in 0..2 {
            app.create_organisation(
                &admin,
                json!({"kind": "mentoring_structure", "name": "Même nom"}),
            )
            .await;
        }
        let listed = app
            .get("/v1/organisations?limit=100", Some(&admin))
            .await
            .expect(200);
        assert_eq!(ids(&listed).len(), 6);
    }
);

db_test!(
    async fn organisations_are_listed_in_stable_pages(app: TestApp) {
        let admin = app.admin().await;
        let mut created = HashSet::new();
        for i in 0..5 {
            let body = json!({"kind": "mentoring_structure", "name": format!("Association {i}")});
            created.insert(id_of(&app.create_organisation(&admin, body).await));
        }
        let full = ids(&app
            .get("/v1/organisations?limit=100", Some(&admin))
            .await
            .expect(200));
        assert_eq!(full.iter().cloned().collect::<HashSet<_>>(), created);

        let first = app
            .get("/v1/organisations?limit=2", Some(&admin))
            .await
            .expect(200);
        let cursor = first["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_owned();
        // A new organisation between two pages neither repeats nor hides one.
        let late = id_of(
            &app.create_organisation(
                &admin,
                json!({"kind": "mentoring_structure", "name": "Tard"}),
            )
            .await,
        );
        let mut walked = ids(&first);
        let mut sizes = vec![walked.len()];
        let mut cursor = Some(cursor);
        while let Some(c) = cursor {
            let page = app
                .get(
                    &format!("/v1/organisations?limit=2&cursor={c}"),
                    Some(&admin),
                )
                .await
                .expect(200);
            sizes.push(ids(&page).len());
            walked.extend(ids(&page));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
        }
        assert_eq!(sizes, [2, 2, 2]);
        let mut expected = full.clone();
        expected.push(late);
        assert_eq!(walked, expected, "each organisation once, in key order");

        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=1000", "limit"),
            ("cursor=bm9wZQ", "cursor"),
        ] {
            let response = app
                .get(&format!("/v1/organisations?{query}"), Some(&admin))
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

db_test!(
    async fn a_member_reads_its_own_organisation_and_no_other(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = app.school(&admin, UAI).await;
        let coordinator = app.coordinator(&admin).await;
        for member in [&company, &school, &coordinator] {
            let own = app
                .get(
                    &format!("/v1/organisations/{}", member.organisation_id),
                    Some(&member.token),
                )
                .await
                .expect(200);
            assert_eq!(own["id"], member.organisation_id.as_str());
            for other in [&company, &school, &coordinator] {
                if other.organisation_id == member.organisation_id {
                    continue;
                }
                let response = app
                    .get(
                        &format!("/v1/organisations/{}", other.organisation_id),
                        Some(&member.token),
                    )
                    .await;
                assert_eq!(response.status.as_u16(), 404, "{}", response.text);
                assert_eq!(response.headers["content-type"], "application/problem+json");
            }
            app.get(
                &format!("/v1/organisations/{}", Uuid::now_v7()),
                Some(&member.token),
            )
            .await
            .expect(404);
        }
        app.get(
            &format!("/v1/organisations/{}", school.organisation_id),
            Some(&admin),
        )
        .await
        .expect(200);
        app.get(
            &format!("/v1/organisations/{}", Uuid::now_v7()),
            Some(&admin),
        )
        .await
        .expect(404);
        app.get("/v1/organisations/not-a-uuid", Some(&admin))
            .await
            .expect(404);
    }
);

db_test!(
    async fn only_an_admin_creates_lists_and_invites(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = app.school(&admin, UAI).await;
        let coordinator = app.coordinator(&admin).await;
        for member in [&company, &school, &coordinator] {
            let token = Some(member.token.as_str());
            let answers = [
                (
                    "create",
                    app.post(
                        "/v1/organisations",
                        token,
                        &json!({"kind": "mentoring_structure", "name": "X"}),
                    )
                    .await,
                ),
                ("list", app.get("/v1/organisations", token).await),
                (
                    "invite",
                    app.post(
                        &format!("/v1/organisations/{}/users", member.organisation_id),
                        token,
                        &json!({"email": "colleague@example.fr", "role": "company"}),
                    )
                    .await,
                ),
            ];
            for (what, response) in answers {
                assert_eq!(
                    response.status.as_u16(),
                    403,
                    "{} {what}: {}",
                    member.email,
                    response.text
                );
                assert_eq!(response.headers["content-type"], "application/problem+json");
                assert_eq!(response.body["status"], 403);
            }
        }
        let answers = [
            app.post(
                "/v1/organisations",
                None,
                &json!({"kind": "mentoring_structure", "name": "X"}),
            )
            .await,
            app.get("/v1/organisations", None).await,
            app.get(
                &format!("/v1/organisations/{}", company.organisation_id),
                None,
            )
            .await,
            app.post(
                &format!("/v1/organisations/{}/users", company.organisation_id),
                None,
                &json!({"email": "colleague@example.fr", "role": "company"}),
            )
            .await,
        ];
        for response in answers {
            assert_eq!(response.status.as_u16(), 401, "{}", response.text);
            assert_eq!(response.headers["content-type"], "application/problem+json");
            assert_eq!(response.body["status"], 401);
            assert!(response.body["title"].is_string() && response.body["type"].is_string());
        }
        let listed = app.get("/v1/organisations", Some(&admin)).await.expect(200);
        assert_eq!(ids(&listed).len(), 3, "no organisation was added");
        assert_eq!(
            user::Entity::find()
                .filter(user::Column::Email.eq("colleague@example.fr"))
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
    }
);

db_test!(
    async fn an_invited_user_has_the_one_role_of_its_organisation_kind(app: TestApp) {
        let admin = app.admin().await;
        let company = app
            .create_organisation(
                &admin,
                json!({"kind": "company", "name": "E", "siret": siret()}),
            )
            .await;
        let school = app
            .create_organisation(&admin, json!({"kind": "school", "name": "C", "uai": UAI}))
            .await;
        let structure = app
            .create_organisation(&admin, json!({"kind": "mentoring_structure", "name": "A"}))
            .await;
        let kinds = [
            (&company, "company"),
            (&school, "school"),
            (&structure, "coordinator"),
        ];
        for (org, right) in kinds {
            for role in ["company", "school", "coordinator", "admin", "boss"] {
                let email = format!("{role}-{}@example.fr", Uuid::now_v7().simple());
                let path = format!("/v1/organisations/{}/users", id_of(org));
                let response = app
                    .post(&path, Some(&admin), &json!({"email": email, "role": role}))
                    .await;
                if role == right {
                    let body = response.expect(201);
                    assert_eq!(body["role"], role);
                    assert_eq!(body["organisation_id"], org["id"]);
                    assert_eq!(body["email"], email.as_str());
                    assert!(
                        body["invitation"]["token"]
                            .as_str()
                            .is_some_and(|t| t.len() >= 20)
                    );
                    assert!(body["invitation"]["expires_at"].is_string());
                } else {
                    assert_eq!(
                        response.invalid_fields(),
                        ["role"],
                        "{role} in {}: {}",
                        org["kind"],
                        response.text
                    );
                }
            }
        }
        let path = format!("/v1/organisations/{}/users", id_of(&company));
        let bad_email = app
            .post(
                &path,
                Some(&admin),
                &json!({"email": "not-an-email", "role": "company"}),
            )
            .await;
        assert_eq!(bad_email.invalid_fields(), ["email"]);
        let both = app
            .post(&path, Some(&admin), &json!({"email": "x", "role": "boss"}))
            .await;
        let mut fields = both.invalid_fields();
        fields.sort();
        assert_eq!(fields, ["email", "role"]);
        let missing = app
            .post(&path, Some(&admin), &json!({"email": "a@example.fr"}))
            .await;
        assert_eq!(missing.invalid_fields(), ["role"]);
        app.post(
            &format!("/v1/organisations/{}/users", Uuid::now_v7()),
            Some(&admin),
            &json!({"email": "a@example.fr", "role": "company"}),
        )
        .await
        .expect(404);
    }
);

db_test!(
    async fn an_e_mail_is_invited_once_whatever_its_case(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let other = app.company(&admin).await;
        let first = invite(
            &app,
            &admin,
            &company.organisation_id,
            "Alex.Durand@Example.fr",
            "company",
        )
        .await;
        assert_eq!(
            first["email"], "alex.durand@example.fr",
            "e-mails are stored lower-cased"
        );
        for (org, email) in [
            (&company.organisation_id, "alex.durand@example.fr"),
            (&other.organisation_id, "ALEX.DURAND@EXAMPLE.FR"),
            (&other.organisation_id, company.email.as_str()),
        ] {
            let again = app
                .post(
                    &format!("/v1/organisations/{org}/users"),
                    Some(&admin),
                    &json!({"email": email, "role": "company"}),
                )
                .await;
            assert_eq!(again.status.as_u16(), 409, "{email}: {}", again.text);
            assert_eq!(again.headers["content-type"], "application/problem+json");
        }
        assert_eq!(
            user::Entity::find()
                .filter(user::Column::Email.eq("alex.durand@example.fr"))
                .count(&app.db)
                .await
                .unwrap(),
            1
        );
    }
);

db_test!(
    async fn accepting_an_invitation_sets_the_password_once(app: TestApp) {
        let admin = app.admin().await;
        let org = app
            .create_organisation(
                &admin,
                json!({"kind": "mentoring_structure", "name": "Asso"}),
            )
            .await;
        let invited = invite(
            &app,
            &admin,
            &id_of(&org),
            "coord@example.fr",
            "coordinator",
        )
        .await;
        let token = &invited["invitation"]["token"];
        let password = "correct horse battery staple";

        // No password yet: nobody signs in as this user.
        app.login("coord@example.fr", "").await.expect(401);
        app.login("coord@example.fr", password).await.expect(401);

        // A short password is refused and does not use the invitation up.
        let short = accept(&app, token, "elevenchars").await;
        assert_eq!(short.invalid_fields(), ["password"]);
        let long = accept(&app, token, &"p".repeat(129)).await;
        assert_eq!(long.invalid_fields(), ["password"]);

        let accepted = accept(&app, token, password).await;
        assert_eq!(accepted.status.as_u16(), 204, "{}", accepted.text);
        let signed_in = app.login("Coord@Example.fr", password).await.expect(200);
        let access = signed_in["access_token"].as_str().unwrap();
        let own = app
            .get(&format!("/v1/organisations/{}", id_of(&org)), Some(access))
            .await
            .expect(200);
        assert_eq!(own["id"], org["id"]);

        // The token works once: a second use changes nothing.
        let again = accept(&app, token, "another long password").await;
        assert_eq!(again.invalid_fields(), ["token"]);
        app.login("coord@example.fr", "another long password")
            .await
            .expect(401);
        app.login("coord@example.fr", password).await.expect(200);

        for unknown in [json!("not-a-real-invitation-token"), json!("")] {
            let response = accept(&app, &unknown, password).await;
            assert_eq!(response.invalid_fields(), ["token"], "{unknown}");
        }
        let stored = user::Entity::find()
            .filter(user::Column::Email.eq("coord@example.fr"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            stored.invitation_hash.is_none(),
            "the invitation is consumed"
        );
        assert!(
            stored
                .password_hash
                .as_deref()
                .is_some_and(|h| h.starts_with("$argon2id$"))
        );
    }
);

db_test!(
    async fn two_simultaneous_acceptances_of_one_invitation_let_only_one_through(app: TestApp) {
        let admin = app.admin().await;
        let org = app
            .create_organisation(
                &admin,
                json!({"kind": "mentoring_structure", "name": "Asso"}),
            )
            .await;
        let invited = invite(&app, &admin, &id_of(&org), "race@example.fr", "coordinator").await;
        let token = &invited["invitation"]["token"];
        let passwords: Vec<String> = (0..4).map(|i| format!("password number {i}")).collect();
        let answers =
            futures::future::join_all(passwords.iter().map(|p| accept(&app, token, p))).await;
        let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 204).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 422).count(),
            3,
            "{statuses:?}"
        );
        let winner = statuses.iter().position(|s| *s == 204).unwrap();
        for (i, password) in passwords.iter().enumerate() {
            let expected = if i == winner { 200 } else { 401 };
            app.login("race@example.fr", password)
                .await
                .expect(expected);
        }
    }
);

db_test!(
    async fn an_expired_invitation_is_refused(app: TestApp) {
        let backend = app.backend.clone();
        drop(app);
        let app = TestApp::spawn_with(backend, |s| s.auth.invitation_ttl_hours = 0).await;
        let admin = app.admin().await;
        let org = app
            .create_organisation(
                &admin,
                json!({"kind": "mentoring_structure", "name": "Asso"}),
            )
            .await;
        let invited = invite(&app, &admin, &id_of(&org), "late@example.fr", "coordinator").await;
        let response = accept(
            &app,
            &invited["invitation"]["token"],
            "a long enough password",
        )
        .await;
        assert_eq!(response.invalid_fields(), ["token"]);
        app.login("late@example.fr", "a long enough password")
            .await
            .expect(401);
    }
);

async fn create_client(app: &TestApp, member: &Member, name: &str) -> Value {
    app.post(
        "/v1/api-clients",
        Some(&member.token),
        &json!({"name": name}),
    )
    .await
    .expect(201)
}

db_test!(
    async fn a_company_creates_an_api_client_whose_secret_is_shown_once(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_client(&app, &company, "  Plateforme partenaire ").await;
        assert_eq!(created["name"], "Plateforme partenaire");
        let client_id = created["client_id"].as_str().unwrap();
        assert!(client_id.starts_with("tpl_"), "{client_id}");
        let secret = created["client_secret"]
            .as_str()
            .expect("the secret, this once");
        assert!(secret.len() >= 32);
        assert_eq!(created["revoked_at"], Value::Null);

        let listed = app
            .get("/v1/api-clients", Some(&company.token))
            .await
            .expect(200);
        assert_eq!(ids(&listed), [id_of(&created)]);
        let item = &listed["items"][0];
        assert!(
            item.get("client_secret").is_none(),
            "the list never shows the secret: {item}"
        );
        assert_eq!(item["client_id"], client_id);
        assert!(!listed.to_string().contains(secret));

        let stored = api_client::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.secret_hash, secret, "only a hash is stored");
        assert!(!stored.secret_hash.contains(secret));

        let empty = app
            .post(
                "/v1/api-clients",
                Some(&company.token),
                &json!({"name": ""}),
            )
            .await;
        assert_eq!(empty.invalid_fields(), ["name"]);
        let long = app
            .post(
                "/v1/api-clients",
                Some(&company.token),
                &json!({"name": "n".repeat(121)}),
            )
            .await;
        assert_eq!(long.invalid_fields(), ["name"]);
    }
);

db_test!(
    async fn an_api_client_token_posts_offers_for_its_company(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let other = app.company(&admin).await;
        let client = create_client(&app, &company, "Opérateur").await;
        let granted = client_token(&app, &client["client_id"], &client["client_secret"])
            .await
            .expect(200);
        assert_eq!(granted["token_type"], "Bearer");
        assert!(granted["expires_in"].as_i64().is_some_and(|s| s > 0));
        assert!(
            granted.get("refresh_token").is_none_or(Value::is_null),
            "machines get no refresh token"
        );
        let machine = granted["access_token"].as_str().unwrap();

        let posted = app
            .post("/v1/offers", Some(machine), &offer_body())
            .await
            .expect(201);
        let upserted = app
            .put("/v1/offers/external/op-1", Some(machine), &offer_body())
            .await
            .expect(201);
        let seen = ids(&app
            .get("/v1/offers", Some(&company.token))
            .await
            .expect(200));
        assert_eq!(
            seen.into_iter().collect::<HashSet<_>>(),
            HashSet::from([id_of(&posted), id_of(&upserted)])
        );
        let row = offer::Entity::find_by_id(id_of(&posted).parse::<Uuid>().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.organisation_id.to_string(), company.organisation_id);
        assert_eq!(
            ids(&app.get("/v1/offers", Some(&other.token)).await.expect(200)),
            Vec::<String>::new()
        );

        // A machine may not mint more machines.
        let more = app
            .post("/v1/api-clients", Some(machine), &json!({"name": "Encore"}))
            .await;
        assert_eq!(more.status.as_u16(), 403, "{}", more.text);

        for (client_id, secret) in [
            (client["client_id"].clone(), json!("not the secret")),
            (client["client_id"].clone(), json!("")),
            (json!("tpl_unknown"), client["client_secret"].clone()),
        ] {
            let refused = client_token(&app, &client_id, &secret).await;
            assert_eq!(
                refused.status.as_u16(),
                401,
                "{client_id} / {secret}: {}",
                refused.text
            );
            assert_eq!(refused.headers["content-type"], "application/problem+json");
        }
    }
);

db_test!(
    async fn a_revoked_api_client_gets_no_more_tokens(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let other = app.company(&admin).await;
        let client = create_client(&app, &company, "Opérateur").await;
        let kept = create_client(&app, &company, "Autre opérateur").await;
        let path = format!("/v1/api-clients/{}", id_of(&client));

        // Another company cannot revoke it, nor see it.
        let foreign = app.delete(&path, Some(&other.token)).await;
        assert_eq!(foreign.status.as_u16(), 404, "{}", foreign.text);
        assert_eq!(foreign.headers["content-type"], "application/problem+json");
        assert_eq!(
            ids(&app
                .get("/v1/api-clients", Some(&other.token))
                .await
                .expect(200)),
            Vec::<String>::new()
        );
        client_token(&app, &client["client_id"], &client["client_secret"])
            .await
            .expect(200);

        let revoked = app.delete(&path, Some(&company.token)).await;
        assert_eq!(revoked.status.as_u16(), 204, "{}", revoked.text);
        let refused = client_token(&app, &client["client_id"], &client["client_secret"]).await;
        assert_eq!(refused.status.as_u16(), 401, "{}", refused.text);
        app.delete(&path, Some(&company.token)).await.expect(404);
        app.delete(
            &format!("/v1/api-clients/{}", Uuid::now_v7()),
            Some(&company.token),
        )
        .await
        .expect(404);

        let listed = app
            .get("/v1/api-clients", Some(&company.token))
            .await
            .expect(200);
        let items = listed["items"].as_array().unwrap();
        let revoked_item = items
            .iter()
            .find(|c| c["id"] == client["id"])
            .expect("still listed");
        assert!(revoked_item["revoked_at"].is_string());
        let kept_item = items
            .iter()
            .find(|c| c["id"] == kept["id"])
            .expect("listed");
        assert_eq!(kept_item["revoked_at"], Value::Null);
        client_token(&app, &kept["client_id"], &kept["client_secret"])
            .await
            .expect(200);
    }
);

db_test!(
    async fn only_company_users_manage_api_clients(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let client = create_client(&app, &company, "Opérateur").await;
        let path = format!("/v1/api-clients/{}", id_of(&client));
        let school = app.school(&admin, UAI).await;
        let coordinator = app.coordinator(&admin).await;
        for (who, token) in [
            ("school", &school.token),
            ("coordinator", &coordinator.token),
            ("admin", &admin),
        ] {
            let token = Some(token.as_str());
            let answers = [
                (
                    "POST",
                    app.post("/v1/api-clients", token, &json!({"name": "X"}))
                        .await,
                ),
                ("GET", app.get("/v1/api-clients", token).await),
                ("DELETE", app.delete(&path, token).await),
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
        for response in [
            app.post("/v1/api-clients", None, &json!({"name": "X"}))
                .await,
            app.get("/v1/api-clients", None).await,
            app.delete(&path, None).await,
        ] {
            assert_eq!(response.status.as_u16(), 401, "{}", response.text);
        }
        assert_eq!(api_client::Entity::find().count(&app.db).await.unwrap(), 1);
        client_token(&app, &client["client_id"], &client["client_secret"])
            .await
            .expect(200);
    }
);
