//! Sessions of the web pages: the cookie and what the server keeps of it,
//! sign-out, expiry, rotation, a deleted user, CSRF refusals and the rate
//! limit shared with the token endpoint.
use crate::browser::{Browser, PASSWORD};
use crate::db_test;
use crate::helpers::*;
use api::auth::hash_secret;
use chrono::{Duration, Utc};
use entity::{user, web_session};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

async fn sessions(app: &TestApp) -> u64 {
    web_session::Entity::find().count(&app.db).await.unwrap()
}

/// A signed-in company user's browser.
async fn signed_in(app: &TestApp) -> (Browser, Member) {
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let mut browser = Browser::new(app);
    let answer = browser.sign_in(&company.email, PASSWORD).await.expect(303);
    assert_eq!(answer.location(), "/");
    (browser, company)
}

/// Any page behind sign-in, to see whether the session still works.
fn protected() -> String {
    format!("/placements/{}", Uuid::now_v7())
}

db_test!(
    async fn signing_in_sets_an_http_only_lax_cookie_whose_digest_alone_is_stored(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let mut browser = Browser::new(&app);
        let form = browser.get("/connexion").await.expect(200);
        let pre = form.set_cookie("tremplin_csrf").expect("a form cookie");
        assert!(
            pre.contains("HttpOnly") && pre.contains("SameSite=Lax"),
            "{pre}"
        );
        let answer = browser
            .post(
                "/connexion",
                &[
                    ("csrf", &form.csrf()),
                    ("email", &company.email),
                    ("password", PASSWORD),
                ],
            )
            .await
            .expect(303);
        assert_eq!(answer.location(), "/");
        let cookie = answer
            .set_cookie("tremplin_session")
            .expect("a session cookie");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain HTTP in development: {cookie}"
        );
        let id = browser.session().expect("kept");
        let rows = web_session::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].token_hash, hash_secret(&id));
        assert!(
            app.search_database(&id.to_ascii_lowercase())
                .await
                .is_empty()
        );
        let home = browser.get("/").await.expect(200);
        assert!(home.text.contains(&company.email), "{}", home.text);
        assert!(home.text.contains("Se déconnecter"));
    }
);

