//! The placement statistics timed on a national-sized table.
use crate::helpers::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;
use uuid::Uuid;

/// The statistics on a national-sized table, PostgreSQL only, timed:
/// `TEST_DATABASE_URL=… PLACEMENT_STATS_ROWS=100000 cargo test -p api --test api
/// placement_stats_at_scale -- --ignored --nocapture`. It prints the timings
/// and asserts only that the figures add up to the rows written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "seeds a national-sized table; run by hand to time the statistics"]
async fn placement_stats_at_scale() {
    let Some(backend) = Backend::postgres() else {
        eprintln!("TEST_DATABASE_URL is not set: nothing to time");
        return;
    };
    let rows: i64 = std::env::var("PLACEMENT_STATS_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let company: Uuid = app.company(&admin).await.organisation_id.parse().unwrap();
    let db = &app.db;
    let started = std::time::Instant::now();
    let kinds = "(ARRAY['stage_3e', 'prepa_metiers', 'classe_entreprise'])";
    for sql in [
        "INSERT INTO organisation (id, kind, name, siret, uai, created_at)
         SELECT gen_random_uuid(), 'school', 'Collège ' || uai, NULL, uai, now()
         FROM college ORDER BY uai LIMIT 3000"
            .to_owned(),
        format!(
            "INSERT INTO offer (id, organisation_id, remote_id, kind, title, description, sector,
                address, commune_insee, lat, lon, tracks, reserved_for_priority, group_min,
                group_max, accessible, tutor_name, tutor_email, status, created_at, updated_at)
             SELECT gen_random_uuid(), '{company}', NULL, {kinds}[1 + i % 3], 'Offre', '', 'D',
                '', insee, lat, lon, '[]'::json, false, NULL, NULL, false, 'Tuteur',
                'tuteur@example.com', CASE WHEN i % 10 = 0 THEN 'draft' ELSE 'published' END,
                now(), now()
             FROM (SELECT insee, lat, lon, row_number() OVER (ORDER BY insee) AS i
                   FROM commune LIMIT 30000) c"
        ),
        "INSERT INTO offer_week (offer_id, week, seats)
         SELECT o.id, w, 1 + floor(random() * 10)::int
         FROM offer o CROSS JOIN (VALUES ('2027-W03'), ('2027-W04'), ('2027-W05')) v(w)"
            .to_owned(),
        // Ten requests a school, each leaving three units unmatched.
        format!(
            "INSERT INTO match_request (id, organisation_id, campaign_id, kind, week_start,
                week_end, radius_km, seed, class_name, pupil_ids, status, metrics, unmatched,
                error, created_at, updated_at)
             SELECT gen_random_uuid(), s.id, NULL, {kinds}[1 + k % 3],
                '2027-W0' || (3 + k % 3), '2027-W0' || (3 + k % 3), NULL, 1, NULL, '[]'::json,
                CASE WHEN k = 10 THEN 'running' ELSE 'done' END, NULL,
                '[{{\"tier\": \"standard\"}}, {{\"tier\": \"rep_plus\"}}, {{\"reason\": \"r\"}}]'::json,
                NULL, now(), now()
             FROM organisation s CROSS JOIN generate_series(1, 10) k
             WHERE s.kind = 'school' AND s.uai IS NOT NULL"
        ),
        format!(
            "INSERT INTO placement (id, match_request_id, school_id, company_id, offer_id,
                pupil_id, class_name, group_size, kind, week_start, week_end, priority,
                distance_km, interest_match, status, expires_at, created_at, updated_at)
             SELECT gen_random_uuid(), r.id, r.organisation_id, '{company}', o.id,
                gen_random_uuid(), NULL, 1, r.kind, r.week_start, r.week_end,
                (ARRAY['standard', 'rep', 'rep_plus', 'rural'])[1 + g % 4], (g % 500) / 8.0,
                false,
                (ARRAY['proposed', 'accepted', 'confirmed', 'declined', 'cancelled',
                       'expired'])[1 + g % 6],
                now(), now(), now()
             FROM generate_series(1, {rows}) g
             JOIN (SELECT id, organisation_id, kind, week_start, week_end,
                          row_number() OVER (ORDER BY id) - 1 AS n FROM match_request) r
               ON r.n = g % (SELECT count(*) FROM match_request)
             JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM offer) o
               ON o.n = g % (SELECT count(*) FROM offer)"
        ),
        "ANALYZE".to_owned(),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    println!("seeded {rows} placements in {:?}", started.elapsed());
    let school = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT school_id::text AS id FROM placement LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "id")
        .unwrap();
    let school = app.member(&admin, &school, "school").await;
    for group_by in ["departement", "priority", "kind", "week"] {
        for (who, token) in [("admin", &admin), ("school", &school.token)] {
            let url = format!("/v1/stats/placements?group_by={group_by}");
            let mut times = Vec::new();
            let mut body = Value::Null;
            for _ in 0..5 {
                let t = std::time::Instant::now();
                body = app.get(&url, Some(token)).await.expect(200);
                times.push(t.elapsed());
            }
            times.sort();
            let proposals: u64 = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["proposals"].as_u64().unwrap())
                .sum();
            if who == "admin" {
                assert_eq!(proposals, rows as u64, "{group_by}");
            }
            println!(
                "{group_by:>11} {who:>6}: median {:>8.1?} (min {:>8.1?}, max {:>8.1?}), {} groups",
                times[2],
                times[0],
                times[4],
                body["items"].as_array().unwrap().len()
            );
        }
    }
}
