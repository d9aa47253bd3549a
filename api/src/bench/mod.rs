//! `tremplin bench`: the matcher's benchmarks on the real reference data.
//!
//! * `bench national` builds a national campaign (pupils at real collèges, seats at real
//!   communes), runs the exact engine and the greedy baseline, prints times, peak memory
//!   and the metrics table; it can export the tiered instance for the OR-Tools script
//!   (`matcher/benches/ortools_mcf.py`) and read back its solution to compare.
//! * `bench search` measures offer search around a point among 300,000 offers, in process
//!   and, given a PostgreSQL URL, with PostGIS `ST_DWithin` + distance sort.

mod export;
pub mod instance;
mod national;
mod search;

use std::path::PathBuf;

use clap::{Args, Subcommand};

pub use national::national;
pub use search::search;

/// Which benchmark to run.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// National matching campaign: exact engine vs greedy (and OR-Tools via export).
    National(NationalArgs),
    /// Offer search around a point: in-process index vs PostGIS.
    Search(SearchArgs),
}

/// Runs a benchmark.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::National(args) => {
            tokio::task::spawn_blocking(move || national(&args)).await?
        }
        BenchCommand::Search(args) => search(&args).await,
    }
}

/// Options of `bench national`.
#[derive(Debug, Clone, Args)]
pub struct NationalArgs {
    /// Pupils (a classe_entreprise group counts its members).
    #[arg(long, default_value_t = 850_000)]
    pub pupils: usize,
    /// Seats over all weeks.
    #[arg(long, default_value_t = 300_000)]
    pub seats: usize,
    /// Weeks of the campaign.
    #[arg(long, default_value_t = 4)]
    pub weeks: u32,
    /// Seed of the instance and of the tie-breaking order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder with colleges_fr.csv and communes_fr.csv.
    #[arg(long, default_value = "../shared/data")]
    pub data_dir: PathBuf,
    /// Write the tiered instance (units.csv, slots.csv, arcs.csv with every eligible
    /// pair) to this folder, for `matcher/benches/ortools_mcf.py`, and after the run the
    /// engine's solution (engine_solution.csv) and final candidate graph (graph.csv).
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// Read a solution (CSV `unit,slot`) of the same instance and compare it with the
    /// engine's: per-tier counts, total cost, blocking pairs.
    #[arg(long)]
    pub read_solution: Option<PathBuf>,
    /// Skip the greedy baseline.
    #[arg(long)]
    pub no_greedy: bool,
}

/// Options of `bench search`.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Offers to index.
    #[arg(long, default_value_t = 300_000)]
    pub offers: usize,
    /// Queries to time (PostGIS gets at most 2,000 of them).
    #[arg(long, default_value_t = 10_000)]
    pub queries: usize,
    /// Search radius, km.
    #[arg(long, default_value_t = 10.0)]
    pub radius_km: f64,
    /// Return only the nearest N offers within the radius (a result page); 0 returns all.
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    /// Seed of offers and query points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder with communes_fr.csv.
    #[arg(long, default_value = "../shared/data")]
    pub data_dir: PathBuf,
    /// PostgreSQL server URL with PostGIS available, e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres; the bench creates and uses its own
    /// database `tremplin_bench_search` there.
    #[arg(long)]
    pub postgis_url: Option<String>,
}

/// Peak resident memory of this process (VmHWM), in MiB, where /proc tells it.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time (user + system) this process used so far, in seconds, where /proc tells it:
/// on a shared machine it shows the work done whatever the wall clock says.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is parenthesised and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
