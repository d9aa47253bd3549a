//! Placement deadlines on the service's clock, started years from the real
//! date: a proposal's expiry counts from that clock, the school's reminder
//! goes out and the proposal lapses when that clock says so, never on the
//! system's. The worker's maintenance pass is run by the test on that clock
//! (the server's own worker shares it, so it can only agree).
use crate::clocked_test;
use crate::helpers::*;
use api::clock::Clock;
use api::configuration::Settings;
use api::jobs::{self, JobContext};
use api::reference::CommuneCache;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::email_outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration as Wait;

/// Not the default (7), so that a deadline shows where its length came from.
const TTL_DAYS: i64 = 10;
const WEEK: &str = "2027-W03";
const TUTOR: &str = "camille.martin@example.fr";

fn ttl(settings: &mut Settings) {
    settings.jobs.placement_ttl_days = TTL_DAYS;
}

pub fn at(v: &Value, field: &str) -> DateTime<Utc> {
    v[field]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("{field} is a timestamp: {v}"))
        .with_timezone(&Utc)
}

/// Holds the clock on a whole second, which every backend stores exactly.
pub fn start(clock: &Clock) -> DateTime<Utc> {
    let now = clock.now().trunc_subsecs(0);
    clock.set(now);
    now
}

/// The worker's context on the server's database and clock.
pub async fn worker(app: &TestApp, clock: &Clock) -> JobContext {
    let mut settings = Settings::defaults().expect("defaults");
    ttl(&mut settings);
    JobContext {
        db: app.db.clone(),
        communes: CommuneCache::load(&app.db).await.expect("communes"),
        settings: settings.jobs,
        worker: "placement-deadlines-test".into(),
        public_base_url: settings.email.public_base_url,
        mentoring: settings.mentoring,
        clock: clock.clone(),
    }
}

async fn maintenance(ctx: &JobContext) {
    jobs::maintenance(ctx).await.expect("maintenance pass");
}

/// A school of Seine-Saint-Denis (from the reference data), a company with
/// one seat near it, and one pupil: a match run proposes the seat to the
/// pupil. Returns the school, the company, the pupil's id and the placement
/// as the school sees it.
pub(crate) async fn proposal(app: &TestApp) -> (Member, Member, String, Value) {
    let (_admin, school, company, pupil) = one_seat_and_one_pupil(app, WEEK, "Inès").await;
    let request = app
        .post(
            "/v1/match-requests",
            Some(&school.token),
            &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [pupil]}),
        )
        .await
        .expect(202);
    let path = format!("/v1/match-requests/{}", request["id"].as_str().unwrap());
    let mut done = Value::Null;
    for _ in 0..400 {
        done = app.get(&path, Some(&school.token)).await.expect(200);
        if done["status"] != "queued" && done["status"] != "running" {
            break;
        }
        tokio::time::sleep(Wait::from_millis(50)).await;
    }
    assert_eq!(done["status"], "done", "{done}");
    let id = done["proposals"][0]["placement_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a proposal: {done}"));
    let placement = app
        .get(&format!("/v1/placements/{id}"), Some(&school.token))
        .await
        .expect(200);
    (school, company, pupil, placement)
}

async fn reminder_to(app: &TestApp, address: &str) -> Option<email_outbox::Model> {
    email_outbox::Entity::find()
        .filter(email_outbox::Column::Recipient.eq(address))
        .filter(email_outbox::Column::Kind.eq("proposal_reminder"))
        .one(&app.db)
        .await
        .expect("read the outbox")
}

