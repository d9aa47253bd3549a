//! The State export: line by line, pseudonyms recomputed from the key,
//! filters, isolation, an erased mentee still reported without personal
//! data, and an export larger than one database page.
use crate::helpers::*;
use crate::mentoring_stats::{TODAY, scenario};
use api::clock::Clock;
use api::store::pairing_export::{KEY_SETTING, pseudonym};
use chrono::Utc;
use entity::{mentee, pairing, setting};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

const HEADER: &str = "pairing_ref,mentee_ref,mentor_ref,start_date,end_date,priority,departement,status,end_reason,meetings";

async fn export(app: &TestApp, token: &str, query: &str) -> Response {
    app.get(&format!("/v1/pairings/export.csv{query}"), Some(token))
        .await
}

fn uuid(v: &Value) -> Uuid {
    v.as_str().expect("a uuid").parse().expect("a uuid")
}

/// The line the export must hold for a pairing answer of the API.
fn line(
    key: &[u8],
    p: &Value,
    start: &str,
    end: &str,
    tier: &str,
    dep: &str,
    meetings: u32,
) -> String {
    format!(
        "{},{},{},{start},{end},{tier},{dep},{},{},{meetings}",
        pseudonym(key, "pairing", uuid(&p["id"])),
        pseudonym(key, "mentee", uuid(&p["mentee"]["id"])),
        pseudonym(key, "mentor", uuid(&p["mentor"]["id"])),
        p["status"].as_str().unwrap(),
        p["end_reason"].as_str().unwrap_or(""),
    )
}

/// The rows of an export, header checked and left out.
fn rows(response: &Response) -> Vec<String> {
    assert_eq!(response.status.as_u16(), 200, "{}", response.text);
    let mut lines = response.text.lines().map(str::to_owned);
    assert_eq!(lines.next().as_deref(), Some(HEADER));
    lines.collect()
}

crate::clocked_test!(
    async fn the_export_holds_one_anonymous_line_per_pairing_of_the_structure(
        app: TestApp,
        clock: Clock,
    ) {
        let admin = app.admin().await;
        let ours = app.coordinator(&admin).await;
        let theirs = app.coordinator(&admin).await;
        let token = ours.token.as_str();
        let s = scenario(&app, token, &theirs.token, &clock).await;
        // Read the pairings back as they are now (ended, declined...).
        let mut now = Vec::new();
        for p in &s.pairings {
            let path = format!("/v1/pairings/{}", p["id"].as_str().unwrap());
            now.push(app.get(&path, Some(token)).await.expect(200));
        }

        let response = export(&app, token, "").await;
        assert_eq!(
            response.headers["content-type"].to_str().unwrap(),
            "text/csv; charset=utf-8"
        );
        let disposition = response.headers["content-disposition"].to_str().unwrap();
        assert_eq!(
            disposition,
            format!("attachment; filename=\"binomes-{TODAY}.csv\"")
        );
        let key = setting::Entity::find_by_id(KEY_SETTING.to_owned())
            .one(&app.db)
            .await
            .unwrap()
            .expect("a key generated on first export")
            .value
            .into_bytes();
        let mut expected = vec![
            line(&key, &now[0], "2027-01-04", "", "standard", "93", 2),
            line(&key, &now[1], "2026-10-01", "2027-05-01", "rural", "23", 0),
            line(
                &key,
                &now[2],
                "2027-02-10",
                "2027-04-10",
                "rep_plus",
                "93",
                1,
            ),
            line(&key, &now[3], "2027-06-01", "", "standard", "93", 0),
            line(&key, &now[4], "", "", "rural", "23", 0),
            line(&key, &now[5], "", "", "standard", "93", 0),
            line(&key, &now[6], "2027-03-15", TODAY, "rep_plus", "93", 0),
        ];
        // In id order.
        let mut order: Vec<(Uuid, String)> = now
            .iter()
            .map(|p| uuid(&p["id"]))
            .zip(expected.drain(..))
            .collect();
        order.sort();
        let expected: Vec<String> = order.into_iter().map(|(_, l)| l).collect();
        assert_eq!(rows(&response), expected);
        assert!(
            expected
                .iter()
                .any(|l| l.ends_with(",ended,mentee_withdrew,0"))
        );

        // Nothing that names or identifies anyone, the erased mentee included.
        for p in &now {
            for id in [&p["id"], &p["mentee"]["id"], &p["mentor"]["id"]] {
                assert!(!response.text.contains(id.as_str().unwrap()));
            }
            if let Some(name) = p["mentee"]["name"].as_str() {
                let last = name.split(' ').next_back().unwrap();
                assert!(!response.text.contains(last), "{last} in the export");
            }
        }
        for word in ["Suivi", "Lina", "Sami", "@"] {
            assert!(!response.text.contains(word), "{word} in the export");
        }
        assert!(response.text.contains(&pseudonym(
            &key,
            "mentee",
            s.erased_mentee.parse().unwrap()
        )));
        // Another structure's pairing is not there; the same export is stable.
        assert!(
            !response
                .text
                .contains(&pseudonym(&key, "pairing", uuid(&s.other["id"])))
        );
        assert_eq!(export(&app, token, "").await.text, response.text);
        let theirs_rows = rows(&export(&app, &theirs.token, "").await);
        assert_eq!(theirs_rows.len(), 1);
        assert!(theirs_rows[0].starts_with(&pseudonym(&key, "pairing", uuid(&s.other["id"]))));

        // Filters.
        let ended = rows(&export(&app, token, "?status=ended").await);
        assert_eq!(ended.len(), 3);
        assert!(ended.iter().all(|l| l.contains(",ended,")));
        let q1 = rows(
            &export(
                &app,
                token,
                "?started_from=2027-01-01&started_to=2027-03-31",
            )
            .await,
        );
        let starts: Vec<&str> = q1.iter().map(|l| l.split(',').nth(3).unwrap()).collect();
        let mut sorted = starts.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["2027-01-04", "2027-02-10", "2027-03-15"]);
        let wrong = export(&app, token, "?status=finished").await;
        assert_eq!(wrong.invalid_fields(), vec!["status"]);
        let backwards = export(
            &app,
            token,
            "?started_from=2027-03-01&started_to=2027-01-01",
        )
        .await;
        assert_eq!(backwards.invalid_fields(), vec!["started_to"]);
        assert_eq!(export(&app, &admin, "").await.status.as_u16(), 403);
    }
);

