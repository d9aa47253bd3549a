//! A match run's commit re-checks the offers it places on and the pupils it
//! places: an offer archived or changed after the run read it, or a pupil
//! erased meanwhile, gets no placement, and the run solves again on what is
//! there now, in the same attempt.
//!
//! PostgreSQL only: each test holds a lock from a transaction of its own so
//! that the offer's write lands in the run's window, deterministically.
//! SQLite has no row locks, and nothing lets a test pause a run between its
//! reading and its commit there (`jobs.crash_before_commit` ends the worker:
//! the next run reads everything again).
use crate::helpers::*;
use crate::matching::{WEEK, wait_done};
use crate::postgres_or_skip;
use api::domain::{Email, InseeCode, IsoWeek, Location, OfferKind, OfferStatus, Sector, Track};
use api::store::offers::{self, OfferData, OfferRecord};
use entity::{job, placement};
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

/// One pupil and two seats in reach: `near`, at her collège (the run's
/// choice), and `far`, 5.6 km north.
struct TwoSeats {
    admin: String,
    school: Member,
    company: Uuid,
    pupil: String,
    near: Uuid,
    far: Uuid,
}

async fn two_seats(app: &TestApp) -> TwoSeats {
    let (admin, school, company, pupil) = one_seat_and_one_pupil(app, WEEK, "Inès").await;
    let listed = app
        .get("/v1/offers", Some(&company.token))
        .await
        .expect(200);
    let near = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, lat, lon) = college_093();
    let mut body = offer_body();
    body["weeks"] = json!([{"week": WEEK, "seats": 1}]);
    body["location"] = json!({"lat": lat + 0.05, "lon": lon});
    let far = app
        .post("/v1/offers", Some(&company.token), &body)
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    TwoSeats {
        admin,
        school,
        company: Uuid::parse_str(&company.organisation_id).unwrap(),
        pupil,
        near: Uuid::parse_str(&near).unwrap(),
        far: Uuid::parse_str(&far).unwrap(),
    }
}

/// The request's id, after a 202.
async fn request(app: &TestApp, s: &TwoSeats, extra: Value) -> String {
    let mut body = json!({"kind": "stage_3e", "week": WEEK, "pupil_ids": [s.pupil]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = app
        .post("/v1/match-requests", Some(&s.school.token), &body)
        .await
        .expect(202);
    r["id"].as_str().unwrap().to_owned()
}

/// What a PATCH moving the offer to Guéret, in the Creuse (300 km away, out
/// of the pupil's reach), writes: the offer's content with another place.
fn moved_to_the_creuse(record: &OfferRecord) -> OfferData {
    let o = &record.offer;
    OfferData {
        kind: OfferKind::parse(&o.kind).unwrap(),
        title: o.title.clone(),
        description: o.description.clone(),
        sector: Sector::parse(&o.sector).unwrap(),
        address: o.address.clone(),
        commune_insee: InseeCode::parse("23096").unwrap(),
        location: Location {
            lat: 46.17,
            lon: 1.87,
        },
        weeks: record
            .weeks
            .iter()
            .map(|w| (IsoWeek::parse(&w.week).unwrap(), w.seats as u32))
            .collect(),
        tracks: o
            .tracks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| Track::parse(t.as_str().unwrap()).unwrap())
            .collect(),
        reserved_for_priority: o.reserved_for_priority,
        group_size: None,
        accessible: o.accessible,
        tutor_name: o.tutor_name.clone(),
        tutor_email: Email::parse(&o.tutor_email).unwrap(),
        status: OfferStatus::Published,
    }
}

/// The request is done with its pupil on the far seat and nothing on the
/// near one; its job is done in its first attempt (the run solved again, it
/// did not fail).
async fn placed_on_the_far_seat_only(app: &TestApp, s: &TwoSeats, done: &Value) {
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["proposals"].as_array().unwrap().len(), 1, "{done}");
    let on: Vec<Uuid> = placement::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|p| p.offer_id)
        .collect();
    assert_eq!(on, vec![s.far], "near {}, far {}: {done}", s.near, s.far);
    let job = job::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "{job:?}");
}

