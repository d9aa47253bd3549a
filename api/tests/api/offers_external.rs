//! `PUT /v1/offers/external/{remote_id}` on an archived offer: an operator's
//! routine re-sync must not bring back an offer the company archived, so the
//! upsert refuses it as `PATCH /v1/offers/{id}` does (409, same body), and
//! the offer stays archived and out of search.
use crate::helpers::*;
use crate::{db_test, postgres_or_skip};
use entity::offer;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

const REMOTE_ID: &str = "op-7:stage.2027";

fn put_path() -> String {
    format!("/v1/offers/external/{REMOTE_ID}")
}

fn id_of(offer: &Value) -> Uuid {
    Uuid::parse_str(offer["id"].as_str().expect("an id")).expect("a uuid")
}

/// The body a re-sync sends: the operator's copy, published, retitled.
fn resync_body() -> Value {
    let mut body = offer_body();
    body["title"] = json!("Logistique — session de printemps");
    body["status"] = json!("published");
    body
}

/// The offers around Saint-Denis (`offer_body`'s commune) that search finds.
async fn found_around_saint_denis(app: &TestApp, token: &str) -> Vec<Uuid> {
    app.get(
        "/v1/offers/search?lat=48.9362&lon=2.3574&radius_km=5",
        Some(token),
    )
    .await
    .expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

db_test!(
    async fn putting_an_archived_external_offer_answers_409_as_patch_does(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let t = company.token.as_str();
        let created = app
            .put(&put_path(), Some(t), &offer_body())
            .await
            .expect(201);
        let id = id_of(&created);
        let path = format!("/v1/offers/{id}");
        assert_eq!(found_around_saint_denis(&app, t).await, [id]);
        app.delete(&path, Some(t)).await.expect(204);
        assert!(found_around_saint_denis(&app, t).await.is_empty());

        let put = app.put(&put_path(), Some(t), &resync_body()).await;
        assert_eq!(put.status.as_u16(), 409, "{}", put.text);
        assert_eq!(put.headers["content-type"], "application/problem+json");
        let patch = app
            .patch(&path, Some(t), &json!({"status": "published"}))
            .await;
        assert_eq!(patch.status.as_u16(), 409, "{}", patch.text);
        assert_eq!(put.body, patch.body, "the same error as PATCH");

        let after = app.get(&path, Some(t)).await.expect(200);
        assert_eq!(after["status"], "archived", "{after}");
        assert_eq!(after["title"], created["title"], "{after}");
        assert!(found_around_saint_denis(&app, t).await.is_empty());
        let rows = offer::Entity::find()
            .filter(offer::Column::RemoteId.eq(REMOTE_ID))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "no second offer for the remote id");
        assert_eq!(rows[0].status, "archived");
    }
);

/// An offer archived while a PUT waits for its lock stays archived: the PUT
/// reads it under the lock, archived, and is refused as after the archive.
/// PostgreSQL only: SQLite has one writer at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offer_archived_while_a_put_waits_stays_archived() {
    let app = TestApp::spawn(postgres_or_skip!()).await;
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let t = company.token.as_str();
    let created = app
        .put(&put_path(), Some(t), &offer_body())
        .await
        .expect(201);
    let id = id_of(&created);
    let write = offer::Entity::update_many()
        .col_expr(offer::Column::Status, Expr::value("archived"))
        .filter(offer::Column::Id.eq(id));
    written_meanwhile(&app, write, app.put(&put_path(), Some(t), &resync_body()))
        .await
        .expect(409);
    let after = app
        .get(&format!("/v1/offers/{id}"), Some(t))
        .await
        .expect(200);
    assert_eq!(after["status"], "archived", "{after}");
    assert_eq!(after["title"], created["title"], "{after}");
}
