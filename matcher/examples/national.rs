//! Measures the engine on the national instance without building the `api` crate:
//! `cargo run --release -p matcher --example national -- [pupils] [seats] [weeks] [seed]
//! [candidates] [export dir]`. The instance builder and the export for
//! `benches/ortools_mcf.py` are the bench command's own (`api/src/bench/`).

#[path = "../../api/src/bench/instance.rs"]
#[allow(dead_code)]
mod instance;

#[path = "../../api/src/bench/export.rs"]
#[allow(dead_code)]
mod export;

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: usize| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let size = instance::InstanceSize {
        pupils: arg(1, 850_000),
        seats: arg(2, 300_000),
        weeks: arg(3, 4) as u32,
        seed: arg(4, 1) as u64,
    };
    let t = Instant::now();
    let p = instance::national(std::path::Path::new("../shared/data"), size)?;
    println!(
        "instance: {} units, {} slots in {:?}",
        p.units.len(),
        p.slots.len(),
        t.elapsed()
    );
    let dir = a.get(6).map(std::path::PathBuf::from);
    let cfg = matcher::MatchConfig {
        seed: size.seed,
        keep_graph: dir.is_some(),
        candidates_per_unit: arg(5, matcher::MatchConfig::default().candidates_per_unit),
        ..Default::default()
    };
    if let Some(dir) = &dir {
        let t = Instant::now();
        let arcs = export::write(dir, &p, &cfg)?;
        println!(
            "exported {arcs} eligible pairs to {} in {:?}",
            dir.display(),
            t.elapsed()
        );
    }
    let t = Instant::now();
    let cpu = cpu_seconds();
    let out = matcher::solve(&p, &cfg)?;
    let cpu = cpu_seconds() - cpu;
    if let Some(dir) = &dir {
        export::write_solution(&dir.join("engine_solution.csv"), &out)?;
        export::write_graph(&dir.join("graph.csv"), &out)?;
    }
    println!(
        "engine wall {:?}, CPU {cpu:.2} s (user + system, all threads)\n{:#?}\n{:#?}\n{:#?}",
        t.elapsed(),
        out.times,
        out.stats,
        out.metrics
    );
    let t = Instant::now();
    let g = matcher::greedy(&p, &cfg)?;
    println!(
        "greedy wall {:?} matched {} cost {} blocking {}",
        t.elapsed(),
        g.metrics.matched,
        g.metrics.total_cost_m,
        g.metrics.blocking_pairs
    );
    let status = std::fs::read_to_string("/proc/self/status")?;
    println!(
        "{}",
        status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("")
    );
    Ok(())
}

/// CPU time (user + system) of this process so far, from /proc (0 where unavailable).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}
