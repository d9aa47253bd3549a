//! A campaign run at national scale commits. The run writes in one
//! transaction everything it solved; a statement with one bound value per
//! offer taken or per placement made went over SQLite's 32,766 and
//! PostgreSQL's 65,535 bound parameters, and the run failed at commit on
//! every attempt. The data is written straight into the database (thousands
//! of HTTP calls would take minutes), then the campaign runs as in
//! production: through its endpoint and the worker's job.
use crate::helpers::*;
use chrono::Utc;
use entity::{campaign, college, match_request, offer, offer_week, organisation, placement, pupil};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use uuid::Uuid;

const WEEK: &str = "2027-W03";
/// Schools of the campaign, each with [`PER_SCHOOL`] pupils and as many
/// one-seat offers at its collège: 33,000 offers taken, above SQLite's
/// 32,766 bound parameters, and 33,000 placements naming 66,000
/// organisations, above PostgreSQL's 65,535.
const SCHOOLS: usize = 1_100;
const PER_SCHOOL: usize = 30;
const COMPANIES: usize = 100;
/// Rows per `insert_many`: at most 22 columns, 22,000 bound values.
const ROWS_PER_INSERT: usize = 1_000;

async fn insert_chunked<A: ActiveModelTrait>(db: &DatabaseConnection, rows: Vec<impl Into<A>>) {
    let mut rows = rows.into_iter().map(Into::into).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await
            .expect("seed rows");
    }
}

