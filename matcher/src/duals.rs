//! Dual prices of a solved flow: the tightest ones, used to prove optimality on arcs the
//! flow never saw.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::flow::{Arcs, BIG, Flow, Incoming, NONE};

/// First residual arc with a negative reduced cost, if any (a broken invariant).
#[cfg(test)]
pub(crate) fn first_negative_arc(cap: &[u32], arcs: &Arcs, flow: &Flow) -> Option<String> {
    let mut load = vec![0u32; cap.len()];
    for &j in &flow.assign {
        if j != NONE {
            load[j as usize] += 1;
        }
    }
    for (j, &l) in load.iter().enumerate() {
        if l < cap[j] && flow.ps[j] < 0 {
            return Some(format!("free slot {j} has p {}", flow.ps[j]));
        }
    }
    for i in 0..flow.assign.len() {
        let matched = flow.assign[i] != NONE;
        if matched && BIG + flow.pu[i] < 0 {
            return Some(format!("matched unit {i} dummy rc {}", BIG + flow.pu[i]));
        }
        if !matched && -BIG - flow.pu[i] < 0 {
            return Some(format!(
                "unmatched unit {i} return rc {}",
                -BIG - flow.pu[i]
            ));
        }
        for a in arcs.of(i) {
            let j = arcs.slot[a] as usize;
            let rc = i64::from(arcs.cost[a]) + flow.pu[i] - flow.ps[j];
            if flow.assign[i] == j as u32 {
                if rc > 0 {
                    return Some(format!("assigned arc {i}->{j} rc {rc}"));
                }
            } else if rc < 0 {
                return Some(format!("arc {i}->{j} rc {rc} matched {matched}"));
            }
        }
    }
    None
}

/// Replaces the potentials by the tightest ones for checking pruned arcs: each slot gets
/// the least feasible potential (minus its shortest distance to the sink in the residual
/// graph) and each unit the greatest one those allow (its slot's less its arc cost, or
/// `-BIG` when unmatched). Pruned arcs leave units and enter slots, so these potentials
/// flag a pruned arc only when no other feasible potentials would clear it on its own.
pub(crate) fn tighten(cap: &[u32], arcs: &Arcs, flow: &mut Flow) {
    let nu = flow.assign.len();
    let ns = cap.len();
    // Incoming residual arcs of each slot: units with an unassigned arc to it.
    let incoming = Incoming::of(arcs, ns);
    let mut load = vec![0u32; ns];
    for &j in &flow.assign {
        if j != NONE {
            load[j as usize] += 1;
        }
    }
    // Reduced distances to the sink, by Dijkstra over reversed residual arcs.
    let n = nu + ns;
    let mut dist = vec![i64::MAX; n];
    let mut heap = BinaryHeap::new();
    for j in 0..ns {
        if load[j] < cap[j] {
            dist[nu + j] = flow.ps[j];
            heap.push(Reverse((flow.ps[j], (nu + j) as u32)));
        }
    }
    for (i, (&j, &p)) in flow.assign.iter().zip(&flow.pu).enumerate() {
        if j != NONE {
            dist[i] = BIG + p;
            heap.push(Reverse((dist[i], i as u32)));
        }
    }
    while let Some(Reverse((d, v))) = heap.pop() {
        let v = v as usize;
        if d > dist[v] {
            continue;
        }
        if v < nu {
            let j = flow.assign[v];
            if j != NONE {
                let j = j as usize;
                let nd = d - flow.assign_cost[v] + flow.ps[j] - flow.pu[v];
                if nd < dist[nu + j] {
                    dist[nu + j] = nd;
                    heap.push(Reverse((nd, (nu + j) as u32)));
                }
            }
        } else {
            let j = v - nu;
            for &(i, c) in incoming.to(j) {
                let (i, c) = (i as usize, i64::from(c));
                if flow.assign[i] == j as u32 {
                    continue;
                }
                let nd = d + c + flow.pu[i] - flow.ps[j];
                if nd < dist[i] {
                    dist[i] = nd;
                    heap.push(Reverse((nd, i as u32)));
                }
            }
        }
    }
    for j in 0..ns {
        if dist[nu + j] != i64::MAX {
            flow.ps[j] -= dist[nu + j];
        }
    }
    raise_units(flow);
}

/// Gives each unit the greatest potential the slots' allow: its slot's less its arc cost,
/// or `-BIG` when unmatched.
pub(crate) fn raise_units(flow: &mut Flow) {
    let nu = flow.assign.len();
    for i in 0..nu {
        let j = flow.assign[i];
        flow.pu[i] = if j == NONE {
            -BIG
        } else {
            flow.ps[j as usize] - flow.assign_cost[i]
        };
    }
}

