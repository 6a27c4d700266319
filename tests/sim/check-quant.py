#!/usr/bin/env python3
"""Checks fnrt-quant-eval's table: the float harness is exact, every error is finite, int16
is below int8, and the 16-bit precisions stay within a fraction of a degree on average
(thresholds for the tiny test model; README lists the measured values)."""
import csv
import math
import sys

rows = {r["precision"]: r for r in csv.DictReader(open(sys.argv[1]))}
mean = {k: float(v["normals_mean_deg"]) for k, v in rows.items()}
for k, v in rows.items():
    for col, x in v.items():
        if col != "precision":
            assert math.isfinite(float(x)), (k, col)
assert float(rows["fp32"]["normals_max_deg"]) == 0.0
assert mean["int16"] < mean["int8"] and mean["fx16"] < mean["fx8"]
assert mean["int16"] < 0.1 and mean["fx16"] < 1.0, mean
print("accuracy (mean angular error, deg): " + ", ".join("%s %.4f" % kv for kv in mean.items()))
