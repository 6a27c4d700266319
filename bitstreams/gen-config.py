#!/usr/bin/env python3
"""Writes compile.cfg, link.cfg and design.mk of every bitstreams/<platform>/design.json
(or of the given platform folders).  CUs: as design.json's "cus"; every stream input of a
kernel CU gets its own fnrt_mm2s CU and every stream output its own fnrt_s2mm CU,
connected with stream_connect; weight/parameter ports go to the CU's SLR-local bank,
activation ports to every bank (the host places each image's tensors); CUs are spread
round-robin over the SLRs.

  python3 bitstreams/gen-config.py [--check] [PLATFORM_DIR ...]
--check: do not write, exit 1 if a file would change."""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnrt_bitstreams as fb  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--hls", default=os.path.join(here, "..", "hls"))
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    dirs = a.dirs or sorted(os.path.dirname(p) for p in glob.glob(os.path.join(here, "*", "design.json")))
    tops = fb.parse_tops(a.hls)
    stale = 0
    for d in dirs:
        design = fb.load_json(os.path.join(d, "design.json"))
        files = dict(zip(("compile.cfg", "link.cfg", "design.mk"), fb.generate(design, tops)))
        for name, text in files.items():
            path = os.path.join(d, name)
            old = open(path).read() if os.path.exists(path) else None
            if old == text:
                continue
            if a.check:
                print("stale: %s (run bitstreams/gen-config.py)" % path)
                stale += 1
            else:
                with open(path, "w") as f:
                    f.write(text)
                print("wrote %s" % path)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
