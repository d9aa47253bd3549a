//! `/v1/offers`: a company's placement offers, their validation, scoping,
//! roles and the operators' idempotent upsert.
use crate::db_test;
use crate::helpers::{Member, TestApp, offer_body};
use entity::{offer, offer_week};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::HashSet;

const ALL_TRACKS: [&str; 4] = ["generale", "prepa_metiers", "segpa", "ulis"];

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id_of)
        .collect()
}

async fn create_offer(app: &TestApp, member: &Member, body: &Value) -> Value {
    app.post("/v1/offers", Some(&member.token), body)
        .await
        .expect(201)
}

async fn centroid(app: &TestApp, insee: &str) -> Value {
    app.get(&format!("/v1/communes/{insee}"), None)
        .await
        .expect(200)["location"]
        .clone()
}

/// Follows `next_cursor` from the first page to the last; each page's ids.
async fn pages(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Vec<String>> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit={limit}&cursor={c}"),
            None => format!("{path}{separator}limit={limit}"),
        };
        let page = app.get(&url, Some(token)).await.expect(200);
        pages.push(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
        assert!(pages.len() < 100, "the cursor never ends");
    }
}

async fn offers_in_database(app: &TestApp, remote_id: &str) -> Vec<offer::Model> {
    offer::Entity::find()
        .filter(offer::Column::RemoteId.eq(remote_id))
        .all(&app.db)
        .await
        .expect("query offers")
}

db_test!(
    async fn a_new_offer_sits_at_its_commune_open_to_every_track(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_offer(&app, &company, &offer_body()).await;

        assert_eq!(created["kind"], "stage_3e");
        assert_eq!(created["title"], "Découverte des métiers de la logistique");
        assert_eq!(created["sector"], "N");
        assert_eq!(created["commune_insee"], "93066");
        assert_eq!(
            created["location"],
            centroid(&app, "93066").await,
            "Saint-Denis' centroid"
        );
        assert_eq!(
            created["location"],
            json!({"lat": 48.92983, "lon": 2.35917})
        );
        assert_eq!(created["status"], "published");
        assert_eq!(created["tracks"], json!(ALL_TRACKS));
        assert_eq!(created["reserved_for_priority"], false);
        assert_eq!(created["accessible"], false);
        assert_eq!(created["group_size"], Value::Null);
        assert_eq!(created["remote_id"], Value::Null);
        assert_eq!(
            created["weeks"],
            json!([{"week": "2027-W03", "seats": 2}, {"week": "2027-W04", "seats": 1}])
        );
        assert_eq!(
            created["tutor"],
            json!({"name": "Camille Martin", "email": "camille.martin@example.fr"})
        );

        let read = app
            .get(
                &format!("/v1/offers/{}", id_of(&created)),
                Some(&company.token),
            )
            .await
            .expect(200);
        assert_eq!(
            read, created,
            "reading it back gives what the creation answered"
        );
    }
);

db_test!(
    async fn an_offer_keeps_the_location_status_and_options_it_was_given(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let mut body = offer_body();
        body["location"] = json!({"lat": 48.9245, "lon": 2.3601});
        body["status"] = json!("draft");
        body["reserved_for_priority"] = json!(true);
        body["accessible"] = json!(true);
        body["tracks"] = json!(["segpa", "ulis"]);
        body["tutor"]["email"] = json!("Camille.Martin@Example.FR");
        body["weeks"] = json!([{"week": "2027-W10", "seats": 1}, {"week": "2027-W02", "seats": 3}]);
        let created = create_offer(&app, &company, &body).await;
        assert_eq!(created["location"], json!({"lat": 48.9245, "lon": 2.3601}));
        assert_eq!(created["status"], "draft");
        assert_eq!(created["reserved_for_priority"], true);
        assert_eq!(created["accessible"], true);
        assert_eq!(created["tracks"], json!(["segpa", "ulis"]));
        assert_eq!(
            created["tutor"]["email"], "camille.martin@example.fr",
            "e-mails are normalised"
        );
        assert_eq!(
            created["weeks"],
            json!([{"week": "2027-W02", "seats": 3}, {"week": "2027-W10", "seats": 1}]),
            "weeks come back in calendar order"
        );
        // An overseas offer is in France too.
        let mut reunion = offer_body();
        reunion["commune_insee"] = json!("97411");
        reunion["location"] = json!({"lat": -20.8823, "lon": 55.4504});
        create_offer(&app, &company, &reunion).await;
    }
);