db_test!(
    async fn an_https_deployment_marks_its_cookies_secure_and_host_only(app: TestApp) {
        let secure = TestApp::spawn_with(app.backend.clone(), |s| {
            s.email.public_base_url = "https://tremplin.example.fr".into();
        })
        .await;
        let admin = secure.admin().await;
        let company = secure.company(&admin).await;
        let mut browser = Browser::new(&secure);
        let form = browser.get("/connexion").await.expect(200);
        let pre = form
            .set_cookie("__Host-tremplin_csrf")
            .expect("a form cookie");
        assert!(pre.contains("; Secure"), "{pre}");
        let answer = browser.sign_in(&company.email, PASSWORD).await.expect(303);
        let cookie = answer
            .set_cookie("__Host-tremplin_session")
            .expect("cookie");
        assert!(
            cookie.contains("; Secure") && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");
    }
);

db_test!(
    async fn signing_out_ends_the_session_on_the_server(app: TestApp) {
        let (mut browser, _) = signed_in(&app).await;
        let stolen = browser.cookies.clone();
        let home = browser.get("/").await.expect(200);
        let out = browser
            .post("/deconnexion", &[("csrf", &home.csrf())])
            .await
            .expect(303);
        assert_eq!(out.location(), "/connexion?etat=deconnecte");
        assert!(
            out.set_cookie("tremplin_session")
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(sessions(&app).await, 0);
        let page = browser.get("/connexion?etat=deconnecte").await.expect(200);
        assert!(page.text.contains("Vous êtes déconnecté"), "{}", page.text);
        // A copy of the cookie taken before is worth nothing now.
        let mut thief = Browser::new(&app);
        thief.cookies = stolen;
        let path = protected();
        let answer = thief.get(&path).await.expect(303);
        assert!(
            answer.location().starts_with("/connexion?retour="),
            "{}",
            answer.location()
        );
    }
);

db_test!(
    async fn an_expired_or_idle_session_sends_back_to_sign_in(app: TestApp) {
        let (mut browser, company) = signed_in(&app).await;
        let past = Utc::now() - Duration::seconds(1);
        web_session::Entity::update_many()
            .col_expr(web_session::Column::ExpiresAt, Expr::value(past))
            .exec(&app.db)
            .await
            .unwrap();
        let path = protected();
        let answer = browser.get(&path).await.expect(303);
        let expected = format!("/connexion?retour=%2Fplacements%2F{}", &path[12..]);
        assert_eq!(answer.location(), expected);
        assert!(
            answer
                .set_cookie("tremplin_session")
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(sessions(&app).await, 0, "an expired session is deleted");

        browser.sign_in(&company.email, PASSWORD).await.expect(303);
        let idle = Utc::now() - Duration::minutes(61);
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::value(idle))
            .exec(&app.db)
            .await
            .unwrap();
        browser.get(&path).await.expect(303);
        let home = browser.get("/").await.expect(200);
        assert!(
            home.text.contains("Se connecter"),
            "signed out: {}",
            home.text
        );
    }
);

db_test!(
    async fn signing_in_again_replaces_the_session_id(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let mut browser = Browser::new(&app);
        let csrf = browser.get("/connexion").await.expect(200).csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("email", &company.email),
            ("password", PASSWORD),
        ];
        browser.post("/connexion", &form).await.expect(303);
        let first = browser.session().unwrap();
        let old = browser.cookies.clone();
        browser.post("/connexion", &form).await.expect(303);
        let second = browser.session().unwrap();
        assert_ne!(first, second);
        assert_eq!(sessions(&app).await, 1, "the old session was ended");
        let mut replay = Browser::new(&app);
        replay.cookies = old;
        replay.get(&protected()).await.expect(303);
    }
);

db_test!(
    async fn a_deleted_user_is_signed_out(app: TestApp) {
        let (mut browser, company) = signed_in(&app).await;
        browser.get("/").await.expect(200);
        user::Entity::delete_many()
            .filter(user::Column::Email.eq(company.email.clone()))
            .exec(&app.db)
            .await
            .unwrap();
        browser.get(&protected()).await.expect(303);
        let home = browser.get("/").await.expect(200);
        assert!(!home.text.contains(&company.email));
    }
);

db_test!(
    async fn forms_without_their_csrf_token_are_refused_and_change_nothing(app: TestApp) {
        let (mut browser, company) = signed_in(&app).await;
        let home = browser.get("/").await.expect(200);
        let token = home.csrf();
        for form in [
            vec![],
            vec![("csrf", "")],
            vec![("csrf", "bm90IGEgdG9rZW4")],
        ] {
            let refused = browser.post("/deconnexion", &form).await.expect(403);
            assert!(
                refused.text.contains("Formulaire expiré"),
                "{}",
                refused.text
            );
            assert!(refused.header("content-type").starts_with("text/html"));
        }
        // Another browser's token does not fit this session either.
        let (mut other, _) = signed_in(&app).await;
        let foreign = other.get("/").await.expect(200).csrf();
        browser
            .post("/deconnexion", &[("csrf", &foreign)])
            .await
            .expect(403);
        assert_eq!(sessions(&app).await, 2, "no session was ended");
        assert!(
            browser
                .get("/")
                .await
                .expect(200)
                .text
                .contains(&company.email)
        );
        assert_ne!(
            token,
            browser.get("/").await.csrf(),
            "masked afresh each page"
        );

        // Before sign-in: right credentials, no token, no session.
        let mut stranger = Browser::new(&app);
        stranger.get("/connexion").await.expect(200);
        let creds = [("email", company.email.as_str()), ("password", PASSWORD)];
        let refused = stranger.post("/connexion", &creds).await.expect(403);
        assert!(refused.set_cookie("tremplin_session").is_none());
        assert_eq!(sessions(&app).await, 2);
        // A token without the cookie it belongs to (another site's post).
        let mut forger = Browser::new(&app);
        let form = [("csrf", token.as_str()), creds[0], creds[1]];
        forger.post("/connexion", &form).await.expect(403);
        assert_eq!(sessions(&app).await, 2);
    }
);

db_test!(
    async fn sign_in_attempts_share_the_token_endpoints_rate_limit(app: TestApp) {
        let limited = TestApp::spawn_with(app.backend.clone(), |s| {
            s.auth.rate_limit_burst = 2;
            s.auth.rate_limit_period_ms = 600_000;
        })
        .await;
        let mut browser = Browser::new(&limited);
        let form = browser.get("/connexion").await.expect(200);
        let csrf = form.csrf();
        let wrong = [
            ("csrf", csrf.as_str()),
            ("email", "x@tremplin.test"),
            ("password", "nope"),
        ];
        for _ in 0..2 {
            let refused = browser.post("/connexion", &wrong).await.expect(401);
            assert!(
                refused.text.contains("mot de passe incorrect"),
                "{}",
                refused.text
            );
        }
        let limited_page = browser.post("/connexion", &wrong).await.expect(429);
        assert!(limited_page.text.contains("Trop de tentatives"));
        let retry: u64 = limited_page.header("retry-after").parse().expect("seconds");
        assert!(retry >= 1);
        // One limit for both doors.
        limited.login("x@tremplin.test", "nope").await.expect(429);
    }
);
