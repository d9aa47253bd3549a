#!/usr/bin/env python3
"""Optimal baseline for `tremplin bench national`: OR-Tools min-cost flow, tier by tier.

Reads an instance exported with `tremplin bench national --export DIR` (units.csv:
unit,rank; slots.csv: slot,seats; arcs.csv: unit,slot,cost with every eligible pair) and
solves the tiered problem of BRIEF §4.3: rank 0 first, each rank on the seats the
stronger ranks left, each as a maximum flow of minimum cost (SimpleMinCostFlow
.solve_max_flow_with_min_cost) on all eligible pairs. Prints per-rank matched counts, total
cost and solve time, and writes DIR/ortools_solution.csv (unit,slot) for
`bench national --read-solution`.

With --residual-from FILE (a unit,slot solution such as DIR/engine_solution.csv), each
rank is solved on the seats that FILE's stronger ranks left instead of its own: tiers whose
optimum has ties can leave different seats to the next tier, and this compares each tier's
optimum with the engine's on exactly the same residual seats.

With --arcs FILE (same format as arcs.csv, e.g. DIR/graph.csv: the engine's final candidate
graph, which `bench national --export DIR` writes), only those arcs are given to the
solver: each rank's optimum on them must equal its optimum on every eligible pair (the
engine's dual check proved it), and the solve time is that of OR-Tools on the sparse graph
the engine ended with.

Setup: python3 -m venv target-matcher/venv && target-matcher/venv/bin/pip install ortools
Run:   target-matcher/venv/bin/python matcher/benches/ortools_mcf.py DIR [--residual-from FILE]
       [--arcs FILE]
"""
import argparse
import resource
import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow


def main(folder: str, residual_from: str | None, arcs_file: str | None) -> None:
    t0 = time.perf_counter()
    units = np.loadtxt(f"{folder}/units.csv", delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    slots = np.loadtxt(f"{folder}/slots.csv", delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    arcs_file = arcs_file or f"{folder}/arcs.csv"
    arcs = np.loadtxt(arcs_file, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    print(f"read {len(units)} units, {len(slots)} slots, {len(arcs)} pairs from {arcs_file} "
          f"in {time.perf_counter() - t0:.1f} s")
    unit_ids, ranks = units[:, 0], units[:, 1]
    slot_ids, seats = slots[:, 0], slots[:, 1].copy()
    unit_pos = {u: i for i, u in enumerate(unit_ids.tolist())}
    slot_pos = {s: j for j, s in enumerate(slot_ids.tolist())}
    if len(arcs):
        arc_unit = np.fromiter((unit_pos[u] for u in arcs[:, 0].tolist()), dtype=np.int64, count=len(arcs))
        arc_slot = np.fromiter((slot_pos[s] for s in arcs[:, 1].tolist()), dtype=np.int64, count=len(arcs))
    else:
        arc_unit = arc_slot = np.zeros(0, dtype=np.int64)
    arc_cost = arcs[:, 2] if len(arcs) else np.zeros(0, dtype=np.int64)
    nu, ns = len(unit_ids), len(slot_ids)
    given = []
    if residual_from:
        sol = np.loadtxt(residual_from, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
        given = [(unit_pos[u], slot_pos[s]) for u, s in sol.tolist()]
    original_seats = slots[:, 1].copy()
    solution = []
    total_solve = 0.0
    print(f"{'rank':>4} {'units':>9} {'matched':>9} {'total cost (m)':>16} {'solve s':>9}")
    for rank in range(4):
        if residual_from:
            seats = original_seats.copy()
            for u, s in given:
                if ranks[u] < rank:
                    seats[s] -= 1
        in_rank = ranks[arc_unit] == rank
        open_slot = seats[arc_slot] > 0
        sel = in_rank & open_slot
        au, aslot, ac = arc_unit[sel], arc_slot[sel], arc_cost[sel]
        n_units = int((ranks == rank).sum())
        if len(au) == 0:
            print(f"{rank:>4} {n_units:>9} {0:>9} {0:>16} {0.0:>9.2f}")
            continue
        t = time.perf_counter()
        smcf = min_cost_flow.SimpleMinCostFlow()
        # Nodes: source 0, sink 1, units 2.., slots 2+nu..
        source, sink = 0, 1
        tails = np.concatenate([
            np.full(nu, source), 2 + au, 2 + nu + np.arange(ns)])
        heads = np.concatenate([
            2 + np.arange(nu), 2 + nu + aslot, np.full(ns, sink)])
        caps = np.concatenate([
            (ranks == rank).astype(np.int64), np.ones(len(au), dtype=np.int64), seats])
        costs = np.concatenate([
            np.zeros(nu, dtype=np.int64), ac, np.zeros(ns, dtype=np.int64)])
        smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        # The source offers one unit per pupil of the rank; max flow picks how many go.
        smcf.set_node_supply(source, n_units)
        smcf.set_node_supply(sink, -n_units)
        status = smcf.solve_max_flow_with_min_cost()
        if status != smcf.OPTIMAL:
            sys.exit(f"rank {rank}: solver status {status}")
        first = nu
        flows = smcf.flows(np.arange(first, first + len(au)))
        used = flows > 0
        elapsed = time.perf_counter() - t
        total_solve += elapsed
        np.subtract.at(seats, aslot[used], 1)
        for u, s in zip(au[used].tolist(), aslot[used].tolist()):
            solution.append((int(unit_ids[u]), int(slot_ids[s])))
        print(f"{rank:>4} {n_units:>9} {int(used.sum()):>9} {int(ac[used].sum()):>16} {elapsed:>9.2f}")
    with open(f"{folder}/ortools_solution.csv", "w") as f:
        f.write("unit,slot\n")
        for u, s in solution:
            f.write(f"{u},{s}\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"OR-Tools: {len(solution)} matched, solve {total_solve:.2f} s (all ranks), "
          f"wall {time.perf_counter() - t0:.1f} s, peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="folder written by `bench national --export`")
    parser.add_argument("--residual-from", metavar="FILE",
                        help="solve each rank on the seats FILE's stronger ranks left")
    parser.add_argument("--arcs", metavar="FILE",
                        help="arcs to solve on instead of DIR/arcs.csv (e.g. DIR/graph.csv)")
    a = parser.parse_args()
    main(a.dir, a.residual_from, a.arcs)