db_test!(
    async fn the_eligible_tracks_default_by_kind(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let cases: [(&str, Option<Value>, Value); 3] = [
            ("stage_3e", None, json!(ALL_TRACKS)),
            ("prepa_metiers", None, json!(["prepa_metiers"])),
            (
                "classe_entreprise",
                Some(json!({"min": 12, "max": 28})),
                json!(ALL_TRACKS),
            ),
        ];
        for (kind, group_size, tracks) in cases {
            let mut body = offer_body();
            body["kind"] = json!(kind);
            if let Some(g) = &group_size {
                body["group_size"] = g.clone();
            }
            let created = create_offer(&app, &company, &body).await;
            assert_eq!(created["kind"], kind);
            assert_eq!(created["tracks"], tracks, "{kind}");
            assert_eq!(
                created["group_size"],
                group_size.unwrap_or(Value::Null),
                "{kind}"
            );
        }
    }
);

db_test!(
    async fn a_company_lists_its_offers_filtered_by_kind_status_and_week(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let stage = create_offer(&app, &company, &offer_body()).await; // W03, W04, published
        let mut body = offer_body();
        body["kind"] = json!("prepa_metiers");
        body["status"] = json!("draft");
        body["weeks"] = json!([{"week": "2027-W05", "seats": 1}, {"week": "2027-W06", "seats": 1}]);
        let prepa = create_offer(&app, &company, &body).await;
        let mut body = offer_body();
        body["kind"] = json!("classe_entreprise");
        body["group_size"] = json!({"min": 10, "max": 25});
        body["weeks"] = json!([{"week": "2027-W03", "seats": 1}]);
        let classe = create_offer(&app, &company, &body).await;
        let mut body = offer_body();
        body["weeks"] = json!([{"week": "2027-W10", "seats": 4}]);
        let archived = create_offer(&app, &company, &body).await;
        app.delete(
            &format!("/v1/offers/{}", id_of(&archived)),
            Some(&company.token),
        )
        .await
        .expect(204);

        let cases = [
            ("", vec![&stage, &prepa, &classe, &archived]),
            ("?kind=stage_3e", vec![&stage, &archived]),
            ("?kind=prepa_metiers", vec![&prepa]),
            ("?kind=classe_entreprise", vec![&classe]),
            ("?status=draft", vec![&prepa]),
            ("?status=published", vec![&stage, &classe]),
            ("?status=archived", vec![&archived]),
            ("?week=2027-W03", vec![&stage, &classe]),
            ("?week=2027-W06", vec![&prepa]),
            ("?week=2027-W20", vec![]),
            (
                "?kind=stage_3e&status=published&week=2027-W04",
                vec![&stage],
            ),
        ];
        for (query, expected) in cases {
            let page = app
                .get(&format!("/v1/offers{query}"), Some(&company.token))
                .await
                .expect(200);
            let got: HashSet<String> = ids(&page).into_iter().collect();
            let want: HashSet<String> = expected.into_iter().map(id_of).collect();
            assert_eq!(got, want, "GET /v1/offers{query}");
            assert_eq!(page["next_cursor"], Value::Null, "{query}");
        }
        // Listed offers carry their weeks.
        let page = app
            .get("/v1/offers?kind=prepa_metiers", Some(&company.token))
            .await
            .expect(200);
        assert_eq!(page["items"][0], prepa);
    }
);

