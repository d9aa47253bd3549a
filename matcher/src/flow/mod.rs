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

pub(crate) use refill::Incoming;

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
    /// Metres: a pair's cost is at most half the earth's circumference.
    pub cost: Vec<i32>,
}

impl Arcs {
    pub fn of(&self, unit: usize) -> std::ops::Range<usize> {
        self.start[unit] as usize..self.start[unit + 1] as usize
    }
}

/// The optimal flow and its dual prices.
#[derive(Clone)]
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
/// and [`crate::duals::raise_units`] leave them); the result is optimal on the new network.
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
    let units: Vec<usize> = units.into_iter().collect();
    let mut holders = vec![Vec::new(); ns];
    let mut node = Vec::with_capacity(nu + ns);
    for (i, (&j, (&pot, &cost))) in flow
        .assign
        .iter()
        .zip(flow.pu.iter().zip(&flow.assign_cost))
        .enumerate()
    {
        if j != NONE {
            holders[j as usize].push(i as u32);
        }
        node.push(Node::new(pot, j, cost));
    }
    node.extend(flow.ps.iter().map(|&pot| Node::new(pot, NONE, 0)));
    let mut st = State {
        nu,
        node,
        holders,
        prev: vec![(NONE, 0); ns],
        epoch: 0,
        heap: BinaryHeap::new(),
        finalized: Vec::new(),
        rev: Incoming::default(),
        next_unit: Vec::new(),
        next_slot: Vec::new(),
        deficit: vec![0; ns],
    };
    // Lift every unit first: a matched unit still in place could be reached through its
    // seat before its new arcs are made feasible.
    for &s in &units {
        let seat = st.node[s].assign;
        if seat != NONE {
            st.detach(s);
            st.deficit[seat as usize] += 1;
        }
        st.node[s].done = PENDING;
    }
    for s in units {
        st.node[s].done = 0;
        st.enter(s, cap, arcs);
    }
    for j in 0..ns {
        while st.deficit[j] > 0 {
            st.refill(j, arcs);
        }
    }
    let (units, slots) = st.node.split_at(nu);
    Flow {
        assign: units.iter().map(|n| n.assign).collect(),
        pu: units.iter().map(|n| n.pot).collect(),
        ps: slots.iter().map(|n| n.pot).collect(),
        assign_cost: units.iter().map(|n| n.cost).collect(),
    }
}

/// `Node::done` of a unit lifted off and not yet entered again: it is not part of the
/// network meanwhile (searches never reach a node through it, and epochs stay below it).
const PENDING: u32 = u32::MAX;

/// Everything a search reads of a node, in one record so that a relaxation costs one
/// cache miss: its potential, its label in the current search (valid for the current
/// epoch only), and for a unit the slot it holds and that arc's cost.
#[derive(Debug, Clone, Copy)]
struct Node {
    pot: i64,
    dist: i64,
    /// Searches in which the node was reached and settled.
    seen: u32,
    done: u32,
    assign: u32,
    cost: i64,
}

impl Node {
    fn new(pot: i64, assign: u32, cost: i64) -> Self {
        Node {
            pot,
            dist: 0,
            seen: 0,
            done: 0,
            assign,
            cost,
        }
    }
}

struct State {
    nu: usize,
    /// Units `0..nu`, then slots.
    node: Vec<Node>,
    holders: Vec<Vec<u32>>,
    /// Forward search: the unit each slot was reached from, and that arc's cost.
    prev: Vec<(u32, i64)>,
    epoch: u32,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    finalized: Vec<u32>,
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
        let l = &mut self.node[node];
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

    /// Moves every settled node closer than `big_d` by the difference (`sign` -1 for a
    /// forward search, whose potentials fall, +1 for a backward one).
    fn update_potentials(&mut self, big_d: i64, sign: i64) {
        for &code in &self.finalized {
            let n = &mut self.node[code as usize];
            if n.dist < big_d {
                n.pot += sign * (big_d - n.dist);
            }
        }
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
        self.node[s].pot = arcs
            .of(s)
            .map(|a| self.node[nu + arcs.slot[a] as usize].pot - i64::from(arcs.cost[a]))
            .max()
            .unwrap_or(0);
        self.relax(s, 0);
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
            let (pot, own) = (l.pot, l.assign);
            self.finalized.push(code);
            if v < nu {
                let exit = d + BIG + pot;
                if exit < best.0 {
                    best = (exit, code | TERM);
                }
                let base = d + pot;
                for a in arcs.of(v) {
                    let j = arcs.slot[a];
                    let c = i64::from(arcs.cost[a]);
                    let nd = base + c - self.node[nu + j as usize].pot;
                    // A label at or past the best exit would never be settled.
                    if nd >= best.0 || own == j {
                        continue;
                    }
                    if self.relax(nu + j as usize, nd) {
                        self.prev[j as usize] = (v as u32, c);
                    }
                }
            } else {
                let j = v - nu;
                if self.deficit[j] > 0 {
                    if d < best.0 {
                        best = (d, code | TERM);
                    }
                } else if (self.holders[j].len() as u32) < cap[j] {
                    let exit = d + pot;
                    if exit < best.0 {
                        best = (exit, code | TERM);
                    }
                }
                for h in 0..self.holders[j].len() {
                    let w = self.holders[j][h] as usize;
                    let n = &self.node[w];
                    let nd = d - n.cost + pot - n.pot;
                    self.relax(w, nd);
                }
            }
        }
        self.update_potentials(best.0, -1);
        let end = (best.1 & !TERM) as usize;
        let mut slot = if end < nu {
            if end == s {
                return; // staying unmatched is the cheapest option for `s`.
            }
            let old = self.node[end].assign;
            self.detach(end);
            old as usize
        } else {
            let j = end - nu;
            self.deficit[j] = self.deficit[j].saturating_sub(1);
            j
        };
        loop {
            let (i, c) = self.prev[slot];
            let i = i as usize;
            let old = self.node[i].assign;
            self.attach(i, slot as u32, c);
            if i == s {
                break;
            }
            slot = old as usize;
        }
    }

    /// Moves `unit` to slot `j` by an arc of cost `c`, off its current slot if any.
    fn attach(&mut self, unit: usize, j: u32, c: i64) {
        self.detach(unit);
        let n = &mut self.node[unit];
        n.assign = j;
        n.cost = c;
        self.holders[j as usize].push(unit as u32);
    }

    fn detach(&mut self, unit: usize) {
        let old = self.node[unit].assign;
        if old != NONE {
            let h = &mut self.holders[old as usize];
            if let Some(p) = h.iter().position(|&x| x as usize == unit) {
                h.swap_remove(p);
            }
            self.node[unit].assign = NONE;
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
                a.cost.push(c as i32);
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
                let (j, c) = (a.slot[k] as usize, i64::from(a.cost[k]));
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
