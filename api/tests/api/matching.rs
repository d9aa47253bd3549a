use crate::db_test;
use crate::helpers::*;
use crate::postgres_or_skip;
use entity::{job, offer, organisation, placement, pupil};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

pub(crate) const WEEK: &str = "2027-W03";

/// An offer at the first REP+ collège of Seine-Saint-Denis, the school the
/// tests request from.
fn offer(commune: &str, seats: u32) -> Value {
    let mut body = offer_body();
    body["commune_insee"] = json!(commune);
    body["weeks"] = json!([{"week": WEEK, "seats": seats}]);
    body["location"] = college_location("REP+", "093");
    body
}

fn college_location(ep: &str, departement: &str) -> Value {
    let data = std::fs::read_to_string(reference_dir().join("colleges_fr.csv")).unwrap();
    let line = data
        .lines()
        .find(|l| is_college(l, ep, departement))
        .expect("a collège");
    let f: Vec<&str> = line.split(',').collect();
    json!({"lat": f[7].parse::<f64>().unwrap(), "lon": f[8].parse::<f64>().unwrap()})
}

fn is_college(line: &str, ep: &str, departement: &str) -> bool {
    let f: Vec<&str> = line.split(',').collect();
    f.len() > 9 && f[5] == departement && f[9] == ep && !f[7].is_empty()
}

fn pupil(first: &str, class: &str) -> Value {
    json!({"first_name": first, "last_name": "Test", "birth_date": "2012-03-04", "class_name": class})
}

async fn pupils(app: &TestApp, school: &Member, n: usize, class: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let body = app
            .post(
                "/v1/pupils",
                Some(&school.token),
                &pupil(&format!("Élève{i}"), class),
            )
            .await
            .expect(201);
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    ids
}

pub(crate) async fn wait_done(app: &TestApp, school: &Member, id: &str) -> Value {
    for _ in 0..400 {
        let body = app
            .get(&format!("/v1/match-requests/{id}"), Some(&school.token))
            .await
            .expect(200);
        if matches!(
            body["status"].as_str(),
            Some("done" | "failed" | "cancelled")
        ) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("match request {id} did not finish");
}

async fn rep_plus_school(app: &TestApp, admin: &str) -> Member {
    app.school(admin, &uai_with("REP+", "093").await).await
}

/// A collège of the département with this priority status, from the data.
async fn uai_with(ep: &str, departement: &str) -> String {
    let data = std::fs::read_to_string(reference_dir().join("colleges_fr.csv")).unwrap();
    data.lines()
        .find(|l| is_college(l, ep, departement))
        .map(|l| l.split(',').next().unwrap().to_owned())
        .expect("a collège with this status")
}

db_test!(
    async fn a_school_request_gets_explained_proposals_that_the_company_confirms(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        let offer_id = app
            .post("/v1/offers", Some(&company.token), &offer("93066", 2))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ids = pupils(&app, &school, 3, "3A").await;

        let accepted = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids, "seed": 7}),
            )
            .await;
        assert_eq!(accepted.status.as_u16(), 202, "{}", accepted.text);
        let id = accepted.body["id"].as_str().unwrap().to_owned();
        let done = wait_done(&app, &school, &id).await;
        assert_eq!(done["status"], "done", "{done}");
        let proposals = done["proposals"].as_array().unwrap();
        assert_eq!(proposals.len(), 2, "two seats: {done}");
        assert_eq!(done["unmatched"].as_array().unwrap().len(), 1);
        assert_eq!(done["unmatched"][0]["reason"], "capacity_exhausted");
        assert_eq!(done["metrics"]["blocking_pairs"], 0);
        assert_eq!(done["metrics"]["matched"], 2);
        for p in proposals {
            assert_eq!(p["tier"], "rep_plus");
            assert!(p["reason"].as_str().unwrap().contains("km"), "{p}");
            assert_eq!(p["offer_id"], offer_id.as_str());
        }

        // School accepts, company confirms.
        let placement = proposals[0]["placement_id"].as_str().unwrap();
        app.post(
            &format!("/v1/placements/{placement}/confirm"),
            Some(&company.token),
            &json!({}),
        )
        .await
        .expect(409);
        let accepted = app
            .post(
                &format!("/v1/placements/{placement}/accept"),
                Some(&school.token),
                &json!({}),
            )
            .await
            .expect(200);
        assert_eq!(accepted["status"], "accepted");
        let confirmed = app
            .post(
                &format!("/v1/placements/{placement}/confirm"),
                Some(&company.token),
                &json!({}),
            )
            .await
            .expect(200);
        assert_eq!(confirmed["status"], "confirmed");
        // The company sees first name, class and school; never the home
        // commune, the last name, the tier or the distance.
        assert!(
            confirmed["pupil"]["first_name"]
                .as_str()
                .unwrap()
                .starts_with("Élève")
        );
        assert_eq!(confirmed["pupil"]["class_name"], "3A");
        assert!(confirmed["school"]["name"].is_string());
        for hidden in ["pupil_id", "tier", "distance_km"] {
            assert!(
                confirmed.get(hidden).is_none(),
                "{hidden} leaked: {confirmed}"
            );
        }
        assert!(
            !confirmed.to_string().contains("Test"),
            "last name leaked: {confirmed}"
        );
        let pupil_id = proposals[0]["pupil_id"].as_str().unwrap();
        let pupil = app
            .get(&format!("/v1/pupils/{pupil_id}"), Some(&school.token))
            .await
            .expect(200);
        assert_eq!(pupil["status"], "placed");
        app.post(
            &format!("/v1/placements/{placement}/accept"),
            Some(&school.token),
            &json!({}),
        )
        .await
        .expect(409);

        // Another company sees nothing of it.
        let other = app.company(&admin).await;
        app.get(&format!("/v1/placements/{placement}"), Some(&other.token))
            .await
            .expect(404);
        let listed = app
            .get("/v1/placements", Some(&other.token))
            .await
            .expect(200);
        assert!(listed["items"].as_array().unwrap().is_empty());

        let stats = app
            .get("/v1/stats/placements?group_by=priority", Some(&admin))
            .await
            .expect(200);
        let rep_plus = stats["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == "rep_plus")
            .unwrap();
        assert_eq!(rep_plus["demand"], 3);
        assert_eq!(rep_plus["proposals"], 2);
        assert_eq!(rep_plus["confirmed"], 1);
    }
);

