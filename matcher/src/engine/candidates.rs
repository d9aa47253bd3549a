//! Candidate lists: a unit's nearest eligible open slots, and their widening.

use rayon::prelude::*;

use super::{Candidates, Layout, Tier};
use crate::eligibility::eligibility_at;
use crate::geo_point::GeoPoint;
use crate::index::SpatialIndex;
use crate::model::Kind;

/// Units whose first lists are built one after the other, each from the previous one's.
const CHAIN: usize = 512;

impl Tier<'_> {
    /// The `width` cheapest-by-distance eligible open slots of unit `k`, plus every remote
    /// mentor when both accept remote.
    pub(super) fn candidates(
        &self,
        k: usize,
        width: usize,
        index: &SpatialIndex<u32>,
        remote: &[u32],
    ) -> Candidates {
        let unit = self.unit(k);
        let radius = self.config.radius_km(unit);
        let mut list = Vec::with_capacity(width.min(64));
        let mut cut = None;
        for (l, _, d) in index.iter_points_by_distance(unit.point) {
            if d > radius + 1e-6 {
                break;
            }
            if let Ok(p) = eligibility_at(unit, self.slot(l), self.config, || d) {
                list.push((l, p.cost));
                if list.len() == width {
                    cut = Some(d);
                    break;
                }
            }
        }
        self.add_remote(k, &mut list, remote);
        (list, cut)
    }

    /// Every unit's first list, as [`candidates`](Self::candidates) gives it, built in
    /// space-filling-curve order so that a unit can start from its predecessor's: when the
    /// previous unit's list was cut at `d` km and this unit is `δ ≤ d` away, the disc of
    /// radius `d + δ` around it holds the previous unit's list, so one range query usually
    /// finds its own nearest slots (pupils of one collège live close together), several
    /// times cheaper than a nearest-neighbour walk. After a unit whose list holds every
    /// eligible slot in its radius (a sparse area), one range query over the radius does
    /// it. When the disc holds too few slots eligible for this unit, the walk runs after
    /// all: the lists are the same either way.
    pub(super) fn initial_lists(
        &self,
        width: &[usize],
        index: &SpatialIndex<u32>,
        remote: &[u32],
        layout: &Layout<'_>,
    ) -> Vec<Candidates> {
        let order: Vec<u32> = layout.units().map(|k| k as u32).collect();
        let built: Vec<Vec<(u32, Candidates)>> = order
            .par_chunks(CHAIN)
            .map(|chain| {
                // The previous unit's point and where its list was cut (`None`: it holds
                // every eligible slot in radius, a sparse area).
                let mut previous: Option<(GeoPoint, Option<f64>)> = None;
                chain
                    .iter()
                    .map(|&k| {
                        let (k, point) = (k as usize, self.unit(k as usize).point);
                        let reach = match previous {
                            Some((p, Some(cut))) => {
                                let delta = point.distance_km(p);
                                (delta <= cut).then_some(cut + delta)
                            }
                            // After a sparse area, one query over the whole radius: cheaper
                            // than a walk that visits every slot in it anyway.
                            Some((_, None)) => Some(self.config.radius_km(self.unit(k))),
                            None => None,
                        };
                        let list = match reach {
                            Some(reach) => self.within(k, width[k], reach, index, remote),
                            None => self.candidates(k, width[k], index, remote),
                        };
                        previous = Some((point, list.1));
                        (k as u32, list)
                    })
                    .collect()
            })
            .collect();
        let mut lists = vec![(Vec::new(), None); self.units.len()];
        for (k, list) in built.into_iter().flatten() {
            lists[k as usize] = list;
        }
        lists
    }

    /// The same list as [`candidates`](Self::candidates) for a unit whose previous list
    /// (of a quarter of `width`) was cut at `cut` km: one range query over the disc that
    /// should hold `width` eligible slots at the same density (twice the radius), instead
    /// of a nearest-neighbour walk from the unit, whose priority queue costs several times
    /// more per slot.
    pub(super) fn widened(
        &self,
        k: usize,
        width: usize,
        cut: Option<f64>,
        index: &SpatialIndex<u32>,
        remote: &[u32],
    ) -> Candidates {
        match cut.filter(|&c| c > 0.0) {
            Some(cut) => self.within(k, width, cut * 2.2, index, remote),
            None => self.candidates(k, width, index, remote),
        }
    }

    /// The list of [`candidates`](Self::candidates) from one range query of `reach` km
    /// when it holds `width` eligible slots (or reaches the unit's radius), else from the
    /// nearest-neighbour walk.
    fn within(
        &self,
        k: usize,
        width: usize,
        reach: f64,
        index: &SpatialIndex<u32>,
        remote: &[u32],
    ) -> Candidates {
        let unit = self.unit(k);
        let radius = self.config.radius_km(unit);
        let reach = reach.min(radius + 1e-6);
        let mut found: Vec<(f64, u32, i64)> = Vec::with_capacity(width + width / 2);
        index.for_each_within_km(unit.point, reach, |l, _, d| {
            if let Ok(p) = eligibility_at(unit, self.slot(l), self.config, || d) {
                found.push((d, l, p.cost));
            }
            true
        });
        let cut = if width > 0 && found.len() >= width {
            found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            found.truncate(width);
            Some(found[width - 1].0)
        } else if reach >= radius {
            // Every eligible slot in radius: nothing is pruned.
            None
        } else {
            return self.candidates(k, width, index, remote);
        };
        let mut list: Vec<(u32, i64)> = found.iter().map(|&(_, l, c)| (l, c)).collect();
        self.add_remote(k, &mut list, remote);
        (list, cut)
    }

    fn add_remote(&self, k: usize, list: &mut Vec<(u32, i64)>, remote: &[u32]) {
        let unit = self.unit(k);
        if unit.kind == Kind::Mentoring && unit.remote_ok {
            for &l in remote {
                if !list.iter().any(|a| a.0 == l)
                    && let Ok(p) = eligibility_at(unit, self.slot(l), self.config, || {
                        unit.point.distance_km(self.slot(l).point)
                    })
                {
                    list.push((l, p.cost));
                }
            }
        }
    }
}
