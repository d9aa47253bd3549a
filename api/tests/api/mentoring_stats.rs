//! Mentoring statistics with exact figures, grouped each way, on a scenario
//! of seven pairings of one structure (and one of another) at a fixed date.
use crate::helpers::*;
use crate::pairing_alerts::{active, id, meeting, new_mentee, new_mentor, proposed};
use api::clock::Clock;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

/// Collège Jean Lurçat, Saint-Denis: REP+.
const REP_PLUS: &str = "0930865K";
/// Guéret (Creuse): FRR, hence rural.
const RURAL_COMMUNE: &str = "23096";

/// The service's date in these scenarios.
pub const TODAY: &str = "2027-09-15";

pub fn today() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{TODAY}T10:00:00Z"))
        .unwrap()
        .with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn rural() -> Value {
    json!({"commune_insee": RURAL_COMMUNE})
}

fn rep_plus() -> Value {
    json!({"school_uai": REP_PLUS})
}

/// The pairings of the scenario, in the order of its table.
pub struct Scenario {
    /// `[P1..P7]` of the structure.
    pub pairings: Vec<Value>,
    /// The mentee of P7, erased.
    pub erased_mentee: String,
    /// The other structure's pairing.
    pub other: Value,
}

async fn end(app: &TestApp, token: &str, pairing: &Value, reason: &str, on: &str) {
    app.patch(
        &format!("/v1/pairings/{}", id(pairing)),
        Some(token),
        &json!({"status": "ended", "end_reason": reason, "end_date": on}),
    )
    .await
    .expect(200);
}

/// | pairing | tier | dép. | status | start | end | meetings |
/// |---|---|---|---|---|---|---|
/// | P1 | standard | 93 | active | 2027-01-04 | | 2 |
/// | P2 | rural | 23 | ended completed | 2026-10-01 | 2027-05-01 | 0 |
/// | P3 | rep_plus | 93 | ended mentee_withdrew | 2027-02-10 | 2027-04-10 | 1 |
/// | P4 | standard | 93 | active | 2027-06-01 | | 0 |
/// | P5 | rural | 23 | proposed | | | 0 |
/// | P6 | standard | 93 | declined | | | 0 |
/// | P7 | rep_plus | 93 | ended mentee_withdrew (mentee erased) | 2027-03-15 | 2027-09-15 | 0 |
/// The other structure: one active rural pair started 2027-01-10.
pub async fn scenario(app: &TestApp, token: &str, other_token: &str, clock: &Clock) -> Scenario {
    clock.set(today());
    let first = new_mentor(app, token, 3).await;
    let second = new_mentor(app, token, 3).await;
    let p1 = active(app, token, &first, d("2027-01-04"), json!({})).await;
    meeting(app, token, &id(&p1), d("2027-01-20")).await;
    meeting(app, token, &id(&p1), d("2027-02-20")).await;
    let p2 = active(app, token, &second, d("2026-10-01"), rural()).await;
    end(app, token, &p2, "completed", "2027-05-01").await;
    let p3 = active(app, token, &second, d("2027-02-10"), rep_plus()).await;
    meeting(app, token, &id(&p3), d("2027-03-01")).await;
    end(app, token, &p3, "mentee_withdrew", "2027-04-10").await;
    let p4 = active(app, token, &first, d("2027-06-01"), json!({})).await;
    let p5 = proposed(app, token, &second, rural()).await;
    let mentee6 = new_mentee(app, token, json!({})).await;
    let p6 = app
        .post(
            "/v1/pairings",
            Some(token),
            &json!({"mentee_id": id(&mentee6), "mentor_id": second}),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/v1/pairings/{}", id(&p6)),
        Some(token),
        &json!({"status": "declined"}),
    )
    .await
    .expect(200);
    let p7 = active(app, token, &first, d("2027-03-15"), rep_plus()).await;
    let erased_mentee = p7["mentee"]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/v1/mentees/{erased_mentee}"), Some(token))
        .await
        .expect(204);
    let other_mentor = new_mentor(app, other_token, 1).await;
    let other = active(app, other_token, &other_mentor, d("2027-01-10"), rural()).await;
    Scenario {
        pairings: vec![p1, p2, p3, p4, p5, p6, p7],
        erased_mentee,
        other,
    }
}

async fn stats(app: &TestApp, token: &str, query: &str) -> Value {
    app.get(&format!("/v1/stats/mentoring?{query}"), Some(token))
        .await
        .expect(200)
}

/// The figures of a row, without the group, for comparison.
fn figures(row: &Value) -> Value {
    let mut row = row.clone();
    let map = row.as_object_mut().unwrap();
    map.remove("group");
    map.remove("label");
    row
}

#[allow(clippy::too_many_arguments)]
fn expected(
    counts: [u64; 9],
    reasons: Value,
    lasting: Option<f64>,
    priority: Option<f64>,
    target: f64,
) -> Value {
    let [
        pairings,
        started,
        in_year,
        active,
        paused,
        ended,
        settled,
        lasted,
        prio,
    ] = counts;
    json!({
        "pairings": pairings, "started": started, "started_in_year": in_year,
        "active": active, "paused": paused, "ended": ended, "ended_by_reason": reasons,
        "settled": settled, "lasted_minimum": lasted, "priority_started": prio,
        "lasting_share": lasting, "priority_share": priority, "target_progress": target,
    })
}

fn groups(body: &Value) -> Vec<Value> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].clone())
        .collect()
}

