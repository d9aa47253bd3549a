//! The flow's numbering of a tier's units and slots: along a space-filling curve.

use super::{Candidates, Tier};
use crate::flow::{Arcs, Flow, NONE};
use crate::geo_point::{GeoPoint, curve_key};

/// Positions `0..n` in Z-order of their points: the order and each position's rank in it.
pub(super) struct Curve {
    at: Vec<u32>,
    pos: Vec<u32>,
}

impl Curve {
    /// `0..n` sorted by the curve key of `point(i)`, then by `i`.
    pub(super) fn new(n: usize, point: impl Fn(usize) -> GeoPoint) -> Self {
        let mut keyed: Vec<(u64, u32)> = (0..n).map(|i| (curve_key(point(i)), i as u32)).collect();
        keyed.sort_unstable();
        Self::from_order(keyed.into_iter().map(|(_, i)| i).collect())
    }

    fn from_order(at: Vec<u32>) -> Self {
        let mut pos = vec![0; at.len()];
        for (p, &i) in at.iter().enumerate() {
            pos[i as usize] = p as u32;
        }
        Curve { at, pos }
    }
}

/// Units and slots renumbered in Z-order for the flow, so that the nodes one search
/// settles — close on the ground — are close in memory too. The engine keeps its own
/// numbering (tier order for units, group order for slots) and converts at the flow's
/// door: any numbering gives an optimal flow, this one gives it with fewer cache misses
/// (units come in seeded order, slots in id order: both scattered across the country).
pub(super) struct Layout<'a> {
    /// Engine index of each flow unit (`at`), and the flow index of each engine unit.
    units: Curve,
    /// Same for slots: one order for every tier of the group.
    slots: &'a Curve,
}

impl<'a> Layout<'a> {
    pub(super) fn new(tier: &Tier<'a>) -> Self {
        Layout {
            units: Curve::new(tier.units.len(), |k| tier.unit(k).point),
            slots: tier.slot_curve,
        }
    }

    /// The flow index of engine unit `k`.
    pub(super) fn unit(&self, k: usize) -> usize {
        self.units.pos[k] as usize
    }

    /// Engine units in flow order.
    pub(super) fn units(&self) -> impl Iterator<Item = usize> + '_ {
        self.units.at.iter().map(|&k| k as usize)
    }

    /// The candidate lists as the flow's arcs, rows and slots in flow numbering.
    pub(super) fn arcs(&self, lists: &[Candidates]) -> Arcs {
        let total: usize = lists.iter().map(|l| l.0.len()).sum();
        let mut arcs = Arcs {
            start: Vec::with_capacity(lists.len() + 1),
            slot: Vec::with_capacity(total),
            cost: Vec::with_capacity(total),
        };
        arcs.start.push(0);
        for &k in &self.units.at {
            for &(l, c) in &lists[k as usize].0 {
                arcs.slot.push(self.slots.pos[l as usize]);
                arcs.cost
                    .push(i32::try_from(c).expect("a pair costs less than 2^31 m"));
            }
            arcs.start.push(arcs.slot.len() as u32);
        }
        arcs
    }

    /// Slot capacities in flow numbering.
    pub(super) fn caps(&self, remaining: &[u32]) -> Vec<u32> {
        self.slots
            .at
            .iter()
            .map(|&l| remaining[l as usize])
            .collect()
    }

    /// `flow` (engine numbering) in flow numbering.
    pub(super) fn to_flow(&self, flow: &Flow) -> Flow {
        Flow {
            assign: self
                .units
                .at
                .iter()
                .map(|&k| map_slot(&self.slots.pos, flow.assign[k as usize]))
                .collect(),
            pu: self.units.at.iter().map(|&k| flow.pu[k as usize]).collect(),
            ps: self.slots.at.iter().map(|&l| flow.ps[l as usize]).collect(),
            assign_cost: self
                .units
                .at
                .iter()
                .map(|&k| flow.assign_cost[k as usize])
                .collect(),
        }
    }

    /// `flow` (flow numbering) back in engine numbering.
    pub(super) fn to_engine(&self, flow: &Flow) -> Flow {
        Flow {
            assign: self
                .units
                .pos
                .iter()
                .map(|&f| map_slot(&self.slots.at, flow.assign[f as usize]))
                .collect(),
            pu: self
                .units
                .pos
                .iter()
                .map(|&f| flow.pu[f as usize])
                .collect(),
            ps: self
                .slots
                .pos
                .iter()
                .map(|&g| flow.ps[g as usize])
                .collect(),
            assign_cost: self
                .units
                .pos
                .iter()
                .map(|&f| flow.assign_cost[f as usize])
                .collect(),
        }
    }
}

fn map_slot(to: &[u32], slot: u32) -> u32 {
    if slot == NONE {
        NONE
    } else {
        to[slot as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_orders_points_then_positions() {
        let p = [
            GeoPoint::new(48.85, 2.35),
            GeoPoint::new(43.30, 5.37),
            GeoPoint::new(48.85, 2.35),
            GeoPoint::new(50.63, 3.06),
        ];
        let curve = Curve::new(p.len(), |i| p[i]);
        // Equal points keep their positions' order; the order is a permutation.
        let first = curve.pos[0];
        assert_eq!(curve.pos[2], first + 1);
        let mut seen = curve.at.clone();
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 1, 2, 3]);
        for (q, &i) in curve.at.iter().enumerate() {
            assert_eq!(curve.pos[i as usize] as usize, q);
        }
    }

    #[test]
    fn numbering_round_trips() {
        let slots = Curve::from_order(vec![1, 2, 0]);
        let layout = Layout {
            units: Curve::from_order(vec![4, 1, 3, 2, 0]),
            slots: &slots,
        };
        let flow = Flow {
            assign: vec![0, NONE, 2, 1, 0],
            pu: vec![1, 2, 3, 4, 5],
            ps: vec![7, 8, 9],
            assign_cost: vec![10, 20, 30, 40, 50],
        };
        let back = layout.to_engine(&layout.to_flow(&flow));
        assert_eq!(back.assign, flow.assign);
        assert_eq!(back.pu, flow.pu);
        assert_eq!(back.ps, flow.ps);
        assert_eq!(back.assign_cost, flow.assign_cost);
        let lists: Vec<Candidates> = (0..5)
            .map(|k| (vec![(k as u32 % 3, k as i64)], None))
            .collect();
        let arcs = layout.arcs(&lists);
        // Flow unit 0 is engine unit 4, whose only candidate is slot 1, flow slot 0.
        assert_eq!((arcs.slot[0], arcs.cost[0]), (0, 4));
        assert_eq!(layout.caps(&[5, 6, 7]), vec![6, 7, 5]);
    }
}
