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
use crate::matching::wait_for_a_lock_waiter;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use std::future::Future;
use uuid::Uuid;

/// Sends `request` while `holder` has written and not committed, and
/// commits `holder` once the request waits for a row lock.
async fn committed_while_waiting(
    app: &TestApp,
    holder: DatabaseTransaction,
    request: impl Future<Output = Response>,
) -> Response {
    let meanwhile = async {
        wait_for_a_lock_waiter(app).await;
        holder.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(request, meanwhile);
    answer
}

fn id_of(created: &serde_json::Value) -> Uuid {
    Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid")
}

macro_rules! postgres_app {
    () => {{
        let Some(backend) = Backend::postgres() else {
            eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
            return;
        };
        TestApp::spawn(backend).await
    }};
}

/// A mentor's distance changed by one PATCH and his name by another: both
/// stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_patches_of_a_mentor_keep_each_others_fields() {
    use entity::mentor;
    let app = postgres_app!();
    let admin = app.admin().await;
    let c = app.coordinator(&admin).await;
    let t = c.token.as_str();
    let created = app
        .post("/v1/mentors", Some(t), &mentor_body())
        .await
        .expect(201);
    let id = id_of(&created);
    let holder = app.db.begin().await.unwrap();
    mentor::Entity::update_many()
        .col_expr(mentor::Column::MaxDistanceKm, Expr::value(77))
        .filter(mentor::Column::Id.eq(id))
        .exec(&holder)
        .await
        .unwrap();
    let path = format!("/v1/mentors/{id}");
    let body = json!({"display_name": "Renamed meanwhile"});
    committed_while_waiting(&app, holder, app.patch(&path, Some(t), &body))
        .await
        .expect(200);
    let after = app.get(&path, Some(t)).await.expect(200);
    assert_eq!(after["display_name"], json!("Renamed meanwhile"), "{after}");
    assert_eq!(after["max_distance_km"], json!(77), "lost update: {after}");
}
