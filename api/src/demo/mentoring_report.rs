//! What the demo prints of its mentoring part: per structure, the match
//! run, what became of the published pairs, the coordinator's report as
//! `GET /v1/stats/mentoring` gives it, the alerts and the State export.
use super::mentoring::StructureOutcome;
use serde_json::Value;
use std::fmt::Write as _;

const TIERS: [(&str, &str); 5] = [
    ("rep_plus", "REP+"),
    ("rep", "REP"),
    ("rural", "rural (FRR)"),
    ("qpv", "QPV"),
    ("standard", "standard"),
];

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn share(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".to_owned(), |s| format!("{:.0}%", s * 100.0))
}

pub fn write(out: &mut String, outcomes: &[StructureOutcome]) {
    let _ = writeln!(out, "Mentoring (\"1 jeune, 1 mentor\")\n");
    for o in outcomes {
        write_structure(out, o);
    }
}

fn write_structure(out: &mut String, o: &StructureOutcome) {
    let m = &o.run["metrics"];
    let _ = writeln!(
        out,
        "{} ({}): {} mentors with {} places, {} young people",
        o.name, o.code, o.mentors, o.places, o.mentees
    );
    let tiers: Vec<String> = TIERS
        .iter()
        .filter_map(|(tier, label)| {
            let row = m["per_tier"]
                .as_array()?
                .iter()
                .find(|r| r["tier"] == *tier)?;
            (count(&row["units"]) > 0).then(|| {
                format!(
                    "{label} {}/{}",
                    count(&row["matched"]),
                    count(&row["units"])
                )
            })
        })
        .collect();
    let _ = writeln!(
        out,
        "  match run: {} drafts, matched per tier {}; blocking pairs {}",
        o.run["pairing_ids"].as_array().map_or(0, Vec::len),
        tiers.join(" · "),
        count(&m["blocking_pairs"]),
    );
    let _ = writeln!(
        out,
        "  published {} proposals after review: {} declined, {} meetings held over 30 weeks",
        o.published, o.declined, o.meetings
    );
    let total = &o.by_status["total"];
    let ended: Vec<String> = total["ended_by_reason"]
        .as_object()
        .map(|reasons| {
            reasons
                .iter()
                .map(|(reason, n)| format!("{reason} {}", count(n)))
                .collect()
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  now: {} active, {} paused, {} ended ({}); {} of settled pairs lasted {} months",
        count(&total["active"]),
        count(&total["paused"]),
        count(&total["ended"]),
        ended.join(", "),
        share(&total["lasting_share"]),
        count(&o.by_status["minimum_months"]),
    );
    let _ = writeln!(
        out,
        "  coordinator's report (GET /v1/stats/mentoring?group_by=priority):"
    );
    let _ = writeln!(
        out,
        "    {:<12} {:>7} {:>6} {:>6} {:>5} {:>13}",
        "tier", "started", "active", "paused", "ended", "lasted 6 mo."
    );
    let items = o.by_priority["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (tier, label) in TIERS {
        if let Some(row) = items.iter().find(|r| r["group"] == tier) {
            write_row(out, label, row);
        }
    }
    write_row(out, "all tiers", &o.by_priority["total"]);
    let _ = writeln!(
        out,
        "    priority mentees: {} of pairs started; {} pairs started in {}: {:.3}% of the yearly target of {}",
        share(&o.by_priority["total"]["priority_share"]),
        count(&o.by_priority["total"]["started_in_year"]),
        o.by_priority["year"],
        o.by_priority["total"]["target_progress"]
            .as_f64()
            .unwrap_or(0.0)
            * 100.0,
        count(&o.by_priority["yearly_target"]),
    );
    let alerts: Vec<String> = o
        .alerts
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "  alerts (GET /v1/pairings/alerts): {}",
        if alerts.is_empty() {
            "none".to_owned()
        } else {
            alerts.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "  State export (GET /v1/pairings/export.csv): {} pairings; columns {}\n",
        o.export_lines, o.export_header
    );
}

fn write_row(out: &mut String, label: &str, row: &Value) {
    let _ = writeln!(
        out,
        "    {label:<12} {:>7} {:>6} {:>6} {:>5} {:>13}",
        count(&row["started"]),
        count(&row["active"]),
        count(&row["paused"]),
        count(&row["ended"]),
        share(&row["lasting_share"]),
    );
}
