//! Hostile input: NUL characters, wrong content types, trickled bodies,
//! invented methods, import files of bad rows; and the headers every answer
//! carries. On SQLite and PostgreSQL (PostgreSQL refuses NUL in text).
use crate::helpers::*;
use crate::{backend_test, db_test};
use reqwest::Method;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn assert_problem(answer: &Response, status: u16, what: &str) {
    assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text);
    assert_eq!(
        answer.headers["content-type"], "application/problem+json",
        "{what}"
    );
}

db_test!(
    async fn a_nul_character_anywhere_answers_400_or_422_never_500(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let (uai, _, _) = college_093();
        let school = app.school(&admin, &uai).await;
        let company_token = Some(company.token.as_str());

        // Query and path values: 400, naming the parameter.
        for (method, path, token) in [
            (Method::GET, "/v1/schools?departement=%00", None),
            (Method::GET, "/v1/schools?departement=09%003&limit=2", None),
            (Method::GET, "/v1/email/unsubscribe?token=%00", None),
            (Method::POST, "/v1/email/unsubscribe?token=abc%00", None),
            (Method::GET, "/v1/offers?cursor=%00", company_token),
            (Method::GET, "/v1/schools/0930%00", None),
            (
                Method::PUT,
                "/v1/offers/external/remote%00id",
                company_token,
            ),
        ] {
            let body = (method == Method::PUT).then(offer_body);
            let answer = app
                .request(method.clone(), path, token, body.as_ref())
                .await;
            assert_problem(&answer, 400, path);
            if path.contains('?') {
                assert!(
                    answer.body["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("query parameter '")),
                    "{path}: {}",
                    answer.text
                );
            }
        }

        // JSON strings: 422 naming the field by its path.
        let mut offer = offer_body();
        offer["title"] = json!("Logistique\u{0}");
        let mut nested = offer_body();
        nested["tutor"]["name"] = json!("\u{0}");
        let cases: Vec<(&str, Option<&str>, Value, &str)> = vec![
            (
                "/v1/auth/token",
                None,
                json!({"grant_type": "client_credentials", "client_id": "tpl_\u{0}", "client_secret": "x"}),
                "client_id",
            ),
            (
                "/v1/auth/token",
                None,
                json!({"grant_type": "password", "email": "a\u{0}@b.fr", "password": "x"}),
                "email",
            ),
            (
                "/v1/auth/accept-invitation",
                None,
                json!({"token": "\u{0}", "password": "a long enough password"}),
                "token",
            ),
            (
                "/v1/organisations",
                Some(admin.as_str()),
                json!({"kind": "mentoring_structure", "name": "Asso\u{0}"}),
                "name",
            ),
            ("/v1/offers", company_token, offer, "title"),
            ("/v1/offers", company_token, nested, "tutor.name"),
            (
                "/v1/pupils",
                Some(school.token.as_str()),
                json!({"first_name": "\u{0}Ysé", "last_name": "Test",
                       "birth_date": "2012-03-04", "class_name": "3A"}),
                "first_name",
            ),
            (
                "/v1/pupils",
                Some(school.token.as_str()),
                json!({"first_name": "Ysé", "last_name": "Test", "interests": ["N", "\u{0}"],
                       "birth_date": "2012-03-04", "class_name": "3A"}),
                "interests[1]",
            ),
        ];
        for (path, token, body, field) in cases {
            let answer = app.post(path, token, &body).await;
            assert_problem(&answer, 422, path);
            assert_eq!(answer.invalid_fields(), [field], "{path}: {}", answer.text);
        }

        // A CSV file: 422 on the file.
        let csv = "nom;prénom;date de naissance;classe\nTest;Y\0sé;31/05/2012;3A\n";
        let answer = app.post_csv("/v1/pupils/import", &school.token, csv).await;
        assert_eq!(answer.invalid_fields(), ["file"]);

        // Nothing was stored, and the server still answers.
        let offers = app.get("/v1/offers", company_token).await.expect(200);
        assert_eq!(offers["items"], json!([]));
        app.get("/health/ready", None).await.expect(200);
    }
);

db_test!(
    async fn a_json_endpoint_answers_415_to_another_content_type(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let body = offer_body().to_string();
        let send = |content_type: Option<&'static str>| {
            let mut request = app
                .client
                .post(format!("{}/v1/offers", app.address))
                .bearer_auth(&company.token)
                .body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            request.send()
        };
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("text/csv"),
            None,
        ] {
            let answer = send(content_type).await.unwrap();
            assert_eq!(answer.status().as_u16(), 415, "{content_type:?}");
            assert_eq!(answer.headers()["content-type"], "application/problem+json");
        }
        for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
            let answer = send(Some(content_type)).await.unwrap();
            assert_eq!(answer.status().as_u16(), 201, "{content_type}");
        }
        let answer = app
            .client
            .post(format!("{}/v1/auth/token", app.address))
            .header("content-type", "text/plain")
            .body(r#"{"grant_type":"password","email":"a@b.fr","password":"x"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 415);
    }
);

