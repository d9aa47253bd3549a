//! What the demo prints: per département and tier, the exact engine next
//! to the greedy baseline computed in the same run, and what families and
//! companies did with the proposals.
use super::WEEK;
use super::mentoring::StructureOutcome;
use super::mentoring_report;
use super::scenario::Scenario;
use super::workflow::Outcome;
use serde_json::Value;
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

const TIERS: [(&str, &str); 5] = [
    ("rep_plus", "REP+"),
    ("rep", "REP"),
    ("rural", "rural (FRR)"),
    ("qpv", "QPV"),
    ("standard", "standard"),
];

/// One line of the table: a tier, or every tier (`tier == "all"`).
#[derive(Debug, Clone, PartialEq)]
pub struct TierRow {
    pub tier: String,
    pub demand: u64,
    pub matched: u64,
    pub rate: f64,
    pub mean_km: Option<f64>,
    pub greedy_matched: u64,
    pub greedy_rate: f64,
    pub greedy_mean_km: Option<f64>,
    pub accepted: u64,
    pub confirmed: u64,
}

impl TierRow {
    /// Pupils the exact engine places that the greedy pass leaves out.
    pub fn gain(&self) -> i64 {
        self.matched as i64 - self.greedy_matched as i64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DepartementReport {
    pub code: String,
    pub name: String,
    pub schools: usize,
    pub companies: usize,
    pub seats: u64,
    pub fill_rate: f64,
    pub blocking_pairs: u64,
    pub greedy_blocking_pairs: u64,
    /// Stage proposals as the schools saw them, per tier (must equal `matched`).
    pub proposed: u64,
    pub tiers: Vec<TierRow>,
    pub total: TierRow,
    pub groups_requested: u64,
    pub groups_placed: u64,
    pub groups_confirmed: u64,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    pub seed: u64,
    pub departements: Vec<DepartementReport>,
    pub svg_path: PathBuf,
    pub elapsed: Duration,
    /// The mentoring part, one structure per département.
    pub mentoring: Vec<StructureOutcome>,
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

impl DemoReport {
    pub(super) fn new(
        seed: u64,
        scenario: &Scenario,
        outcome: &Outcome,
        mentoring: Vec<StructureOutcome>,
        svg_path: PathBuf,
        elapsed: Duration,
    ) -> Self {
        let departements = scenario
            .departements
            .iter()
            .zip(&outcome.departements)
            .map(|(d, o)| {
                let m = &o.metrics;
                // The run also sees the other département's seats (out of
                // everyone's radius): count this one's own.
                let seats: u64 = d
                    .companies
                    .iter()
                    .flat_map(|c| &c.offers)
                    .filter(|o| o.kind == "stage_3e")
                    .map(|o| u64::from(o.seats))
                    .sum();
                let tier_of = |metrics: &Value, tier: &str| -> Value {
                    metrics["per_tier"]
                        .as_array()
                        .and_then(|rows| rows.iter().find(|r| r["tier"] == tier))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                let tiers: Vec<TierRow> = TIERS
                    .iter()
                    .map(|(tier, _)| {
                        let exact = tier_of(m, tier);
                        let greedy = tier_of(&m["greedy"], tier);
                        TierRow {
                            tier: (*tier).to_owned(),
                            demand: count(&exact["units"]),
                            matched: count(&exact["matched"]),
                            rate: exact["rate"].as_f64().unwrap_or(0.0),
                            mean_km: exact["distance_mean_km"].as_f64(),
                            greedy_matched: count(&greedy["matched"]),
                            greedy_rate: greedy["rate"].as_f64().unwrap_or(0.0),
                            greedy_mean_km: greedy["distance_mean_km"].as_f64(),
                            accepted: o.accepted.get(*tier).copied().unwrap_or(0),
                            confirmed: o.confirmed.get(*tier).copied().unwrap_or(0),
                        }
                    })
                    .collect();
                let total = TierRow {
                    tier: "all".into(),
                    demand: count(&m["units"]),
                    matched: count(&m["matched"]),
                    rate: m["match_rate"].as_f64().unwrap_or(0.0),
                    mean_km: m["distance_km"]["mean"].as_f64(),
                    greedy_matched: count(&m["greedy"]["matched"]),
                    greedy_rate: m["greedy"]["match_rate"].as_f64().unwrap_or(0.0),
                    greedy_mean_km: m["greedy"]["distance_km"]["mean"].as_f64(),
                    accepted: tiers.iter().map(|t| t.accepted).sum(),
                    confirmed: tiers.iter().map(|t| t.confirmed).sum(),
                };
                DepartementReport {
                    code: d.code.to_owned(),
                    name: d.name.to_owned(),
                    schools: d.schools.len(),
                    companies: d.companies.len(),
                    seats,
                    fill_rate: if seats == 0 {
                        0.0
                    } else {
                        count(&m["matched"]) as f64 / seats as f64
                    },
                    blocking_pairs: count(&m["blocking_pairs"]),
                    greedy_blocking_pairs: count(&m["greedy"]["blocking_pairs"]),
                    proposed: o.proposed.values().sum(),
                    tiers,
                    total,
                    groups_requested: o.groups_requested,
                    groups_placed: o.groups_placed,
                    groups_confirmed: o.groups_confirmed,
                }
            })
            .collect();
        Self {
            seed,
            departements,
            svg_path,
            elapsed,
            mentoring,
        }
    }

    /// Whether the exact engine matched at least as many REP+ pupils as
    /// the greedy baseline everywhere (it must: it maximises each tier in
    /// turn, REP+ first).
    pub fn rep_plus_holds(&self) -> bool {
        self.departements.iter().all(|d| {
            d.tiers
                .iter()
                .filter(|t| t.tier == "rep_plus")
                .all(|t| t.matched >= t.greedy_matched)
        })
    }

    /// The report without the file path and the time taken: the same for
    /// the same seed.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Tremplin demo — seed {}, stage de 3e week {WEEK}\n",
            self.seed
        );
        for d in &self.departements {
            write_departement(&mut out, d);
        }
        let _ = writeln!(out, "What the exact engine gains over the greedy baseline:");
        for (tier, label) in TIERS {
            let rows: Vec<&TierRow> = self
                .departements
                .iter()
                .flat_map(|d| d.tiers.iter().filter(|t| t.tier == tier))
                .collect();
            if rows.iter().all(|t| t.demand == 0) {
                continue;
            }
            let gain: i64 = rows.iter().map(|t| t.gain()).sum();
            let exact = mean_of(rows.iter().map(|t| (t.mean_km, t.matched)));
            let greedy = mean_of(rows.iter().map(|t| (t.greedy_mean_km, t.greedy_matched)));
            let _ = writeln!(
                out,
                "  {label:<12} {gain:>+5} pupils; mean distance {} instead of {}",
                km(exact),
                km(greedy)
            );
        }
        let (exact, greedy): (u64, u64) = self.departements.iter().fold((0, 0), |acc, d| {
            (acc.0 + d.total.matched, acc.1 + d.total.greedy_matched)
        });
        let _ = writeln!(
            out,
            "  {:<12} {:>+5} pupils ({exact} placed instead of {greedy}); mean distance {} instead of {}",
            "overall",
            exact as i64 - greedy as i64,
            km(mean_of(
                self.departements
                    .iter()
                    .map(|d| (d.total.mean_km, d.total.matched))
            )),
            km(mean_of(
                self.departements
                    .iter()
                    .map(|d| (d.total.greedy_mean_km, d.total.greedy_matched))
            ))
        );
        let _ = writeln!(
            out,
            "  (a pupil fewer in a tier is a seat the exact engine gave a stronger tier instead)"
        );
        let check = if self.rep_plus_holds() {
            "holds"
        } else {
            "FAILS — this is a bug in the engine"
        };
        let _ = writeln!(
            out,
            "  REP+ pupils matched by the exact engine ≥ greedy baseline: {check}\n"
        );
        mentoring_report::write(&mut out, &self.mentoring);
        out
    }
}

/// The mean over several groups given each group's mean and size.
fn mean_of(groups: impl Iterator<Item = (Option<f64>, u64)>) -> Option<f64> {
    let (sum, n) = groups.fold((0.0, 0), |(sum, n), (mean, size)| match mean {
        Some(mean) => (sum + mean * size as f64, n + size),
        None => (sum, n),
    });
    (n > 0).then(|| sum / n as f64)
}

fn km(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |k| format!("{k:.2} km"))
}

fn write_departement(out: &mut String, d: &DepartementReport) {
    let _ = writeln!(
        out,
        "{} ({}): {} collèges, {} companies, {} stage seats for {} pupils",
        d.name, d.code, d.schools, d.companies, d.seats, d.total.demand
    );
    let _ = writeln!(
        out,
        "  {:<12} {:>6} │ {:>13} {:>6} {:>8} │ {:>14} {:>6} {:>8} │ {:>4} │ {:>8} {:>9}",
        "tier",
        "demand",
        "exact matched",
        "rate",
        "mean",
        "greedy matched",
        "rate",
        "mean",
        "gain",
        "accepted",
        "confirmed"
    );
    let rows = d
        .tiers
        .iter()
        .filter(|t| t.demand > 0)
        .chain(std::iter::once(&d.total));
    for t in rows {
        let label = TIERS
            .iter()
            .find(|(tier, _)| *tier == t.tier)
            .map_or("all tiers", |(_, label)| label);
        let _ = writeln!(
            out,
            "  {label:<12} {:>6} │ {:>13} {:>5.1}% {:>8} │ {:>14} {:>5.1}% {:>8} │ {:>+4} │ {:>8} {:>9}",
            t.demand,
            t.matched,
            t.rate * 100.0,
            km(t.mean_km),
            t.greedy_matched,
            t.greedy_rate * 100.0,
            km(t.greedy_mean_km),
            t.gain(),
            t.accepted,
            t.confirmed
        );
    }
    let _ = writeln!(
        out,
        "  blocking pairs: {} (greedy {}); seats filled {:.1}%; {} proposals received by the schools",
        d.blocking_pairs,
        d.greedy_blocking_pairs,
        d.fill_rate * 100.0,
        d.proposed
    );
    let _ = writeln!(
        out,
        "  classe entreprise: {} classes asked, {} hosted, {} confirmed\n",
        d.groups_requested, d.groups_placed, d.groups_confirmed
    );
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary())?;
        writeln!(
            f,
            "\nMap of pupils, offers and placements: {}",
            self.svg_path.display()
        )?;
        write!(f, "Done in {:.1} s", self.elapsed.as_secs_f64())
    }
}