db_test!(
    async fn a_campaign_serves_the_rep_plus_pupil_before_the_standard_one(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let rep_plus = rep_plus_school(&app, &admin).await;
        let standard = app.school(&admin, &uai_with("HORS_EP", "093").await).await;
        // One seat for both schools' pupils, in the middle of the département.
        app.post("/v1/offers", Some(&company.token), &{
            let mut o = offer("93066", 1);
            o["location"] = json!({"lat": 48.91, "lon": 2.45});
            o
        })
        .await
        .expect(201);
        let campaign = app
            .post(
                "/v1/campaigns",
                Some(&admin),
                &json!({"departement": "093", "kind": "stage_3e", "week": WEEK, "deadline": "2030-01-01T00:00:00Z"}),
            )
            .await
            .expect(201);
        let campaign_id = campaign["id"].as_str().unwrap();
        let mut requests = Vec::new();
        for school in [&standard, &rep_plus] {
            let ids = pupils(&app, school, 1, "3B").await;
            let r = app
                .post(
                    "/v1/match-requests",
                    Some(&school.token),
                    &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids, "campaign_id": campaign_id, "radius_km": 60}),
                )
                .await
                .expect(202);
            assert_eq!(r["status"], "waiting_campaign");
            requests.push((school, r["id"].as_str().unwrap().to_owned()));
        }
        app.post(
            &format!("/v1/campaigns/{campaign_id}/run"),
            Some(&admin),
            &json!({}),
        )
        .await
        .expect(202);
        app.post(
            &format!("/v1/campaigns/{campaign_id}/run"),
            Some(&admin),
            &json!({}),
        )
        .await
        .expect(409);
        let standard_done = wait_done(&app, requests[0].0, &requests[0].1).await;
        let rep_plus_done = wait_done(&app, requests[1].0, &requests[1].1).await;
        assert_eq!(
            rep_plus_done["proposals"].as_array().unwrap().len(),
            1,
            "{rep_plus_done}"
        );
        assert!(standard_done["proposals"].as_array().unwrap().is_empty());
        assert_eq!(
            standard_done["unmatched"][0]["reason"],
            "seats_taken_by_higher_priority"
        );
        let campaign = app
            .get(&format!("/v1/campaigns/{campaign_id}"), Some(&admin))
            .await
            .expect(200);
        assert_eq!(campaign["status"], "done");
        assert_eq!(campaign["metrics"]["blocking_pairs"], 0);
        assert!(campaign["metrics"]["greedy"].is_object());
    }
);