db_test!(
    async fn answers_carry_nosniff_and_personal_data_is_never_cached(app: TestApp) {
        let admin = app.admin().await;
        let (uai, _, _) = college_093();
        let school = app.school(&admin, &uai).await;
        let coordinator = app.coordinator(&admin).await;
        let pupil = json!({"first_name": "Ysé", "last_name": "Test",
                           "birth_date": "2012-03-04", "class_name": "3A"});
        let created = app.post("/v1/pupils", Some(&school.token), &pupil).await;
        assert_eq!(created.headers["cache-control"], "no-store");
        let id = created.body["id"].as_str().unwrap().to_owned();
        for (path, token) in [
            ("/v1/pupils".to_owned(), school.token.as_str()),
            (format!("/v1/pupils/{id}"), school.token.as_str()),
            ("/v1/placements".to_owned(), school.token.as_str()),
            ("/v1/mentees".to_owned(), coordinator.token.as_str()),
            ("/v1/mentors".to_owned(), coordinator.token.as_str()),
            ("/v1/pairings".to_owned(), coordinator.token.as_str()),
            (
                "/v1/pairings/export.csv".to_owned(),
                coordinator.token.as_str(),
            ),
            ("/v1/pupils/not-an-id".to_owned(), school.token.as_str()),
        ] {
            let answer = app.get(&path, Some(token)).await;
            assert!(answer.status.as_u16() < 500, "{path}: {}", answer.text);
            assert_eq!(answer.headers["cache-control"], "no-store", "{path}");
            assert_eq!(
                answer.headers["x-content-type-options"], "nosniff",
                "{path}"
            );
        }
        let signed_in = app
            .post(
                "/v1/auth/token",
                None,
                &json!({"grant_type": "password", "email": school.email, "password": "a long enough password"}),
            )
            .await;
        assert_eq!(signed_in.headers["cache-control"], "no-store");

        // Open reference data may be cached; it is still never sniffed.
        for path in ["/v1/sectors", "/v1/communes/93066", "/nowhere"] {
            let answer = app.get(path, None).await;
            assert_eq!(
                answer.headers["x-content-type-options"], "nosniff",
                "{path}"
            );
        }
        assert!(
            !app.get("/v1/sectors", None)
                .await
                .headers
                .contains_key("cache-control")
        );
    }
);

db_test!(
    async fn the_unsubscribe_page_has_a_strict_content_security_policy(app: TestApp) {
        entity::email_preference::Entity::insert(entity::email_preference::ActiveModel {
            email: Set("csp@example.fr".into()),
            token: Set("csp-test-token".into()),
            unsubscribed_at: Set(None),
            created_at: Set(chrono::Utc::now()),
        })
        .exec_without_returning(&app.db)
        .await
        .unwrap();
        let page = app
            .get("/v1/email/unsubscribe?token=csp-test-token", None)
            .await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.text);
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        assert_eq!(page.headers["cache-control"], "no-store");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");

        let done = app
            .client
            .post(format!(
                "{}/v1/email/unsubscribe?token=csp-test-token",
                app.address
            ))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status().as_u16(), 200);
        assert!(done.headers().contains_key("content-security-policy"));
    }
);

db_test!(
    async fn invented_methods_share_one_metrics_label(app: TestApp) {
        for i in 0..20 {
            let method = Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
            let answer = app.request(method, "/v1/sectors", None, None).await;
            assert_eq!(answer.status.as_u16(), 405);
        }
        let answer = app
            .request(
                Method::from_bytes(b"BREW").unwrap(),
                "/v1/offers/123",
                None,
                None,
            )
            .await;
        assert_eq!(answer.status.as_u16(), 405);
        let metrics = app.get("/metrics", None).await.text;
        assert!(!metrics.contains("BREW"), "{metrics}");
        assert!(!metrics.contains("/v1/offers/123"), "{metrics}");
        assert!(
            metrics.contains(
                r#"http_requests_total{method="OTHER",route="/v1/sectors",status="405"} 20"#
            ),
            "{metrics}"
        );
        assert!(
            metrics.contains(
                r#"http_requests_total{method="OTHER",route="/v1/offers/{id}",status="405"} 1"#
            ),
            "{metrics}"
        );
    }
);

