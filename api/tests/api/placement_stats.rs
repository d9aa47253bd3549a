//! Placement statistics with exact figures, grouped each way, on rows written
//! straight into the database: requests in several states, placements in
//! every status, unmatched lists of odd shapes, and seats of published,
//! draft and unknown-commune offers.
use crate::db_test;
use crate::helpers::*;
use chrono::Utc;
use entity::{match_request, offer, offer_week, organisation, placement};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

mod scale;

/// Collège Jean Lurçat, Saint-Denis: département `093` in the collège list,
/// `93` for INSEE and in the answer.
const SAINT_DENIS: &str = "0930865K";
/// Collège Général de Gaulle, Le Moule: département `971`.
const LE_MOULE: &str = "9710015P";

async fn school_without_college(db: &DatabaseConnection) -> Uuid {
    let id = Uuid::now_v7();
    organisation::ActiveModel {
        id: Set(id),
        kind: Set("school".into()),
        name: Set("École hors référentiel".into()),
        siret: Set(None),
        uai: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    id
}

async fn offer(
    db: &DatabaseConnection,
    company: Uuid,
    kind: &str,
    insee: &str,
    status: &str,
    weeks: &[(&str, i32)],
) -> Uuid {
    let id = Uuid::now_v7();
    offer::ActiveModel {
        id: Set(id),
        organisation_id: Set(company),
        remote_id: Set(None),
        kind: Set(kind.into()),
        title: Set("Offre".into()),
        description: Set(String::new()),
        sector: Set("D".into()),
        address: Set(String::new()),
        commune_insee: Set(insee.into()),
        lat: Set(48.9),
        lon: Set(2.4),
        tracks: Set(json!([])),
        reserved_for_priority: Set(false),
        group_min: Set(None),
        group_max: Set(None),
        accessible: Set(false),
        tutor_name: Set("Tuteur".into()),
        tutor_email: Set("tuteur@example.com".into()),
        status: Set(status.into()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    for (week, seats) in weeks {
        offer_week::ActiveModel {
            offer_id: Set(id),
            week: Set((*week).into()),
            seats: Set(*seats),
        }
        .insert(db)
        .await
        .unwrap();
    }
    id
}

async fn request(
    db: &DatabaseConnection,
    school: Uuid,
    kind: &str,
    week: &str,
    status: &str,
    unmatched: Option<Value>,
) -> Uuid {
    let id = Uuid::now_v7();
    match_request::ActiveModel {
        id: Set(id),
        organisation_id: Set(school),
        campaign_id: Set(None),
        kind: Set(kind.into()),
        week_start: Set(week.into()),
        week_end: Set(week.into()),
        radius_km: Set(None),
        seed: Set(1),
        class_name: Set(None),
        pupil_ids: Set(json!([])),
        status: Set(status.into()),
        metrics: Set(None),
        unmatched: Set(unmatched),
        error: Set(None),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
    id
}

struct Placed<'a> {
    request: Uuid,
    school: Uuid,
    company: Uuid,
    offer: Uuid,
    kind: &'a str,
    week: &'a str,
}

async fn place(db: &DatabaseConnection, at: &Placed<'_>, tier: &str, status: &str, km: f64) {
    placement::ActiveModel {
        id: Set(Uuid::now_v7()),
        match_request_id: Set(at.request),
        school_id: Set(at.school),
        company_id: Set(at.company),
        offer_id: Set(at.offer),
        pupil_id: Set(Some(Uuid::now_v7())),
        class_name: Set(None),
        group_size: Set(1),
        kind: Set(at.kind.into()),
        week_start: Set(at.week.into()),
        week_end: Set(at.week.into()),
        priority: Set(tier.into()),
        distance_km: Set(km),
        interest_match: Set(false),
        status: Set(status.into()),
        expires_at: Set(Utc::now()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .unwrap();
}

/// One row of the answer: demand, proposals, active, confirmed, then the
/// seats of the group (`None` when none belong to it) and the distances'
/// sum; the rates are derived the way the spec defines them.
fn row(
    group: &str,
    demand: u64,
    proposals: u64,
    active: u64,
    confirmed: u64,
    seats: Option<u64>,
    km: f64,
) -> Value {
    json!({
        "group": group,
        "demand": demand,
        "proposals": proposals,
        "active": active,
        "confirmed": confirmed,
        "match_rate": (demand > 0).then(|| proposals as f64 / demand as f64),
        "fill_rate": seats.filter(|s| *s > 0).map(|s| active as f64 / s as f64),
        "mean_distance_km": (proposals > 0).then(|| km / proposals as f64),
    })
}

// | placement | school (dép.) | request | tier | status | km |
// |---|---|---|---|---|---|
// | p1–p5 | S1 (093) | R1 stage_3e W03 done | rep_plus, rep_plus, standard, standard, rep_plus | confirmed, accepted, proposed, declined, expired | 2, 4, 1, 3, 6 |
// | p6, p7 | S2 (971) | R2 classe_entreprise W03 done | standard, rep | confirmed, cancelled | 10, 0.5 |
// | p8 | S3 (no collège) | R3 stage_3e W04 done | rep | proposed | 5 |
// | p9 | S1 | R4 prepa_metiers W04 running | standard | accepted | 8 |
// | p10 | S2 | R5 stage_3e W05 done | standard | (unknown status) | 2.5 |
//
// Unmatched: R1 three (rep_plus, standard, no tier), R2 two (a string, a
// numeric tier: both standard), R3 none (null), R4 one (not done: not
// counted), R5 an object instead of a list (not counted).
// Seats: O1 stage_3e Saint-Denis W03 4, W04 2; O2 classe_entreprise Les
// Abymes (971) W03 3, W04 −1 (counted 0); O3 draft W03 10 (not counted);
// O5 stage_3e in an unknown commune W05 5.
db_test!(
    async fn placement_statistics_add_up_exactly_in_every_grouping(app: TestApp) {
        let admin = app.admin().await;
        let db = &app.db;
        let s1_member = app.school(&admin, SAINT_DENIS).await;
        let s1: Uuid = s1_member.organisation_id.parse().unwrap();
        let s2: Uuid = app
            .school(&admin, LE_MOULE)
            .await
            .organisation_id
            .parse()
            .unwrap();
        let s3 = school_without_college(db).await;
        let c: Uuid = app.company(&admin).await.organisation_id.parse().unwrap();

        let o1 = offer(
            db,
            c,
            "stage_3e",
            "93066",
            "published",
            &[("2027-W03", 4), ("2027-W04", 2)],
        )
        .await;
        let o2 = offer(
            db,
            c,
            "classe_entreprise",
            "97101",
            "published",
            &[("2027-W03", 3), ("2027-W04", -1)],
        )
        .await;
        offer(db, c, "stage_3e", "93066", "draft", &[("2027-W03", 10)]).await;
        offer(db, c, "stage_3e", "00000", "published", &[("2027-W05", 5)]).await;

        let r1 = request(
            db,
            s1,
            "stage_3e",
            "2027-W03",
            "done",
            Some(json!([
                {"pupil_id": Uuid::now_v7(), "tier": "rep_plus", "reason": "no_offer_in_radius"},
                {"tier": "standard"},
                {"reason": "no tier"},
            ])),
        )
        .await;
        let r2 = request(
            db,
            s2,
            "classe_entreprise",
            "2027-W03",
            "done",
            Some(json!(["odd", {"tier": 5}])),
        )
        .await;
        let r3 = request(db, s3, "stage_3e", "2027-W04", "done", None).await;
        let r4 = request(
            db,
            s1,
            "prepa_metiers",
            "2027-W04",
            "running",
            Some(json!([{"tier": "rep"}])),
        )
        .await;
        let r5 = request(
            db,
            s2,
            "stage_3e",
            "2027-W05",
            "done",
            Some(json!({"tier": "rep"})),
        )
        .await;

        let at = |request, school, offer, kind, week| Placed {
            request,
            school,
            company: c,
            offer,
            kind,
            week,
        };
        let p = at(r1, s1, o1, "stage_3e", "2027-W03");
        for (tier, status, km) in [
            ("rep_plus", "confirmed", 2.0),
            ("rep_plus", "accepted", 4.0),
            ("standard", "proposed", 1.0),
            ("standard", "declined", 3.0),
            ("rep_plus", "expired", 6.0),
        ] {
            place(db, &p, tier, status, km).await;
        }
        let p = at(r2, s2, o2, "classe_entreprise", "2027-W03");
        place(db, &p, "standard", "confirmed", 10.0).await;
        place(db, &p, "rep", "cancelled", 0.5).await;
        place(
            db,
            &at(r3, s3, o1, "stage_3e", "2027-W04"),
            "rep",
            "proposed",
            5.0,
        )
        .await;
        place(
            db,
            &at(r4, s1, o1, "prepa_metiers", "2027-W04"),
            "standard",
            "accepted",
            8.0,
        )
        .await;
        place(
            db,
            &at(r5, s2, o1, "stage_3e", "2027-W05"),
            "standard",
            "weird",
            2.5,
        )
        .await;

        // The collège list writes Saint-Denis's département `093`, the
        // commune list `93`: the answer groups both under `93`, so the
        // mainland fill rate is 4 active over O1's 6 seats. Mentees and
        // pairings store their commune's code, so the mentoring figures name
        // this département the same way.
        let college = entity::college::Entity::find_by_id(SAINT_DENIS)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let commune = entity::commune::Entity::find_by_id("93066")
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(college.departement, "093");
        assert_eq!(commune.departement, "93");
        let cases = [
            (
                "priority",
                &admin,
                vec![
                    row("rep", 2, 2, 1, 0, None, 5.5),
                    row("rep_plus", 4, 3, 2, 1, None, 12.0),
                    row("standard", 9, 5, 3, 1, None, 24.5),
                ],
            ),
            (
                "kind",
                &admin,
                vec![
                    // The running request's placement: its request is not counted.
                    row("", 1, 1, 1, 0, None, 8.0),
                    row("classe_entreprise", 4, 2, 1, 1, Some(3), 10.5),
                    row("stage_3e", 10, 7, 4, 1, Some(11), 23.5),
                ],
            ),
            (
                "week",
                &admin,
                vec![
                    row("", 1, 1, 1, 0, None, 8.0),
                    row("2027-W03", 12, 7, 4, 2, Some(7), 26.5),
                    row("2027-W04", 1, 1, 1, 0, Some(2), 5.0),
                    row("2027-W05", 1, 1, 0, 0, Some(5), 2.5),
                ],
            ),
            (
                "departement",
                &admin,
                vec![
                    row("93", 9, 6, 4, 1, Some(6), 24.0),
                    row("971", 5, 3, 1, 1, Some(3), 13.0),
                    row("unknown", 1, 1, 1, 0, None, 5.0),
                ],
            ),
            // The school sees its own placements and requests, no fill rate.
            (
                "priority",
                &s1_member.token,
                vec![
                    row("rep_plus", 4, 3, 2, 1, None, 12.0),
                    row("standard", 5, 3, 2, 0, None, 12.0),
                ],
            ),
            (
                "kind",
                &s1_member.token,
                vec![
                    row("", 1, 1, 1, 0, None, 8.0),
                    row("stage_3e", 8, 5, 3, 1, None, 16.0),
                ],
            ),
            (
                "week",
                &s1_member.token,
                vec![
                    row("", 1, 1, 1, 0, None, 8.0),
                    row("2027-W03", 8, 5, 3, 1, None, 16.0),
                ],
            ),
            (
                "departement",
                &s1_member.token,
                vec![row("93", 9, 6, 4, 1, None, 24.0)],
            ),
        ];
        for (group_by, token, items) in cases {
            let stats = app
                .get(
                    &format!("/v1/stats/placements?group_by={group_by}"),
                    Some(token),
                )
                .await
                .expect(200);
            assert_eq!(
                stats,
                json!({"group_by": group_by, "items": items}),
                "{group_by}"
            );
        }
    }
);
