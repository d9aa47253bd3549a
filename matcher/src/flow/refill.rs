//! The backward half of a warm start: refilling a seat that a lifted unit left behind.

use std::cmp::Reverse;

use super::{Arcs, BIG, NONE, State};

/// Incoming candidate arcs of each slot: (unit, cost), compressed rows.
#[derive(Default)]
pub(super) struct Incoming {
    pub(super) start: Vec<u32>,
    pub(super) from: Vec<(u32, i64)>,
}

impl Incoming {
    pub(super) fn of(arcs: &Arcs, ns: usize) -> Self {
        let mut start = vec![0u32; ns + 1];
        for &j in &arcs.slot {
            start[j as usize + 1] += 1;
        }
        for j in 0..ns {
            start[j + 1] += start[j];
        }
        let mut fill = start.clone();
        let mut from = vec![(0u32, 0i64); arcs.slot.len()];
        for i in 0..arcs.start.len() - 1 {
            for a in arcs.of(i) {
                let j = arcs.slot[a] as usize;
                from[fill[j] as usize] = (i as u32, arcs.cost[a]);
                fill[j] += 1;
            }
        }
        Incoming { start, from }
    }
}

impl State {
    /// Shortest path *into* slot `j`, a slot short of a unit, from the sink: Dijkstra over
    /// reversed residual arcs, then the augmentation. The path starts with an unmatched
    /// unit leaving its "stay out" arc, or with a slot giving up a unit (possibly `j`
    /// itself: the seat becomes free), and ends with a unit moving into `j`.
    pub(super) fn refill(&mut self, j: usize, arcs: &Arcs) {
        if self.rev.start.is_empty() {
            self.rev = Incoming::of(arcs, self.ps.len());
        }
        self.epoch += 1;
        self.heap.clear();
        self.finalized.clear();
        let nu = self.nu;
        if self.next_unit.is_empty() {
            self.next_unit = vec![(NONE, 0); nu];
            self.next_slot = vec![NONE; self.ps.len()];
        }
        let mut best = (i64::MAX, NONE);
        self.relax(nu + j, 0);
        while let Some(&Reverse((d, code))) = self.heap.peek() {
            if d >= best.0 {
                break;
            }
            self.heap.pop();
            let v = code as usize;
            let l = &mut self.label[v];
            if l.done == self.epoch || d > l.dist {
                continue;
            }
            l.done = self.epoch;
            self.finalized.push(code);
            if v < nu {
                // Into unit v: from its slot (it leaves it), or from the sink when it was
                // unmatched (it stops staying out).
                match self.assign[v] {
                    NONE => {
                        let start = d - BIG - self.pu[v];
                        if start < best.0 {
                            best = (start, code);
                        }
                    }
                    m => {
                        let m = m as usize;
                        let nd = d - self.assign_cost[v] + self.ps[m] - self.pu[v];
                        if self.relax(nu + m, nd) {
                            self.next_slot[m] = v as u32;
                        }
                    }
                }
            } else {
                // Into slot m: from the sink when it holds a unit (it gives one up), or
                // from a unit that has an arc to it.
                let m = v - nu;
                if !self.holders[m].is_empty() || self.deficit[m] > 0 {
                    let start = d - self.ps[m];
                    if start < best.0 {
                        best = (start, code);
                    }
                }
                for k in self.rev.start[m] as usize..self.rev.start[m + 1] as usize {
                    let (u, c) = self.rev.from[k];
                    let u = u as usize;
                    if self.pending[u] || self.assign[u] == m as u32 {
                        continue;
                    }
                    let nd = d + c + self.pu[u] - self.ps[m];
                    if nd < best.0 && self.relax(u, nd) {
                        self.next_unit[u] = (m as u32, c);
                    }
                }
            }
        }
        let big_d = best.0;
        for &code in &self.finalized {
            let v = code as usize;
            let dv = self.label[v].dist;
            if dv < big_d {
                if v < nu {
                    self.pu[v] += big_d - dv;
                } else {
                    self.ps[v - nu] += big_d - dv;
                }
            }
        }
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
            self.detach(unit);
            self.assign[unit] = m;
            self.assign_cost[unit] = c;
            self.holders[m as usize].push(unit as u32);
            if m as usize == j {
                self.deficit[j] -= 1;
                break;
            }
            unit = self.next_slot[m as usize] as usize;
        }
    }
}
