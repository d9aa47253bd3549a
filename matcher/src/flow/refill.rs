//! The backward half of a warm start: refilling a seat that a lifted unit left behind.

use std::cmp::Reverse;

use super::{Arcs, BIG, NONE, PENDING, State};

/// Incoming candidate arcs of each slot: (unit, cost), compressed rows.
#[derive(Default)]
pub(crate) struct Incoming {
    start: Vec<u32>,
    from: Vec<(u32, i32)>,
}

impl Incoming {
    /// The arcs of `arcs` grouped by the slot they enter, among `ns` slots.
    pub(crate) fn of(arcs: &Arcs, ns: usize) -> Self {
        let mut start = vec![0u32; ns + 1];
        for &j in &arcs.slot {
            start[j as usize + 1] += 1;
        }
        for j in 0..ns {
            start[j + 1] += start[j];
        }
        let mut fill = start.clone();
        let mut from = vec![(0u32, 0i32); arcs.slot.len()];
        for i in 0..arcs.start.len() - 1 {
            for a in arcs.of(i) {
                let j = arcs.slot[a] as usize;
                from[fill[j] as usize] = (i as u32, arcs.cost[a]);
                fill[j] += 1;
            }
        }
        Incoming { start, from }
    }

    /// The arcs into slot `j`: (unit, cost).
    pub(crate) fn to(&self, j: usize) -> &[(u32, i32)] {
        &self.from[self.start[j] as usize..self.start[j + 1] as usize]
    }

    fn is_empty(&self) -> bool {
        self.start.is_empty()
    }
}

impl State {
    /// Shortest path *into* slot `j`, a slot short of a unit, from the sink: Dijkstra over
    /// reversed residual arcs, then the augmentation. The path starts with an unmatched
    /// unit leaving its "stay out" arc, or with a slot giving up a unit (possibly `j`
    /// itself: the seat becomes free), and ends with a unit moving into `j`.
    pub(super) fn refill(&mut self, j: usize, arcs: &Arcs) {
        let nu = self.nu;
        if self.rev.is_empty() {
            self.rev = Incoming::of(arcs, self.node.len() - nu);
        }
        self.epoch += 1;
        self.heap.clear();
        self.finalized.clear();
        if self.next_unit.is_empty() {
            self.next_unit = vec![(NONE, 0); nu];
            self.next_slot = vec![NONE; self.node.len() - nu];
        }
        let mut best = (i64::MAX, NONE);
        self.relax(nu + j, 0);
        while let Some(&Reverse((d, code))) = self.heap.peek() {
            if d >= best.0 {
                break;
            }
            self.heap.pop();
            let v = code as usize;
            let l = &mut self.node[v];
            if l.done == self.epoch || d > l.dist {
                continue;
            }
            l.done = self.epoch;
            let (pot, held, cost) = (l.pot, l.assign, l.cost);
            self.finalized.push(code);
            if v < nu {
                // Into unit v: from its slot (it leaves it), or from the sink when it was
                // unmatched (it stops staying out).
                if held == NONE {
                    let start = d - BIG - pot;
                    if start < best.0 {
                        best = (start, code);
                    }
                } else {
                    let m = held as usize;
                    let nd = d - cost + self.node[nu + m].pot - pot;
                    if self.relax(nu + m, nd) {
                        self.next_slot[m] = v as u32;
                    }
                }
            } else {
                // Into slot m: from the sink when it holds a unit (it gives one up), or
                // from a unit that has an arc to it.
                let m = v - nu;
                if !self.holders[m].is_empty() || self.deficit[m] > 0 {
                    let start = d - pot;
                    if start < best.0 {
                        best = (start, code);
                    }
                }
                let base = d - pot;
                // By index: the loop relaxes (borrows `self` mutably) as it goes.
                for k in self.rev.start[m] as usize..self.rev.start[m + 1] as usize {
                    let (u, c) = self.rev.from[k];
                    let n = &self.node[u as usize];
                    if n.done == PENDING || n.assign == m as u32 {
                        continue;
                    }
                    let c = i64::from(c);
                    let nd = base + c + n.pot;
                    if nd < best.0 && self.relax(u as usize, nd) {
                        self.next_unit[u as usize] = (m as u32, c);
                    }
                }
            }
        }
        self.update_potentials(best.0, 1);
        let start = best.1 as usize;
        let mut unit = if start < nu {
            start
        } else if start - nu == j {
            self.deficit[j] -= 1; // the seat becomes free.
            return;
        } else {
            self.next_slot[start - nu] as usize
        };
        loop {
            let (m, c) = self.next_unit[unit];
            self.attach(unit, m, c);
            if m as usize == j {
                self.deficit[j] -= 1;
                break;
            }
            unit = self.next_slot[m as usize] as usize;
        }
    }
}