db_test!(
    async fn a_bad_list_filter_or_page_request_names_the_parameter(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let cases = [
            ("kind=internship", "kind"),
            ("status=deleted", "status"),
            ("week=2027-W53", "week"),
            ("week=2027-3", "week"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("cursor=not-a-cursor!", "cursor"),
            ("cursor=bm90LWEtdXVpZA", "cursor"),
        ];
        for (query, field) in cases {
            let response = app
                .get(&format!("/v1/offers?{query}"), Some(&company.token))
                .await;
            assert_eq!(
                response.invalid_fields(),
                [field],
                "?{query}: {}",
                response.text
            );
        }
    }
);

db_test!(
    async fn offers_are_paged_without_overlap_and_the_cursor_survives_new_offers(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let mut created = Vec::new();
        for i in 0..7 {
            let mut body = offer_body();
            body["title"] = json!(format!("Offre {i}"));
            created.push(id_of(&create_offer(&app, &company, &body).await));
        }
        let all = ids(&app
            .get("/v1/offers?limit=100", Some(&company.token))
            .await
            .expect(200));
        assert_eq!(
            all.iter().collect::<HashSet<_>>(),
            created.iter().collect::<HashSet<_>>()
        );

        let paged = pages(&app, &company.token, "/v1/offers", 3).await;
        assert_eq!(paged.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(
            paged.concat(),
            all,
            "the pages, in order, are the whole list once"
        );

        // The same walk again gives the same pages.
        assert_eq!(pages(&app, &company.token, "/v1/offers", 3).await, paged);

        // A cursor taken before a new offer still continues where it was.
        let first = app
            .get("/v1/offers?limit=3", Some(&company.token))
            .await
            .expect(200);
        let cursor = first["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_owned();
        let late = id_of(&create_offer(&app, &company, &offer_body()).await);
        let second = app
            .get(
                &format!("/v1/offers?limit=3&cursor={cursor}"),
                Some(&company.token),
            )
            .await
            .expect(200);
        assert_eq!(ids(&second), paged[1]);
        let after: Vec<String> = pages(&app, &company.token, "/v1/offers", 3).await.concat();
        assert_eq!(after.len(), 8);
        assert_eq!(after.iter().filter(|id| **id == late).count(), 1);

        // Filters and pages combine.
        let published = pages(&app, &company.token, "/v1/offers?status=published", 2).await;
        assert_eq!(published.concat(), after);
    }
);

db_test!(
    async fn a_patch_changes_only_the_fields_it_names(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_offer(&app, &company, &offer_body()).await;
        let path = format!("/v1/offers/{}", id_of(&created));

        let patched = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"title": "Nouvel intitulé", "accessible": true}),
            )
            .await
            .expect(200);
        assert_eq!(patched["title"], "Nouvel intitulé");
        assert_eq!(patched["accessible"], true);
        for unchanged in [
            "kind",
            "description",
            "sector",
            "address",
            "commune_insee",
            "location",
            "weeks",
            "tracks",
            "tutor",
            "status",
            "created_at",
        ] {
            assert_eq!(patched[unchanged], created[unchanged], "{unchanged}");
        }
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200),
            patched
        );

        // A new commune without a location moves the offer to its centroid.
        let moved = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"commune_insee": "23096"}),
            )
            .await
            .expect(200);
        assert_eq!(moved["commune_insee"], "23096");
        assert_eq!(moved["location"], centroid(&app, "23096").await);
        assert_ne!(moved["location"], created["location"]);

        // A new commune with a location keeps the location given.
        let placed = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"commune_insee": "93066", "location": {"lat": 48.93, "lon": 2.36}}),
            )
            .await
            .expect(200);
        assert_eq!(placed["location"], json!({"lat": 48.93, "lon": 2.36}));

        // The same commune again leaves the location alone.
        let same = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"commune_insee": "93066"}),
            )
            .await
            .expect(200);
        assert_eq!(same["location"], json!({"lat": 48.93, "lon": 2.36}));

        // Weeks are replaced as a whole, in the database too.
        let reweeked = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"weeks": [{"week": "2027-W20", "seats": 5}]}),
            )
            .await
            .expect(200);
        assert_eq!(reweeked["weeks"], json!([{"week": "2027-W20", "seats": 5}]));
        let rows = offer_week::Entity::find()
            .filter(
                offer_week::Column::OfferId.eq(created["id"]
                    .as_str()
                    .unwrap()
                    .parse::<uuid::Uuid>()
                    .unwrap()),
            )
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].week.as_str(), rows[0].seats), ("2027-W20", 5));

        // An empty patch changes nothing.
        let untouched = app
            .patch(&path, Some(&company.token), &json!({}))
            .await
            .expect(200);
        assert_eq!(untouched["weeks"], reweeked["weeks"]);
        assert_eq!(untouched["title"], "Nouvel intitulé");
    }
);

db_test!(
    async fn an_invalid_patch_is_refused_and_leaves_the_offer_as_it_was(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_offer(&app, &company, &offer_body()).await;
        let path = format!("/v1/offers/{}", id_of(&created));
        let cases: [(Value, &[&str]); 10] = [
            (json!({"title": ""}), &["title"]),
            (json!({"title": "  "}), &["title"]),
            (json!({"weeks": []}), &["weeks"]),
            (
                json!({"weeks": [{"week": "2027-W53", "seats": 1}]}),
                &["weeks[0].week"],
            ),
            (
                json!({"weeks": [{"week": "2027-W05", "seats": 0}]}),
                &["weeks[0].seats"],
            ),
            (
                json!({"group_size": {"min": 10, "max": 20}}),
                &["group_size"],
            ),
            (json!({"commune_insee": "99999"}), &["commune_insee"]),
            (
                json!({"location": {"lat": 51.5072, "lon": -0.1276}}),
                &["location"],
            ),
            (json!({"status": "deleted"}), &["status"]),
            (
                json!({"tutor": {"name": "A", "email": "nope"}}),
                &["tutor.email"],
            ),
        ];
        for (patch, fields) in cases {
            let response = app.patch(&path, Some(&company.token), &patch).await;
            assert_eq!(
                response.invalid_fields(),
                fields,
                "{patch}: {}",
                response.text
            );
        }
        let kind = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"kind": "prepa_metiers"}),
            )
            .await;
        assert_eq!(
            kind.status.as_u16(),
            422,
            "the kind of an offer is fixed: {}",
            kind.text
        );
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200),
            created
        );
    }
);

