//! The weekly alerts digest, on dates set by the test's clock: once per ISO
//! week per structure whatever the number of passes and processes, only to
//! coordinators who did not unsubscribe, none for a structure without
//! alerts, and sent by the jobs worker itself when the week comes.
use super::*;
use crate::mentees::mentee;
use api::clock::Clock;
use api::jobs::digest::{self, DigestPass};
use api::store::alerts::Thresholds;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};

/// The first Monday 07:00 UTC at least `days` from now: mentees created now
/// are then unpaired long enough to raise alerts.
fn monday_after(days: i64) -> DateTime<Utc> {
    let date = (Utc::now() + Duration::days(days)).date_naive();
    let to_monday = (7 - date.weekday().num_days_from_monday()) % 7;
    (date + Duration::days(i64::from(to_monday + 7)))
        .and_time(NaiveTime::from_hms_opt(7, 0, 0).unwrap())
        .and_utc()
}

/// Monday 00:00 UTC of the first week at least 31 days from now whose
/// Monday falls in one of `months`.
fn monday_in(months: &[u32]) -> DateTime<Utc> {
    let mut monday = monday_after(31) - Duration::hours(7);
    while !months.contains(&monday.month()) {
        monday += Duration::days(7);
    }
    monday
}

fn week_of(at: DateTime<Utc>) -> String {
    let w = at.iso_week();
    format!("{:04}-W{:02}", w.year(), w.week())
}

async fn digests_to(app: &TestApp, address: &str) -> Vec<email_outbox::Model> {
    email_outbox::Entity::find()
        .filter(Column::Kind.eq("alerts_digest"))
        .filter(Column::Recipient.eq(address))
        .all(&app.db)
        .await
        .unwrap()
}