#[cfg(test)]
mod random_tests {
    use super::*;
    use crate::flow::solve;

    #[test]
    fn invariant_holds_on_random_networks() {
        let mut x: u64 = 88172645463325252;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for case in 0..3000 {
            let nu = 1 + rnd(8) as usize;
            let ns = 1 + rnd(5) as usize;
            let cap: Vec<u32> = (0..ns).map(|_| 1 + rnd(2) as u32).collect();
            let mut a = Arcs {
                start: vec![0],
                ..Arcs::default()
            };
            for _ in 0..nu {
                let mut used = vec![false; ns];
                for _ in 0..rnd(4) {
                    let j = rnd(ns as u64) as usize;
                    if !used[j] {
                        used[j] = true;
                        a.slot.push(j as u32);
                        a.cost.push(rnd(20) as i32 - 5);
                    }
                }
                a.start.push(a.slot.len() as u32);
            }
            let mut f = solve(&cap, &a);
            if let Some(bad) = first_negative_arc(&cap, &a, &f) {
                panic!(
                    "case {case}: {bad}\ncap {cap:?}\narcs {a:?}\nassign {:?}",
                    f.assign
                );
            }
            let mut raised = f.clone();
            raise_units(&mut raised);
            if let Some(bad) = first_negative_arc(&cap, &a, &raised) {
                panic!("case {case} after raise_units: {bad}\ncap {cap:?}\narcs {a:?}");
            }
            tighten(&cap, &a, &mut f);
            if let Some(bad) = first_negative_arc(&cap, &a, &f) {
                panic!("case {case} after tighten: {bad}\ncap {cap:?}\narcs {a:?}");
            }
        }
    }

    fn value(a: &Arcs, f: &Flow) -> (usize, i64) {
        let mut cost = 0;
        for (i, &j) in f.assign.iter().enumerate() {
            if j != NONE {
                cost += i64::from(a.cost[a.of(i).find(|&k| a.slot[k] == j).expect("assigned arc")]);
            }
        }
        (f.assign.iter().filter(|&&j| j != NONE).count(), cost)
    }

    /// Warm start (`flow::resume` after arcs were added out of matched and unmatched
    /// units) reaches the same optimum as a fresh solve, with feasible prices; over- and
    /// undersubscribed networks, capacities above one, several rounds of added arcs.
    #[test]
    fn resume_after_new_arcs_equals_fresh_solve() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for case in 0..4000 {
            let nu = 1 + rnd(12) as usize;
            let ns = 1 + rnd(8) as usize;
            let cap: Vec<u32> = (0..ns).map(|_| 1 + rnd(3) as u32).collect();
            // Every unit's full list, in random order; rounds reveal longer prefixes.
            let full: Vec<Vec<(u32, i64)>> = (0..nu)
                .map(|_| {
                    let mut row: Vec<(u32, i64)> = Vec::new();
                    for _ in 0..rnd(6) {
                        let j = rnd(ns as u64) as u32;
                        if row.iter().all(|a| a.0 != j) {
                            row.push((j, rnd(30) as i64 - 5));
                        }
                    }
                    row
                })
                .collect();
            let build = |shown: &[usize]| {
                let mut a = Arcs {
                    start: vec![0],
                    ..Arcs::default()
                };
                for (row, &k) in full.iter().zip(shown) {
                    for &(j, c) in &row[..k.min(row.len())] {
                        a.slot.push(j);
                        a.cost.push(c as i32);
                    }
                    a.start.push(a.slot.len() as u32);
                }
                a
            };
            let mut shown: Vec<usize> = (0..nu).map(|_| rnd(3) as usize).collect();
            let mut a = build(&shown);
            let mut f = solve(&cap, &a);
            for round in 0..3 {
                // The engine certifies with either: the tightest prices, or the flow's
                // own slot prices with the units raised.
                if (case + round) % 2 == 0 {
                    tighten(&cap, &a, &mut f);
                } else {
                    raise_units(&mut f);
                }
                let grow: Vec<usize> = (0..nu)
                    .filter(|&i| shown[i] < full[i].len() && (round == 2 || rnd(2) == 0))
                    .collect();
                for &i in &grow {
                    shown[i] += 1 + rnd(3) as usize;
                }
                a = build(&shown);

                f = crate::flow::resume(&cap, &a, f, grow.iter().copied());
                if let Some(bad) = first_negative_arc(&cap, &a, &f) {
                    panic!("case {case} round {round}: {bad}\ncap {cap:?}\narcs {a:?}");
                }
                let fresh = solve(&cap, &a);
                assert_eq!(
                    value(&a, &f),
                    value(&a, &fresh),
                    "case {case} round {round}\ncap {cap:?}\narcs {a:?}"
                );
            }
        }
    }
}