crate::clocked_test!(
    |s| {
        s.mentoring.export_secret = Some("a configured export key of 32+ chars".to_owned().into());
    },
    async fn a_large_export_streams_every_page_with_the_configured_key(app: TestApp, clock: Clock) {
        let admin = app.admin().await;
        let ours = app.coordinator(&admin).await;
        let org: Uuid = ours.organisation_id.parse().unwrap();
        let _ = clock;
        // More than two database pages, written directly: the HTTP path of
        // each pairing is tested above.
        let total = 1_234;
        let now = Utc::now();
        let mut ids = Vec::with_capacity(total);
        // Erased mentees: what is left of them is enough for the export.
        let mentee_ids: Vec<Uuid> = (0..total).map(|_| Uuid::now_v7()).collect();
        let mentees: Vec<mentee::ActiveModel> = mentee_ids
            .iter()
            .map(|id| mentee::ActiveModel {
                id: Set(*id),
                organisation_id: Set(org),
                identity_hash: Set(None),
                first_name: Set(None),
                last_name: Set(None),
                email: Set(None),
                birth_year: Set(None),
                situation: Set("lyceen".into()),
                school_uai: Set(None),
                commune_insee: Set(None),
                departement: Set("2A".into()),
                qpv: Set(false),
                needs: Set(json!([])),
                interests: Set(json!([])),
                remote_ok: Set(false),
                available_from: Set(None),
                priority: Set("standard".into()),
                erased_at: Set(Some(now)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        for chunk in mentees.chunks(200) {
            mentee::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&app.db)
                .await
                .expect("insert mentees");
        }
        let models: Vec<pairing::ActiveModel> = (0..total)
            .map(|i| {
                let id = Uuid::now_v7();
                ids.push(id);
                pairing::ActiveModel {
                    id: Set(id),
                    organisation_id: Set(org),
                    mentee_id: Set(mentee_ids[i]),
                    mentor_id: Set(None),
                    open_mentee_id: Set(None),
                    status: Set("declined".into()),
                    origin: Set("manual".into()),
                    priority: Set(if i % 2 == 0 { "qpv" } else { "standard" }.into()),
                    departement: Set("2A".into()),
                    distance_km: Set(None),
                    remote: Set(false),
                    start_date: Set(None),
                    end_date: Set(None),
                    end_reason: Set(None),
                    closing_note: Set(None),
                    proposed_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
            })
            .collect();
        for chunk in models.chunks(200) {
            pairing::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&app.db)
                .await
                .expect("insert pairings");
        }
        let key = b"a configured export key of 32+ chars";
        let response = export(&app, &ours.token, "").await;
        // Streamed: sent in chunks, its length unknown when the answer starts.
        assert!(response.headers.get("content-length").is_none());
        assert_eq!(response.headers["transfer-encoding"], "chunked");
        let rows = rows(&response);
        assert_eq!(rows.len(), total);
        ids.sort();
        let refs: Vec<&str> = rows.iter().map(|l| l.split(',').next().unwrap()).collect();
        let expected: Vec<String> = ids
            .iter()
            .map(|id| pseudonym(key, "pairing", *id))
            .collect();
        assert_eq!(
            refs, expected,
            "every pairing once, in id order, across pages"
        );
        assert!(rows.iter().all(|l| l.ends_with(",2A,declined,,0")
            && (l.contains(",,,,qpv,") || l.contains(",,,,standard,"))));
    }
);
