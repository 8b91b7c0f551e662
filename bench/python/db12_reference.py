#!/usr/bin/env python3
"""DB12 reference: the baseline the pilot's JavaScript DB12 port is calibrated against.

Written for this project from the published algorithm (DIRACGrid/DB12, src/db12/benchmark.py,
read for the facts only): per iteration, draw `draws` samples of random.normalvariate(10, 1); each
draw is added, and its square added, to TWO pairs of running totals, all four starting as the
integer 0 (DB12 keeps two pairs, and the per-draw interpreter work is what it measures: with one
pair the loop runs about 10 % faster and NORM reads that much higher); iteration 0 is a warm-up;
the CPU time (user + system, self and children, os.times) of iterations 1..n is measured;
NORM = 250 * n / cpu, scaled by draws / 12.5 M when fewer draws are asked for. DB12's
Python-version correction (factors.json) exists only for Python 3.9 and is therefore not applied
under the 3.11 that DIRACOS2 and this bench use.

Usage: python3 db12_reference.py [--iterations N] [--draws D] [--copies C]
Prints one JSON object: {"norm": [...per copy...], "cpu": [...], "wall": seconds, ...}.
"""
import argparse
import json
import multiprocessing
import os
import random
import time

DB12_DRAWS = 12_500_000
DB12_SCALE = 250.0


def _cpu_seconds():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def one_copy(args):
    iterations, draws = args
    start_cpu = 0.0
    a_sum, a_sq, b_sum, b_sq = 0, 0, 0, 0
    for iteration in range(iterations + 1):
        if iteration == 1:
            start_cpu = _cpu_seconds()
        for _ in range(draws):
            value = random.normalvariate(10, 1)
            a_sum += value
            a_sq += value * value
            b_sum += value
            b_sq += value * value
    cpu = _cpu_seconds() - start_cpu
    total = a_sum
    norm = DB12_SCALE * iterations * (draws / DB12_DRAWS) / cpu
    # The sums are reported so the interpreter cannot discard the work as dead code.
    return {"norm": norm, "cpu": cpu, "mean": total / ((iterations + 1) * draws)}


def main():
    parser = argparse.ArgumentParser(description="DB12 reference (Python)")
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--draws", type=int, default=DB12_DRAWS)
    parser.add_argument("--copies", type=int, default=1)
    opts = parser.parse_args()
    if opts.iterations < 1 or opts.draws < 1 or opts.copies < 1:
        parser.error("--iterations, --draws and --copies must be >= 1")
    wall_start = time.monotonic()
    if opts.copies == 1:
        results = [one_copy((opts.iterations, opts.draws))]
    else:
        with multiprocessing.Pool(opts.copies) as pool:
            results = pool.map(one_copy, [(opts.iterations, opts.draws)] * opts.copies)
    wall = time.monotonic() - wall_start
    print(json.dumps({
        "norm": [r["norm"] for r in results],
        "cpu": [r["cpu"] for r in results],
        "mean": [r["mean"] for r in results],
        "wall": wall,
        "iterations": opts.iterations,
        "draws": opts.draws,
        "python": ".".join(map(str, __import__("sys").version_info[:3])),
    }))


if __name__ == "__main__":
    main()
