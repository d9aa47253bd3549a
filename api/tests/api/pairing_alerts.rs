//! Follow-up alerts on controlled dates: the server's clock is held by the
//! test and moved across each threshold, never waited for. Records are
//! stamped with the system time when written, so the clock starts at the
//! test's own start and every threshold is crossed from the stamps read back.
use crate::helpers::*;
use crate::mentees::mentee;
use api::clock::Clock;
use api::configuration::Settings;
use api::store::alerts::completes_months;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::mentee as mentee_entity;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

/// A server whose clock the test holds, started years away from the real
/// time: every date the service records or compares must come from its
/// clock, or these tests see the gap.
pub async fn spawn_clocked(
    backend: Backend,
    configure: impl FnOnce(&mut Settings),
) -> (TestApp, Clock) {
    let start = Utc::now() + chrono::Duration::days(3 * 365 + 17);
    let clock = Clock::fixed(start);
    let shared = clock.clone();
    let app = TestApp::spawn_with(backend, move |s| {
        s.clock = shared;
        configure(s);
    })
    .await;
    (app, clock)
}

/// Like `db_test!`, with the server's clock in hand and optional settings.
#[macro_export]
macro_rules! clocked_test {
    (async fn $name:ident($app:ident: TestApp, $clock:ident: Clock $(,)?) $body:block) => {
        $crate::clocked_test!(|_| {}, async fn $name($app: TestApp, $clock: Clock) $body);
    };
    ($configure:expr, async fn $name:ident($app:ident: TestApp, $clock:ident: Clock $(,)?) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::helpers::Backend;

            async fn run($app: TestApp, $clock: Clock) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let (app, clock) =
                    $crate::pairing_alerts::spawn_clocked(Backend::Sqlite, $configure).await;
                run(app, clock).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                match Backend::postgres() {
                    Some(backend) => {
                        let (app, clock) =
                            $crate::pairing_alerts::spawn_clocked(backend, $configure).await;
                        run(app, clock).await
                    }
                    None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
    };
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// A new mentee of the structure (any body changes applied).
pub async fn new_mentee(app: &TestApp, token: &str, changes: Value) -> Value {
    let mut body = mentee("Lina", &format!("Suivi{}", Uuid::now_v7().simple()));
    for (k, v) in changes.as_object().expect("changes") {
        body[k] = v.clone();
    }
    app.post("/v1/mentees", Some(token), &body)
        .await
        .expect(201)
}

pub async fn new_mentor(app: &TestApp, token: &str, capacity: u32) -> String {
    let mut body = mentor_body();
    body["capacity"] = json!(capacity);
    id(&app
        .post("/v1/mentors", Some(token), &body)
        .await
        .expect(201))
}

/// A proposed pairing of a new mentee with `mentor`.
pub async fn proposed(app: &TestApp, token: &str, mentor: &str, changes: Value) -> Value {
    let mentee = new_mentee(app, token, changes).await;
    app.post(
        "/v1/pairings",
        Some(token),
        &json!({"mentee_id": id(&mentee), "mentor_id": mentor, "status": "proposed"}),
    )
    .await
    .expect(201)
}

/// An active pairing of a new mentee with `mentor`, started on `start`.
pub async fn active(
    app: &TestApp,
    token: &str,
    mentor: &str,
    start: NaiveDate,
    changes: Value,
) -> Value {
    let pairing = proposed(app, token, mentor, changes).await;
    app.patch(
        &format!("/v1/pairings/{}", id(&pairing)),
        Some(token),
        &json!({"status": "active", "start_date": start}),
    )
    .await
    .expect(200)
}

pub async fn meeting(app: &TestApp, token: &str, pairing: &str, date: NaiveDate) {
    app.post(
        &format!("/v1/pairings/{pairing}/meetings"),
        Some(token),
        &json!({"date": date, "duration_minutes": 45, "mode": "remote"}),
    )
    .await
    .expect(201);
}

fn at(v: &Value, field: &str) -> DateTime<Utc> {
    v[field]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .expect("a timestamp")
        .with_timezone(&Utc)
}

/// The alerts of `kind` the caller sees now.
async fn alerts(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let body = app
        .get(&format!("/v1/pairings/alerts?kind={kind}"), Some(token))
        .await
        .expect(200);
    body["items"].as_array().expect("items").clone()
}

/// The one alert of `kind` about `field` = `id`, if any.
async fn alert_on(app: &TestApp, token: &str, kind: &str, field: &str, id: &str) -> Option<Value> {
    let found: Vec<Value> = alerts(app, token, kind)
        .await
        .into_iter()
        .filter(|a| a[field] == id)
        .collect();
    assert!(found.len() <= 1, "one alert per record: {found:?}");
    found.into_iter().next()
}

crate::clocked_test!(
    async fn an_active_pair_without_a_meeting_for_30_days_is_flagged_until_it_meets(
        app: TestApp,
        clock: Clock,
    ) {
        let admin = app.admin().await;
        let structure = app.coordinator(&admin).await;
        let token = structure.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let today = clock.today();
        let start = today - Duration::days(5);
        let met = id(&active(&app, token, &mentor, start, json!({})).await);
        meeting(&app, token, &met, today - Duration::days(2)).await;
        let never = id(&active(&app, token, &mentor, start, json!({})).await);
        let kind = "no_recent_meeting";

        assert!(
            alert_on(&app, token, kind, "pairing_id", &met)
                .await
                .is_none()
        );
        // Without any meeting the days count from the start.
        clock.set(clock.now() + Duration::days(24));
        assert!(
            alert_on(&app, token, kind, "pairing_id", &never)
                .await
                .is_none()
        );
        clock.set(clock.now() + Duration::days(1));
        let alert = alert_on(&app, token, kind, "pairing_id", &never)
            .await
            .expect("30 days since the start");
        assert_eq!(alert["value"], 30);
        assert_eq!(alert["unit"], "days");
        assert_eq!(alert["threshold"], 30);
        assert_eq!(alert["since"], json!(start));
        assert_eq!(alert["organisation_id"], json!(structure.organisation_id));
        assert!(alert["mentee_id"].is_string() && alert["mentor_id"] == json!(mentor));
        // The other met 27 days ago: three more days.
        assert!(
            alert_on(&app, token, kind, "pairing_id", &met)
                .await
                .is_none()
        );
        clock.set(clock.now() + Duration::days(3));
        let alert = alert_on(&app, token, kind, "pairing_id", &met)
            .await
            .expect("30 days since the last meeting");
        assert_eq!(alert["since"], json!(today - Duration::days(2)));
        assert_eq!(alert["value"], 30);
        // A meeting clears it; a paused pair is not expected to meet.
        meeting(&app, token, &met, clock.today() - Duration::days(1)).await;
        assert!(
            alert_on(&app, token, kind, "pairing_id", &met)
                .await
                .is_none()
        );
        app.patch(
            &format!("/v1/pairings/{never}"),
            Some(token),
            &json!({"status": "paused"}),
        )
        .await
        .expect(200);
        assert!(
            alert_on(&app, token, kind, "pairing_id", &never)
                .await
                .is_none()
        );
    }
);

crate::clocked_test!(
    async fn a_proposal_unanswered_for_14_days_is_flagged_until_answered(
        app: TestApp,
        clock: Clock,
    ) {
        let admin = app.admin().await;
        let structure = app.coordinator(&admin).await;
        let token = structure.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let pairing = proposed(&app, token, &mentor, json!({})).await;
        let pid = id(&pairing);
        let proposed_at = at(&pairing, "proposed_at");
        let kind = "proposal_unanswered";

        clock.set(proposed_at + Duration::days(14) - Duration::seconds(1));
        assert!(
            alert_on(&app, token, kind, "pairing_id", &pid)
                .await
                .is_none()
        );
        clock.set(proposed_at + Duration::days(14));
        let alert = alert_on(&app, token, kind, "pairing_id", &pid)
            .await
            .expect("14 days unanswered");
        assert_eq!(alert["value"], 14);
        assert_eq!(alert["since"], json!(proposed_at.date_naive()));
        assert_eq!(alert["mentee_id"], pairing["mentee"]["id"]);
        app.patch(
            &format!("/v1/pairings/{pid}"),
            Some(token),
            &json!({"status": "declined"}),
        )
        .await
        .expect(200);
        assert!(
            alert_on(&app, token, kind, "pairing_id", &pid)
                .await
                .is_none()
        );
    }
);

crate::clocked_test!(
    async fn a_mentee_waiting_30_days_is_flagged_counted_from_his_last_pairing(
        app: TestApp,
        clock: Clock,
    ) {
        let admin = app.admin().await;
        let structure = app.coordinator(&admin).await;
        let token = structure.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let waiting = new_mentee(&app, token, json!({})).await;
        let wid = id(&waiting);
        let created = at(&waiting, "created_at");
        let kind = "mentee_unpaired";

        clock.set(created + Duration::days(30) - Duration::seconds(1));
        assert!(
            alert_on(&app, token, kind, "mentee_id", &wid)
                .await
                .is_none()
        );
        clock.set(created + Duration::days(30));
        let alert = alert_on(&app, token, kind, "mentee_id", &wid)
            .await
            .expect("30 days unpaired");
        assert_eq!(alert["value"], 30);
        assert_eq!(alert["since"], json!(created.date_naive()));
        assert!(alert["pairing_id"].is_null());
        // A draft is not a pairing yet; a proposal is.
        let draft = app
            .post(
                "/v1/pairings",
                Some(token),
                &json!({"mentee_id": wid, "mentor_id": mentor}),
            )
            .await
            .expect(201);
        assert!(
            alert_on(&app, token, kind, "mentee_id", &wid)
                .await
                .is_some()
        );
        let path = format!("/v1/pairings/{}", id(&draft));
        app.patch(&path, Some(token), &json!({"status": "proposed"}))
            .await
            .expect(200);
        assert!(
            alert_on(&app, token, kind, "mentee_id", &wid)
                .await
                .is_none()
        );

        // Declined: the wait counts again from the closing, not the creation
        // (the creation is set 60 days back so that the two differ).
        let declined = app
            .patch(&path, Some(token), &json!({"status": "declined"}))
            .await
            .expect(200);
        let closed = at(&declined, "updated_at");
        let mentee_uuid: Uuid = wid.parse().unwrap();
        entity::mentee::Entity::update_many()
            .col_expr(
                mentee_entity::Column::CreatedAt,
                Expr::value(closed - Duration::days(60)),
            )
            .filter(mentee_entity::Column::Id.eq(mentee_uuid))
            .exec(&app.db)
            .await
            .expect("backdate");
        clock.set(closed + Duration::days(29));
        assert!(
            alert_on(&app, token, kind, "mentee_id", &wid)
                .await
                .is_none()
        );
        clock.set(closed + Duration::days(30));
        let alert = alert_on(&app, token, kind, "mentee_id", &wid)
            .await
            .expect("30 days since the decline");
        assert_eq!(alert["since"], json!(closed.date_naive()));
        assert_eq!(alert["value"], 30);
        // Erased: no longer a young person to pair.
        app.delete(&format!("/v1/mentees/{wid}"), Some(token))
            .await
            .expect(204);
        assert!(
            alert_on(&app, token, kind, "mentee_id", &wid)
                .await
                .is_none()
        );
    }
);

crate::clocked_test!(
    async fn pairs_reaching_six_months_are_listed_two_weeks_either_side(
        app: TestApp,
        clock: Clock,
    ) {
        let admin = app.admin().await;
        let structure = app.coordinator(&admin).await;
        let token = structure.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let today = clock.today();
        let six_months_ago = today.checked_sub_months(chrono::Months::new(6)).unwrap();
        // Reaches six months in 10 days; in 20 days; reached 20 days ago.
        let soon_start = six_months_ago + Duration::days(10);
        let soon = id(&active(&app, token, &mentor, soon_start, json!({})).await);
        let later = id(&active(
            &app,
            token,
            &mentor,
            six_months_ago + Duration::days(20),
            json!({}),
        )
        .await);
        let past = id(&active(
            &app,
            token,
            &mentor,
            six_months_ago - Duration::days(20),
            json!({}),
        )
        .await);
        let kind = "minimum_duration";

        let alert = alert_on(&app, token, kind, "pairing_id", &soon)
            .await
            .expect("due within 14 days");
        let due = completes_months(soon_start, 6);
        assert_eq!(alert["due"], json!(due));
        assert_eq!(alert["since"], json!(soon_start));
        assert_eq!(alert["value"], (today - soon_start).num_days());
        assert_eq!(alert["threshold"], (due - soon_start).num_days());
        assert!(
            alert_on(&app, token, kind, "pairing_id", &later)
                .await
                .is_none()
        );
        assert!(
            alert_on(&app, token, kind, "pairing_id", &past)
                .await
                .is_none()
        );
        // The later one is listed from 14 days before its due day; the first
        // until 14 days after its own.
        let noon = |d: NaiveDate| d.and_hms_opt(12, 0, 0).unwrap().and_utc();
        let later_due = completes_months(six_months_ago + Duration::days(20), 6);
        clock.set(noon(later_due - Duration::days(15)));
        assert!(
            alert_on(&app, token, kind, "pairing_id", &later)
                .await
                .is_none()
        );
        clock.set(noon(later_due - Duration::days(14)));
        assert!(
            alert_on(&app, token, kind, "pairing_id", &later)
                .await
                .is_some()
        );
        clock.set(noon(due + Duration::days(14)));
        assert!(
            alert_on(&app, token, kind, "pairing_id", &soon)
                .await
                .is_some()
        );
        clock.set(noon(due + Duration::days(15)));
        assert!(
            alert_on(&app, token, kind, "pairing_id", &soon)
                .await
                .is_none()
        );
        // An ended pair is over.
        app.patch(
            &format!("/v1/pairings/{later}"),
            Some(token),
            &json!({"status": "ended", "end_reason": "completed"}),
        )
        .await
        .expect(200);
        assert!(
            alert_on(&app, token, kind, "pairing_id", &later)
                .await
                .is_none()
        );
    }
);

crate::clocked_test!(
    async fn a_mentor_over_capacity_and_the_configured_thresholds(app: TestApp, clock: Clock) {
        let admin = app.admin().await;
        let structure = app.coordinator(&admin).await;
        let token = structure.token.as_str();
        let mentor = new_mentor(&app, token, 2).await;
        let start = clock.today() - Duration::days(3);
        let first = id(&active(&app, token, &mentor, start, json!({})).await);
        active(&app, token, &mentor, start - Duration::days(1), json!({})).await;
        let kind = "mentor_over_capacity";
        assert!(
            alert_on(&app, token, kind, "mentor_id", &mentor)
                .await
                .is_none()
        );
        app.patch(
            &format!("/v1/mentors/{mentor}"),
            Some(token),
            &json!({"capacity": 1}),
        )
        .await
        .expect(200);
        let alert = alert_on(&app, token, kind, "mentor_id", &mentor)
            .await
            .expect("two pairings for one place");
        assert_eq!(alert["value"], 2);
        assert_eq!(alert["unit"], "pairings");
        assert_eq!(alert["threshold"], 1);
        // Since the capacity was lowered (today on the service's clock),
        // after the latest start.
        assert_eq!(alert["since"], json!(clock.today().max(start)));
        assert!(alert["pairing_id"].is_null() && alert["mentee_id"].is_null());
        app.patch(
            &format!("/v1/pairings/{first}"),
            Some(token),
            &json!({"status": "ended", "end_reason": "mentor_withdrew"}),
        )
        .await
        .expect(200);
        assert!(
            alert_on(&app, token, kind, "mentor_id", &mentor)
                .await
                .is_none()
        );

        // Here the thresholds are the defaults.
        let body = app
            .get("/v1/pairings/alerts", Some(token))
            .await
            .expect(200);
        assert_eq!(
            body["thresholds"],
            json!({"no_meeting_days": 30, "proposal_unanswered_days": 14, "unpaired_days": 30,
                   "minimum_months": 6, "minimum_window_days": 14})
        );
        assert_eq!(body["as_of"], json!(clock.today()));
        let wrong = app.get("/v1/pairings/alerts?kind=late", Some(token)).await;
        assert_eq!(wrong.invalid_fields(), vec!["kind"]);
    }
);

crate::clocked_test!(
    |s| {
        s.mentoring.no_meeting_days = 10;
        s.mentoring.proposal_unanswered_days = 3;
        s.mentoring.unpaired_days = 5;
    },
    async fn thresholds_come_from_the_configuration(app: TestApp, clock: Clock) {
        let admin = app.admin().await;
        let structure = app.coordinator(&admin).await;
        let token = structure.token.as_str();
        let mentor = new_mentor(&app, token, 3).await;
        let start = clock.today();
        let running = id(&active(&app, token, &mentor, start, json!({})).await);
        let pairing = proposed(&app, token, &mentor, json!({})).await;
        let waiting = new_mentee(&app, token, json!({})).await;
        let proposed_at = at(&pairing, "proposed_at");
        let created = at(&waiting, "created_at");

        clock.set(proposed_at + Duration::days(3) - Duration::seconds(1));
        assert!(
            alert_on(
                &app,
                token,
                "proposal_unanswered",
                "pairing_id",
                &id(&pairing)
            )
            .await
            .is_none()
        );
        clock.set(proposed_at + Duration::days(3));
        let alert = alert_on(
            &app,
            token,
            "proposal_unanswered",
            "pairing_id",
            &id(&pairing),
        )
        .await
        .expect("3 days configured");
        assert_eq!(alert["threshold"], 3);
        clock.set(created + Duration::days(5));
        let alert = alert_on(&app, token, "mentee_unpaired", "mentee_id", &id(&waiting))
            .await
            .expect("5 days configured");
        assert_eq!(alert["value"], 5);
        clock.set(
            (start + Duration::days(9))
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_utc(),
        );
        assert!(
            alert_on(&app, token, "no_recent_meeting", "pairing_id", &running)
                .await
                .is_none()
        );
        clock.set(
            (start + Duration::days(10))
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_utc(),
        );
        let alert = alert_on(&app, token, "no_recent_meeting", "pairing_id", &running)
            .await
            .expect("10 days configured");
        assert_eq!(
            (alert["value"].clone(), alert["threshold"].clone()),
            (json!(10), json!(10))
        );
    }
);

crate::clocked_test!(
    async fn each_structure_sees_only_its_alerts_and_admins_see_all(app: TestApp, clock: Clock) {
        let admin = app.admin().await;
        let ours = app.coordinator(&admin).await;
        let theirs = app.coordinator(&admin).await;
        let our_mentee = id(&new_mentee(&app, &ours.token, json!({})).await);
        let their_mentee = id(&new_mentee(&app, &theirs.token, json!({})).await);
        clock.set(clock.now() + Duration::days(31));
        let seen: Vec<Value> = alerts(&app, &ours.token, "mentee_unpaired").await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["mentee_id"], json!(our_mentee));
        assert_eq!(seen[0]["organisation_id"], json!(ours.organisation_id));
        let other = app
            .get(
                &format!(
                    "/v1/pairings/alerts?organisation_id={}",
                    theirs.organisation_id
                ),
                Some(&ours.token),
            )
            .await;
        assert_eq!(other.status.as_u16(), 404, "{}", other.text);
        let all = alerts(&app, &admin, "mentee_unpaired").await;
        let ids: Vec<&Value> = all.iter().map(|a| &a["mentee_id"]).collect();
        assert!(ids.contains(&&json!(our_mentee)) && ids.contains(&&json!(their_mentee)));
        let one = app
            .get(
                &format!(
                    "/v1/pairings/alerts?organisation_id={}",
                    theirs.organisation_id
                ),
                Some(&admin),
            )
            .await
            .expect(200);
        let items = one["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["mentee_id"], json!(their_mentee));
        let company = app.company(&admin).await;
        let refused = app.get("/v1/pairings/alerts", Some(&company.token)).await;
        assert_eq!(refused.status.as_u16(), 403);
    }
);