async fn digest_count(app: &TestApp) -> usize {
    email_outbox::Entity::find()
        .filter(Column::Kind.eq("alerts_digest"))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

backend_test!(
    async fn the_digest_goes_once_a_week_to_each_subscribed_coordinator_of_a_structure_with_alerts(
        backend: Backend,
    ) {
        let smtp = SmtpServer::start().await;
        let clock = Clock::fixed(Utc::now());
        let app = TestApp::spawn_with(backend, |s| {
            mail_to(s, &smtp);
            s.clock = clock.clone();
        })
        .await;
        let thresholds = Thresholds::from(&Settings::defaults().unwrap().mentoring);
        let pass = |at: DateTime<Utc>| {
            let db = app.db.clone();
            let thresholds = thresholds.clone();
            async move { digest::run(&db, BASE_URL, &thresholds, at).await.unwrap() }
        };
        let admin = app.admin().await;
        // Structure A: two coordinators, a young person left unpaired.
        let first = app.coordinator(&admin).await;
        let second = app
            .member(&admin, &first.organisation_id, "coordinator")
            .await;
        let waiting = app
            .post(
                "/v1/mentees",
                Some(&first.token),
                &mentee("Maëlys", "Attente"),
            )
            .await
            .expect(201);
        // Structure B: nobody waiting, nothing to say.
        let quiet = app.coordinator(&admin).await;

        // Monday 03:00 UTC (04:00 or 05:00 in Paris): too early for this
        // week's digest.
        let monday = monday_after(31);
        assert_eq!(
            pass(monday - Duration::hours(4)).await,
            DigestPass::default()
        );
        assert_eq!(digest_count(&app).await, 0);

        // Monday 07:00: two passes at once (as two processes would) and the
        // worker, which reads the same clock, write one digest per
        // coordinator of A and none for B.
        clock.set(monday);
        let week = week_of(monday);
        let (a, b) = tokio::join!(pass(monday), pass(monday));
        assert!(a.structures + b.structures <= 2, "{a:?} {b:?}");
        assert_eq!(digest_count(&app).await, 2);
        assert_eq!(digests_to(&app, &quiet.email).await.len(), 0);
        let rows = entity::alerts_digest::Entity::find()
            .filter(entity::alerts_digest::Column::IsoWeek.eq(week.as_str()))
            .all(&app.db)
            .await
            .unwrap();
        // Stamped on the service's clock, weeks from the system's.
        assert!(
            rows.iter().all(|r| r.created_at == monday),
            "{:?}",
            rows.iter().map(|r| r.created_at).collect::<Vec<_>>()
        );
        let row_of = |org: &str| {
            rows.iter()
                .find(|r| r.organisation_id.to_string() == org)
                .map(|r| (r.alerts, r.recipients))
        };
        assert_eq!(row_of(&quiet.organisation_id), Some((0, 0)));
        let (alerts, recipients) = row_of(&first.organisation_id).expect("A's digest is done");
        assert!(alerts >= 1);
        assert_eq!(recipients, 2);

        let received = smtp.wait_for(5).await;
        let digests: Vec<_> = received
            .iter()
            .filter(|m| parse(&m.data).header("X-Tremplin-Kind") == Some("alerts_digest"))
            .collect();
        assert_eq!(digests.len(), 2);
        let mut to: Vec<String> = digests.iter().flat_map(|m| m.to.clone()).collect();
        to.sort();
        let mut expected = vec![first.email.clone(), second.email.clone()];
        expected.sort();
        assert_eq!(to, expected);
        let mail = parse(
            &digests
                .iter()
                .find(|m| m.to == vec![second.email.clone()])
                .unwrap()
                .data,
        );
        let w = monday.iso_week();
        assert_eq!(
            mail.header("Subject"),
            Some(
                format!(
                    "Alertes mentorat de la semaine {} de {} : {alerts}",
                    w.week(),
                    w.year()
                )
                .as_str()
            )
        );
        let waiting_link = format!("{BASE_URL}/mentees/{}", waiting["id"].as_str().unwrap());
        assert!(
            mail.text.contains("Jeune sans binôme depuis"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains(&waiting_link), "{}", mail.text);
        assert!(
            mail.html.contains(&format!("href=\"{waiting_link}\"")),
            "{}",
            mail.html
        );
        for name in ["Maëlys", "Attente"] {
            assert!(
                !mail.text.contains(name) && !mail.html.contains(name),
                "{name} named"
            );
        }

        // Later passes of the same week add nothing.
        assert_eq!(pass(monday + Duration::days(3)).await.structures, 0);
        assert_eq!(digest_count(&app).await, 2);

        // The second coordinator unsubscribes from the digest's own link.
        let header = mail
            .header("List-Unsubscribe")
            .expect("a digest can be unsubscribed");
        let path = header
            .trim_matches(['<', '>'])
            .strip_prefix(BASE_URL)
            .expect("the link starts with the public base URL");
        app.post(path, None, &json!({})).await.expect(200);

        // Next week, the worker sends it on its own: to the first coordinator only.
        clock.set(monday + Duration::days(7));
        let (app_ref, first_email) = (&app, first.email.as_str());
        eventually("next week's digest from the worker", || async move {
            (digests_to(app_ref, first_email).await.len() == 2).then_some(())
        })
        .await;
        // (The quiet structure may be left to this pass: no message for it.)
        assert_eq!(pass(monday + Duration::days(7)).await.messages, 0);
        assert_eq!(digests_to(&app, &second.email).await.len(), 1);
        assert_eq!(digest_count(&app).await, 3);
        row_with_status(&app, &second.email, "alerts_digest", "sent").await;
    }
);

backend_test!(
    async fn the_digest_goes_from_monday_six_in_paris_in_winter_and_in_summer(backend: Backend) {
        let clock = Clock::fixed(Utc::now());
        let app = TestApp::spawn_with(backend, |s| s.clock = clock.clone()).await;
        let thresholds = Thresholds::from(&Settings::defaults().unwrap().mentoring);
        // The service's clock is where the worker's passes read the time:
        // each case sets it, then passes at it.
        let pass = |at: DateTime<Utc>| {
            clock.set(at);
            let db = app.db.clone();
            let thresholds = thresholds.clone();
            async move { digest::run(&db, BASE_URL, &thresholds, at).await.unwrap() }
        };
        let admin = app.admin().await;
        let coordinator = app.coordinator(&admin).await;
        app.post(
            "/v1/mentees",
            Some(&coordinator.token),
            &mentee("Lina", "Heuredeparis"),
        )
        .await
        .expect(201);
        let winter = monday_in(&[12, 1, 2]);
        let summer = monday_in(&[6, 7, 8]);

        // Winter, UTC+1: 04:59 UTC is 05:59 in Paris, 05:30 UTC is 06:30.
        let early = winter + Duration::minutes(4 * 60 + 59);
        assert_eq!(pass(early).await, DigestPass::default(), "at {early}");
        assert!(digests_to(&app, &coordinator.email).await.is_empty());
        let due = winter + Duration::minutes(5 * 60 + 30);
        assert_eq!(pass(due).await.iso_week, Some(week_of(winter)), "at {due}");
        assert_eq!(digests_to(&app, &coordinator.email).await.len(), 1);

        // Summer, UTC+2: Sunday 23:30 UTC is already Monday 01:30 in Paris,
        // too early for the new week, and last week's is no longer due;
        // Monday 04:30 UTC is 06:30 in Paris.
        let sunday_night = summer - Duration::minutes(30);
        assert_eq!(
            pass(sunday_night).await,
            DigestPass::default(),
            "at {sunday_night}"
        );
        let due = summer + Duration::minutes(4 * 60 + 30);
        assert_eq!(pass(due).await.iso_week, Some(week_of(summer)), "at {due}");
        assert_eq!(digests_to(&app, &coordinator.email).await.len(), 2);
        let mut weeks: Vec<String> = entity::alerts_digest::Entity::find()
            .filter(
                entity::alerts_digest::Column::OrganisationId
                    .eq(coordinator.organisation_id.parse::<Uuid>().unwrap()),
            )
            .filter(entity::alerts_digest::Column::Alerts.gt(0))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.iso_week)
            .collect();
        weeks.sort();
        assert_eq!(weeks, [week_of(winter), week_of(summer)]);
    }
);
