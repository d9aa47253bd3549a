//! `tremplin demo` on a small scenario: it runs, its report says what the
//! database holds, its map is well-formed SVG, and a seed repeats it.
use crate::helpers::reference_dir;
use api::demo::{self, DemoArgs, DemoReport, Scale};
use entity::{college, meeting, organisation, pairing, placement, pupil};
use sea_orm::{Database, DatabaseConnection, EntityTrait};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

fn args(out: PathBuf, seed: u64) -> DemoArgs {
    DemoArgs {
        seed,
        out,
        data_dir: reference_dir(),
        scale: Scale::Small,
    }
}

/// Removes the demo folders whatever the test's outcome.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Placements of the run, by (département, kind, tier, status).
async fn placements_by_tier(
    db: &DatabaseConnection,
) -> HashMap<(String, String, String, String), u64> {
    let colleges: HashMap<String, String> = college::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.uai, c.departement))
        .collect();
    let departement_of: HashMap<Uuid, String> = organisation::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|o| Some((o.id, colleges.get(o.uai.as_ref()?)?.clone())))
        .collect();
    let mut counts = HashMap::new();
    for p in placement::Entity::find().all(db).await.unwrap() {
        let d = departement_of[&p.school_id].clone();
        *counts.entry((d, p.kind, p.priority, p.status)).or_insert(0) += 1;
    }
    counts
}

