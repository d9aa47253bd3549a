//! The flow's numbering of a tier's units and slots: along a space-filling curve.

use super::candidates::curve_key;
use super::{Candidates, Tier};
use crate::flow::{Arcs, Flow, NONE};

/// Units and slots renumbered in Z-order for the flow, so that the nodes one search
/// settles — close on the ground — are close in memory too. The engine keeps its own
/// numbering (tier order for units, group order for slots) and converts at the flow's
/// door: any numbering gives an optimal flow, this one gives it with fewer cache misses
/// (units come in seeded order, slots in id order: both scattered across the country).
pub(super) struct Layout {
    /// Engine index of each flow unit, and the flow index of each engine unit.
    unit_at: Vec<u32>,
    unit_pos: Vec<u32>,
    /// Same for slots.
    slot_at: Vec<u32>,
    slot_pos: Vec<u32>,
}

impl Layout {
    pub(super) fn new(tier: &Tier<'_>) -> Self {
        let (unit_at, unit_pos) = by_curve(tier.units.len(), |k| curve_key(tier.unit(k).point));
        let (slot_at, slot_pos) = by_curve(tier.group.slots.len(), |l| {
            curve_key(tier.slot(l as u32).point)
        });
        Layout {
            unit_at,
            unit_pos,
            slot_at,
            slot_pos,
        }
    }

    /// The flow index of engine unit `k`.
    pub(super) fn unit(&self, k: usize) -> usize {
        self.unit_pos[k] as usize
    }

    /// Engine units in flow order.
    pub(super) fn units(&self) -> impl Iterator<Item = usize> + '_ {
        self.unit_at.iter().map(|&k| k as usize)
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
        for &k in &self.unit_at {
            for &(l, c) in &lists[k as usize].0 {
                arcs.slot.push(self.slot_pos[l as usize]);
                arcs.cost.push(i32::try_from(c).expect("a pair costs less than 2^31 m"));
            }
            arcs.start.push(arcs.slot.len() as u32);
        }
        arcs
    }

    /// Slot capacities in flow numbering.
    pub(super) fn caps(&self, remaining: &[u32]) -> Vec<u32> {
        self.slot_at
            .iter()
            .map(|&l| remaining[l as usize])
            .collect()
    }

    /// `flow` (engine numbering) in flow numbering.
    pub(super) fn to_flow(&self, flow: &Flow) -> Flow {
        Flow {
            assign: self
                .unit_at
                .iter()
                .map(|&k| map_slot(&self.slot_pos, flow.assign[k as usize]))
                .collect(),
            pu: self.unit_at.iter().map(|&k| flow.pu[k as usize]).collect(),
            ps: self.slot_at.iter().map(|&l| flow.ps[l as usize]).collect(),
            assign_cost: self
                .unit_at
                .iter()
                .map(|&k| flow.assign_cost[k as usize])
                .collect(),
        }
    }

    /// `flow` (flow numbering) back in engine numbering.
    pub(super) fn to_engine(&self, flow: &Flow) -> Flow {
        Flow {
            assign: self
                .unit_pos
                .iter()
                .map(|&f| map_slot(&self.slot_at, flow.assign[f as usize]))
                .collect(),
            pu: self.unit_pos.iter().map(|&f| flow.pu[f as usize]).collect(),
            ps: self.slot_pos.iter().map(|&g| flow.ps[g as usize]).collect(),
            assign_cost: self
                .unit_pos
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

/// `0..n` sorted by `key` (then index), and each index's position in that order.
fn by_curve(n: usize, key: impl Fn(usize) -> u64) -> (Vec<u32>, Vec<u32>) {
    let mut at: Vec<u32> = (0..n as u32).collect();
    at.sort_by_cached_key(|&i| (key(i as usize), i));
    let mut pos = vec![0; n];
    for (p, &i) in at.iter().enumerate() {
        pos[i as usize] = p as u32;
    }
    (at, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_round_trips() {
        let (at, pos) = by_curve(5, |i| [40, 10, 30, 10, 0][i]);
        assert_eq!(at, vec![4, 1, 3, 2, 0]);
        for (p, &i) in at.iter().enumerate() {
            assert_eq!(pos[i as usize] as usize, p);
        }
        let layout = Layout {
            unit_at: at.clone(),
            unit_pos: pos.clone(),
            slot_at: vec![1, 2, 0],
            slot_pos: vec![2, 0, 1],
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