db_test!(
    /// Seats 300 km away, in the Creuse, are beyond every pupil's radius: a
    /// Seine-Saint-Denis campaign neither offers nor counts them.
    async fn a_campaign_counts_only_the_seats_its_pupils_can_reach(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        app.post("/v1/offers", Some(&company.token), &offer("93066", 2))
            .await
            .expect(201);
        let mut far = offer("23096", 5);
        far["location"] = json!({"lat": 46.17, "lon": 1.87});
        app.post("/v1/offers", Some(&company.token), &far)
            .await
            .expect(201);
        let campaign = app
            .post(
                "/v1/campaigns",
                Some(&admin),
                // The INSEE form, as statistics show it, names the same
                // département as the collèges' 093.
                &json!({"departement": "93", "kind": "stage_3e", "week": WEEK, "deadline": "2030-01-01T00:00:00Z"}),
            )
            .await
            .expect(201);
        assert_eq!(campaign["departement"], "093");
        let campaign_id = campaign["id"].as_str().unwrap();
        let ids = pupils(&app, &school, 1, "3F").await;
        let request = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids, "campaign_id": campaign_id, "radius_km": 60}),
            )
            .await
            .expect(202);
        app.post(
            &format!("/v1/campaigns/{campaign_id}/run"),
            Some(&admin),
            &json!({}),
        )
        .await
        .expect(202);
        let done = wait_done(&app, &school, request["id"].as_str().unwrap()).await;
        assert_eq!(done["proposals"].as_array().unwrap().len(), 1, "{done}");
        let campaign = app
            .get(&format!("/v1/campaigns/{campaign_id}"), Some(&admin))
            .await
            .expect(200);
        let metrics = &campaign["metrics"];
        assert_eq!(metrics["seats"], 2, "{metrics}");
        assert_eq!(metrics["seats_used"], 1, "{metrics}");
        assert_eq!(metrics["fill_rate"], 0.5, "{metrics}");
        // The request's own metrics are the run's.
        assert_eq!(done["metrics"]["seats"], 2, "{done}");
    }
);

db_test!(
    async fn bad_requests_are_refused_and_change_nothing(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        let other = app.school(&admin, &uai_with("REP", "093").await).await;
        app.post("/v1/offers", Some(&company.token), &offer("93066", 5))
            .await
            .expect(201);
        let mine = pupils(&app, &school, 2, "3C").await;
        let theirs = pupils(&app, &other, 1, "3C").await;

        let unknown = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [theirs[0]]}),
            )
            .await;
        assert_eq!(unknown.invalid_fields(), ["pupil_ids"]);
        let no_week = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": "2027-W20", "pupil_ids": mine}),
            )
            .await;
        assert_eq!(no_week.invalid_fields(), ["week"]);
        let both = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": mine, "class_name": "3C"}),
            )
            .await;
        assert_eq!(both.invalid_fields(), ["pupil_ids"]);
        let span = app
            .post("/v1/match-requests", Some(&school.token), &json!({"kind": "stage_3e", "week": WEEK, "week_end": "2027-W05", "pupil_ids": mine}))
            .await;
        assert_eq!(span.invalid_fields(), ["week_end"]);
        app.post(
            "/v1/match-requests",
            Some(&company.token),
            &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": mine}),
        )
        .await
        .expect(403);
        assert_eq!(
            entity::match_request::Entity::find()
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
    }
);