async fn mails_to(app: &TestApp, address: &str, kind: &str) -> usize {
    email_outbox::Entity::find()
        .filter(email_outbox::Column::Recipient.eq(address))
        .filter(email_outbox::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .expect("read the outbox")
        .len()
}

clocked_test!(
    ttl,
    async fn a_proposal_is_reminded_then_lapses_on_the_service_clock_and_not_before(
        app: TestApp,
        clock: Clock,
    ) {
        let proposed_at = start(&clock);
        let (school, _company, pupil, placement) = proposal(&app).await;
        let path = format!("/v1/placements/{}", placement["id"].as_str().unwrap());
        let pupil_path = format!("/v1/pupils/{pupil}");
        assert_eq!(at(&placement, "created_at"), proposed_at);
        let deadline = at(&placement, "expires_at");
        assert_eq!(deadline, proposed_at + Duration::days(TTL_DAYS));
        let p = app.get(&pupil_path, Some(&school.token)).await.expect(200);
        assert_eq!(
            (p["status"].as_str(), at(&p, "updated_at")),
            (Some("proposed"), proposed_at)
        );

        // The school's reminder waits for two days before the deadline.
        let reminder_at = deadline - Duration::days(2);
        let reminder = reminder_to(&app, &school.email).await.expect("a reminder");
        assert_eq!(
            (reminder.status.as_str(), reminder.next_attempt_at),
            ("scheduled", reminder_at)
        );
        let ctx = worker(&app, &clock).await;
        clock.set(reminder_at - Duration::seconds(1));
        maintenance(&ctx).await;
        let reminder = reminder_to(&app, &school.email).await.unwrap();
        assert_eq!(reminder.status, "scheduled");
        clock.set(reminder_at);
        maintenance(&ctx).await;
        let mut status = String::new();
        for _ in 0..400 {
            status = reminder_to(&app, &school.email).await.unwrap().status;
            if status == "sent" {
                break;
            }
            tokio::time::sleep(Wait::from_millis(50)).await;
        }
        assert_eq!(status, "sent", "the due reminder goes out");

        // A second before the deadline the proposal holds.
        clock.set(deadline - Duration::seconds(1));
        maintenance(&ctx).await;
        let p = app.get(&path, Some(&school.token)).await.expect(200);
        assert_eq!(p["status"], "proposed");
        assert_eq!(mails_to(&app, &school.email, "placement_expired").await, 0);

        // At the deadline an answer is too late, although the system's
        // clock is years before it, and the pass expires the proposal.
        clock.set(deadline);
        let late = app
            .post(&format!("{path}/accept"), Some(&school.token), &json!({}))
            .await;
        assert_eq!(late.status.as_u16(), 409, "{}", late.text);
        assert!(late.text.contains("expired"), "{}", late.text);
        maintenance(&ctx).await;
        let p = app.get(&path, Some(&school.token)).await.expect(200);
        assert_eq!(
            (p["status"].as_str(), at(&p, "updated_at")),
            (Some("expired"), deadline)
        );
        let p = app.get(&pupil_path, Some(&school.token)).await.expect(200);
        assert_eq!(
            (p["status"].as_str(), at(&p, "updated_at")),
            (Some("unplaced"), deadline)
        );
        assert_eq!(mails_to(&app, &school.email, "placement_expired").await, 1);
    }
);

clocked_test!(
    ttl,
    async fn an_acceptance_restarts_the_deadline_and_the_tutors_reminder_from_the_service_clock(
        app: TestApp,
        clock: Clock,
    ) {
        let proposed_at = start(&clock);
        let (school, company, pupil, placement) = proposal(&app).await;
        let path = format!("/v1/placements/{}", placement["id"].as_str().unwrap());
        assert_eq!(
            at(&placement, "expires_at"),
            proposed_at + Duration::days(TTL_DAYS)
        );

        let accepted_at = proposed_at + Duration::days(3);
        clock.set(accepted_at);
        let accepted = app
            .post(&format!("{path}/accept"), Some(&school.token), &json!({}))
            .await
            .expect(200);
        let deadline = accepted_at + Duration::days(TTL_DAYS);
        assert_eq!(
            (
                accepted["status"].as_str(),
                at(&accepted, "updated_at"),
                at(&accepted, "expires_at")
            ),
            (Some("accepted"), accepted_at, deadline)
        );
        assert!(
            reminder_to(&app, &school.email).await.is_none(),
            "the answered proposal's reminder is dropped"
        );
        let tutor = reminder_to(&app, TUTOR)
            .await
            .expect("the tutor's reminder");
        assert_eq!(
            (tutor.status.as_str(), tutor.next_attempt_at),
            ("scheduled", deadline - Duration::days(2))
        );

        // The company confirms a day later; the pupil is placed then.
        let confirmed_at = accepted_at + Duration::days(1);
        clock.set(confirmed_at);
        let confirmed = app
            .post(&format!("{path}/confirm"), Some(&company.token), &json!({}))
            .await
            .expect(200);
        assert_eq!(
            (confirmed["status"].as_str(), at(&confirmed, "updated_at")),
            (Some("confirmed"), confirmed_at)
        );
        let p = app
            .get(&format!("/v1/pupils/{pupil}"), Some(&school.token))
            .await
            .expect(200);
        assert_eq!(
            (p["status"].as_str(), at(&p, "updated_at")),
            (Some("placed"), confirmed_at)
        );
        assert!(reminder_to(&app, TUTOR).await.is_none());
    }
);

/// With two days to live, a proposal is already at its reminder's time on
/// the service's clock: it gets none (on the system's, years earlier, it
/// would have one).
fn short_ttl(settings: &mut Settings) {
    settings.jobs.placement_ttl_days = 2;
}

clocked_test!(
    short_ttl,
    async fn a_proposal_too_short_for_a_reminder_on_the_service_clock_gets_none(
        app: TestApp,
        clock: Clock,
    ) {
        let proposed_at = start(&clock);
        let (school, _company, _pupil, placement) = proposal(&app).await;
        assert_eq!(
            at(&placement, "expires_at"),
            proposed_at + Duration::days(2)
        );
        assert_eq!(mails_to(&app, TUTOR, "placement_proposed").await, 1);
        assert!(reminder_to(&app, &school.email).await.is_none());
    }
);
