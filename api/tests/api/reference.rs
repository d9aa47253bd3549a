use crate::db_test;
use entity::{college, commune};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

db_test!(
    async fn the_importer_loads_every_real_row_with_the_documented_counts(app: TestApp) {
        // The template database was filled by the importer from shared/data.
        assert_eq!(college::Entity::find().count(&app.db).await.unwrap(), 7654);
        assert_eq!(commune::Entity::find().count(&app.db).await.unwrap(), 34920);
        let count = |ep: &'static str| {
            let db = app.db.clone();
            async move {
                college::Entity::find()
                    .filter(college::Column::EducationPrioritaire.eq(ep))
                    .count(&db)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(count("REP+").await, 360);
        assert_eq!(count("REP").await, 727);
        assert_eq!(count("HORS_EP").await, 5815);
        let unknown = college::Entity::find()
            .filter(college::Column::EducationPrioritaire.is_null())
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(unknown, 752);
        let without_position = college::Entity::find()
            .filter(college::Column::Lat.is_null())
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(without_position, 147);
        let rural = commune::Entity::find()
            .filter(commune::Column::Frr.eq(true))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(rural, 13_313 + 4_456, "FRR and FRR+ communes");
    }
);

db_test!(
    async fn re_importing_updates_in_place_and_reports_the_odd_rows(app: TestApp) {
        let report = api::reference::import_dir(&app.db, &reference_dir())
            .await
            .unwrap();
        assert_eq!(report.communes.rows, 34920);
        assert_eq!(report.communes.imported, 34920);
        assert_eq!(report.colleges.rows, 7654);
        assert_eq!(report.colleges.imported, 7654);
        assert_eq!(report.colleges.missing_coordinates, 147);
        assert_eq!(report.colleges.unknown_commune, 117);
        assert!(
            report.colleges.far_from_commune >= 1,
            "0121517J is ~284 km from its commune"
        );
        let printed = report.to_string();
        assert!(printed.contains("0121517J"), "{printed}");
        assert_eq!(
            college::Entity::find().count(&app.db).await.unwrap(),
            7654,
            "no duplicates"
        );
        assert_eq!(
            commune::Entity::find().count(&app.db).await.unwrap(),
            34920,
            "no duplicates"
        );
    }
);

db_test!(
    async fn a_school_is_served_with_its_priority_tier(app: TestApp) {
        let rep_plus = college::Entity::find()
            .filter(college::Column::EducationPrioritaire.eq("REP+"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let body = app
            .get(&format!("/v1/schools/{}", rep_plus.uai), None)
            .await
            .expect(200);
        assert_eq!(body["uai"], rep_plus.uai.as_str());
        assert_eq!(body["education_prioritaire"], "REP+");
        assert_eq!(body["priority"], "rep_plus");

        app.get("/v1/schools/0010002Y", None).await.expect(404);
        app.get("/v1/schools/9999999Z", None).await.expect(404);
    }
);

db_test!(
    async fn schools_near_a_point_come_nearest_first_within_the_radius(app: TestApp) {
        // Saint-Denis (93), dense in REP+ collèges.
        let body = app
            .get(
                "/v1/schools?near=48.9362,2.3574&radius_km=3&limit=100",
                None,
            )
            .await
            .expect(200);
        let items = body["items"].as_array().unwrap();
        assert!(items.len() > 5, "{body}");
        let distances: Vec<f64> = items
            .iter()
            .map(|s| s["distance_km"].as_f64().unwrap())
            .collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
        assert!(distances.iter().all(|d| *d <= 3.0));

        let first_page = app
            .get("/v1/schools?near=48.9362,2.3574&radius_km=3&limit=2", None)
            .await
            .expect(200);
        let cursor = first_page["next_cursor"].as_str().expect("a second page");
        let second = app
            .get(
                &format!("/v1/schools?near=48.9362,2.3574&radius_km=3&limit=2&cursor={cursor}"),
                None,
            )
            .await
            .expect(200);
        assert_eq!(second["items"][0]["uai"], items[2]["uai"]);

        let bad = app.get("/v1/schools?near=51.5,-0.12", None).await;
        assert_eq!(bad.invalid_fields(), ["near"]);
        let bad = app
            .get("/v1/schools?near=48.9,2.3&radius_km=500", None)
            .await;
        assert_eq!(bad.invalid_fields(), ["radius_km"]);
        let neither = app.get("/v1/schools", None).await;
        assert_eq!(neither.status.as_u16(), 422);
    }
);

db_test!(
    async fn schools_of_a_departement_are_paged_without_overlap(app: TestApp) {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/schools?departement=023&limit=7&cursor={c}"),
                None => "/v1/schools?departement=023&limit=7".to_owned(),
            };
            let body = app.get(&path, None).await.expect(200);
            for s in body["items"].as_array().unwrap() {
                assert_eq!(s["departement"], "023");
                seen.push(s["uai"].as_str().unwrap().to_owned());
            }
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let expected = college::Entity::find()
            .filter(college::Column::Departement.eq("023"))
            .count(&app.db)
            .await
            .unwrap();
        let mut unique = seen.clone();
        unique.dedup();
        assert_eq!(unique.len() as u64, expected);
        assert_eq!(seen.len() as u64, expected);
        app.get("/v1/schools?departement=023&cursor=!!notacursor", None)
            .await
            .invalid_fields();
    }
);

db_test!(
    async fn communes_say_whether_they_are_rural_priority_zones(app: TestApp) {
        let gueret = app.get("/v1/communes/23096", None).await.expect(200);
        assert_eq!(gueret["name"], "Guéret");
        let saint_denis = app.get("/v1/communes/93066", None).await.expect(200);
        assert_eq!(saint_denis["rural"], false);
        let rural = commune::Entity::find()
            .filter(commune::Column::Frr.eq(true))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let body = app
            .get(&format!("/v1/communes/{}", rural.insee), None)
            .await
            .expect(200);
        assert_eq!(body["rural"], true);
        app.get("/v1/communes/00000", None).await.expect(404);
        app.get("/v1/communes/not-a-code", None).await.expect(404);
    }
);

db_test!(
    async fn sectors_list_the_fourteen_rome_grands_domaines(app: TestApp) {
        let body = app.get("/v1/sectors", None).await.expect(200);
        let codes: Vec<&str> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N"
            ]
        );
    }
);