/// With the worker off, requests stay queued: a second one for the same
/// pupils is a conflict, and a queued one can be cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_for_pupils_already_queued_is_a_conflict_and_can_be_cancelled() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.jobs.enabled = false).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let school = rep_plus_school(&app, &admin).await;
    app.post("/v1/offers", Some(&company.token), &offer("93066", 5))
        .await
        .expect(201);
    let ids = pupils(&app, &school, 2, "3D").await;
    let body = json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids});
    let first = app
        .post("/v1/match-requests", Some(&school.token), &body)
        .await
        .expect(202);
    app.post("/v1/match-requests", Some(&school.token), &body)
        .await
        .expect(409);
    let id = first["id"].as_str().unwrap();
    let cancelled = app
        .post(
            &format!("/v1/match-requests/{id}/cancel"),
            Some(&school.token),
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    app.post(
        &format!("/v1/match-requests/{id}/cancel"),
        Some(&school.token),
        &json!({}),
    )
    .await
    .expect(409);
    app.post("/v1/match-requests", Some(&school.token), &body)
        .await
        .expect(202);
    let other = app.school(&admin, &uai_with("REP", "093").await).await;
    app.get(&format!("/v1/match-requests/{id}"), Some(&other.token))
        .await
        .expect(404);
}

/// Requests for the same pupils sent at once to three processes: exactly one
/// is accepted, the others are conflicts, whatever the interleaving. (The
/// pending check used to be a plain read: both could pass on PostgreSQL.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_requests_for_the_same_pupils_give_one_202_and_409s() {
    let backend = postgres_or_skip!();
    // The worker off: accepted requests stay queued, so they keep holding
    // their pupils for the whole test.
    let app = TestApp::spawn_with(backend, |s| s.jobs.enabled = false).await;
    let others = [
        app.sibling(|s| s.jobs.enabled = false).await,
        app.sibling(|s| s.jobs.enabled = false).await,
    ];
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let school = rep_plus_school(&app, &admin).await;
    app.post("/v1/offers", Some(&company.token), &offer("93066", 5))
        .await
        .expect(201);
    let ids = pupils(&app, &school, 4, "3R").await;
    // Every request of a round shares a pupil with every other, in varied
    // orders and sets, so exactly one may be queued.
    let rounds = [
        vec![vec![0, 1], vec![1, 0]],
        vec![vec![2], vec![2, 3], vec![3, 2]],
    ];
    for (round, sets) in rounds.iter().enumerate() {
        let bodies: Vec<Value> = (0..9)
            .map(|i| {
                let chosen: Vec<&String> = sets[i % sets.len()].iter().map(|p| &ids[*p]).collect();
                json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": chosen})
            })
            .collect();
        let posts = bodies.iter().enumerate().map(|(i, body)| {
            let server = if i % 3 == 0 { &app } else { &others[i % 3 - 1] };
            server.post("/v1/match-requests", Some(&school.token), body)
        });
        let answers = futures::future::join_all(posts).await;
        let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 202).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            8,
            "round {round}: {statuses:?} {:?}",
            answers.iter().map(|a| &a.text).collect::<Vec<_>>()
        );
    }
    let queued = entity::match_request::Entity::find()
        .filter(entity::match_request::Column::Status.eq("queued"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 2, "one request per set of free pupils");
}

/// A pupil placed while a request for him waits for the school's lock (as
/// when the run of an earlier request for him commits meanwhile, its
/// request no longer pending) is seen as placed: the request reads its
/// pupils under the lock, not before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pupil_placed_while_a_request_waits_for_the_schools_lock_is_a_conflict() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn_with(backend, |s| s.jobs.enabled = false).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let school = rep_plus_school(&app, &admin).await;
    app.post("/v1/offers", Some(&company.token), &offer("93066", 5))
        .await
        .expect(201);
    let ids = pupils(&app, &school, 1, "3L").await;
    let pupil_id = Uuid::parse_str(&ids[0]).unwrap();
    let org = Uuid::parse_str(&school.organisation_id).unwrap();
    let body = json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids});

    let txn = app.db.begin().await.unwrap();
    organisation::Entity::find_by_id(org)
        .lock(LockType::Update)
        .one(&txn)
        .await
        .unwrap()
        .expect("the school");
    let meanwhile = async {
        wait_for_a_lock_waiter(&app).await;
        pupil::Entity::update_many()
            .col_expr(pupil::Column::Status, Expr::value("proposed"))
            .filter(pupil::Column::Id.eq(pupil_id))
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(
        app.post("/v1/match-requests", Some(&school.token), &body),
        meanwhile
    );
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    assert!(
        answer.text.contains("already have a placement"),
        "{}",
        answer.text
    );
    let requests = entity::match_request::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(requests, 0, "nothing written");
}

