//! `bench national`: the exact engine on a national campaign, against the greedy baseline
//! and, through export / read-back, against OR-Tools.

use std::time::{Duration, Instant};

use matcher::{MatchConfig, MatchOutcome, Tier, evaluate, greedy, solve};

use super::instance::{self, InstanceSize};
use super::{NationalArgs, cpu_seconds, export, peak_memory_mib};

/// Runs `bench national` and prints its report.
pub fn national(args: &NationalArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let size = InstanceSize {
        pupils: args.pupils,
        seats: args.seats,
        weeks: args.weeks,
        seed: args.seed,
    };
    let problem = instance::national(&args.data_dir, size)?;
    println!(
        "instance: {} units ({} pupils), {} slots ({} seats), {} weeks, seed {} — built in {}",
        problem.units.len(),
        problem
            .units
            .iter()
            .map(|u| u.group_size as usize)
            .sum::<usize>(),
        problem.slots.len(),
        problem.slots.iter().map(|s| s.seats as u64).sum::<u64>(),
        args.weeks,
        args.seed,
        ms(t.elapsed()),
    );
    let config = MatchConfig {
        seed: args.seed,
        keep_graph: args.export.is_some(),
        ..MatchConfig::default()
    };
    if let Some(dir) = &args.export {
        let t = Instant::now();
        let arcs = export::write(dir, &problem, &config)?;
        println!(
            "exported {arcs} eligible pairs to {} in {}",
            dir.display(),
            ms(t.elapsed())
        );
    }
    let cpu = cpu_seconds();
    let exact = solve(&problem, &config)?;
    let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
    let memory = peak_memory_mib();
    if let Some(dir) = &args.export {
        export::write_solution(&dir.join("engine_solution.csv"), &exact)?;
        export::write_graph(&dir.join("graph.csv"), &exact)?;
    }
    println!(
        "\nexact engine: {} wall, {} CPU (user + system, all threads)",
        ms(exact.times.total),
        cpu.map_or("?".into(), |c| format!("{c:.1} s"))
    );
    let tm = &exact.times;
    println!(
        "  phases (thread time summed over parallel groups): index {} · candidates {} · solve {} · verify {} · reasons {} · metrics {}",
        ms(tm.index_build),
        ms(tm.candidates),
        ms(tm.solve),
        ms(tm.verify),
        ms(tm.reasons),
        ms(tm.metrics)
    );
    println!(
        "  {} groups · {} candidate arcs · {} widenings · {} pruned pairs added by the dual check",
        exact.stats.groups,
        exact.stats.candidate_arcs,
        exact.stats.widenings,
        exact.stats.violations
    );
    if let Some(mib) = memory {
        println!("  peak memory (VmHWM) after the engine: {mib:.0} MiB");
    }
    print_metrics(&exact);
    if !args.no_greedy {
        let cpu = cpu_seconds();
        let g = greedy(&problem, &config)?;
        let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
        println!(
            "\ngreedy baseline: {} wall, {} CPU",
            ms(g.times.total),
            cpu.map_or("?".into(), |c| format!("{c:.1} s"))
        );
        print_metrics(&g);
        compare("greedy", &g, &exact);
        println!(
            "    wall {:.3} s (greedy) vs {:.3} s (exact)",
            g.times.total.as_secs_f64(),
            exact.times.total.as_secs_f64()
        );
    }
    if let Some(path) = &args.read_solution {
        let slots = export::read_solution(path, &problem)?;
        let other = evaluate(&problem, &config, &slots)?;
        println!("\nsolution read from {}:", path.display());
        print_metrics(&other);
        compare("read solution", &other, &exact);
    }
    if let Some(mib) = peak_memory_mib() {
        println!("\npeak memory (VmHWM) of the whole run: {mib:.0} MiB");
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn print_metrics(out: &MatchOutcome) {
    let m = &out.metrics;
    println!(
        "  {:<10} {:>9} {:>9} {:>7} {:>16}",
        "tier", "units", "matched", "rate", "total cost (m)"
    );
    for (t, tm) in Tier::ALL.iter().zip(&m.per_tier) {
        println!(
            "  {:<10} {:>9} {:>9} {:>6.1}% {:>16}",
            t.as_str(),
            tm.units,
            tm.matched,
            tm.rate * 100.0,
            tm.total_cost_m
        );
    }
    println!(
        "  {:<10} {:>9} {:>9} {:>6.1}% {:>16}",
        "all",
        m.units,
        m.matched,
        m.match_rate * 100.0,
        m.total_cost_m
    );
    println!(
        "  seats {} used {} (fill {:.1}%) · distance km mean {:.2} p50 {:.2} p90 {:.2} max {:.2} · blocking pairs {}",
        m.seats,
        m.seats_used,
        m.fill_rate * 100.0,
        m.distance_mean_km,
        m.distance_p50_km,
        m.distance_p90_km,
        m.distance_max_km,
        m.blocking_pairs
    );
}

fn compare(name: &str, other: &MatchOutcome, exact: &MatchOutcome) {
    println!("  {name} vs exact, per tier (matched ratio, cost ratio):");
    for (t, (o, e)) in Tier::ALL
        .iter()
        .zip(other.metrics.per_tier.iter().zip(&exact.metrics.per_tier))
    {
        let ratio = |a: f64, b: f64| {
            if b != 0.0 {
                format!("{:.4}", a / b)
            } else {
                "-".into()
            }
        };
        println!(
            "    {:<10} matched {} vs {} ({}) · cost {} vs {} ({})",
            t.as_str(),
            o.matched,
            e.matched,
            ratio(o.matched as f64, e.matched as f64),
            o.total_cost_m,
            e.total_cost_m,
            ratio(o.total_cost_m as f64, e.total_cost_m as f64)
        );
    }
    let (o, e) = (&other.metrics, &exact.metrics);
    println!(
        "    all        matched {} vs {} · cost {} vs {}",
        o.matched, e.matched, o.total_cost_m, e.total_cost_m
    );
}
