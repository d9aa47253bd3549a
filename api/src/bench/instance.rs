//! A national matching instance built from the real reference data (collèges, communes).
//!
//! Pupils sit at real collèges with their REP / REP+ status; each lives in a commune near
//! the school (weighted by population, FRR communes make rural pupils); schools set the
//! stage week. Seats sit at real communes, weighted by population. The mix of kinds,
//! tracks and interests follows the brief: mostly `stage_3e`, some prépa-métiers pupils
//! over 1–2 weeks, some `classe_entreprise` groups, a few needing accessibility.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use matcher::{
    GeoPoint, GroupSize, Kind, Problem, Sectors, Slot, SpatialIndex, Tier, Track, Tracks, Unit,
    WeekSpan,
};

/// Size of the instance.
#[derive(Debug, Clone, Copy)]
pub struct InstanceSize {
    /// Pupils (a `classe_entreprise` group counts its members).
    pub pupils: usize,
    /// Seats over all weeks (a `classe_entreprise` seat holds one group).
    pub seats: usize,
    /// Weeks of the campaign.
    pub weeks: u32,
    /// Seed of every random draw.
    pub seed: u64,
}

/// First week index of the campaign (2027-W03 in `IsoWeek::index` numbering).
pub const FIRST_WEEK: u32 = 2027 * 53 + 3;

struct College {
    point: GeoPoint,
    tier: Tier,
    communes: Vec<(usize, f64)>,
}

struct Commune {
    point: GeoPoint,
    population: f64,
    frr: bool,
    dense: bool,
    spread_km: f64,
}

/// Small deterministic generator (xorshift64*): the instance depends on the seed only.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `[0, 1)`.
    pub fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Picks by cumulative weights.
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl Iterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        Weighted(
            weights
                .map(|w| {
                    acc += w.max(0.0);
                    acc
                })
                .collect(),
        )
    }
    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = rng.f() * total;
        self.0.partition_point(|&c| c <= x).min(self.0.len() - 1)
    }
}

fn jitter(rng: &mut Rng, p: GeoPoint, km: f64) -> GeoPoint {
    let r = km * rng.f().sqrt();
    let a = rng.f() * std::f64::consts::TAU;
    let dlat = r * a.sin() / 111.2;
    let dlon = r * a.cos() / (111.2 * p.lat.to_radians().cos().max(0.1));
    GeoPoint::new(p.lat + dlat, p.lon + dlon)
}

fn sectors(rng: &mut Rng, n: usize) -> Sectors {
    (0..n).fold(Sectors::NONE, |s, _| {
        s.with((b'A' + rng.below(14) as u8) as char)
    })
}

fn read_communes(dir: &Path) -> anyhow::Result<Vec<Commune>> {
    let path = dir.join("communes_fr.csv");
    let mut rd =
        csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
    let h = rd.headers()?.clone();
    let col = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .with_context(|| format!("no column {name} in {}", path.display()))
    };
    let (code, parent, pop, lat, lon, frr, area) = (
        col("code_insee")?,
        col("commune_parente")?,
        col("population")?,
        col("latitude")?,
        col("longitude")?,
        col("frr_ou_frr_plus")?,
        col("superficie_km2")?,
    );
    let rows: Vec<csv::StringRecord> = rd.records().collect::<Result<_, _>>()?;
    // Paris, Lyon and Marseille appear both whole and by arrondissement: keep arrondissements.
    let parents: HashSet<&str> = rows
        .iter()
        .map(|r| &r[parent])
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        if parents.contains(&r[code]) {
            continue;
        }
        let (Ok(la), Ok(lo)) = (r[lat].parse::<f64>(), r[lon].parse::<f64>()) else {
            continue;
        };
        let population: f64 = r[pop].parse().unwrap_or(0.0);
        let area_km2: f64 = r[area].parse().unwrap_or(10.0);
        out.push(Commune {
            point: GeoPoint::new(la, lo),
            population,
            frr: &r[frr] == "1",
            dense: population / area_km2.max(0.1) > 3_000.0,
            spread_km: (area_km2.max(0.5).sqrt() / 2.0).min(6.0),
        });
    }
    Ok(out)
}

fn read_colleges(dir: &Path, communes: &[Commune]) -> anyhow::Result<Vec<College>> {
    let path = dir.join("colleges_fr.csv");
    let mut rd =
        csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
    let h = rd.headers()?.clone();
    let col = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .with_context(|| format!("no column {name} in {}", path.display()))
    };
    let (lat, lon, ep) = (
        col("latitude")?,
        col("longitude")?,
        col("education_prioritaire")?,
    );
    let index = SpatialIndex::bulk_load(
        communes
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u32, c.point))
            .collect(),
    );
    let mut out = Vec::new();
    for r in rd.records() {
        let r = r?;
        let (Ok(la), Ok(lo)) = (r[lat].parse::<f64>(), r[lon].parse::<f64>()) else {
            continue; // 147 collèges have no position: they cannot host a geographic draw.
        };
        let point = GeoPoint::new(la, lo);
        let tier = match &r[ep] {
            "REP+" => Tier::RepPlus,
            "REP" => Tier::Rep,
            _ => Tier::Standard,
        };
        // Catchment: communes within 12 km, weighted by population, nearer ones favoured.
        let mut communes_near: Vec<(usize, f64)> = index
            .within_km(point, 12.0)
            .into_iter()
            .map(|(i, d)| {
                (
                    i as usize,
                    communes[i as usize].population.max(1.0) / (1.0 + d),
                )
            })
            .collect();
        if communes_near.is_empty() {
            communes_near = index
                .nearest(point, 1)
                .into_iter()
                .map(|(i, _)| (i as usize, 1.0))
                .collect();
        }
        out.push(College {
            point,
            tier,
            communes: communes_near,
        });
    }
    Ok(out)
}