db_test!(
    /// A campaign run reads the published offers of its kind in a box
    /// (`jobs/match_run/reach.rs`): an index must serve that query, or every
    /// run scans every offer in France. The test's offer table is empty, which
    /// makes a sequential scan cheapest whatever the indexes: PostgreSQL is
    /// asked for its plan with sequential scans priced out.
    async fn the_reach_query_of_a_campaign_run_is_served_by_an_index(app: TestApp) {
        let backend = app.db.get_database_backend();
        let mut query = offer::Entity::find()
            .filter(offer::Column::Kind.eq("stage_3e"))
            .filter(offer::Column::Status.eq("published"))
            .filter(offer::Column::Lat.between(48.58, 49.28))
            .filter(offer::Column::Lon.between(1.88, 3.01))
            .order_by_asc(offer::Column::Id)
            .build(backend);
        let (explain, column) = match backend {
            DatabaseBackend::Postgres => ("EXPLAIN", "QUERY PLAN"),
            _ => ("EXPLAIN QUERY PLAN", "detail"),
        };
        query.sql = format!("{explain} {}", query.sql);
        let txn = app.db.begin().await.unwrap();
        if backend == DatabaseBackend::Postgres {
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
        }
        let plan: Vec<String> = txn
            .query_all_raw(query)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", column).unwrap())
            .collect();
        txn.rollback().await.unwrap();
        assert!(
            plan.iter()
                .any(|line| line.contains("idx_offer_kind_status_lat_lon")),
            "{plan:#?}"
        );
    }
);

db_test!(
    async fn an_expired_placement_cannot_be_confirmed_and_its_seat_is_released(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        app.post("/v1/offers", Some(&company.token), &offer("93066", 1))
            .await
            .expect(201);
        let ids = pupils(&app, &school, 1, "3E").await;
        let r = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids}),
            )
            .await
            .expect(202);
        let done = wait_done(&app, &school, r["id"].as_str().unwrap()).await;
        let placement_id = done["proposals"][0]["placement_id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(
            &format!("/v1/placements/{placement_id}/accept"),
            Some(&school.token),
            &json!({}),
        )
        .await
        .expect(200);
        placement::Entity::update_many()
            .col_expr(
                placement::Column::ExpiresAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
            )
            .filter(placement::Column::Id.eq(uuid::Uuid::parse_str(&placement_id).unwrap()))
            .exec(&app.db)
            .await
            .unwrap();
        let answer = app
            .post(
                &format!("/v1/placements/{placement_id}/confirm"),
                Some(&company.token),
                &json!({}),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
        assert!(answer.text.contains("expired"));
        // The worker's maintenance expires it and frees the pupil and the seat.
        let mut released = false;
        for _ in 0..200 {
            let p = app
                .get(
                    &format!("/v1/placements/{placement_id}"),
                    Some(&school.token),
                )
                .await
                .expect(200);
            if p["status"] == "expired" {
                released = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(released, "the placement was not expired by the worker");
        let pupil = app
            .get(&format!("/v1/pupils/{}", ids[0]), Some(&school.token))
            .await
            .expect(200);
        assert_eq!(pupil["status"], "unplaced");
        let again = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids}),
            )
            .await
            .expect(202);
        let done = wait_done(&app, &school, again["id"].as_str().unwrap()).await;
        assert_eq!(
            done["proposals"].as_array().unwrap().len(),
            1,
            "the seat is free again: {done}"
        );
    }
);

db_test!(
    async fn a_classe_entreprise_request_places_the_class_as_one_group(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        let mut small = offer("93066", 1);
        small["kind"] = json!("classe_entreprise");
        small["group_size"] = json!({"min": 8, "max": 10});
        app.post("/v1/offers", Some(&company.token), &small)
            .await
            .expect(201);
        let mut big = offer("93066", 1);
        big["kind"] = json!("classe_entreprise");
        big["group_size"] = json!({"min": 10, "max": 28});
        let big_id = app
            .post("/v1/offers", Some(&company.token), &big)
            .await
            .expect(201)["id"]
            .clone();
        pupils(&app, &school, 12, "3F").await;
        let r = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "classe_entreprise", "week": WEEK, "class_name": "3f"}),
            )
            .await
            .expect(202);
        let done = wait_done(&app, &school, r["id"].as_str().unwrap()).await;
        let proposals = done["proposals"].as_array().unwrap();
        assert_eq!(proposals.len(), 1, "{done}");
        assert_eq!(proposals[0]["group_size"], 12);
        assert_eq!(
            proposals[0]["offer_id"], big_id,
            "the 8–10 offer cannot take 12 pupils"
        );
        let listed = app
            .get(
                "/v1/pupils?class_name=3F&status=proposed",
                Some(&school.token),
            )
            .await
            .expect(200);
        assert_eq!(listed["items"].as_array().unwrap().len(), 12);
    }
);