db_test!(
    async fn deleting_an_offer_archives_it_and_an_archived_offer_is_frozen(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_offer(&app, &company, &offer_body()).await;
        let path = format!("/v1/offers/{}", id_of(&created));

        let deleted = app.delete(&path, Some(&company.token)).await;
        assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
        let archived = app.get(&path, Some(&company.token)).await.expect(200);
        assert_eq!(archived["status"], "archived");
        assert_eq!(
            archived["weeks"], created["weeks"],
            "an archived offer keeps its content"
        );
        let row = offer::Entity::find_by_id(
            created["id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap(),
        )
        .one(&app.db)
        .await
        .unwrap()
        .expect("the row stays");
        assert_eq!(row.status, "archived");

        let patch = app
            .patch(&path, Some(&company.token), &json!({"title": "Encore"}))
            .await;
        assert_eq!(patch.status.as_u16(), 409, "{}", patch.text);
        assert_eq!(patch.headers["content-type"], "application/problem+json");
        let unarchive = app
            .patch(&path, Some(&company.token), &json!({"status": "published"}))
            .await;
        assert_eq!(unarchive.status.as_u16(), 409, "{}", unarchive.text);
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200)["status"],
            "archived"
        );
    }
);

type Change = fn(&mut Value);

fn set(body: &mut Value, pointer: &str, value: Value) {
    *body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} in the body")) = value;
}