crate::clocked_test!(
    |s| s.mentoring.yearly_target = 8,
    async fn mentoring_stats_are_exact_for_each_grouping(app: TestApp, clock: Clock) {
        let admin = app.admin().await;
        let ours = app.coordinator(&admin).await;
        let theirs = app.coordinator(&admin).await;
        let token = ours.token.as_str();
        scenario(&app, token, &theirs.token, &clock).await;

        let body = stats(&app, token, "group_by=priority").await;
        assert_eq!(body["year"], 2027);
        assert_eq!(body["as_of"], TODAY);
        assert_eq!(body["yearly_target"], 8);
        assert_eq!(body["minimum_months"], 6);
        assert_eq!(
            groups(&body),
            vec![json!("rep_plus"), json!("rural"), json!("standard")]
        );
        let rows = body["items"].as_array().unwrap();
        assert_eq!(
            figures(&rows[0]),
            expected(
                [2, 2, 2, 0, 0, 2, 2, 1, 2],
                json!({"mentee_withdrew": 2}),
                Some(0.5),
                Some(1.0),
                0.25
            )
        );
        assert_eq!(
            figures(&rows[1]),
            expected(
                [2, 1, 0, 0, 0, 1, 1, 1, 1],
                json!({"completed": 1}),
                Some(1.0),
                Some(1.0),
                0.0
            )
        );
        assert_eq!(
            figures(&rows[2]),
            expected(
                [3, 2, 2, 2, 0, 0, 1, 1, 0],
                json!({}),
                Some(1.0),
                Some(0.0),
                0.25
            )
        );
        assert_eq!(
            figures(&body["total"]),
            expected(
                [7, 5, 4, 2, 0, 3, 4, 3, 3],
                json!({"completed": 1, "mentee_withdrew": 2}),
                Some(0.75),
                Some(0.6),
                0.5
            )
        );

        let body = stats(&app, token, "group_by=departement").await;
        assert_eq!(groups(&body), vec![json!("23"), json!("93")]);
        let rows = body["items"].as_array().unwrap();
        assert_eq!(
            figures(&rows[0]),
            expected(
                [2, 1, 0, 0, 0, 1, 1, 1, 1],
                json!({"completed": 1}),
                Some(1.0),
                Some(1.0),
                0.0
            )
        );
        assert_eq!(
            figures(&rows[1]),
            expected(
                [5, 4, 4, 2, 0, 2, 3, 2, 2],
                json!({"mentee_withdrew": 2}),
                Some(2.0 / 3.0),
                Some(0.5),
                0.5
            )
        );

        let body = stats(&app, token, "group_by=status").await;
        assert_eq!(
            groups(&body),
            vec![
                json!("active"),
                json!("declined"),
                json!("ended"),
                json!("proposed")
            ]
        );
        let counts: Vec<(Value, Value)> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["pairings"].clone(), r["lasted_minimum"].clone()))
            .collect();
        assert_eq!(
            counts,
            vec![
                (json!(2), json!(1)),
                (json!(1), json!(0)),
                (json!(3), json!(2)),
                (json!(1), json!(0))
            ]
        );

        // By month of the start; pairs never started last, without a group.
        let body = stats(&app, token, "group_by=month").await;
        assert_eq!(
            groups(&body),
            vec![
                json!("2026-10"),
                json!("2027-01"),
                json!("2027-02"),
                json!("2027-03"),
                json!("2027-06"),
                Value::Null
            ]
        );
        let last = &body["items"][5];
        assert_eq!(
            (last["pairings"].clone(), last["started"].clone()),
            (json!(2), json!(0))
        );
        assert_eq!(
            body["items"][3]["lasted_minimum"], 1,
            "P7: 15 March to 15 September"
        );

        // Another year's target.
        let body = stats(&app, token, "group_by=priority&year=2026").await;
        assert_eq!(body["total"]["started_in_year"], 1);
        assert_eq!(body["total"]["target_progress"], 0.125);

        // By structure: a coordinator sees his own; an admin both, or one.
        let body = stats(&app, token, "group_by=structure").await;
        assert_eq!(groups(&body), vec![json!(ours.organisation_id)]);
        assert_eq!(body["items"][0]["label"], "Association test");
        let body = stats(&app, &admin, "group_by=structure").await;
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        assert_eq!(body["total"]["pairings"], 8);
        assert_eq!(body["total"]["started_in_year"], 5);
        let body = stats(
            &app,
            &admin,
            &format!(
                "group_by=departement&organisation_id={}",
                theirs.organisation_id
            ),
        )
        .await;
        assert_eq!(groups(&body), vec![json!("23")]);
        assert_eq!(body["total"]["active"], 1);
        let other = app
            .get(
                &format!(
                    "/v1/stats/mentoring?group_by=status&organisation_id={}",
                    theirs.organisation_id
                ),
                Some(token),
            )
            .await;
        assert_eq!(other.status.as_u16(), 404);
        // The other structure's coordinator sees only its pair.
        let body = stats(&app, &theirs.token, "group_by=priority").await;
        assert_eq!(groups(&body), vec![json!("rural")]);
        assert_eq!(body["total"]["pairings"], 1);

        let wrong = app
            .get("/v1/stats/mentoring?group_by=kind", Some(token))
            .await;
        assert_eq!(wrong.invalid_fields(), vec!["group_by"]);
        let missing = app.get("/v1/stats/mentoring", Some(token)).await;
        assert_eq!(missing.status.as_u16(), 400);
        let school = app.company(&admin).await;
        let refused = app
            .get("/v1/stats/mentoring?group_by=status", Some(&school.token))
            .await;
        assert_eq!(refused.status.as_u16(), 403);
    }
);