/// A worker killed between solving and committing leaves no proposal; once
/// its lease runs out another process runs the job and writes it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_before_commit_leaves_nothing_and_is_retried_by_another_process() {
    let backend = Backend::postgres().unwrap_or(Backend::Sqlite);
    let app = TestApp::spawn_with(backend, |s| {
        s.jobs.crash_before_commit = true;
        s.jobs.lease_secs = 1;
    })
    .await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let school = rep_plus_school(&app, &admin).await;
    app.post("/v1/offers", Some(&company.token), &offer("93066", 3))
        .await
        .expect(201);
    let ids = pupils(&app, &school, 3, "3G").await;
    let r = app
        .post(
            "/v1/match-requests",
            Some(&school.token),
            &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids}),
        )
        .await
        .expect(202);
    let id = r["id"].as_str().unwrap().to_owned();
    let mut claimed = false;
    for _ in 0..200 {
        let jobs = job::Entity::find().all(&app.db).await.unwrap();
        if jobs.iter().any(|j| j.attempts >= 1) {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(claimed, "the first worker never claimed the job");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        placement::Entity::find().count(&app.db).await.unwrap(),
        0,
        "no partial proposals"
    );
    let status = app
        .get(&format!("/v1/match-requests/{id}"), Some(&school.token))
        .await
        .expect(200);
    assert_eq!(status["status"], "running");

    let survivor = app.sibling(|s| s.jobs.lease_secs = 1).await;
    let done = wait_done(&survivor, &school, &id).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["proposals"].as_array().unwrap().len(), 3);
    assert_eq!(
        placement::Entity::find().count(&app.db).await.unwrap(),
        3,
        "written once"
    );
    let job = job::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "done");
    assert_eq!(job.attempts, 2);
}

/// Several processes run the requests of several schools at once against
/// the last seat, while confirmations race: the seat is never oversold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_seat_is_never_oversold_by_concurrent_runs_and_confirmations() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let others = [app.sibling(|_| {}).await, app.sibling(|_| {}).await];
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let offer_id = app
        .post("/v1/offers", Some(&company.token), &offer("93066", 1))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut schools = Vec::new();
    for uai in ["REP+", "REP", "HORS_EP"] {
        let school = app.school(&admin, &uai_with(uai, "093").await).await;
        let ids = pupils(&app, &school, 2, "3H").await;
        schools.push((school, ids));
    }
    for round in 0..3 {
        let bodies: Vec<Value> = schools
            .iter()
            .map(|(_, ids)| json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids, "radius_km": 60}))
            .collect();
        let posts = schools
            .iter()
            .zip(&bodies)
            .enumerate()
            .map(|(i, ((school, _), body))| {
                let server = if i == 0 { &app } else { &others[i - 1] };
                server.post("/v1/match-requests", Some(&school.token), body)
            });
        let answers = futures::future::join_all(posts).await;
        let mut ids = Vec::new();
        for (answer, (school, _)) in answers.into_iter().zip(&schools) {
            if answer.status.as_u16() == 202 {
                ids.push((school, answer.body["id"].as_str().unwrap().to_owned()));
            }
        }
        for (school, id) in &ids {
            wait_done(&app, school, id).await;
        }
        // Race: the school accepts and the company confirms from different
        // processes while a decline frees the seat for the next round.
        let active = placement::Entity::find()
            .filter(placement::Column::OfferId.eq(uuid::Uuid::parse_str(&offer_id).unwrap()))
            .filter(placement::Column::Status.is_in(["proposed", "accepted", "confirmed"]))
            .all(&app.db)
            .await
            .unwrap();
        assert!(
            active.len() <= 1,
            "round {round}: {} placements hold one seat",
            active.len()
        );
        if let Some(p) = active.first().filter(|p| p.status == "proposed") {
            let owner = schools
                .iter()
                .find(|(s, _)| s.organisation_id == p.school_id.to_string())
                .unwrap();
            let path = format!("/v1/placements/{}", p.id);
            app.post(&format!("{path}/accept"), Some(&owner.0.token), &json!({}))
                .await;
            let (confirm, decline, empty) = (
                format!("{path}/confirm"),
                format!("{path}/decline"),
                json!({}),
            );
            let (a, b) = tokio::join!(
                others[0].post(&confirm, Some(&company.token), &empty),
                others[1].post(&decline, Some(&owner.0.token), &empty),
            );
            assert!(
                [a.status.as_u16(), b.status.as_u16()]
                    .iter()
                    .filter(|s| **s == 200)
                    .count()
                    == 1,
                "exactly one of confirm/decline wins: {} / {}",
                a.text,
                b.text
            );
        }
    }
    let holding = placement::Entity::find()
        .filter(placement::Column::OfferId.eq(uuid::Uuid::parse_str(&offer_id).unwrap()))
        .filter(placement::Column::Status.is_in(["proposed", "accepted", "confirmed"]))
        .count(&app.db)
        .await
        .unwrap();
    assert!(holding <= 1);
}