/// Builds the instance from the reference data in `data_dir`.
pub fn national(data_dir: &Path, size: InstanceSize) -> anyhow::Result<Problem> {
    let communes = read_communes(data_dir)?;
    let colleges = read_colleges(data_dir, &communes)?;
    anyhow::ensure!(
        !colleges.is_empty() && !communes.is_empty(),
        "no collège or commune in {}",
        data_dir.display()
    );
    let mut rng = Rng::new(size.seed);
    let weeks = size.weeks.max(1);
    let mut units = Vec::with_capacity(size.pupils);
    let mut pupils = 0;
    let mut id = 0u64;
    while pupils < size.pupils {
        let c = &colleges[rng.below(colleges.len())];
        let school_week = FIRST_WEEK + (rng.below(weeks as usize) as u32);
        let roll = rng.f();
        let (kind, n) = if roll < 0.006 {
            (Kind::ClasseEntreprise, 12 + rng.below(17) as u16)
        } else if roll < 0.046 {
            (Kind::PrepaMetiers, 1)
        } else {
            (Kind::Stage3e, 1)
        };
        let weeks_span = if kind == Kind::PrepaMetiers {
            let first = FIRST_WEEK + rng.below(weeks as usize) as u32;
            WeekSpan::new(
                first,
                (first + rng.below(2) as u32).min(FIRST_WEEK + weeks - 1),
            )
        } else {
            WeekSpan::single(school_week)
        };
        let home_i = c.communes[Weighted::new(c.communes.iter().map(|x| x.1)).pick(&mut rng)].0;
        let home = &communes[home_i];
        let at_school = kind == Kind::ClasseEntreprise;
        let point = if at_school {
            c.point
        } else {
            jitter(&mut rng, home.point, home.spread_km)
        };
        let mut u = Unit::new(id, point, kind, weeks_span);
        u.rural = home.frr;
        u.tier = match c.tier {
            Tier::Standard if home.frr => Tier::Rural,
            Tier::Standard if home.dense && rng.f() < 0.12 => Tier::Qpv,
            t => t,
        };
        if kind == Kind::Stage3e {
            u.track = match rng.below(100) {
                0..=5 => Track::Segpa,
                6..=7 => Track::Ulis,
                _ => Track::Generale,
            };
        }
        let n_interests = 1 + rng.below(3);
        u.interests = sectors(&mut rng, n_interests);
        u.needs_accessibility = rng.f() < 0.02;
        u.group_size = n;
        units.push(u);
        pupils += n as usize;
        id += 1;
    }
    let by_population = Weighted::new(communes.iter().map(|c| c.population));
    let mut slots = Vec::new();
    let mut seats = 0;
    let mut id = 1u64 << 32;
    while seats < size.seats {
        let c = &communes[by_population.pick(&mut rng)];
        let point = jitter(&mut rng, c.point, c.spread_km);
        let week = FIRST_WEEK + rng.below(weeks as usize) as u32;
        let roll = rng.f();
        let (kind, span) = if roll < 0.02 {
            (Kind::ClasseEntreprise, WeekSpan::single(week))
        } else if roll < 0.06 {
            let first = FIRST_WEEK + rng.below(weeks as usize) as u32;
            (
                Kind::PrepaMetiers,
                WeekSpan::new(
                    first,
                    (first + 1 + rng.below(3) as u32).min(FIRST_WEEK + weeks - 1),
                ),
            )
        } else {
            (Kind::Stage3e, WeekSpan::single(week))
        };
        let n = if kind == Kind::ClasseEntreprise {
            1
        } else {
            1 + rng.below(3) as u32
        };
        let mut s = Slot::new(id, point, kind, span, n);
        if rng.f() < 0.1 {
            s.tracks = Tracks::NONE.with(Track::Generale);
        }
        s.reserved_for_priority = rng.f() < 0.1;
        s.accessible = rng.f() < 0.6;
        s.sectors = sectors(&mut rng, 1);
        if kind == Kind::ClasseEntreprise {
            let min = 8 + rng.below(8) as u16;
            s.group_size = Some(GroupSize {
                min,
                max: min + 10 + rng.below(10) as u16,
            });
        }
        slots.push(s);
        seats += n as usize;
        id += 1;
    }
    Ok(Problem { units, slots })
}

/// `n` points at real communes, drawn in proportion to population and spread over each
/// commune's area: where offers are posted and where searches start.
pub fn points_by_population(data_dir: &Path, n: usize, seed: u64) -> anyhow::Result<Vec<GeoPoint>> {
    let communes = read_communes(data_dir)?;
    anyhow::ensure!(!communes.is_empty(), "no commune in {}", data_dir.display());
    let weights = Weighted::new(communes.iter().map(|c| c.population));
    let mut rng = Rng::new(seed);
    Ok((0..n)
        .map(|_| {
            let c = &communes[weights.pick(&mut rng)];
            jitter(&mut rng, c.point, c.spread_km)
        })
        .collect())
}
