//! Export of a tiered instance for an external min-cost-flow solver, and reading back its
//! solution.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use matcher::{MatchConfig, Problem, SpatialIndex, eligibility};

/// Writes `units.csv` (unit,rank), `slots.csv` (slot,seats) and `arcs.csv`
/// (unit,slot,cost in metres) with every eligible pair. Returns the number of arcs.
pub fn write(dir: &Path, problem: &Problem, config: &MatchConfig) -> anyhow::Result<u64> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = |name: &str| -> anyhow::Result<BufWriter<std::fs::File>> {
        let path = dir.join(name);
        Ok(BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        ))
    };
    let mut units = file("units.csv")?;
    writeln!(units, "unit,rank")?;
    for u in &problem.units {
        writeln!(units, "{},{}", u.id, u.tier.rank())?;
    }
    units.flush()?;
    let mut slots = file("slots.csv")?;
    writeln!(slots, "slot,seats")?;
    for s in &problem.slots {
        writeln!(slots, "{},{}", s.id, s.seats)?;
    }
    slots.flush()?;
    let index = SpatialIndex::bulk_load(
        problem
            .slots
            .iter()
            .enumerate()
            .map(|(j, s)| (j as u32, s.point))
            .collect(),
    );
    let mut arcs = file("arcs.csv")?;
    writeln!(arcs, "unit,slot,cost")?;
    let mut count = 0u64;
    for u in &problem.units {
        let mut err = None;
        index.for_each_within_km(u.point, config.radius_km(u), |j, _, _| {
            let s = &problem.slots[j as usize];
            if let Ok(p) = eligibility(u, s, config) {
                count += 1;
                if let Err(e) = writeln!(arcs, "{},{},{}", u.id, s.id, p.cost) {
                    err = Some(e);
                    return false;
                }
            }
            true
        });
        if let Some(e) = err {
            return Err(e.into());
        }
    }
    arcs.flush()?;
    Ok(count)
}

/// Writes the engine's final candidate graph ([`matcher::MatchOutcome::graph`]) as
/// `unit,slot,cost` CSV, the format of `arcs.csv`: `ortools_mcf.py --arcs` solves each
/// tier on these arcs alone, which must give the same optimum as on every eligible pair.
pub fn write_graph(path: &Path, outcome: &matcher::MatchOutcome) -> anyhow::Result<()> {
    let mut out = BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(out, "unit,slot,cost")?;
    for a in &outcome.graph {
        writeln!(out, "{},{},{}", a.unit, a.slot, a.cost_m)?;
    }
    out.flush()?;
    Ok(())
}

/// Writes the engine's proposals as `unit,slot` CSV (what `ortools_mcf.py --residual-from`
/// reads to solve each tier on the seats the engine's stronger tiers left).
pub fn write_solution(path: &Path, outcome: &matcher::MatchOutcome) -> anyhow::Result<()> {
    let mut out = BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    writeln!(out, "unit,slot")?;
    for a in &outcome.assignments {
        writeln!(out, "{},{}", a.unit, a.slot)?;
    }
    out.flush()?;
    Ok(())
}

/// Reads a solution (`unit,slot` CSV with a header) into the slot id of each unit.
pub fn read_solution(path: &Path, problem: &Problem) -> anyhow::Result<Vec<Option<u64>>> {
    let pos: std::collections::HashMap<u64, usize> = problem
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id, i))
        .collect();
    let mut out = vec![None; problem.units.len()];
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate().skip(1) {
        let line = line?;
        let mut it = line.split(',');
        let (Some(u), Some(s)) = (it.next(), it.next()) else {
            anyhow::bail!("{}:{}: expected unit,slot", path.display(), n + 1);
        };
        let u: u64 = u
            .trim()
            .parse()
            .with_context(|| format!("{}:{}", path.display(), n + 1))?;
        let s: u64 = s
            .trim()
            .parse()
            .with_context(|| format!("{}:{}", path.display(), n + 1))?;
        let i = *pos
            .get(&u)
            .with_context(|| format!("{}:{}: unknown unit {u}", path.display(), n + 1))?;
        out[i] = Some(s);
    }
    Ok(out)
}