db_test!(
    async fn every_invalid_offer_field_is_reported_by_its_path(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let cases: Vec<(&str, Change, &[&str])> = vec![
            (
                "an unknown kind",
                |b| set(b, "/kind", json!("internship")),
                &["kind"],
            ),
            (
                "a kind of the wrong type",
                |b| set(b, "/kind", json!(3)),
                &["kind"],
            ),
            (
                "an empty title",
                |b| set(b, "/title", json!("")),
                &["title"],
            ),
            (
                "a title of spaces",
                |b| set(b, "/title", json!("   ")),
                &["title"],
            ),
            (
                "a title too long",
                |b| set(b, "/title", json!("t".repeat(201))),
                &["title"],
            ),
            (
                "a description too long",
                |b| set(b, "/description", json!("d".repeat(5001))),
                &["description"],
            ),
            (
                "an empty address",
                |b| set(b, "/address", json!("")),
                &["address"],
            ),
            (
                "an address of spaces",
                |b| set(b, "/address", json!(" ")),
                &["address"],
            ),
            (
                "a sector out of A–N",
                |b| set(b, "/sector", json!("Z")),
                &["sector"],
            ),
            (
                "a sector of two letters",
                |b| set(b, "/sector", json!("AB")),
                &["sector"],
            ),
            (
                "an empty sector",
                |b| set(b, "/sector", json!("")),
                &["sector"],
            ),
            (
                "a commune code too short",
                |b| set(b, "/commune_insee", json!("9306")),
                &["commune_insee"],
            ),
            (
                "a commune code of letters",
                |b| set(b, "/commune_insee", json!("ABCDE")),
                &["commune_insee"],
            ),
            (
                "an unknown commune",
                |b| set(b, "/commune_insee", json!("99999")),
                &["commune_insee"],
            ),
            (
                "a location in London",
                |b| b["location"] = json!({"lat": 51.5072, "lon": -0.1276}),
                &["location"],
            ),
            (
                "a location at 0,0",
                |b| b["location"] = json!({"lat": 0.0, "lon": 0.0}),
                &["location"],
            ),
            (
                "a latitude beyond the pole",
                |b| b["location"] = json!({"lat": 95.0, "lon": 2.3}),
                &["location"],
            ),
            ("no weeks", |b| set(b, "/weeks", json!([])), &["weeks"]),
            (
                "too many weeks",
                |b| {
                    let weeks: Vec<Value> = (1..=61)
                        .map(|i| json!({"week": format!("{}-W{:02}", 2027 + i / 50, 1 + i % 50), "seats": 1}))
                        .collect();
                    set(b, "/weeks", json!(weeks))
                },
                &["weeks"],
            ),
            (
                "week 53 of a 52-week year",
                |b| set(b, "/weeks/0/week", json!("2027-W53")),
                &["weeks[0].week"],
            ),
            (
                "week 0",
                |b| set(b, "/weeks/0/week", json!("2027-W00")),
                &["weeks[0].week"],
            ),
            (
                "a week without W",
                |b| set(b, "/weeks/1/week", json!("2027-3")),
                &["weeks[1].week"],
            ),
            (
                "a week of one digit",
                |b| set(b, "/weeks/0/week", json!("2027-W3")),
                &["weeks[0].week"],
            ),
            (
                "a date instead of a week",
                |b| set(b, "/weeks/0/week", json!("2027-01-18")),
                &["weeks[0].week"],
            ),
            (
                "a week listed twice",
                |b| set(b, "/weeks/1/week", json!("2027-W03")),
                &["weeks[1].week"],
            ),
            (
                "zero seats",
                |b| set(b, "/weeks/0/seats", json!(0)),
                &["weeks[0].seats"],
            ),
            (
                "negative seats",
                |b| set(b, "/weeks/1/seats", json!(-1)),
                &["weeks[1].seats"],
            ),
            (
                "too many seats",
                |b| set(b, "/weeks/0/seats", json!(501)),
                &["weeks[0].seats"],
            ),
            (
                "seats as text",
                |b| set(b, "/weeks/0/seats", json!("two")),
                &["weeks[0].seats"],
            ),
            (
                "an unknown track",
                |b| b["tracks"] = json!(["lycee"]),
                &["tracks[0]"],
            ),
            (
                "a second track unknown",
                |b| b["tracks"] = json!(["generale", "cap"]),
                &["tracks[1]"],
            ),
            ("no track at all", |b| b["tracks"] = json!([]), &["tracks"]),
            (
                "a prepa_metiers offer open to other tracks",
                |b| {
                    set(b, "/kind", json!("prepa_metiers"));
                    b["tracks"] = json!(["prepa_metiers", "generale"]);
                },
                &["tracks"],
            ),
            (
                "a classe_entreprise without group size",
                |b| set(b, "/kind", json!("classe_entreprise")),
                &["group_size"],
            ),
            (
                "a group size on a stage_3e",
                |b| b["group_size"] = json!({"min": 10, "max": 20}),
                &["group_size"],
            ),
            (
                "a group size on a prepa_metiers",
                |b| {
                    set(b, "/kind", json!("prepa_metiers"));
                    b["group_size"] = json!({"min": 10, "max": 20});
                },
                &["group_size"],
            ),
            (
                "a group smaller than 8",
                |b| {
                    set(b, "/kind", json!("classe_entreprise"));
                    b["group_size"] = json!({"min": 7, "max": 20});
                },
                &["group_size"],
            ),
            (
                "a group larger than 30",
                |b| {
                    set(b, "/kind", json!("classe_entreprise"));
                    b["group_size"] = json!({"min": 8, "max": 31});
                },
                &["group_size"],
            ),
            (
                "a group minimum above its maximum",
                |b| {
                    set(b, "/kind", json!("classe_entreprise"));
                    b["group_size"] = json!({"min": 20, "max": 12});
                },
                &["group_size"],
            ),
            (
                "a negative group minimum",
                |b| {
                    set(b, "/kind", json!("classe_entreprise"));
                    b["group_size"] = json!({"min": -8, "max": 12});
                },
                &["group_size.min"],
            ),
            (
                "a tutor e-mail without @",
                |b| set(b, "/tutor/email", json!("camille.example.fr")),
                &["tutor.email"],
            ),
            (
                "an empty tutor name",
                |b| set(b, "/tutor/name", json!("")),
                &["tutor.name"],
            ),
            (
                "a tutor name of spaces",
                |b| set(b, "/tutor/name", json!("  ")),
                &["tutor.name"],
            ),
            (
                "an unknown status",
                |b| b["status"] = json!("deleted"),
                &["status"],
            ),
            (
                "several problems at once",
                |b| {
                    set(b, "/kind", json!("internship"));
                    set(b, "/sector", json!("Z"));
                    set(b, "/weeks/1/week", json!("2027-W99"));
                    b["status"] = json!("live");
                },
                &["kind", "sector", "status", "weeks[1].week"],
            ),
        ];
        for (what, change, fields) in cases {
            let mut body = offer_body();
            change(&mut body);
            let response = app.post("/v1/offers", Some(&company.token), &body).await;
            assert_eq!(
                response.invalid_fields(),
                fields,
                "{what}: {}",
                response.text
            );
            assert_eq!(
                response.headers["content-type"], "application/problem+json",
                "{what}"
            );
            assert_eq!(response.body["status"], 422, "{what}");
        }
        let none = app
            .get("/v1/offers", Some(&company.token))
            .await
            .expect(200);
        assert_eq!(none["items"], json!([]), "no invalid offer was stored");
    }
);

db_test!(
    async fn a_missing_or_unknown_field_is_a_422_and_malformed_json_a_400(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        for field in [
            "kind",
            "title",
            "sector",
            "address",
            "commune_insee",
            "weeks",
            "tutor",
        ] {
            let mut body = offer_body();
            body.as_object_mut().unwrap().remove(field);
            let response = app.post("/v1/offers", Some(&company.token), &body).await;
            assert_eq!(
                response.invalid_fields(),
                [field],
                "without {field}: {}",
                response.text
            );
        }
        let mut body = offer_body();
        body.as_object_mut().unwrap().remove("description");
        create_offer(&app, &company, &body).await;

        let mut body = offer_body();
        body["colour"] = json!("blue");
        let unknown = app.post("/v1/offers", Some(&company.token), &body).await;
        assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.text);
        assert!(unknown.text.contains("colour"), "{}", unknown.text);

        let trailing = format!("{} trailing", offer_body());
        for raw in [
            "{\"kind\": \"stage_3e\",",
            "not json",
            "",
            trailing.as_str(),
        ] {
            let response = app
                .client
                .post(format!("{}/v1/offers", app.address))
                .bearer_auth(&company.token)
                .header("content-type", "application/json")
                .body(raw.to_owned())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 400, "{raw:?}");
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["status"], 400);
        }
    }
);

