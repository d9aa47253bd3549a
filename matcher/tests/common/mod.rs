//! Shared helpers: seeded random instances and a Hungarian oracle.
#![allow(dead_code)]

use std::collections::BTreeMap;

use matcher::*;
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// A tiny deterministic generator (xorshift64*), so tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
}

/// Knobs of a random instance.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub units: usize,
    pub slots: usize,
    /// Side of the square area, km.
    pub area_km: f64,
    /// Centre of the area.
    pub centre: GeoPoint,
    pub max_seats: u32,
    /// Weeks used (1 = a single group of stage_3e).
    pub weeks: u32,
    /// Mix in prépa-métiers, classe_entreprise and mentoring units and slots.
    pub mixed_kinds: bool,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            units: 10,
            slots: 5,
            area_km: 25.0,
            centre: GeoPoint::new(45.76, 4.84),
            max_seats: 3,
            weeks: 1,
            mixed_kinds: false,
        }
    }
}

fn around(rng: &mut Rng, centre: GeoPoint, area_km: f64) -> GeoPoint {
    let dlat = (rng.f() - 0.5) * area_km / 111.2;
    let dlon = (rng.f() - 0.5) * area_km / (111.2 * centre.lat.to_radians().cos().max(0.05));
    let mut lon = centre.lon + dlon;
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    GeoPoint::new((centre.lat + dlat).clamp(-90.0, 90.0), lon)
}

fn kind(rng: &mut Rng, mixed: bool) -> Kind {
    if !mixed {
        return Kind::Stage3e;
    }
    match rng.below(6) {
        0 => Kind::PrepaMetiers,
        1 => Kind::ClasseEntreprise,
        2 => Kind::Mentoring,
        _ => Kind::Stage3e,
    }
}

fn sectors(rng: &mut Rng, n: u64) -> Sectors {
    (0..n).fold(Sectors::NONE, |s, _| {
        s.with((b'A' + rng.below(5) as u8) as char)
    })
}

/// A random instance: tiers, tracks, reservations, accessibility, interests and rural
/// units all mixed, so that every eligibility rule bites somewhere.
pub fn instance(seed: u64, shape: Shape) -> Problem {
    let mut rng = Rng::new(seed);
    let tiers = [
        Tier::RepPlus,
        Tier::Rep,
        Tier::Rural,
        Tier::Qpv,
        Tier::Standard,
    ];
    let tracks = [
        Track::Generale,
        Track::PrepaMetiers,
        Track::Segpa,
        Track::Ulis,
    ];
    let units = (0..shape.units)
        .map(|i| {
            let k = kind(&mut rng, shape.mixed_kinds);
            let w = rng.below(shape.weeks as u64) as u32;
            let weeks = if k == Kind::PrepaMetiers {
                WeekSpan::new(w, w + rng.below(2) as u32)
            } else {
                WeekSpan::single(w)
            };
            let mut u = Unit::new(
                1000 + i as u64,
                around(&mut rng, shape.centre, shape.area_km),
                k,
                weeks,
            );
            u.tier = tiers[rng.below(5) as usize];
            u.rural = u.tier == Tier::Rural || rng.chance(0.1);
            if k != Kind::PrepaMetiers {
                u.track = tracks[[0, 0, 0, 2, 3][rng.below(5) as usize]];
            }
            let n = rng.below(3);
            u.interests = sectors(&mut rng, n);
            u.needs_accessibility = rng.chance(0.1);
            if k == Kind::ClasseEntreprise {
                u.group_size = 8 + rng.below(23) as u16;
            }
            u.remote_ok = k == Kind::Mentoring && rng.chance(0.5);
            if rng.chance(0.1) {
                u.radius_km = Some(5.0 + rng.f() * 70.0);
            }
            u
        })
        .collect();
    let slots = (0..shape.slots)
        .map(|j| {
            let k = kind(&mut rng, shape.mixed_kinds);
            let w = rng.below(shape.weeks as u64) as u32;
            let weeks = if k == Kind::PrepaMetiers {
                WeekSpan::new(w.saturating_sub(1), w + rng.below(3) as u32)
            } else {
                WeekSpan::single(w)
            };
            let seats = 1 + rng.below(shape.max_seats as u64) as u32;
            let mut s = Slot::new(
                50_000 + j as u64,
                around(&mut rng, shape.centre, shape.area_km),
                k,
                weeks,
                seats,
            );
            if rng.chance(0.15) {
                s.tracks = Tracks::NONE.with(Track::Generale);
            }
            s.reserved_for_priority = rng.chance(0.15);
            s.accessible = rng.chance(0.7);
            s.sectors = sectors(&mut rng, 1);
            if k == Kind::ClasseEntreprise {
                let min = 8 + rng.below(10) as u16;
                s.group_size = Some(GroupSize {
                    min,
                    max: min + rng.below(15) as u16,
                });
            }
            if k == Kind::Mentoring {
                s.remote_ok = rng.chance(0.5);
                s.max_distance_km = rng.chance(0.3).then(|| 5.0 + rng.f() * 20.0);
            }
            s
        })
        .collect();
    Problem { units, slots }
}