/// Sends `head` then `body` one byte every `pause` on a raw connection and
/// returns what the server answered (empty if it closed without a word), or
/// `None` if it had said nothing after `patience`.
fn trickle(
    address: &str,
    head: &str,
    body: &[u8],
    pause: Duration,
    patience: Duration,
) -> Option<String> {
    let address = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.set_nonblocking(true).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut sent = 0;
    while started.elapsed() < patience {
        let mut buffer = [0u8; 4096];
        match stream.read(&mut buffer) {
            Ok(0) => return Some(String::from_utf8_lossy(&answer).into_owned()),
            Ok(n) => {
                answer.extend_from_slice(&buffer[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    return Some(String::from_utf8_lossy(&answer).into_owned());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return Some(String::from_utf8_lossy(&answer).into_owned()),
        }
        if sent < body.len() {
            // A write error means the server closed: the read says how.
            let _ = stream.write_all(&body[sent..=sent]);
            sent += 1;
        }
        std::thread::sleep(pause);
    }
    None
}

backend_test!(
    async fn a_body_sent_a_byte_at_a_time_is_cut_off(backend: Backend) {
        let app = TestApp::spawn_with(backend, |s| s.server.body_timeout_ms = 1_000).await;
        let body = r#"{"grant_type":"password","email":"slow@example.fr","password":"a long enough password"}"#;
        let head = format!(
            "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let address = app.address.clone();
        let started = Instant::now();
        let answer = tokio::task::spawn_blocking(move || {
            trickle(
                &address,
                &head,
                body.as_bytes(),
                Duration::from_millis(200),
                Duration::from_secs(15),
            )
        })
        .await
        .unwrap()
        .expect("the server answered while the body was still trickling");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.to_lowercase().contains("application/problem+json"),
            "{answer}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));

        // The same for an upload.
        let admin = app.admin().await;
        let (uai, _, _) = college_093();
        let school = app.school(&admin, &uai).await;
        let csv = "nom;prénom;date de naissance;classe\nTest;Ysé;31/05/2012;3A\n".repeat(4);
        let head = format!(
            "POST /v1/pupils/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
            school.token,
            csv.len()
        );
        let address = app.address.clone();
        let answer = tokio::task::spawn_blocking(move || {
            trickle(
                &address,
                &head,
                csv.as_bytes(),
                Duration::from_millis(200),
                Duration::from_secs(15),
            )
        })
        .await
        .unwrap()
        .expect("the server answered while the file was still trickling");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
);

backend_test!(
    async fn a_request_head_sent_too_slowly_is_cut_off(backend: Backend) {
        let app = TestApp::spawn_with(backend, |s| s.server.request_head_timeout_ms = 500).await;
        let address = app.address.clone();
        let started = Instant::now();
        let answer = tokio::task::spawn_blocking(move || {
            // The head never ends: one header line a byte at a time.
            trickle(
                &address,
                "GET /v1/sectors HTTP/1.1\r\n",
                b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                Duration::from_millis(100),
                Duration::from_secs(15),
            )
        })
        .await
        .unwrap()
        .expect("the server answered while the head was still trickling");
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
        // actix's default is 5 s: the setting is what cut it.
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
);

db_test!(
    async fn an_import_of_bad_rows_reports_the_first_thousand_and_counts_them_all(app: TestApp) {
        let admin = app.admin().await;
        let (uai, _, _) = college_093();
        let school = app.school(&admin, &uai).await;
        let mut csv = String::from("nom;prénom;date de naissance;classe\n");
        for i in 0..1_500 {
            csv.push_str(&format!("Test;Élève {i};pas une date;3A\n"));
        }
        csv.push_str("Test;Bonne;31/05/2012;3A\n");
        let report = app
            .post_csv("/v1/pupils/import", &school.token, csv)
            .await
            .expect(200);
        assert_eq!(report["rows"], 1_501);
        assert_eq!(report["rejected"], 1_500);
        assert_eq!(report["created"], 1);
        assert_eq!(report["errors_total"], 1_500);
        let errors = row_errors(&report);
        assert_eq!(errors.len(), 1_000);
        assert_eq!(errors[0], (2, "birth_date".to_owned()));
        assert_eq!(errors[999].0, 1_001);

        let coordinator = app.coordinator(&admin).await;
        let mut csv = String::from("nom;prénom;année de naissance;statut;commune_insee\n");
        for i in 0..1_200 {
            csv.push_str(&format!("Test;Jeune {i};1890;lyceen;93066\n"));
        }
        let report = app
            .post_csv("/v1/mentees/import", &coordinator.token, csv)
            .await
            .expect(200);
        assert_eq!(report["rejected"], 1_200);
        assert_eq!(row_errors(&report).len(), 1_000);
        assert!(
            report["errors_total"].as_u64().unwrap() >= 1_200,
            "{}",
            report["errors_total"]
        );
    }
);