db_test!(
    async fn an_offer_keeps_the_seats_its_placements_hold(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        let created = app
            .post("/v1/offers", Some(&company.token), &offer("93066", 2))
            .await
            .expect(201);
        let path = format!("/v1/offers/{}", created["id"].as_str().unwrap());
        let ids = pupils(&app, &school, 2, "3J").await;
        let r = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids}),
            )
            .await
            .expect(202);
        let done = wait_done(&app, &school, r["id"].as_str().unwrap()).await;
        assert_eq!(done["proposals"].as_array().unwrap().len(), 2);

        let fewer = json!({"weeks": [{"week": WEEK, "seats": 1}]});
        let refused = app.patch(&path, Some(&company.token), &fewer).await;
        assert_eq!(refused.status.as_u16(), 409, "{}", refused.text);
        let moved = json!({"weeks": [{"week": "2027-W04", "seats": 2}]});
        app.patch(&path, Some(&company.token), &moved)
            .await
            .expect(409);
        app.delete(&path, Some(&company.token)).await.expect(409);

        let placement = done["proposals"][0]["placement_id"].as_str().unwrap();
        app.post(
            &format!("/v1/placements/{placement}/decline"),
            Some(&company.token),
            &json!({}),
        )
        .await
        .expect(200);
        app.patch(&path, Some(&company.token), &fewer)
            .await
            .expect(200);
    }
);

db_test!(
    async fn each_placement_event_writes_its_email_without_naming_the_pupil(app: TestApp) {
        use entity::email_outbox;
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let school = rep_plus_school(&app, &admin).await;
        app.post("/v1/offers", Some(&company.token), &offer("93066", 1))
            .await
            .expect(201);
        let ids = pupils(&app, &school, 1, "3K").await;
        let r = app
            .post(
                "/v1/match-requests",
                Some(&school.token),
                &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": ids}),
            )
            .await
            .expect(202);
        let done = wait_done(&app, &school, r["id"].as_str().unwrap()).await;
        let placement = done["proposals"][0]["placement_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let kinds = |to: &'static str| {
            let db = app.db.clone();
            async move {
                email_outbox::Entity::find()
                    .filter(email_outbox::Column::Recipient.eq(to))
                    .all(&db)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| m.kind)
                    .collect::<Vec<_>>()
            }
        };
        // The offer body's tutor.
        assert!(
            kinds("camille.martin@example.fr")
                .await
                .contains(&"placement_proposed".to_owned())
        );
        let school_email: &'static str = Box::leak(school.email.clone().into_boxed_str());
        assert!(
            kinds(school_email)
                .await
                .contains(&"proposal_reminder".to_owned()),
            "a reminder is scheduled"
        );

        app.post(
            &format!("/v1/placements/{placement}/accept"),
            Some(&school.token),
            &json!({}),
        )
        .await
        .expect(200);
        let after_accept = kinds(school_email).await;
        assert!(after_accept.contains(&"placement_accepted".to_owned()));
        assert!(
            !after_accept.contains(&"proposal_reminder".to_owned()),
            "the answered reminder is dropped"
        );
        app.post(
            &format!("/v1/placements/{placement}/confirm"),
            Some(&company.token),
            &json!({}),
        )
        .await
        .expect(200);
        assert!(
            kinds(school_email)
                .await
                .contains(&"placement_confirmed".to_owned())
        );

        for m in email_outbox::Entity::find().all(&app.db).await.unwrap() {
            assert!(
                !m.text_body.contains("Élève0") && !m.html_body.contains("Élève0"),
                "pupil named in {}",
                m.kind
            );
        }
    }
);

