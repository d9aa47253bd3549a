use crate::db_test;
use crate::helpers::*;
use crate::postgres_or_skip;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

db_test!(
    async fn unknown_routes_wrong_methods_and_bad_input_answer_problem_json(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let token = Some(company.token.as_str());

        let unknown = app.get("/v1/nothing-here", None).await;
        assert_eq!(unknown.status.as_u16(), 404);
        assert_eq!(unknown.headers["content-type"], "application/problem+json");
        assert_eq!(unknown.body["status"], 404);
        assert!(unknown.body["type"].is_string() && unknown.body["title"].is_string());

        let wrong_method = app.put("/v1/sectors", None, &json!({})).await;
        assert_eq!(wrong_method.status.as_u16(), 405);
        assert_eq!(wrong_method.headers["allow"], "GET");
        assert_eq!(
            wrong_method.headers["content-type"],
            "application/problem+json"
        );

        let malformed = app
            .client
            .post(format!("{}/v1/offers", app.address))
            .bearer_auth(&company.token)
            .header("content-type", "application/json")
            .body("{\"kind\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status().as_u16(), 400);
        assert_eq!(
            malformed.headers()["content-type"],
            "application/problem+json"
        );

        let wrong_type = app.post("/v1/offers", token, &json!({"kind": 3})).await;
        assert_eq!(wrong_type.invalid_fields(), ["kind"]);

        let bad_query = app.get("/v1/offers?limit=many", token).await;
        assert_eq!(bad_query.status.as_u16(), 400);
        assert_eq!(
            bad_query.headers["content-type"],
            "application/problem+json"
        );
        let bad_limit = app.get("/v1/offers?limit=1000", token).await;
        assert_eq!(bad_limit.invalid_fields(), ["limit"]);

        let bad_id = app.get("/v1/offers/not-a-uuid", token).await;
        assert_eq!(bad_id.status.as_u16(), 404);
        assert_eq!(bad_id.headers["content-type"], "application/problem+json");
    }
);

db_test!(
    async fn health_and_metrics_are_served(app: TestApp) {
        app.get("/health/live", None).await.expect(200);
        app.get("/health/ready", None).await.expect(200);
        app.get("/v1/sectors", None).await.expect(200);
        let metrics = app.get("/metrics", None).await;
        assert_eq!(metrics.status.as_u16(), 200);
        assert!(
            metrics.text.contains(
                r#"http_requests_total{method="GET",route="/v1/sectors",status="200"} 1"#
            ),
            "{}",
            metrics.text
        );
    }
);

/// SQLite: another process holds the write lock longer than the server's
/// busy timeout; the write answers 503 and works again once released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_answers_503_then_recovers() {
    let app =
        TestApp::spawn_with(Backend::Sqlite, |s| s.database.sqlite_busy_timeout_ms = 200).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let token = Some(company.token.as_str());
    app.post("/v1/offers", token, &offer_body())
        .await
        .expect(201);

    let locker = Database::connect(&app.database_url).await.unwrap();
    locker.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
    let answer = app.post("/v1/offers", token, &offer_body()).await;
    assert_eq!(answer.status.as_u16(), 503, "{}", answer.text);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    assert!(answer.headers.contains_key("retry-after"));
    assert!(
        !answer.text.to_lowercase().contains("sqlite"),
        "no internals leak: {}",
        answer.text
    );
    assert!(
        !answer.text.contains("locked"),
        "no internals leak: {}",
        answer.text
    );
    locker.execute_unprepared("COMMIT").await.unwrap();

    app.post("/v1/offers", token, &offer_body())
        .await
        .expect(201);
}

/// PostgreSQL: the database stops accepting connections and the server's
/// connections are cut; requests answer 503, then work again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_database_answers_503_then_recovers() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn_with(backend, |s| s.database.acquire_timeout_ms = 500).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let token = Some(company.token.as_str());
    let created = app
        .post("/v1/offers", token, &offer_body())
        .await
        .expect(201);
    let path = format!("/v1/offers/{}", created["id"].as_str().unwrap());

    let name = app
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let server = std::env::var("TEST_DATABASE_URL").unwrap();
    let admin_db = Database::connect(server).await.unwrap();
    admin_db
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin_db
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();

    for _ in 0..3 {
        let answer = app.get(&path, token).await;
        assert_eq!(answer.status.as_u16(), 503, "{}", answer.text);
        assert_eq!(answer.headers["content-type"], "application/problem+json");
        assert!(
            !answer.text.contains("terminat"),
            "no internals leak: {}",
            answer.text
        );
    }
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status.as_u16(), 503);

    admin_db
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let mut recovered = false;
    for _ in 0..20 {
        if app.get(&path, token).await.status.as_u16() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        recovered,
        "the server did not recover once the database was back"
    );
    app.get("/health/ready", None).await.expect(200);
}