/// The campaign's schools, companies, offers and pupils, and one request
/// per school attached to a new campaign: returns the campaign's id.
async fn seed(app: &TestApp, admin: &str) -> Uuid {
    let db = &app.db;
    let now = Utc::now();
    let colleges = college::Entity::find()
        .filter(college::Column::Lat.is_not_null())
        .filter(college::Column::Lon.is_not_null())
        .order_by_asc(college::Column::Uai)
        .limit(SCHOOLS as u64)
        .all(db)
        .await
        .unwrap();
    assert_eq!(colleges.len(), SCHOOLS, "collèges in the reference data");
    let organisation = |kind: &str, name: String, uai: Option<String>| organisation::Model {
        id: Uuid::now_v7(),
        kind: kind.into(),
        name,
        siret: None,
        uai,
        created_at: now,
    };
    let mut schools: Vec<organisation::Model> = colleges
        .iter()
        .map(|c| organisation("school", c.name.clone(), Some(c.uai.clone())))
        .collect();
    let companies: Vec<organisation::Model> = (0..COMPANIES)
        .map(|i| organisation("company", format!("Entreprise {i}"), None))
        .collect();
    let mut offers = Vec::new();
    let mut pupils = Vec::new();
    for (s, (school, c)) in schools.iter().zip(&colleges).enumerate() {
        for i in 0..PER_SCHOOL {
            let n = s * PER_SCHOOL + i;
            offers.push(offer::Model {
                id: Uuid::now_v7(),
                organisation_id: companies[n % COMPANIES].id,
                remote_id: None,
                kind: "stage_3e".into(),
                title: format!("Stage {n}"),
                description: "Une semaine avec nos équipes.".into(),
                sector: "N".into(),
                address: "1 rue de la Gare".into(),
                commune_insee: c.commune_insee.clone(),
                lat: c.lat.unwrap(),
                lon: c.lon.unwrap(),
                tracks: json!(["generale"]),
                reserved_for_priority: false,
                group_min: None,
                group_max: None,
                accessible: false,
                tutor_name: "Camille Martin".into(),
                tutor_email: format!("tuteur{n}@example.fr"),
                status: "published".into(),
                created_at: now,
                updated_at: now,
            });
            pupils.push(pupil::Model {
                id: Uuid::now_v7(),
                organisation_id: school.id,
                external_id: None,
                identity_hash: None,
                first_name: Some(format!("Élève {n}")),
                last_name: Some("Test".into()),
                birth_date: None,
                class_name: "3A".into(),
                track: "generale".into(),
                home_commune_insee: None,
                interests: json!([]),
                needs_accessibility: false,
                qpv: false,
                priority: "standard".into(),
                status: "unplaced".into(),
                erased_at: None,
                created_at: now,
                updated_at: now,
            });
        }
    }
    let weeks: Vec<offer_week::Model> = offers
        .iter()
        .map(|o| offer_week::Model {
            offer_id: o.id,
            week: WEEK.into(),
            seats: 1,
        })
        .collect();
    let campaign = app
        .post(
            "/v1/campaigns",
            Some(admin),
            &json!({"departement": "093", "kind": "stage_3e", "week": WEEK, "deadline": "2030-01-01T00:00:00Z"}),
        )
        .await
        .expect(201);
    let campaign_id: Uuid = campaign["id"].as_str().unwrap().parse().unwrap();
    let requests: Vec<match_request::Model> = schools
        .iter()
        .zip(pupils.chunks(PER_SCHOOL))
        .map(|(school, pupils)| match_request::Model {
            id: Uuid::now_v7(),
            organisation_id: school.id,
            campaign_id: Some(campaign_id),
            kind: "stage_3e".into(),
            week_start: WEEK.into(),
            week_end: WEEK.into(),
            radius_km: None,
            seed: 1,
            class_name: None,
            pupil_ids: json!(pupils.iter().map(|p| p.id.to_string()).collect::<Vec<_>>()),
            status: "waiting_campaign".into(),
            metrics: None,
            unmatched: None,
            error: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    schools.extend(companies);
    insert_chunked::<organisation::ActiveModel>(db, schools).await;
    insert_chunked::<offer::ActiveModel>(db, offers).await;
    insert_chunked::<offer_week::ActiveModel>(db, weeks).await;
    insert_chunked::<pupil::ActiveModel>(db, pupils).await;
    insert_chunked::<match_request::ActiveModel>(db, requests).await;
    campaign_id
}

/// Runs the campaign through its endpoint and the worker; returns it done.
async fn run(app: &TestApp, admin: &str, campaign_id: Uuid) -> campaign::Model {
    let started = Instant::now();
    app.post(
        &format!("/v1/campaigns/{campaign_id}/run"),
        Some(admin),
        &json!({}),
    )
    .await
    .expect(202);
    // Read from the database: on SQLite the server's one connection is the
    // run's while it writes. Generous: a debug build on a loaded machine; a
    // failed run ends early.
    for _ in 0..6_000 {
        let campaign = campaign::Entity::find_by_id(campaign_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        match campaign.status.as_str() {
            "done" => {
                eprintln!("campaign run: {:.1} s", started.elapsed().as_secs_f64());
                return campaign;
            }
            "failed" => {
                let errors: HashSet<Option<String>> = match_request::Entity::find()
                    .filter(match_request::Column::CampaignId.eq(campaign_id))
                    .all(&app.db)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.error)
                    .collect();
                panic!("the campaign run failed: {errors:?}");
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("the campaign run did not finish");
}

async fn a_national_campaign_run_commits(app: TestApp) {
    let admin = app.admin().await;
    let started = Instant::now();
    let campaign_id = seed(&app, &admin).await;
    eprintln!("seed: {:.1} s", started.elapsed().as_secs_f64());
    let campaign = run(&app, &admin, campaign_id).await;
    let pupils = SCHOOLS * PER_SCHOOL;
    let metrics = campaign.metrics.unwrap();
    assert_eq!(metrics["units"], pupils, "{metrics}");

    // Every pupil has a proposal or a reason; here a seat at their collège.
    let requests = match_request::Entity::find()
        .filter(match_request::Column::CampaignId.eq(campaign_id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(requests.len(), SCHOOLS);
    let mut unmatched = HashSet::new();
    for r in &requests {
        assert_eq!(r.status, "done", "{r:?}");
        for u in r.unmatched.as_ref().and_then(Value::as_array).unwrap() {
            assert!(u["reason"].is_string(), "{u}");
            unmatched.insert(u["pupil_id"].as_str().unwrap().parse::<Uuid>().unwrap());
        }
    }
    let placements = placement::Entity::find().all(&app.db).await.unwrap();
    let mut placed: HashMap<Uuid, usize> = HashMap::new();
    let mut per_offer: HashMap<Uuid, usize> = HashMap::new();
    for p in &placements {
        assert_eq!(p.status, "proposed");
        *placed.entry(p.pupil_id.unwrap()).or_default() += 1;
        *per_offer.entry(p.offer_id).or_default() += 1;
    }
    let all_pupils = pupil::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all_pupils.len(), pupils);
    for p in &all_pupils {
        match placed.get(&p.id) {
            Some(1) => assert_eq!(p.status, "proposed", "{p:?}"),
            Some(n) => panic!("pupil {} has {n} placements", p.id),
            None => {
                assert!(unmatched.contains(&p.id), "pupil {} has neither", p.id);
                assert_eq!(p.status, "unplaced");
            }
        }
    }
    // One seat per offer: never two proposals on one, and as many seats as
    // pupils at every collège, 0 km away, so every pupil is placed.
    assert!(per_offer.values().all(|n| *n == 1));
    assert_eq!(placements.len(), pupils);
    assert_eq!(per_offer.len(), pupils);
    assert!(unmatched.is_empty());
}

/// One attempt: a run failing at commit says so at once instead of after
/// the retries' back-off.
fn one_attempt(settings: &mut api::configuration::Settings) {
    settings.jobs.max_attempts = 1;
}

mod a_national_campaign_run {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_on_sqlite() {
        a_national_campaign_run_commits(TestApp::spawn_with(Backend::Sqlite, one_attempt).await)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_on_postgres() {
        match Backend::postgres() {
            Some(backend) => {
                a_national_campaign_run_commits(TestApp::spawn_with(backend, one_attempt).await)
                    .await
            }
            None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
        }
    }
}
