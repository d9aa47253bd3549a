//! The pages: the records the e-mails link to (scoped as the API), coming
//! back to them after sign-in, invitations, the htmx fragments, the public
//! pages, static files and unknown paths.
use crate::browser::{Browser, PASSWORD};
use crate::db_test;
use crate::helpers::*;
use crate::placement_deadlines::proposal;
use chrono::{Duration, Utc};
use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

db_test!(
    async fn a_placement_opens_after_sign_in_for_its_school_and_company_only(app: TestApp) {
        let (school, company, _pupil, placement) = proposal(&app).await;
        let path = format!("/placements/{}", placement["id"].as_str().unwrap());
        // Not signed in: to the sign-in page, which brings back here.
        let mut browser = Browser::new(&app);
        let asked = browser.get(&path).await.expect(303);
        let sign_in = asked.location();
        assert_eq!(
            sign_in,
            format!("/connexion?retour=%2Fplacements%2F{}", &path[12..])
        );
        let form = browser.get(&sign_in).await.expect(200);
        assert_eq!(form.field_value("retour").as_deref(), Some(path.as_str()));
        let back = browser
            .post(
                "/connexion",
                &[
                    ("csrf", &form.csrf()),
                    ("email", &company.email),
                    ("password", PASSWORD),
                    ("retour", &path),
                ],
            )
            .await
            .expect(303);
        assert_eq!(back.location(), path);
        let seen = browser.get(&path).await.expect(200);
        for shown in [
            "Découverte des métiers de la logistique",
            "Inès",
            "Collège",
            "S03 2027",
        ] {
            assert!(seen.text.contains(shown), "{shown}: {}", seen.text);
        }
        assert!(
            !seen.text.contains("Inès Test"),
            "a company sees the first name only"
        );

        let mut school_browser = Browser::new(&app);
        school_browser
            .sign_in(&school.email, PASSWORD)
            .await
            .expect(303);
        let seen = school_browser.get(&path).await.expect(200);
        for shown in [
            "Inès Test",
            "Priorité",
            "km",
            "proposé, en attente du collège",
        ] {
            assert!(seen.text.contains(shown), "{shown}: {}", seen.text);
        }

        // Another company, a coordinator, a path that is no id.
        let admin = app.admin().await;
        let other = app.company(&admin).await;
        let mut stranger = Browser::new(&app);
        stranger.sign_in(&other.email, PASSWORD).await.expect(303);
        let hidden = stranger.get(&path).await.expect(404);
        assert!(hidden.text.contains("Page introuvable"), "{}", hidden.text);
        assert!(!hidden.text.contains("logistique"));
        stranger.get("/placements/not-an-id").await.expect(404);
        let coordinator = app.coordinator(&admin).await;
        let mut coord = Browser::new(&app);
        coord
            .sign_in(&coordinator.email, PASSWORD)
            .await
            .expect(303);
        let refused = coord.get(&path).await.expect(403);
        assert!(refused.text.contains("Accès refusé"));
    }
);