/// Slot id of each unit (in problem order), from an outcome.
pub fn slot_of_unit(problem: &Problem, out: &MatchOutcome) -> Vec<Option<u64>> {
    let by_unit: BTreeMap<u64, u64> = out.assignments.iter().map(|a| (a.unit, a.slot)).collect();
    problem
        .units
        .iter()
        .map(|u| by_unit.get(&u.id).copied())
        .collect()
}

fn group_of(kind: Kind, weeks: WeekSpan) -> (Kind, u32) {
    (kind, if kind.single_week() { weeks.first } else { 0 })
}

/// Optimum (matched, total cost) of one tier rank of one group on the given free seats,
/// by the Hungarian method with seats expanded into columns and a private "unmatched"
/// column per unit.
pub fn hungarian(
    problem: &Problem,
    config: &MatchConfig,
    units: &[usize],
    free: &BTreeMap<usize, u32>,
) -> (usize, i64) {
    if units.is_empty() {
        return (0, 0);
    }
    const BIGW: i64 = 1 << 32;
    const FORBID: i64 = -(1 << 44);
    let seats: Vec<usize> = free
        .iter()
        .flat_map(|(&j, &n)| std::iter::repeat_n(j, n as usize))
        .collect();
    let cols = seats.len() + units.len();
    let mut m = Matrix::new(units.len(), cols, FORBID);
    for (r, &i) in units.iter().enumerate() {
        for (c, &j) in seats.iter().enumerate() {
            if let Ok(p) = eligibility(&problem.units[i], &problem.slots[j], config) {
                m[(r, c)] = BIGW - p.cost;
            }
        }
        m[(r, seats.len() + r)] = 0;
    }
    let (_, cols_of) = kuhn_munkres(&m);
    let mut matched = 0;
    let mut cost = 0;
    for (r, &c) in cols_of.iter().enumerate() {
        if c < seats.len() {
            assert!(m[(r, c)] > FORBID / 2, "oracle picked a forbidden pair");
            matched += 1;
            cost += BIGW - m[(r, c)];
        }
    }
    (matched, cost)
}

/// Checks, group by group and tier rank by tier rank, that the outcome matches as many
/// units at as low a total cost as the Hungarian optimum on the seats the stronger ranks
/// of the *same outcome* left. Returns the number of (group, rank) cells compared.
pub fn assert_tierwise_optimal(
    problem: &Problem,
    config: &MatchConfig,
    out: &MatchOutcome,
) -> usize {
    let slot_pos: BTreeMap<u64, usize> = problem
        .slots
        .iter()
        .enumerate()
        .map(|(j, s)| (s.id, j))
        .collect();
    let placed: BTreeMap<u64, (usize, i64)> = out
        .assignments
        .iter()
        .map(|a| (a.unit, (slot_pos[&a.slot], a.cost_m)))
        .collect();
    let mut groups: BTreeMap<(Kind, u32), (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, u) in problem.units.iter().enumerate() {
        groups
            .entry(group_of(u.kind, u.weeks))
            .or_default()
            .0
            .push(i);
    }
    for (j, s) in problem.slots.iter().enumerate() {
        if let Some(g) = groups.get_mut(&group_of(s.kind, s.weeks)) {
            g.1.push(j);
        }
    }
    let mut cells = 0;
    for (key, (units, slots)) in groups {
        let mut free: BTreeMap<usize, u32> =
            slots.iter().map(|&j| (j, problem.slots[j].seats)).collect();
        for rank in 0..Tier::RANKS as u8 {
            let tier_units: Vec<usize> = units
                .iter()
                .copied()
                .filter(|&i| problem.units[i].tier.rank() == rank)
                .collect();
            let expected = hungarian(problem, config, &tier_units, &free);
            let mut got = (0usize, 0i64);
            for &i in &tier_units {
                if let Some(&(j, c)) = placed.get(&problem.units[i].id) {
                    got.0 += 1;
                    got.1 += c;
                    let f = free.get_mut(&j).expect("placed on a slot of its group");
                    assert!(*f > 0, "capacity exceeded");
                    *f -= 1;
                }
            }
            assert_eq!(
                got, expected,
                "group {key:?} rank {rank}: (matched, cost) differs from the optimum"
            );
            cells += 1;
        }
    }
    cells
}
