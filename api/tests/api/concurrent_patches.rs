//! Concurrent PATCHes of one record: each reads the record and writes it
//! back whole, so each must read it under the row's lock, or the second
//! writes back what the first changed meanwhile (a lost update). PostgreSQL
//! only: SQLite has one writer at a time, the race cannot happen there.
//!
//! The first PATCH is played by a session of the test that has changed one
//! field and not committed yet; the request changes another field, and the
//! session commits once the request waits for its lock. Both changes must
//! then be there.
use crate::helpers::*;
use crate::postgres_or_skip;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

fn id_of(created: &serde_json::Value) -> Uuid {
    Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid")
}

/// A mentor's distance changed by one PATCH and his name by another: both
/// stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_patches_of_a_mentor_keep_each_others_fields() {
    use entity::mentor;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let created = app
        .post("/v1/mentors", Some(t), &mentor_body())
        .await
        .expect(201);
    let id = id_of(&created);
    let write = mentor::Entity::update_many()
        .col_expr(mentor::Column::MaxDistanceKm, Expr::value(77))
        .filter(mentor::Column::Id.eq(id));
    let path = format!("/v1/mentors/{id}");
    let body = json!({"display_name": "Renamed meanwhile"});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(200);
    let after = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(after["display_name"], json!("Renamed meanwhile"), "{after}");
    assert_eq!(after["max_distance_km"], json!(77), "lost update: {after}");
}

/// A pupil's accessibility need set by one PATCH and the class by another:
/// both stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_patches_of_a_pupil_keep_each_others_fields() {
    use entity::pupil;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    // Collège Beaumarchais, Paris 11e.
    let school = app.school(&admin, "0750362L").await;
    let t = school.token.as_str();
    let body = json!({
        "first_name": "Inès",
        "last_name": "Lambert",
        "birth_date": "2012-05-31",
        "class_name": "3A",
    });
    let created = app.post("/v1/pupils", Some(t), &body).await.expect(201);
    let id = id_of(&created);
    let write = pupil::Entity::update_many()
        .col_expr(pupil::Column::NeedsAccessibility, Expr::value(true))
        .filter(pupil::Column::Id.eq(id));
    let path = format!("/v1/pupils/{id}");
    let body = json!({"class_name": "3B"});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(200);
    let after = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(after["class_name"], json!("3B"), "{after}");
    assert_eq!(
        after["needs_accessibility"],
        json!(true),
        "lost update: {after}"
    );
}

/// A pupil erased while a PATCH waits for the row: the PATCH finds no pupil
/// (404) and writes no name back into the erased row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patch_waiting_for_an_erasure_writes_nothing_back() {
    use entity::pupil;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let school = app.school(&admin, "0750362L").await;
    let t = school.token.as_str();
    let body = json!({
        "first_name": "Inès",
        "last_name": "Effacée",
        "birth_date": "2012-05-31",
        "class_name": "3A",
    });
    let created = app.post("/v1/pupils", Some(t), &body).await.expect(201);
    let id = id_of(&created);
    // What the erasure does to the row itself.
    let write = pupil::Entity::update_many()
        .col_expr(
            pupil::Column::FirstName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(pupil::Column::LastName, Expr::value(Option::<String>::None))
        .col_expr(pupil::Column::ErasedAt, Expr::value(chrono::Utc::now()))
        .filter(pupil::Column::Id.eq(id));
    let path = format!("/v1/pupils/{id}");
    let body = json!({"class_name": "3B"});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(404);
    let row = pupil::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the row stays");
    assert_eq!((row.first_name, row.last_name), (None, None));
    assert_eq!(row.class_name, "3A");
}

/// A mentee's remote choice set by one PATCH and the availability date by
/// another: both stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_patches_of_a_mentee_keep_each_others_fields() {
    use entity::mentee;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let body = crate::mentees::mentee("Sam", "Concurrent");
    let created = app.post("/v1/mentees", Some(t), &body).await.expect(201);
    assert_eq!(created["remote_ok"], json!(false), "{created}");
    let id = id_of(&created);
    let write = mentee::Entity::update_many()
        .col_expr(mentee::Column::RemoteOk, Expr::value(true))
        .filter(mentee::Column::Id.eq(id));
    let path = format!("/v1/mentees/{id}");
    let body = json!({"available_from": "2027-02-01"});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(200);
    let after = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(after["available_from"], json!("2027-02-01"), "{after}");
    assert_eq!(after["remote_ok"], json!(true), "lost update: {after}");
}

/// A mentee erased while a PATCH waits for the row: 404, and no name is
/// written back into the erased row.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mentee_patch_waiting_for_an_erasure_writes_nothing_back() {
    use entity::mentee;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let body = crate::mentees::mentee("Sam", "Effacé");
    let created = app.post("/v1/mentees", Some(t), &body).await.expect(201);
    let id = id_of(&created);
    // What the erasure does to the row itself.
    let write = mentee::Entity::update_many()
        .col_expr(
            mentee::Column::FirstName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            mentee::Column::LastName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(mentee::Column::ErasedAt, Expr::value(chrono::Utc::now()))
        .filter(mentee::Column::Id.eq(id));
    let path = format!("/v1/mentees/{id}");
    let body = json!({"available_from": "2027-02-01"});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(404);
    let row = mentee::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("the row stays");
    assert_eq!((row.first_name, row.last_name), (None, None));
    assert_eq!(row.available_from, None);
}

/// An offer's title changed by one PATCH and its description by another:
/// both stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_patches_of_an_offer_keep_each_others_fields() {
    use entity::offer;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let t = company.token.as_str();
    let created = app
        .post("/v1/offers", Some(t), &offer_body())
        .await
        .expect(201);
    let id = id_of(&created);
    let write = offer::Entity::update_many()
        .col_expr(
            offer::Column::Title,
            Expr::value("Titre changé entre-temps"),
        )
        .filter(offer::Column::Id.eq(id));
    let path = format!("/v1/offers/{id}");
    let body = json!({"description": "Décrite entre-temps."});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(200);
    let after = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(
        after["description"],
        json!("Décrite entre-temps."),
        "{after}"
    );
    assert_eq!(
        after["title"],
        json!("Titre changé entre-temps"),
        "lost update: {after}"
    );
}

/// An offer archived while a PATCH waits for it stays archived: the PATCH
/// reads it archived and is refused, as after the archive.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offer_archived_while_a_patch_waits_stays_archived() {
    use entity::offer;
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let t = company.token.as_str();
    let created = app
        .post("/v1/offers", Some(t), &offer_body())
        .await
        .expect(201);
    let id = id_of(&created);
    let write = offer::Entity::update_many()
        .col_expr(offer::Column::Status, Expr::value("archived"))
        .filter(offer::Column::Id.eq(id));
    let path = format!("/v1/offers/{id}");
    let body = json!({"description": "Trop tard."});
    written_meanwhile(&app, write, app.patch(&path, Some(t), &body))
        .await
        .expect(409);
    let after = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(after["status"], json!("archived"), "{after}");
    assert_ne!(after["description"], json!("Trop tard."), "{after}");
}
