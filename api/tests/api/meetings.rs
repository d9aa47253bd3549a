//! Meetings of a pairing and its figures, on a clock the test sets: dates
//! are checked against the start, the end and today, never by waiting.
use crate::helpers::*;
use crate::mentees::mentee;
use api::clock::Clock;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

fn start_clock() -> Clock {
    Clock::fixed(
        DateTime::parse_from_rfc3339("2027-03-01T10:00:00Z")
            .expect("a date")
            .with_timezone(&Utc),
    )
}

/// Like `db_test!`, with a server whose clock the test holds.
macro_rules! clock_test {
    (async fn $name:ident($app:ident: TestApp, $clock:ident: Clock $(,)?) $body:block) => {
        mod $name {
            use super::*;

            async fn run($app: TestApp, $clock: Clock) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let clock = start_clock();
                let shared = clock.clone();
                run(TestApp::spawn_with(Backend::Sqlite, move |s| s.clock = shared).await, clock).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                match Backend::postgres() {
                    Some(backend) => {
                        let clock = start_clock();
                        let shared = clock.clone();
                        run(TestApp::spawn_with(backend, move |s| s.clock = shared).await, clock).await
                    }
                    None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
    };
}

async fn setup(app: &TestApp, token: &str, first: &str) -> (String, String) {
    let mentee_id = app
        .post("/v1/mentees", Some(token), &mentee(first, "Rencontres"))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mentor = app
        .post("/v1/mentors", Some(token), &mentor_body())
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pairing = app
        .post(
            "/v1/pairings",
            Some(token),
            &json!({"mentee_id": mentee_id, "mentor_id": mentor, "status": "proposed"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (mentee_id, pairing)
}

fn meeting(date: &str, mode: &str, minutes: u32) -> Value {
    json!({"date": date, "mode": mode, "duration_minutes": minutes})
}

clock_test!(
    async fn meetings_are_dated_between_the_start_and_today_and_make_the_figures(
        app: TestApp,
        clock: Clock,
    ) {
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        let token = coordinator.token.as_str();
        let tag = Uuid::now_v7().simple().to_string();
        let first = format!("Rayan{}", &tag[tag.len() - 10..]);
        let (mentee_id, pairing) = setup(&app, token, &first).await;
        let path = format!("/v1/pairings/{pairing}");
        let meetings = format!("{path}/meetings");

        // Not started yet: nothing to record.
        let answer = app
            .post(&meetings, Some(token), &meeting("2027-02-01", "remote", 30))
            .await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        // Today is 2027-03-01 for the server: a later start is refused.
        let answer = app
            .patch(
                &path,
                Some(token),
                &json!({"status": "active", "start_date": "2027-03-02"}),
            )
            .await;
        assert_eq!(answer.invalid_fields(), vec!["start_date"]);
        app.patch(
            &path,
            Some(token),
            &json!({"status": "active", "start_date": "2027-01-04"}),
        )
        .await
        .expect(200);

        let cases = [
            (meeting("2027-03-02", "in_person", 60), vec!["date"]),
            (meeting("2027-01-03", "in_person", 60), vec!["date"]),
            (meeting("2027-02-01", "fax", 60), vec!["mode"]),
            (meeting("2027-02-01", "phone", 0), vec!["duration_minutes"]),
        ];
        for (body, fields) in cases {
            let answer = app.post(&meetings, Some(token), &body).await;
            assert_eq!(answer.invalid_fields(), fields, "{body}");
        }
        let mut with_note = meeting("2027-03-01", "phone", 30);
        with_note["note"] = json!(format!("{first} a trouvé un stage"));
        for body in [
            meeting("2027-01-10", "in_person", 60),
            meeting("2027-02-01", "remote", 45),
            with_note,
        ] {
            let created = app.post(&meetings, Some(token), &body).await.expect(201);
            assert_eq!(created["date"], body["date"]);
            assert_eq!(created["mode"], body["mode"]);
        }
        let page = app
            .get(&format!("{meetings}?limit=2"), Some(token))
            .await
            .expect(200);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert!(page["next_cursor"].is_string());

        // Five weeks later, without a meeting since.
        clock.advance(Duration::days(35));
        let read = app.get(&path, Some(token)).await.expect(200);
        assert_eq!(
            read["figures"],
            json!({
                "meetings": 3,
                "months_active": 3.0,
                "meetings_per_month": 1.0,
                "days_since_last_meeting": 35,
            })
        );
        // Today moved with the clock: a meeting on the new today is fine.
        app.post(&meetings, Some(token), &meeting("2027-04-05", "remote", 30))
            .await
            .expect(201);
        app.patch(
            &path,
            Some(token),
            &json!({"status": "ended", "end_reason": "completed", "end_date": "2027-04-10"}),
        )
        .await
        .expect(422);
        app.patch(
            &path,
            Some(token),
            &json!({"status": "ended", "end_reason": "completed"}),
        )
        .await
        .expect(200);
        clock.advance(Duration::days(20));
        let answer = app
            .post(&meetings, Some(token), &meeting("2027-04-20", "remote", 30))
            .await;
        assert_eq!(answer.invalid_fields(), vec!["date"]);
        let read = app.get(&path, Some(token)).await.expect(200);
        assert_eq!(read["end_date"], "2027-04-05");
        assert_eq!(read["figures"]["meetings"], 4);
        assert_eq!(read["figures"]["days_since_last_meeting"], 0);

        // Another structure sees nothing; the note goes with the mentee.
        let other = app.coordinator(&admin).await;
        app.get(&meetings, Some(&other.token)).await.expect(404);
        app.post(
            &meetings,
            Some(&other.token),
            &meeting("2027-04-01", "remote", 30),
        )
        .await
        .expect(404);
        assert!(!app.search_database(&first).await.is_empty());
        app.delete(&format!("/v1/mentees/{mentee_id}"), Some(token))
            .await
            .expect(204);
        let hits = app.search_database(&first).await;
        assert!(hits.is_empty(), "still in {hits:?}");
        let listed = app.get(&meetings, Some(token)).await.expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 4);
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["note"].is_null())
        );
    }
);
