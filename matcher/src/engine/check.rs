//! The dual check: pruned pairs tested against the flow's prices, visiting only the slots
//! whose price could make a pair fail.

use std::borrow::Cow;

use rayon::prelude::*;

use super::layout::Layout;
use super::{Candidates, Tier};
use crate::eligibility::eligibility_at;
use crate::flow::Flow;
use crate::index::SpatialIndex;

impl Tier<'_> {
    /// Pruned pairs whose reduced cost is negative under the flow's potentials, at most
    /// [`FAILING_PAIRS_KEPT`] per unit. None means the flow is optimal on the full
    /// eligible graph of this tier.
    ///
    /// After a round that found violations, `proven` holds that round's prices and the
    /// units whose lists changed since. A pruned pair that passed then can only fail now if
    /// its unit's price fell or its slot's rose (reduced cost `c + pu - ps`), so units with
    /// an unchanged list and a price that did not fall are checked against the slots whose
    /// price rose only.
    pub(super) fn verify(
        &self,
        flow: &Flow,
        lists: &[Candidates],
        proven: Option<&Proven>,
        layout: &Layout,
        index: &SpatialIndex<u32>,
    ) -> Vec<(usize, u32, i64)> {
        let bonus = self.config.bonus_m();
        let open = (0..self.group.slots.len() as u32).filter(|&l| self.remaining[l as usize] > 0);
        let full = |k: usize| proven.is_none_or(|p| p.relisted[k] || flow.pu[k] < p.pu[k]);
        // In curve order: neighbours walk the same branches of the slot trees.
        let checked: Vec<(usize, f64)> = layout
            .units()
            .filter_map(|k| lists[k].1.map(|cut| (k, cut)))
            .collect();
        let open_slots: Vec<u32> = open.clone().collect();
        let full_checks = checked.iter().filter(|&&(k, _)| full(k)).count();
        // Banding all open slots costs an R-tree build per band; a few full checks are
        // cheaper against the tier's own index as one band priced at its highest price.
        let all = if full_checks == 0 {
            Bands(Vec::new())
        } else if full_checks * FEW_FULL_CHECKS < open_slots.len() {
            let pmax = open_slots.iter().map(|&l| flow.ps[l as usize]).max();
            Bands(vec![(pmax.unwrap_or(0), Cow::Borrowed(index))])
        } else {
            Bands::new(self, flow, open_slots)
        };
        let raised = match proven {
            Some(p) => Bands::new(
                self,
                flow,
                open.filter(|&l| flow.ps[l as usize] > p.ps[l as usize])
                    .collect(),
            ),
            None => Bands(Vec::new()),
        };
        let found: Vec<Vec<(usize, u32, i64)>> = checked
            .into_par_iter()
            .map(|(k, cut)| {
                let unit = self.unit(k);
                let radius = self.config.radius_km(unit);
                let mut bad = Vec::new();
                let bands = if full(k) { &all } else { &raised };
                for (pmax, index) in &bands.0 {
                    // A pruned slot is at least `cut` away, so its cost is at least
                    // round(cut) - bonus; it can only violate if that is below pmax - pu.
                    let bound_m = pmax - flow.pu[k] + bonus + 1;
                    if cut * 1000.0 - 1e-3 >= bound_m as f64 {
                        continue;
                    }
                    let reach = radius.min(bound_m as f64 / 1000.0);
                    index.for_each_within_km(unit.point, reach, |l, _, d| {
                        if flow.assign[k] != l
                            && let Ok(p) = eligibility_at(unit, self.slot(l), self.config, || d)
                            && p.cost + flow.pu[k] - flow.ps[l as usize] < 0
                        {
                            bad.push((k, l, p.cost));
                        }
                        bad.len() < FAILING_PAIRS_KEPT
                    });
                    if bad.len() >= FAILING_PAIRS_KEPT {
                        break;
                    }
                }
                bad
            })
            .collect();
        found.into_iter().flatten().collect()
    }
}

/// Failing pairs collected per unit by the dual check. One is enough to know the unit's
/// list must widen (×4, which takes in most of them anyway); collecting all of them (618k
/// pairs for 16k units in the rural tier's first check of a week at national density)
/// costs check time and bloats lists with far slots. A failing unit is relisted, so the
/// next check covers it in full: a pair left out is found again if it still fails.
const FAILING_PAIRS_KEPT: usize = 8;

/// Prices of the last verified round, and the units whose lists changed after it.
pub(super) struct Proven {
    pub(super) pu: Vec<i64>,
    pub(super) ps: Vec<i64>,
    pub(super) relisted: Vec<bool>,
}

/// Below one unit to full-check per `FEW_FULL_CHECKS` open slots, the check uses the
/// tier's own index as one band instead of building [`Bands`] (an R-tree per band, ~12 ms
/// per round at national density), and late rounds full-check a few units only. Measured
/// on a week at national density: the checks' total 0.86-0.93 s → 0.70-0.81 s (64 instead
/// of 4 saved less); the small oracle instances take both paths.
const FEW_FULL_CHECKS: usize = 4;

/// Open slots split by potential into a few bands, each with its own index, so that the
/// dual check of a unit only visits slots whose price could beat a pruned pair.
struct Bands<'a>(Vec<(i64, Cow<'a, SpatialIndex<u32>>)>);

impl Bands<'_> {
    const COUNT: usize = 8;

    fn new(tier: &Tier<'_>, flow: &Flow, mut open: Vec<u32>) -> Self {
        open.sort_by_key(|&l| std::cmp::Reverse(flow.ps[l as usize]));
        let chunk = open.len().div_ceil(Self::COUNT).max(1);
        Bands(
            open.chunks(chunk)
                .map(|c| {
                    let pmax = flow.ps[c[0] as usize];
                    let pts = c.iter().map(|&l| (l, tier.slot(l).point)).collect();
                    (pmax, Cow::Owned(SpatialIndex::bulk_load(pts)))
                })
                .collect(),
        )
    }
}
