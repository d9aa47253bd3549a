//! Min-cost maximum assignment by successive shortest paths (Dijkstra with potentials).
//!
//! Network: every unit either takes one arc to a slot (cost `c`) or a private "stay
//! unmatched" arc of cost [`BIG`]; slots have capacities. `BIG` exceeds any possible
//! difference in total pair cost, so the min-cost flow of this network is, lexicographically,
//! the maximum number of matched units, then the least total cost.
//!
//! Units enter one at a time, in the caller's order; each entry is a shortest path from the
//! unit to the sink — to a slot with a free seat, or, when every reachable seat is taken, to
//! the cheapest "unmatch" of a unit it displaces (possibly itself). Reduced costs stay
//! non-negative on every residual arc, so the final potentials are a dual certificate that
//! the caller can check against arcs this network never saw. When the caller adds arcs,
//! [`resume`] re-optimises from the previous flow instead of starting over.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

mod refill;

use refill::Incoming;

/// Cost of leaving a unit unmatched: larger than any total-cost difference (2^40 m covers
/// a million units at 1,000 km each).
pub(crate) const BIG: i64 = 1 << 40;

/// "No slot".
pub(crate) const NONE: u32 = u32::MAX;

const TERM: u32 = 1 << 31;

/// Candidate arcs, unit by unit (compressed rows).
#[derive(Debug, Default, Clone)]
pub(crate) struct Arcs {
    pub start: Vec<u32>,
    pub slot: Vec<u32>,
    pub cost: Vec<i64>,
}

impl Arcs {
    pub fn of(&self, unit: usize) -> std::ops::Range<usize> {
        self.start[unit] as usize..self.start[unit + 1] as usize
    }
}

/// The optimal flow and its dual prices.
pub(crate) struct Flow {
    /// Slot of each unit, or [`NONE`].
    pub assign: Vec<u32>,
    /// Unit potentials.
    pub pu: Vec<i64>,
    /// Slot potentials.
    pub ps: Vec<i64>,
    /// Cost of each unit's arc (meaningless when unmatched).
    pub assign_cost: Vec<i64>,
}

impl Flow {
    /// No unit routed, all potentials zero.
    pub(crate) fn empty(units: usize, slots: usize) -> Self {
        Flow {
            assign: vec![NONE; units],
            pu: vec![0; units],
            ps: vec![0; slots],
            assign_cost: vec![0; units],
        }
    }
}

/// Solves the network for `arcs.start.len() - 1` units over slots of capacity `cap`.
#[cfg(test)]
pub(crate) fn solve(cap: &[u32], arcs: &Arcs) -> Flow {
    let nu = arcs.start.len() - 1;
    resume(cap, arcs, Flow::empty(nu, cap.len()), 0..nu)
}