db_test!(
    async fn sign_in_goes_back_only_to_a_page_of_this_site(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        for (retour, expected) in [
            ("//evil.example/x", "/"),
            ("https://evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("/docs", "/docs"),
        ] {
            let mut browser = Browser::new(&app);
            let csrf = browser.get("/connexion").await.expect(200).csrf();
            let answer = browser
                .post(
                    "/connexion",
                    &[
                        ("csrf", &csrf),
                        ("email", &company.email),
                        ("password", PASSWORD),
                        ("retour", retour),
                    ],
                )
                .await
                .expect(303);
            assert_eq!(answer.location(), expected, "{retour}");
        }
        // A wrong password keeps the page to go back to, and the e-mail.
        let mut browser = Browser::new(&app);
        let csrf = browser
            .get("/connexion?retour=/docs")
            .await
            .expect(200)
            .csrf();
        let again = browser
            .post(
                "/connexion",
                &[
                    ("csrf", &csrf),
                    ("email", &company.email),
                    ("password", "wrong password!"),
                    ("retour", "/docs"),
                ],
            )
            .await
            .expect(401);
        assert_eq!(again.field_value("retour").as_deref(), Some("/docs"));
        assert_eq!(again.field_value("email"), Some(company.email.clone()));
        let blank = browser
            .post("/connexion", &[("csrf", &csrf)])
            .await
            .expect(422);
        assert!(
            blank.text.contains("aria-describedby=\"email-erreur\""),
            "{}",
            blank.text
        );
        assert!(blank.text.contains("id=\"email-erreur\""));
    }
);

async fn invite(app: &TestApp, admin: &str) -> (String, String) {
    let org = app
        .create_organisation(
            admin,
            json!({"kind": "company", "name": "Invitée", "siret": siret()}),
        )
        .await;
    let email = format!("invite-{}@tremplin.test", uuid::Uuid::now_v7().simple());
    let invited = app
        .post(
            &format!("/v1/organisations/{}/users", org["id"].as_str().unwrap()),
            Some(admin),
            &json!({"email": email, "role": "company"}),
        )
        .await
        .expect(201);
    (
        email,
        invited["invitation"]["token"].as_str().unwrap().to_owned(),
    )
}

db_test!(
    async fn an_invitation_link_sets_the_password_then_signs_in(app: TestApp) {
        let admin = app.admin().await;
        let (email, token) = invite(&app, &admin).await;
        let path = format!("/invitation?token={token}");
        let mut browser = Browser::new(&app);
        let form = browser.get(&path).await.expect(200);
        assert!(form.text.contains(&email));
        assert_eq!(form.header("referrer-policy"), "same-origin");
        let csrf = form.csrf();
        let post = |password: &'static str, confirmation: &'static str| {
            [
                ("csrf", csrf.clone()),
                ("token", token.clone()),
                ("password", password.into()),
                ("confirmation", confirmation.into()),
            ]
        };
        let weak = post("court", "court");
        let weak: Vec<(&str, &str)> = weak.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = browser.post("/invitation", &weak).await.expect(422);
        assert!(
            refused.text.contains("de 12 à 128 caractères"),
            "{}",
            refused.text
        );
        assert!(
            refused
                .text
                .contains("aria-describedby=\"password-aide password-erreur\"")
        );
        let differ = post("un mot de passe assez long", "un autre mot de passe long");
        let differ: Vec<(&str, &str)> = differ.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = browser.post("/invitation", &differ).await.expect(422);
        assert!(
            refused.text.contains("id=\"confirmation-erreur\""),
            "{}",
            refused.text
        );
        let good = post("un mot de passe assez long", "un mot de passe assez long");
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = browser.post("/invitation", &good).await.expect(303);
        assert_eq!(done.location(), "/");
        assert!(browser.get("/").await.expect(200).text.contains(&email));
        // The same password works for the API: one account, one rule.
        app.login(&email, "un mot de passe assez long")
            .await
            .expect(200);
        let used = browser.get(&path).await.expect(410);
        assert!(used.text.contains("déjà servi"), "{}", used.text);

        let (_, late) = invite(&app, &admin).await;
        user::Entity::update_many()
            .col_expr(
                user::Column::InvitationExpiresAt,
                Expr::value(Utc::now() - Duration::hours(1)),
            )
            .filter(user::Column::PasswordHash.is_null())
            .exec(&app.db)
            .await
            .unwrap();
        let expired = Browser::new(&app)
            .get(&format!("/invitation?token={late}"))
            .await
            .expect(410);
        assert!(expired.text.contains("a expiré le"), "{}", expired.text);
        Browser::new(&app).get("/invitation").await.expect(410);
    }
);

db_test!(
    async fn htmx_gets_the_fragment_and_every_page_varies_on_it(app: TestApp) {
        let (school, _company, _pupil, placement) = proposal(&app).await;
        let path = format!("/placements/{}", placement["id"].as_str().unwrap());
        let mut browser = Browser::new(&app);
        browser.sign_in(&school.email, PASSWORD).await.expect(303);
        let whole = browser.get(&path).await.expect(200);
        let fragment = browser
            .get_with(&path, &[("HX-Request", "true")])
            .await
            .expect(200);
        for page in [&whole, &fragment] {
            assert!(
                page.header("vary").contains("HX-Request"),
                "{:?}",
                page.headers
            );
            assert_eq!(page.header("cache-control"), "no-store");
            assert!(
                page.header("content-security-policy")
                    .contains("script-src 'self'")
            );
            assert!(page.text.contains("<h1>Stage : Découverte"));
        }
        assert!(whole.text.starts_with("<!doctype html>") && whole.text.contains("<header"));
        assert!(!fragment.text.contains("<html") && !fragment.text.contains("<header"));
        assert!(
            fragment.text.starts_with("<title>Stage – Tremplin</title>"),
            "{}",
            fragment.text
        );
        // Signed out, htmx is told to leave the page for the sign-in page.
        let asked = Browser::new(&app)
            .get_with(&path, &[("HX-Request", "true")])
            .await
            .expect(401);
        let sign_in = format!("/connexion?retour=%2Fplacements%2F{}", &path[12..]);
        assert_eq!(asked.header("hx-redirect"), sign_in);
        assert!(asked.location().is_empty());
        let public = browser
            .get_with("/mentorat", &[("HX-Request", "true")])
            .await
            .expect(200);
        assert!(public.header("vary").contains("HX-Request") && !public.text.contains("<footer"));
    }
);

db_test!(
    async fn a_pairing_page_is_its_structures_only(app: TestApp) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let mentor = app
            .post("/v1/mentors", Some(&coordinator.token), &mentor_body())
            .await
            .expect(201);
        let id =
            crate::pairings::new_pairing(&app, &coordinator.token, mentor["id"].as_str().unwrap())
                .await;
        let path = format!("/pairings/{id}");
        let mut mine = Browser::new(&app);
        mine.sign_in(&coordinator.email, PASSWORD).await.expect(303);
        let seen = mine.get(&path).await.expect(200);
        for shown in ["brouillon", "Sami B.", "Historique", "création"] {
            assert!(seen.text.contains(shown), "{shown}: {}", seen.text);
        }
        let other = app.coordinator(&admin).await;
        let mut theirs = Browser::new(&app);
        theirs.sign_in(&other.email, PASSWORD).await.expect(303);
        assert!(
            theirs
                .get(&path)
                .await
                .expect(404)
                .text
                .contains("Page introuvable")
        );
        let company = app.company(&admin).await;
        let mut firm = Browser::new(&app);
        firm.sign_in(&company.email, PASSWORD).await.expect(303);
        firm.get(&path).await.expect(403);
    }
);

