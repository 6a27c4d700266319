#!/usr/bin/env python3
"""Checks fnrt-sim sweep's outputs: the CSV has one row per (precision, clock, tile, P) with
the expected columns, every feasible row is within the budget, and the SVG is well-formed
XML with one polyline per (precision, clock) series.

  check-sweep.py CSV SVG N_ROWS N_SERIES"""
import csv
import sys
import xml.etree.ElementTree as ET

path_csv, path_svg, n_rows, n_series = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = list(csv.DictReader(open(path_csv)))
assert len(rows) == n_rows, (len(rows), n_rows)
for col in ("platform", "precision", "clock_mhz", "tile_pixels", "p", "img_per_s", "bottleneck",
            "bottleneck_stage", "dsp_pct", "bram_pct", "uram_pct", "lut_pct", "bw_pct"):
    assert col in rows[0], col
feasible = [r for r in rows if r["feasible"] == "1"]
assert feasible, "no feasible design point"
for r in feasible:
    for col in ("dsp_pct", "bram_pct", "uram_pct", "lut_pct", "bw_pct"):
        assert float(r[col]) <= 80.0 + 1e-9, (r, col)
best = {}
for r in feasible:
    key = (r["precision"], r["clock_mhz"])
    best[key] = max(best.get(key, 0.0), float(r["img_per_s"]))
root = ET.parse(path_svg).getroot()
lines = [e for e in root.iter() if e.tag.endswith("polyline")]
assert len(lines) == n_series, (len(lines), n_series)
print("sweep: %d rows, %d feasible; best img/s: %s" % (
    len(rows), len(feasible), ", ".join("%s@%sMHz %.1f" % (k[0], k[1], v) for k, v in sorted(best.items()))))