db_test!(
    async fn another_company_can_neither_see_nor_change_an_offer(app: TestApp) {
        let admin = app.admin().await;
        let owner = app.company(&admin).await;
        let other = app.company(&admin).await;
        let created = create_offer(&app, &owner, &offer_body()).await;
        let path = format!("/v1/offers/{}", id_of(&created));
        let theirs = create_offer(&app, &other, &offer_body()).await;

        let get = app.get(&path, Some(&other.token)).await;
        assert_eq!(get.status.as_u16(), 404, "{}", get.text);
        assert_eq!(get.headers["content-type"], "application/problem+json");
        app.patch(&path, Some(&other.token), &json!({"title": "Volé"}))
            .await
            .expect(404);
        app.delete(&path, Some(&other.token)).await.expect(404);
        // An invalid patch is still a 404, not a validation leak.
        app.patch(&path, Some(&other.token), &json!({"title": ""}))
            .await
            .expect(404);

        let listed = ids(&app.get("/v1/offers", Some(&other.token)).await.expect(200));
        assert_eq!(listed, [id_of(&theirs)]);
        let listed = ids(&app.get("/v1/offers", Some(&owner.token)).await.expect(200));
        assert_eq!(listed, [id_of(&created)]);
        assert_eq!(
            app.get(&path, Some(&owner.token)).await.expect(200),
            created,
            "untouched"
        );

        let unknown = format!("/v1/offers/{}", uuid::Uuid::now_v7());
        app.get(&unknown, Some(&owner.token)).await.expect(404);
        app.patch(&unknown, Some(&owner.token), &json!({"title": "x"}))
            .await
            .expect(404);
        app.delete(&unknown, Some(&owner.token)).await.expect(404);
        app.get("/v1/offers/not-a-uuid", Some(&owner.token))
            .await
            .expect(404);
    }
);

db_test!(
    async fn only_company_users_may_work_on_offers(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let created = create_offer(&app, &company, &offer_body()).await;
        let path = format!("/v1/offers/{}", id_of(&created));
        let school = app.school(&admin, "0010002X").await;
        let coordinator = app.coordinator(&admin).await;
        for (who, token) in [
            ("school", &school.token),
            ("coordinator", &coordinator.token),
            ("admin", &admin),
        ] {
            let token = Some(token.as_str());
            let answers = [
                ("POST", app.post("/v1/offers", token, &offer_body()).await),
                ("GET list", app.get("/v1/offers", token).await),
                ("GET", app.get(&path, token).await),
                (
                    "PATCH",
                    app.patch(&path, token, &json!({"title": "x"})).await,
                ),
                ("DELETE", app.delete(&path, token).await),
                (
                    "PUT external",
                    app.put("/v1/offers/external/abc", token, &offer_body())
                        .await,
                ),
            ];
            for (what, response) in answers {
                assert_eq!(
                    response.status.as_u16(),
                    403,
                    "{who} {what}: {}",
                    response.text
                );
                assert_eq!(response.headers["content-type"], "application/problem+json");
            }
        }
        let answers = [
            app.post("/v1/offers", None, &offer_body()).await,
            app.get("/v1/offers", None).await,
            app.get(&path, None).await,
            app.patch(&path, None, &json!({"title": "x"})).await,
            app.delete(&path, None).await,
            app.put("/v1/offers/external/abc", None, &offer_body())
                .await,
        ];
        for response in answers {
            assert_eq!(response.status.as_u16(), 401, "{}", response.text);
            assert_eq!(response.headers["content-type"], "application/problem+json");
            assert_eq!(response.body["status"], 401);
        }
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200),
            created,
            "untouched"
        );
        assert_eq!(offer::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);