/// Continues from an optimal `flow` after new arcs were added out of `units`: each of them
/// is lifted off its current place and enters again. `flow`'s potentials must be feasible
/// for every residual arc of the network before the change (as [`crate::duals::tighten`]
/// leaves them); the result is optimal on the new network.
///
/// An unmatched unit carries no flow but its "stay out" one, so lifting it changes nothing
/// else. A matched unit leaves a seat behind whose "free seat" arc may have a negative
/// reduced cost; that seat is kept as a deficit instead, and the unit's shortest path goes
/// either to it (a cheaper arrangement of the same units) or to the sink, in which case a
/// second, backward shortest path from the seat to the sink refills it ([`State::refill`]):
/// an unmatched unit takes it, someone moves in from a seat that becomes free instead, or
/// it stays free. Both are shortest-path augmentations, so reduced costs stay
/// non-negative on every residual arc and the final flow is optimal.
pub(crate) fn resume(
    cap: &[u32],
    arcs: &Arcs,
    flow: Flow,
    units: impl IntoIterator<Item = usize>,
) -> Flow {
    let nu = arcs.start.len() - 1;
    let ns = cap.len();
    let n = nu + ns;
    let units: Vec<usize> = units.into_iter().collect();
    let mut holders = vec![Vec::new(); ns];
    for (i, &j) in flow.assign.iter().enumerate() {
        if j != NONE {
            holders[j as usize].push(i as u32);
        }
    }
    let mut pending = vec![false; nu];
    for &s in &units {
        pending[s] = true;
    }
    let mut st = State {
        nu,
        assign: flow.assign,
        assign_cost: flow.assign_cost,
        pu: flow.pu,
        ps: flow.ps,
        holders,
        label: vec![Label::default(); n],
        prev: vec![NONE; ns],
        prev_cost: vec![0; ns],
        epoch: 0,
        heap: BinaryHeap::new(),
        finalized: Vec::new(),
        pending,
        rev: Incoming::default(),
        next_unit: Vec::new(),
        next_slot: Vec::new(),
        deficit: vec![0; ns],
    };
    // Lift every unit first: a matched unit still in place could be reached through its
    // seat before its new arcs are made feasible.
    for &s in &units {
        let seat = st.assign[s];
        if seat != NONE {
            st.detach(s);
            st.deficit[seat as usize] += 1;
        }
    }
    for s in units {
        st.pending[s] = false;
        st.enter(s, cap, arcs);
    }
    for j in 0..ns {
        while st.deficit[j] > 0 {
            st.refill(j, arcs);
        }
    }
    Flow {
        assign: st.assign,
        pu: st.pu,
        ps: st.ps,
        assign_cost: st.assign_cost,
    }
}

/// Distance of a node in the current search, and in which searches it was reached and
/// settled: one cache line per node visit instead of three.
#[derive(Debug, Clone, Copy, Default)]
struct Label {
    dist: i64,
    seen: u32,
    done: u32,
}

struct State {
    nu: usize,
    assign: Vec<u32>,
    assign_cost: Vec<i64>,
    pu: Vec<i64>,
    ps: Vec<i64>,
    holders: Vec<Vec<u32>>,
    /// Dijkstra labels, valid for the current `epoch` only.
    label: Vec<Label>,
    prev: Vec<u32>,
    prev_cost: Vec<i64>,
    epoch: u32,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    finalized: Vec<u32>,
    /// Units lifted off and not yet entered again: not part of the network meanwhile.
    pending: Vec<bool>,
    /// Built on the first refill: most late rounds need none.
    rev: Incoming,
    /// Backward search: the slot each unit moves to (and its cost), the unit each slot
    /// gives up.
    next_unit: Vec<(u32, i64)>,
    next_slot: Vec<u32>,
    /// Units a slot is short of: seats its lifted units left, still counted as used
    /// until a unit moves in or a backward path frees them.
    deficit: Vec<u32>,
}

impl State {
    fn relax(&mut self, node: usize, d: i64) -> bool {
        let l = &mut self.label[node];
        if l.done == self.epoch {
            return false;
        }
        if l.seen != self.epoch || d < l.dist {
            l.seen = self.epoch;
            l.dist = d;
            self.heap.push(Reverse((d, node as u32)));
            return true;
        }
        false
    }