/// An offer archived while a run that solved on it waits for its weeks gets
/// no placement: once the run holds the weeks it sees the offer archived,
/// writes nothing and solves again without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offer_archived_while_the_run_waits_for_its_weeks_gets_no_placement() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let s = two_seats(&app).await;
    // The archive's transaction, as `DELETE /v1/offers/{id}` runs it: the
    // offer's row and weeks locked, no seat held...
    let archive = app.db.begin().await.unwrap();
    offers::lock(&archive, s.company, s.near)
        .await
        .unwrap()
        .expect("the offer");
    let held = offers::held_seats(&archive, s.near).await.unwrap();
    assert!(held.values().all(|n| *n == 0), "{held:?}");
    let id = request(&app, &s, json!({})).await;
    // ...while the run, which read the offer published and chose it, waits
    // for its weeks (nothing else waits for a lock here)...
    wait_for_a_lock_waiter(&app).await;
    // ...then archived: the run gets weeks whose rows did not change.
    offers::archive(&archive, s.company, s.near)
        .await
        .unwrap()
        .expect("archived");
    archive.commit().await.unwrap();

    let done = wait_done(&app, &s.school, &id).await;
    placed_on_the_far_seat_only(&app, &s, &done).await;
}

/// A PATCH committed while the run waits for the offer's weeks deletes them
/// and writes them again: the run is not handed the new rows, counts no
/// seat on the offer, writes nothing and solves again on the offer as it
/// now is (moved out of reach), without failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offer_patched_while_the_run_waits_for_its_weeks_is_read_again() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let s = two_seats(&app).await;
    // The PATCH's transaction: the offer locked as `offers::lock` does...
    let patch = app.db.begin().await.unwrap();
    let record = offers::lock(&patch, s.company, s.near)
        .await
        .unwrap()
        .expect("the offer");
    let id = request(&app, &s, json!({})).await;
    // ...while the run waits for the weeks, then written and committed.
    wait_for_a_lock_waiter(&app).await;
    offers::update(&patch, record.offer.clone(), &moved_to_the_creuse(&record))
        .await
        .unwrap();
    patch.commit().await.unwrap();

    let done = wait_done(&app, &s.school, &id).await;
    placed_on_the_far_seat_only(&app, &s, &done).await;
}

/// A PATCH committed after the run read the offers and before it locks
/// their weeks, as while it solves: the weeks are free again by then and
/// have their seats, so only the offer's version tells the run that the
/// seat it chose has moved away. The run is held after reading the offers,
/// on its read of their weeks, by a lock on that table: a campaign's run,
/// whose start reads no week, unlike a request (the request read them
/// before the lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offer_patched_after_the_run_read_it_is_read_again() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let s = two_seats(&app).await;
    let campaign = app
        .post(
            "/v1/campaigns",
            Some(&s.admin),
            &json!({"departement": "093", "kind": "stage_3e", "week": WEEK, "deadline": "2030-01-01T00:00:00Z"}),
        )
        .await
        .expect(201);
    let campaign_id = campaign["id"].as_str().unwrap();
    let id = request(&app, &s, json!({"campaign_id": campaign_id})).await;

    let patch = app.db.begin().await.unwrap();
    patch
        .execute_unprepared("LOCK TABLE offer_week IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    app.post(
        &format!("/v1/campaigns/{campaign_id}/run"),
        Some(&s.admin),
        &json!({}),
    )
    .await
    .expect(202);
    // The run has read the offer as it was and waits to read its weeks...
    wait_for_a_lock_waiter(&app).await;
    // ...when the PATCH is written and committed.
    let record = offers::lock(&patch, s.company, s.near)
        .await
        .unwrap()
        .expect("the offer");
    offers::update(&patch, record.offer.clone(), &moved_to_the_creuse(&record))
        .await
        .unwrap();
    patch.commit().await.unwrap();

    let done = wait_done(&app, &s.school, &id).await;
    placed_on_the_far_seat_only(&app, &s, &done).await;
}

/// A pupil erased while the run that placed her waits for the offer's weeks
/// gets no placement: the run's claim of its pupils (still unplaced, not
/// erased) finds her erased, so it writes nothing and solves again, without
/// her.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pupil_erased_while_the_run_waits_gets_no_placement() {
    let backend = postgres_or_skip!();
    let app = TestApp::spawn(backend).await;
    let s = two_seats(&app).await;
    // The run is held on the near offer's weeks, after it solved...
    let holder = app.db.begin().await.unwrap();
    offers::lock(&holder, s.company, s.near)
        .await
        .unwrap()
        .expect("the offer");
    let id = request(&app, &s, json!({})).await;
    wait_for_a_lock_waiter(&app).await;
    // ...while the school erases the pupil it placed.
    app.delete(&format!("/v1/pupils/{}", s.pupil), Some(&s.school.token))
        .await
        .expect(204);
    holder.commit().await.unwrap();

    let done = wait_done(&app, &s.school, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["proposals"].as_array().unwrap().len(), 0, "{done}");
    let placements = placement::Entity::find().all(&app.db).await.unwrap();
    assert!(placements.is_empty(), "{placements:?}");
    let job = job::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!((job.status.as_str(), job.attempts), ("done", 1), "{job:?}");
}
