use crate::db_test;
use crate::helpers::*;
use serde_json::{Value, json};

fn offer_at(commune: &str, kind: &str, sector: &str, week: &str) -> Value {
    let mut body = offer_body();
    body["commune_insee"] = json!(commune);
    body["kind"] = json!(kind);
    body["sector"] = json!(sector);
    body["weeks"] = json!([{"week": week, "seats": 1}]);
    if kind == "classe_entreprise" {
        body["group_size"] = json!({"min": 10, "max": 28});
    }
    if kind == "prepa_metiers" {
        body["tracks"] = json!(["prepa_metiers"]);
    }
    body
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

db_test!(
    async fn search_returns_published_offers_of_every_company_nearest_first(app: TestApp) {
        let admin = app.admin().await;
        let a = app.company(&admin).await;
        let b = app.company(&admin).await;
        let school = app.school(&admin, "0931005M").await;
        // Saint-Denis (93066), Aubervilliers (93001), Paris 10e (75110), Guéret (23096)
        let saint_denis = app
            .post(
                "/v1/offers",
                Some(&a.token),
                &offer_at("93066", "stage_3e", "N", "2027-W03"),
            )
            .await
            .expect(201);
        let aubervilliers = app
            .post(
                "/v1/offers",
                Some(&b.token),
                &offer_at("93001", "stage_3e", "H", "2027-W03"),
            )
            .await
            .expect(201);
        let paris = app
            .post(
                "/v1/offers",
                Some(&a.token),
                &offer_at("75110", "stage_3e", "N", "2027-W04"),
            )
            .await
            .expect(201);
        app.post(
            "/v1/offers",
            Some(&b.token),
            &offer_at("23096", "stage_3e", "N", "2027-W03"),
        )
        .await
        .expect(201);
        let mut draft = offer_at("93066", "stage_3e", "N", "2027-W03");
        draft["status"] = json!("draft");
        app.post("/v1/offers", Some(&a.token), &draft)
            .await
            .expect(201);

        let around = "/v1/offers/search?lat=48.9362&lon=2.3574&radius_km=15";
        let body = app.get(around, Some(&school.token)).await.expect(200);
        assert_eq!(
            ids(&body),
            [&saint_denis["id"], &aubervilliers["id"], &paris["id"]]
                .map(|v| v.as_str().unwrap().to_owned()),
            "nearest first, drafts and far offers left out: {body}"
        );
        let distances: Vec<f64> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["distance_km"].as_f64().unwrap())
            .collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]));
        assert!(
            body["items"][0].get("tutor").is_none(),
            "no tutor contact in search results"
        );

        let week = app
            .get(&format!("{around}&week=2027-W04"), Some(&school.token))
            .await
            .expect(200);
        assert_eq!(ids(&week), [paris["id"].as_str().unwrap()]);
        let sector = app
            .get(&format!("{around}&sector=H"), Some(&school.token))
            .await
            .expect(200);
        assert_eq!(ids(&sector), [aubervilliers["id"].as_str().unwrap()]);
        let kind = app
            .get(
                &format!("{around}&kind=classe_entreprise"),
                Some(&school.token),
            )
            .await
            .expect(200);
        assert!(ids(&kind).is_empty());

        let page1 = app
            .get(&format!("{around}&limit=2"), Some(&school.token))
            .await
            .expect(200);
        let cursor = page1["next_cursor"].as_str().unwrap();
        let page2 = app
            .get(
                &format!("{around}&limit=2&cursor={cursor}"),
                Some(&school.token),
            )
            .await
            .expect(200);
        assert_eq!(ids(&page2), [paris["id"].as_str().unwrap()]);
        assert!(page2["next_cursor"].is_null());
    }
);

db_test!(
    async fn a_write_is_visible_to_the_next_search(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let token = Some(company.token.as_str());
        let around = "/v1/offers/search?lat=48.9362&lon=2.3574&radius_km=5";
        let created = app
            .post(
                "/v1/offers",
                token,
                &offer_at("93066", "stage_3e", "N", "2027-W03"),
            )
            .await
            .expect(201);
        let id = created["id"].as_str().unwrap();
        assert_eq!(ids(&app.get(around, token).await.expect(200)), [id]);

        // Moved to Guéret: gone from Saint-Denis, found around Guéret.
        app.patch(
            &format!("/v1/offers/{id}"),
            token,
            &json!({"commune_insee": "23096"}),
        )
        .await
        .expect(200);
        assert!(ids(&app.get(around, token).await.expect(200)).is_empty());
        let gueret = "/v1/offers/search?lat=46.17&lon=1.87&radius_km=10";
        assert_eq!(ids(&app.get(gueret, token).await.expect(200)), [id]);

        app.delete(&format!("/v1/offers/{id}"), token)
            .await
            .expect(204);
        assert!(ids(&app.get(gueret, token).await.expect(200)).is_empty());

        let external = app
            .put(
                "/v1/offers/external/op-1",
                token,
                &offer_at("93066", "stage_3e", "N", "2027-W03"),
            )
            .await
            .expect(201);
        assert_eq!(
            ids(&app.get(around, token).await.expect(200)),
            [external["id"].as_str().unwrap()]
        );
    }
);

db_test!(
    async fn search_checks_its_parameters(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let token = Some(company.token.as_str());
        app.get("/v1/offers/search?lat=48.9&lon=2.3", None)
            .await
            .expect(401);
        let cases = [
            ("lat=51.5&lon=-0.12", "lat"),
            ("lat=48.9&lon=2.3&radius_km=-1", "radius_km"),
            ("lat=48.9&lon=2.3&radius_km=1000", "radius_km"),
            ("lat=48.9&lon=2.3&week=2027-W60", "week"),
            ("lat=48.9&lon=2.3&kind=stage", "kind"),
            ("lat=48.9&lon=2.3&sector=Z", "sector"),
        ];
        for (query, field) in cases {
            let answer = app.get(&format!("/v1/offers/search?{query}"), token).await;
            assert_eq!(answer.invalid_fields(), [field], "{query}");
        }
        app.get("/v1/offers/search?lon=2.3", token)
            .await
            .expect(400);
    }
);

db_test!(
    async fn an_offer_written_by_another_process_reaches_this_ones_search(app: TestApp) {
        let other = app.sibling(|_| {}).await;
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let token = Some(company.token.as_str());
        let created = other
            .post(
                "/v1/offers",
                token,
                &offer_at("93066", "stage_3e", "N", "2027-W03"),
            )
            .await
            .expect(201);
        let around = "/v1/offers/search?lat=48.9362&lon=2.3574&radius_km=5";
        let mut found = false;
        for _ in 0..100 {
            if ids(&app.get(around, token).await.expect(200)) == [created["id"].as_str().unwrap()] {
                found = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            found,
            "the other process's offer never reached this one's index"
        );
        other
            .delete(
                &format!("/v1/offers/{}", created["id"].as_str().unwrap()),
                token,
            )
            .await
            .expect(204);
        let mut gone = false;
        for _ in 0..100 {
            if ids(&app.get(around, token).await.expect(200)).is_empty() {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(gone, "the archived offer stayed in this process's index");
    }
);