/// An offer of 2 seats with one placement proposed by a real run (to copy
/// its foreign keys), and a second pupil of the same school; PostgreSQL
/// only.
async fn offer_with_a_placement(app: &TestApp) -> Option<(Member, String, placement::Model, Uuid)> {
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let school = rep_plus_school(app, &admin).await;
    let created = app
        .post("/v1/offers", Some(&company.token), &offer("93066", 2))
        .await
        .expect(201);
    let path = format!("/v1/offers/{}", created["id"].as_str().unwrap());
    let ids = pupils(app, &school, 2, "3R").await;
    let r = app
        .post(
            "/v1/match-requests",
            Some(&school.token),
            &json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [ids[0]]}),
        )
        .await
        .expect(202);
    let done = wait_done(app, &school, r["id"].as_str().unwrap()).await;
    let placement_id = done["proposals"][0]["placement_id"].as_str()?;
    let placed = placement::Entity::find_by_id(Uuid::parse_str(placement_id).unwrap())
        .one(&app.db)
        .await
        .unwrap()?;
    Some((company, path, placed, Uuid::parse_str(&ids[1]).unwrap()))
}

/// Begins a transaction that does what a run's commit does: locks the
/// offer's weeks `FOR UPDATE` in key order, then inserts a placement of the
/// other pupil holding one more seat, not committed yet.
async fn a_run_placing(
    app: &TestApp,
    like: &placement::Model,
    pupil_id: Uuid,
) -> sea_orm::DatabaseTransaction {
    let txn = app.db.begin().await.unwrap();
    entity::offer_week::Entity::find()
        .filter(entity::offer_week::Column::OfferId.eq(like.offer_id))
        .order_by_asc(entity::offer_week::Column::OfferId)
        .order_by_asc(entity::offer_week::Column::Week)
        .lock(LockType::Update)
        .all(&txn)
        .await
        .unwrap();
    let mut row = like.clone();
    row.id = Uuid::now_v7();
    row.pupil_id = Some(pupil_id);
    row.status = "proposed".into();
    placement::Entity::insert(sea_orm::ActiveModelTrait::reset_all(
        placement::ActiveModel::from(row),
    ))
    .exec_without_returning(&txn)
    .await
    .unwrap();
    txn
}

/// A run that commits a placement while a PATCH lowering the seats waits
/// for the offer's weeks is counted: the PATCH counts the seats held under
/// the weeks' lock, answers 409 and the seats stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seats_lowered_while_a_run_places_on_them_are_a_conflict() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let (company, path, placed, other) = offer_with_a_placement(&app).await.expect("a proposal");
    let run = a_run_placing(&app, &placed, other).await;
    let fewer = json!({"weeks": [{"week": WEEK, "seats": 1}]});
    let answer =
        committed_while_waiting(&app, run, app.patch(&path, Some(&company.token), &fewer)).await;
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    let after = app.get(&path, Some(&company.token)).await.expect(200);
    assert_eq!(after["weeks"][0]["seats"], json!(2), "{after}");
}

/// Same for an archive: a placement committed while it waits keeps the
/// offer published.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offer_archived_while_a_run_places_on_it_is_a_conflict() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let (company, path, placed, other) = offer_with_a_placement(&app).await.expect("a proposal");
    app.post(
        &format!("/v1/placements/{}/decline", placed.id),
        Some(&company.token),
        &json!({}),
    )
    .await
    .expect(200);
    let run = a_run_placing(&app, &placed, other).await;
    let answer = committed_while_waiting(&app, run, app.delete(&path, Some(&company.token))).await;
    assert_eq!(answer.status.as_u16(), 409, "{}", answer.text);
    let after = app.get(&path, Some(&company.token)).await.expect(200);
    assert_eq!(after["status"], json!("published"), "{after}");
}
