use crate::db_test;
use crate::helpers::*;
use api::auth::{JwtKeys, SubjectKind};
use api::domain::Role;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{setting, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

async fn server_keys(app: &TestApp, ttl: i64) -> JwtKeys {
    let secret = setting::Entity::find_by_id("jwt_secret".to_owned())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the development profile stored a generated key")
        .value;
    JwtKeys::new(secret.as_bytes(), ttl).unwrap()
}

db_test!(
    async fn the_password_grant_returns_a_bearer_token_and_a_refresh_token(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let body = app.login(&company.email, "a long enough password").await;
        assert_eq!(
            body.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let body = body.expect(200);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert!(
            body["refresh_token"]
                .as_str()
                .is_some_and(|t| t.len() >= 40)
        );
        let token = body["access_token"].as_str().unwrap();
        app.get("/v1/offers", Some(token)).await.expect(200);
    }
);

db_test!(
    async fn wrong_credentials_are_refused_alike_for_known_and_unknown_emails(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let wrong_password = app.login(&company.email, "not the password at all").await;
        let unknown_email = app
            .login("nobody@tremplin.test", "not the password at all")
            .await;
        assert_eq!(wrong_password.status.as_u16(), 401);
        assert_eq!(unknown_email.status.as_u16(), 401);
        assert_eq!(wrong_password.body["detail"], unknown_email.body["detail"]);
        assert_eq!(
            wrong_password.headers.get("content-type").unwrap(),
            "application/problem+json"
        );
        let cases = [
            (
                json!({"grant_type": "password", "email": "a@b.fr"}),
                vec!["email", "password"],
            ),
            (
                json!({"grant_type": "client_credentials", "client_id": "x"}),
                vec!["client_id", "client_secret"],
            ),
            (json!({"grant_type": "implicit"}), vec!["grant_type"]),
            (
                json!({"email": "a@b.fr", "password": "x"}),
                vec!["grant_type"],
            ),
        ];
        for (body, fields) in cases {
            let answer = app.post("/v1/auth/token", None, &body).await;
            assert_eq!(answer.invalid_fields(), fields, "{body}");
        }
    }
);

db_test!(
    async fn a_user_invited_but_without_password_cannot_sign_in(app: TestApp) {
        let admin = app.admin().await;
        let org = app
            .create_organisation(
                &admin,
                json!({"kind": "company", "name": "X", "siret": siret()}),
            )
            .await;
        app.post(
            &format!("/v1/organisations/{}/users", org["id"].as_str().unwrap()),
            Some(&admin),
            &json!({"email": "pending@tremplin.test", "role": "company"}),
        )
        .await
        .expect(201);
        app.login("pending@tremplin.test", "").await.expect(401);
        app.login("pending@tremplin.test", "anything at all here")
            .await
            .expect(401);
    }
);

db_test!(
    async fn an_expired_invitation_cannot_be_accepted(app: TestApp) {
        let admin = app.admin().await;
        let org = app
            .create_organisation(
                &admin,
                json!({"kind": "company", "name": "X", "siret": siret()}),
            )
            .await;
        let invited = app
            .post(
                &format!("/v1/organisations/{}/users", org["id"].as_str().unwrap()),
                Some(&admin),
                &json!({"email": "late@tremplin.test", "role": "company"}),
            )
            .await
            .expect(201);
        let row = user::Entity::find()
            .filter(user::Column::Email.eq("late@tremplin.test"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut active: user::ActiveModel = row.into();
        active.invitation_expires_at = Set(Some(chrono::Utc::now() - chrono::Duration::hours(1)));
        active.update(&app.db).await.unwrap();
        let answer = app
            .post(
                "/v1/auth/accept-invitation",
                None,
                &json!({"token": invited["invitation"]["token"], "password": "a long enough password"}),
            )
            .await;
        assert_eq!(answer.invalid_fields(), ["token"]);
    }
);

db_test!(
    async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_family(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let first = app
            .login(&company.email, "a long enough password")
            .await
            .expect(200);
        let r1 = first["refresh_token"].as_str().unwrap().to_owned();

        let second = app
            .post("/v1/auth/refresh", None, &json!({"refresh_token": r1}))
            .await
            .expect(200);
        let r2 = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(r1, r2);
        app.get("/v1/offers", second["access_token"].as_str())
            .await
            .expect(200);

        // r1 replayed (stolen): refused, and r2 dies with it.
        let replay = app
            .post("/v1/auth/refresh", None, &json!({"refresh_token": r1}))
            .await;
        assert_eq!(replay.status.as_u16(), 401);
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": r2}))
            .await
            .expect(401);

        // Another sign-in starts a new family that still works.
        let fresh = app
            .login(&company.email, "a long enough password")
            .await
            .expect(200);
        app.post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": fresh["refresh_token"]}),
        )
        .await
        .expect(200);
        app.post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": "made-up"}),
        )
        .await
        .expect(401);
    }
);

db_test!(
    async fn concurrent_uses_of_one_refresh_token_give_at_most_one_success(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let login = app
            .login(&company.email, "a long enough password")
            .await
            .expect(200);
        let body = json!({"refresh_token": login["refresh_token"]});
        let answers =
            futures::future::join_all((0..6).map(|_| app.post("/v1/auth/refresh", None, &body)))
                .await;
        let ok = answers.iter().filter(|a| a.status.as_u16() == 200).count();
        assert!(ok <= 1, "{ok} refreshes succeeded with one token");
        assert!(
            answers
                .iter()
                .all(|a| matches!(a.status.as_u16(), 200 | 401))
        );
    }
);

db_test!(
    async fn logout_revokes_the_refresh_token(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let login = app
            .login(&company.email, "a long enough password")
            .await
            .expect(200);
        let body = json!({"refresh_token": login["refresh_token"]});
        app.post("/v1/auth/logout", None, &body).await.expect(204);
        app.post("/v1/auth/refresh", None, &body).await.expect(401);
        app.post("/v1/auth/logout", None, &body).await.expect(204);
    }
);

db_test!(
    async fn tampered_expired_foreign_and_unsigned_tokens_are_refused(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let org: Uuid = company.organisation_id.parse().unwrap();
        let keys = server_keys(&app, 60).await;
        let valid = keys
            .issue(Uuid::now_v7(), Role::Company, Some(org), SubjectKind::User)
            .unwrap();
        app.get("/v1/offers", Some(&valid)).await.expect(200);

        let expired = server_keys(&app, -600)
            .await
            .issue(Uuid::now_v7(), Role::Company, Some(org), SubjectKind::User)
            .unwrap();
        let foreign = JwtKeys::new(b"some-other-key-some-other-key-123", 60)
            .unwrap()
            .issue(Uuid::now_v7(), Role::Admin, None, SubjectKind::User)
            .unwrap();
        // Same header and signature, payload changed to the admin role.
        let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["role"] = json!("admin");
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        let tampered = parts.join(".");
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        for (what, token) in [
            ("expired", expired.as_str()),
            ("foreign key", foreign.as_str()),
            ("tampered", tampered.as_str()),
            ("alg none", unsigned.as_str()),
            ("garbage", "not.a.jwt"),
        ] {
            let answer = app.get("/v1/organisations", Some(token)).await;
            assert_eq!(answer.status.as_u16(), 401, "{what}: {}", answer.text);
        }
        let answer = app.get("/v1/offers", None).await;
        assert_eq!(answer.status.as_u16(), 401);
        assert_eq!(answer.body["status"], 401);
    }
);

db_test!(
    async fn an_admin_token_is_not_a_company_token(app: TestApp) {
        let admin = app.admin().await;
        let answer = app.post("/v1/offers", Some(&admin), &offer_body()).await;
        assert_eq!(answer.status.as_u16(), 403, "{}", answer.text);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_answers_429_with_retry_after_past_the_burst() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.auth.rate_limit_burst = 3;
        s.auth.rate_limit_period_ms = 60_000;
    })
    .await;
    for _ in 0..3 {
        app.login("x@tremplin.test", "wrong password here")
            .await
            .expect(401);
    }
    let limited = app.login("x@tremplin.test", "wrong password here").await;
    assert_eq!(limited.status.as_u16(), 429, "{}", limited.text);
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(limited.body["status"], 429);
    // Other endpoints are not limited.
    app.get("/v1/sectors", None).await.expect(200);
}