db_test!(
    async fn an_expired_forged_or_unsigned_token_is_refused(app: TestApp) {
        use api::auth::{JwtKeys, SubjectKind};
        use api::domain::Role;
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        const SECRET: &str = "a test signing key of more than 32 bytes";
        let backend = app.backend.clone();
        drop(app);
        let app = TestApp::spawn_with(backend, |s| {
            s.auth.jwt_secret = Some(secrecy::SecretString::from(SECRET));
        })
        .await;
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let org: uuid::Uuid = company.organisation_id.parse().unwrap();
        let sub = uuid::Uuid::now_v7();
        let sign = |secret: &str, ttl: i64| {
            JwtKeys::new(secret.as_bytes(), ttl)
                .unwrap()
                .issue(sub, Role::Company, Some(org), SubjectKind::User)
                .unwrap()
        };
        // The key is the one the server uses: a fresh token of ours works.
        app.get("/v1/offers", Some(&sign(SECRET, 300)))
            .await
            .expect(200);

        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": sub, "role": "company", "org": org, "kind": "user", "iat": now, "exp": now + 300});
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let unsigned = format!(
            "{}.{}.",
            encode(&json!({"alg": "none", "typ": "JWT"})),
            encode(&claims)
        );
        let valid = sign(SECRET, 300);
        let (head, _) = valid.rsplit_once('.').unwrap();
        let mut tampered_claims = claims.clone();
        tampered_claims["role"] = json!("admin");
        let tampered = format!(
            "{}.{}.{}",
            head.split('.').next().unwrap(),
            encode(&tampered_claims),
            valid.rsplit('.').next().unwrap()
        );
        let cases = [
            ("expired", sign(SECRET, -120)),
            (
                "signed with another key",
                sign("another signing key, also 32+ bytes long", 300),
            ),
            ("alg none", unsigned),
            ("claims changed after signing", tampered),
            ("garbage", "not.a.token".to_owned()),
            ("empty", String::new()),
        ];
        for (what, token) in cases {
            let response = app.get("/v1/offers", Some(&token)).await;
            assert_eq!(response.status.as_u16(), 401, "{what}: {}", response.text);
            assert_eq!(
                response.headers["content-type"], "application/problem+json",
                "{what}"
            );
        }
    }
);

db_test!(
    async fn putting_the_same_external_offer_twice_leaves_one_offer(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let path = "/v1/offers/external/op-42:stage.2027";

        let first = app
            .put(path, Some(&company.token), &offer_body())
            .await
            .expect(201);
        assert_eq!(first["remote_id"], "op-42:stage.2027");
        let again = app
            .put(path, Some(&company.token), &offer_body())
            .await
            .expect(200);
        assert_eq!(again["id"], first["id"]);
        for field in [
            "kind",
            "title",
            "location",
            "weeks",
            "tracks",
            "status",
            "tutor",
            "created_at",
        ] {
            assert_eq!(again[field], first[field], "{field}");
        }
        let listed = app
            .get("/v1/offers", Some(&company.token))
            .await
            .expect(200);
        assert_eq!(ids(&listed), [id_of(&first)]);
        assert_eq!(offers_in_database(&app, "op-42:stage.2027").await.len(), 1);
        assert_eq!(offer::Entity::find().count(&app.db).await.unwrap(), 1);

        // A different body updates the same offer.
        let mut body = offer_body();
        body["title"] = json!("Logistique — nouvelle session");
        body["weeks"] = json!([{"week": "2027-W12", "seats": 3}]);
        let updated = app.put(path, Some(&company.token), &body).await.expect(200);
        assert_eq!(updated["id"], first["id"]);
        assert_eq!(updated["title"], "Logistique — nouvelle session");
        assert_eq!(updated["weeks"], json!([{"week": "2027-W12", "seats": 3}]));
        let rows = offers_in_database(&app, "op-42:stage.2027").await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].title, "Logistique — nouvelle session");
        let weeks = offer_week::Entity::find()
            .filter(offer_week::Column::OfferId.eq(rows[0].id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(weeks.len(), 1, "the old weeks are gone");
        assert_eq!(
            app.get(
                &format!("/v1/offers/{}", id_of(&first)),
                Some(&company.token)
            )
            .await
            .expect(200),
            updated
        );

        // An upserted offer is an ordinary offer otherwise.
        let created = create_offer(&app, &company, &offer_body()).await;
        assert_eq!(created["remote_id"], Value::Null);
        assert_eq!(offer::Entity::find().count(&app.db).await.unwrap(), 2);

        let invalid = app
            .put(path, Some(&company.token), &json!({"kind": "stage_3e"}))
            .await;
        assert_eq!(invalid.status.as_u16(), 422, "{}", invalid.text);
        let mut body = offer_body();
        body["weeks"][0]["week"] = json!("2027-W53");
        let invalid = app.put(path, Some(&company.token), &body).await;
        assert_eq!(invalid.invalid_fields(), ["weeks[0].week"]);
        assert_eq!(
            offers_in_database(&app, "op-42:stage.2027").await[0].title,
            "Logistique — nouvelle session"
        );
    }
);