db_test!(
    async fn public_pages_files_and_unknown_paths(app: TestApp) {
        let mut browser = Browser::new(&app);
        for (path, shown) in [
            ("/", "Bienvenue sur Tremplin"),
            ("/mentorat", "1 jeune, 1 mentor"),
            ("/accessibilite", "non conforme"),
            ("/mentions-legales", "Marianne"),
            ("/donnees-personnelles", "Cookies"),
            ("/docs", "/v1/auth/token"),
        ] {
            let page = browser.get(path).await.expect(200);
            assert!(page.text.contains(shown), "{path}: {shown}");
            assert!(page.text.contains("href=\"#contenu\""), "{path}: skip link");
            assert!(page.set_cookie("tremplin_session").is_none());
        }
        let home = browser.get("/").await;
        let at = home.text.find("/static/").expect("a stylesheet link");
        let css = &home.text[at..at + home.text[at..].find('"').unwrap()];
        let file = browser.get(css).await.expect(200);
        assert!(file.header("content-type").starts_with("text/css"));
        assert_eq!(
            file.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        let etag = file.header("etag");
        browser
            .get_with(css, &[("If-None-Match", &etag)])
            .await
            .expect(304);
        browser
            .get("/static/0000000000000000/tremplin.css")
            .await
            .expect(404);

        let missing = browser.get("/nulle-part").await.expect(404);
        assert!(missing.header("content-type").starts_with("text/html"));
        assert!(missing.text.contains("Page introuvable"));
        let api = app.get("/nulle-part", None).await;
        assert_eq!(api.status.as_u16(), 404);
        assert_eq!(api.headers["content-type"], "application/problem+json");
        let api = browser.get("/v1/nulle-part").await.expect(404);
        assert_eq!(api.header("content-type"), "application/problem+json");
        browser.post("/mentorat", &[]).await.expect(405);
    }
);
