//! Campaigns and match requests on the service's clock, started years from
//! the real date: a campaign runs when that clock reaches its deadline (a
//! deadline the real date is years before), not a second earlier, and the
//! requests are stamped with that clock's time.
use crate::clocked_test;
use crate::helpers::*;
use crate::placement_deadlines::{at, start, worker};
use api::clock::Clock;
use api::jobs;
use chrono::Duration;
use serde_json::{Value, json};
use std::time::Duration as Wait;

const WEEK: &str = "2027-W05";

async fn wait_done(app: &TestApp, token: &str, path: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        last = app.get(path, Some(token)).await.expect(200);
        if last["status"] == "done" || last["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Wait::from_millis(50)).await;
    }
    last
}

clocked_test!(
    async fn a_campaign_runs_at_its_deadline_on_the_service_clock_and_stamps_its_requests(
        app: TestApp,
        clock: Clock,
    ) {
        let created_at = start(&clock);
        let (admin, school, _company, pupil) = one_seat_and_one_pupil(&app, WEEK, "Yanis").await;

        // An hour ahead on the service's clock: years after the real date.
        let deadline = created_at + Duration::hours(1);
        let campaign = app
            .post(
                "/v1/campaigns",
                Some(&admin),
                &json!({"departement": "093", "kind": "stage_3e", "week": WEEK, "deadline": deadline}),
            )
            .await
            .expect(201);
        assert_eq!(at(&campaign, "created_at"), created_at);
        let campaign_path = format!("/v1/campaigns/{}", campaign["id"].as_str().unwrap());
        let request = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [pupil], "campaign_id": campaign["id"]}),
            )
            .await
            .expect(202);
        assert_eq!(request["status"], "waiting_campaign");
        assert_eq!(
            (at(&request, "created_at"), at(&request, "updated_at")),
            (created_at, created_at)
        );
        let request_path = format!("/v1/match-requests/{}", request["id"].as_str().unwrap());

        // A second before the deadline the campaign waits.
        let ctx = worker(&app, &clock).await;
        clock.set(deadline - Duration::seconds(1));
        jobs::maintenance(&ctx).await.expect("maintenance pass");
        let c = app.get(&campaign_path, Some(&admin)).await.expect(200);
        assert_eq!(c["status"], "open", "{c}");

        // At the deadline the pass starts it, and its run stamps the request
        // with the clock's time.
        clock.set(deadline);
        jobs::maintenance(&ctx).await.expect("maintenance pass");
        let c = app.get(&campaign_path, Some(&admin)).await.expect(200);
        assert_ne!(
            c["status"], "open",
            "the campaign is due at its deadline: {c}"
        );
        let done = wait_done(&app, &school.token, &request_path).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(
            done["proposals"].as_array().map(Vec::len),
            Some(1),
            "{done}"
        );
        assert_eq!(at(&done, "updated_at"), deadline, "the run's stamp");
        // The campaign records its metrics after its requests' results.
        let c = wait_done(&app, &admin, &campaign_path).await;
        assert_eq!(c["status"], "done", "{c}");
    }
);