fn check_against_database(
    report: &DemoReport,
    placements: &HashMap<(String, String, String, String), u64>,
    pupils: &[pupil::Model],
) {
    let count = |d: &str, kind: &str, tier: Option<&str>, statuses: &[&str]| -> u64 {
        placements
            .iter()
            .filter(|((pd, pk, pt, ps), _)| {
                pd == d
                    && pk == kind
                    && tier.is_none_or(|t| t == pt)
                    && statuses.contains(&ps.as_str())
            })
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(report.departements.len(), 2);
    for d in &report.departements {
        assert_eq!(d.blocking_pairs, 0, "{}", d.code);
        for t in &d.tiers {
            let tier = Some(t.tier.as_str());
            assert_eq!(
                t.matched,
                count(
                    &d.code,
                    "stage_3e",
                    tier,
                    &["proposed", "accepted", "confirmed"]
                ),
                "{} {}: matched",
                d.code,
                t.tier
            );
            assert_eq!(
                t.accepted,
                count(&d.code, "stage_3e", tier, &["accepted", "confirmed"]),
                "{} {}: accepted",
                d.code,
                t.tier
            );
            assert_eq!(
                t.confirmed,
                count(&d.code, "stage_3e", tier, &["confirmed"]),
                "{} {}: confirmed",
                d.code,
                t.tier
            );
            assert!(t.matched <= t.demand && t.greedy_matched <= t.demand);
        }
        assert_eq!(
            d.total.matched,
            d.tiers.iter().map(|t| t.matched).sum::<u64>()
        );
        assert_eq!(
            d.proposed, d.total.matched,
            "the schools saw every proposal"
        );
        assert_eq!(
            d.groups_placed,
            count(
                &d.code,
                "classe_entreprise",
                None,
                &["proposed", "accepted", "confirmed"]
            )
        );
        assert_eq!(
            d.groups_confirmed,
            count(&d.code, "classe_entreprise", None, &["confirmed"])
        );
    }
    let stage_pupils = pupils.iter().filter(|p| p.class_name != "3E").count() as u64;
    let demand: u64 = report.departements.iter().map(|d| d.total.demand).sum();
    assert_eq!(demand, stage_pupils, "every stage pupil is in the demand");
    assert!(report.rep_plus_holds());
    let rep_plus: u64 = report
        .departements
        .iter()
        .flat_map(|d| &d.tiers)
        .filter(|t| t.tier == "rep_plus")
        .map(|t| t.demand)
        .sum();
    assert!(rep_plus > 0, "the scenario has REP+ pupils");
}

/// The mentoring part's report against the pairings and meetings stored:
/// one structure per département, its run fair and free of blocking pairs,
/// every published pairing lived, counted and exported.
async fn check_mentoring(report: &DemoReport, db: &DatabaseConnection) {
    assert_eq!(report.mentoring.len(), 2);
    let pairings = pairing::Entity::find().all(db).await.unwrap();
    let meetings = meeting::Entity::find().all(db).await.unwrap();
    for s in &report.mentoring {
        let metrics = &s.run["metrics"];
        assert_eq!(metrics["blocking_pairs"], 0, "{}", s.code);
        let drafts = s.run["pairing_ids"]
            .as_array()
            .expect("the run's drafts")
            .len();
        assert!(drafts > 0, "{}: the run paired someone", s.code);
        assert_eq!(
            s.published as usize, drafts,
            "{}: every draft published",
            s.code
        );
        let mine: Vec<&pairing::Model> = pairings
            .iter()
            .filter(|p| p.departement == s.code || p.departement == s.code.trim_start_matches('0'))
            .collect();
        assert_eq!(mine.len(), drafts, "{}: pairings stored", s.code);
        assert!(
            mine.iter()
                .all(|p| p.status != "draft" && p.status != "proposed")
        );
        let count = |status: &str| mine.iter().filter(|p| p.status == status).count() as u64;
        assert_eq!(count("declined"), s.declined, "{}", s.code);
        let total = &s.by_status["total"];
        for status in ["active", "paused", "ended"] {
            assert_eq!(total[status], count(status), "{} {status}", s.code);
        }
        assert_eq!(total["started"], drafts as u64 - s.declined, "{}", s.code);
        let held = meetings
            .iter()
            .filter(|m| mine.iter().any(|p| p.id == m.pairing_id))
            .count() as u64;
        assert_eq!(held, s.meetings, "{}: meetings stored", s.code);
        assert_eq!(
            s.export_lines, drafts,
            "{}: one export line per pairing",
            s.code
        );
        assert!(s.export_header.starts_with("pairing_ref,"));
    }
}

/// Tags open and close in order, attributes quoted, every `&` an entity.
fn assert_well_formed_xml(text: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let between = &rest[..start];
        assert!(!between.contains('>'), "stray '>' in {between:?}");
        for (i, _) in between.match_indices('&') {
            let entity = &between[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bare & in {between:?}"
            );
        }
        let end = rest[start..].find('>').expect("an unclosed tag") + start;
        let tag = &rest[start + 1..end];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            stack.push(tag.split_whitespace().next().expect("a tag name"));
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert!(rest.trim().is_empty());
}

async fn open(out: &Path) -> DatabaseConnection {
    Database::connect(format!(
        "sqlite://{}?mode=ro",
        out.join("demo.db").display()
    ))
    .await
    .expect("open the demo database")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_reports_what_the_database_holds_draws_a_map_and_repeats_itself_for_a_seed() {
    let dir = TempDir(std::env::temp_dir().join(format!("tremplin-demo-{}", Uuid::now_v7())));
    let first = demo::run(&args(dir.0.join("first"), 7), None)
        .await
        .expect("the demo runs");

    let db = open(&dir.0.join("first")).await;
    let pupils = pupil::Entity::find().all(&db).await.unwrap();
    let placements = placements_by_tier(&db).await;
    check_against_database(&first, &placements, &pupils);
    check_mentoring(&first, &db).await;

    assert_eq!(first.svg_path, dir.0.join("first/demo-map.svg"));
    let svg = std::fs::read_to_string(&first.svg_path).expect("the map is written");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_well_formed_xml(&svg);
    let active: u64 = placements
        .iter()
        .filter(|((_, _, _, status), _)| status != "declined" && status != "expired")
        .map(|(_, n)| n)
        .sum();
    assert!(
        svg.matches("<circle").count() >= pupils.len(),
        "a dot per pupil"
    );
    assert!(
        svg.matches("<line").count() as u64 >= active,
        "a line per placement"
    );
    assert!(svg.contains("Seine-Saint-Denis") && svg.contains("Creuse"));

    let again = demo::run(&args(dir.0.join("again"), 7), None)
        .await
        .expect("the demo runs again");
    assert_eq!(
        first.departements, again.departements,
        "same seed, same numbers"
    );
    assert_eq!(first.summary(), again.summary());
    assert!(
        first
            .summary()
            .contains("State export (GET /v1/pairings/export.csv)")
    );
    assert!(first.to_string().contains("demo-map.svg"));
}