db_test!(
    async fn the_same_remote_id_in_two_companies_is_two_offers(app: TestApp) {
        let admin = app.admin().await;
        let first = app.company(&admin).await;
        let second = app.company(&admin).await;
        let path = "/v1/offers/external/shared-id-1";
        let a = app
            .put(path, Some(&first.token), &offer_body())
            .await
            .expect(201);
        let b = app
            .put(path, Some(&second.token), &offer_body())
            .await
            .expect(201);
        assert_ne!(a["id"], b["id"]);
        let rows = offers_in_database(&app, "shared-id-1").await;
        assert_eq!(rows.len(), 2);
        let owners: HashSet<String> = rows.iter().map(|r| r.organisation_id.to_string()).collect();
        assert_eq!(
            owners,
            HashSet::from([
                first.organisation_id.clone(),
                second.organisation_id.clone()
            ])
        );

        // Each company's PUT touches its own offer only.
        let mut body = offer_body();
        body["title"] = json!("Seulement chez le second");
        app.put(path, Some(&second.token), &body).await.expect(200);
        let a_now = app
            .get(&format!("/v1/offers/{}", id_of(&a)), Some(&first.token))
            .await
            .expect(200);
        assert_eq!(a_now["title"], offer_body()["title"]);
        assert_eq!(
            ids(&app.get("/v1/offers", Some(&first.token)).await.expect(200)),
            [id_of(&a)]
        );
    }
);

db_test!(
    async fn an_invalid_remote_id_is_refused(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let too_long = "r".repeat(129);
        for remote_id in [
            "with%20space",
            "caf%C3%A9",
            "semi%3Bcolon",
            "quote%22",
            too_long.as_str(),
        ] {
            let response = app
                .put(
                    &format!("/v1/offers/external/{remote_id}"),
                    Some(&company.token),
                    &offer_body(),
                )
                .await;
            assert_eq!(
                response.invalid_fields(),
                ["remote_id"],
                "{remote_id}: {}",
                response.text
            );
        }
        let longest = "r".repeat(128);
        app.put(
            &format!("/v1/offers/external/{longest}"),
            Some(&company.token),
            &offer_body(),
        )
        .await
        .expect(201);
        assert_eq!(offer::Entity::find().count(&app.db).await.unwrap(), 1);
    }
);

db_test!(
    async fn concurrent_puts_of_one_remote_id_leave_exactly_one_offer(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let path = "/v1/offers/external/race-1";
        let bodies: Vec<Value> = (0..8)
            .map(|i| {
                let mut body = offer_body();
                body["title"] = json!(format!("Version {i}"));
                body
            })
            .collect();
        let responses = futures::future::join_all(
            bodies
                .iter()
                .map(|body| app.put(path, Some(&company.token), body)),
        )
        .await;
        let statuses: Vec<u16> = responses.iter().map(|r| r.status.as_u16()).collect();
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 201),
            "{statuses:?}: {:?}",
            responses.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "one creation: {statuses:?}"
        );
        let answered: HashSet<&Value> = responses.iter().map(|r| &r.body["id"]).collect();
        assert_eq!(answered.len(), 1, "every answer names the same offer");

        let rows = offers_in_database(&app, "race-1").await;
        assert_eq!(rows.len(), 1);
        assert!(rows[0].title.starts_with("Version "));
        let weeks = offer_week::Entity::find()
            .filter(offer_week::Column::OfferId.eq(rows[0].id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(weeks, 2, "one set of weeks, not a mix of several writes");
        assert_eq!(
            ids(&app
                .get("/v1/offers", Some(&company.token))
                .await
                .expect(200))
            .len(),
            1
        );
    }
);

db_test!(
    /// PATCH is a JSON merge patch: `null` clears an optional field (or puts
    /// its creation default back), and `null` on a required field is a 422
    /// that changes nothing.
    async fn a_patch_clears_optional_offer_fields_with_null(app: TestApp) {
        let admin = app.admin().await;
        let company = app.company(&admin).await;
        let plain = create_offer(&app, &company, &offer_body()).await;
        let mut body = offer_body();
        body["location"] = json!({"lat": 48.93, "lon": 2.36});
        body["tracks"] = json!(["generale"]);
        body["accessible"] = json!(true);
        body["reserved_for_priority"] = json!(true);
        let created = create_offer(&app, &company, &body).await;
        assert_ne!(created["tracks"], plain["tracks"]);
        let path = format!("/v1/offers/{}", id_of(&created));
        let cleared = app
            .patch(
                &path,
                Some(&company.token),
                &json!({"location": null, "tracks": null, "description": null,
                        "accessible": null, "reserved_for_priority": null}),
            )
            .await
            .expect(200);
        assert_eq!(cleared["location"], centroid(&app, "93066").await);
        assert_eq!(cleared["tracks"], plain["tracks"], "the kind's default");
        assert_eq!(cleared["description"], "");
        assert_eq!(cleared["accessible"], false);
        assert_eq!(cleared["reserved_for_priority"], false);
        for required in [
            "title",
            "sector",
            "address",
            "commune_insee",
            "weeks",
            "tutor",
            "status",
        ] {
            assert_eq!(cleared[required], created[required], "{required} is kept");
            let answer = app
                .patch(&path, Some(&company.token), &json!({ required: null }))
                .await;
            assert_eq!(answer.invalid_fields(), vec![required.to_owned()]);
        }
        assert_eq!(
            app.get(&path, Some(&company.token)).await.expect(200),
            cleared
        );
    }
);