    /// One shortest path from unit `s` to the sink or to a slot short of a unit, then the
    /// augmentation.
    fn enter(&mut self, s: usize, cap: &[u32], arcs: &Arcs) {
        self.epoch += 1;
        self.heap.clear();
        self.finalized.clear();
        let nu = self.nu;
        let mut best = (i64::MAX, NONE);
        // Start with every arc out of `s` at a non-negative reduced cost, so that all
        // distances are non-negative and the potential update keeps every arc feasible.
        self.pu[s] = arcs
            .of(s)
            .map(|a| self.ps[arcs.slot[a] as usize] - arcs.cost[a])
            .max()
            .unwrap_or(0);
        self.relax(s, 0);
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
                let exit = d + BIG + self.pu[v];
                if exit < best.0 {
                    best = (exit, code | TERM);
                }
                let (base, own) = (d + self.pu[v], self.assign[v]);
                for a in arcs.of(v) {
                    let j = arcs.slot[a] as usize;
                    let c = arcs.cost[a];
                    let nd = base + c - self.ps[j];
                    // A label at or past the best exit would never be settled.
                    if nd >= best.0 || own == j as u32 {
                        continue;
                    }
                    if self.relax(nu + j, nd) {
                        self.prev[j] = v as u32;
                        self.prev_cost[j] = c;
                    }
                }
            } else {
                let j = v - nu;
                if self.deficit[j] > 0 {
                    if d < best.0 {
                        best = (d, code | TERM);
                    }
                } else if (self.holders[j].len() as u32) < cap[j] {
                    let exit = d + self.ps[j];
                    if exit < best.0 {
                        best = (exit, code | TERM);
                    }
                }
                for h in 0..self.holders[j].len() {
                    let w = self.holders[j][h] as usize;
                    let nd = d - self.assign_cost[w] + self.ps[j] - self.pu[w];
                    self.relax(w, nd);
                }
            }
        }
        let big_d = best.0;
        for &code in &self.finalized {
            let v = code as usize;
            let dv = self.label[v].dist;
            if dv < big_d {
                if v < nu {
                    self.pu[v] += dv - big_d;
                } else {
                    self.ps[v - nu] += dv - big_d;
                }
            }
        }
        let end = (best.1 & !TERM) as usize;
        let mut slot = if end < nu {
            if end == s {
                return; // staying unmatched is the cheapest option for `s`.
            }
            let old = self.assign[end];
            self.detach(end);
            old as usize
        } else {
            let j = end - nu;
            self.deficit[j] = self.deficit[j].saturating_sub(1);
            j
        };
        loop {
            let i = self.prev[slot] as usize;
            let old = self.assign[i];
            self.detach(i);
            self.assign[i] = slot as u32;
            self.assign_cost[i] = self.prev_cost[slot];
            self.holders[slot].push(i as u32);
            if i == s {
                break;
            }
            slot = old as usize;
        }
    }

    fn detach(&mut self, unit: usize) {
        let old = self.assign[unit];
        if old != NONE {
            let h = &mut self.holders[old as usize];
            if let Some(p) = h.iter().position(|&x| x as usize == unit) {
                h.swap_remove(p);
            }
            self.assign[unit] = NONE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arcs(rows: &[&[(u32, i64)]]) -> Arcs {
        let mut a = Arcs {
            start: vec![0],
            ..Arcs::default()
        };
        for r in rows {
            for &(s, c) in *r {
                a.slot.push(s);
                a.cost.push(c);
            }
            a.start.push(a.slot.len() as u32);
        }
        a
    }

    #[test]
    fn displaces_a_unit_to_match_one_more() {
        // Unit 0 prefers slot 0 but can use slot 1; unit 1 can only use slot 0.
        let f = solve(&[1, 1], &arcs(&[&[(0, 1), (1, 5)], &[(0, 3)]]));
        assert_eq!(f.assign, vec![1, 0]);
    }

    #[test]
    fn keeps_the_cheaper_unit_when_one_must_stay_out() {
        // One seat, two units: the one with the lower cost gets it whatever the order.
        let f = solve(&[1], &arcs(&[&[(0, 9)], &[(0, 2)]]));
        assert_eq!(f.assign, vec![NONE, 0]);
    }

    #[test]
    fn reduced_costs_stay_non_negative() {
        let a = arcs(&[
            &[(0, 4), (1, 1)],
            &[(1, 2), (2, 7)],
            &[(0, 3), (2, 2)],
            &[(1, 0)],
        ]);
        let cap = [1, 1, 1];
        let mut f = solve(&cap, &a);
        crate::duals::tighten(&cap, &a, &mut f);
        for u in 0..4 {
            for k in a.of(u) {
                let (j, c) = (a.slot[k] as usize, a.cost[k]);
                let rc = c + f.pu[u] - f.ps[j];
                if f.assign[u] == j as u32 {
                    assert_eq!(rc, 0);
                } else {
                    assert!(rc >= 0, "unit {u} slot {j} rc {rc}");
                }
            }
        }
        assert_eq!(f.assign.iter().filter(|&&s| s != NONE).count(), 3);
    }
}
