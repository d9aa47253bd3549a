//! Candidate lists: a unit's nearest eligible open slots, and their widening.

use super::{Candidates, Tier};
use crate::eligibility::eligibility_at;
use crate::index::SpatialIndex;
use crate::model::Kind;

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

    /// The same list as [`candidates`](Self::candidates) for a unit whose previous list
    /// (of a quarter of `width`) was cut at `cut` km: one range query over the disc that
    /// should hold `width` eligible slots at the same density (twice the radius), instead
    /// of a nearest-neighbour walk from the unit, whose priority queue costs several times
    /// more per slot. When the disc holds too few, the walk runs after all.
    pub(super) fn widened(
        &self,
        k: usize,
        width: usize,
        cut: Option<f64>,
        index: &SpatialIndex<u32>,
        remote: &[u32],
    ) -> Candidates {
        let unit = self.unit(k);
        let radius = self.config.radius_km(unit);
        let Some(cut) = cut.filter(|&c| c > 0.0) else {
            return self.candidates(k, width, index, remote);
        };
        let reach = (cut * 2.2).min(radius + 1e-6);
        let mut found: Vec<(f64, u32, i64)> = Vec::with_capacity(width + width / 2);
        index.for_each_within_km(unit.point, reach, |l, _, d| {
            if let Ok(p) = eligibility_at(unit, self.slot(l), self.config, || d) {
                found.push((d, l, p.cost));
            }
            true
        });
        let cut = if found.len() >= width {
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
