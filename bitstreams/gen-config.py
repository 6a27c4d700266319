#!/usr/bin/env python3
"""Writes compile.cfg, link.cfg and design.mk of every bitstreams/<platform>/design.json
(or of the given platform folders).  CUs: as design.json's "cus"; every stream input of a
kernel CU gets its own fnrt_mm2s CU and every stream output its own fnrt_s2mm CU,
connected with stream_connect; weight/parameter ports go to the CU's SLR-local bank,
activation ports to every bank (the host places each image's tensors); CUs are spread
round-robin over the SLRs.

With --opencl-out DIR (the Makefile's FLOW=opencl, at every build, so that the recipe cannot
drift from the runtime): writes DIR/opencl.mk (kernels, source files, default tunables, from
the OpenCL backend's kernel and tuning tables in host/src/backend/opencl/opencl-program.c) and
DIR/opencl-compile.cfg, DIR/opencl-link.cfg for the one platform given (one CU per kernel,
every __global argument of kernels_cl/*.cl to the same banks).  Nothing is committed of these.

  python3 bitstreams/gen-config.py [--check] [PLATFORM_DIR ...]
  python3 bitstreams/gen-config.py --opencl-out DIR PLATFORM_DIR
--check: do not write, exit 1 if a file would change."""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnrt_bitstreams as fb  # noqa: E402


def write_opencl(out_dir, platform_dir, runtime_c, cl_dir):
    design = fb.load_json(os.path.join(platform_dir, "design.json"))
    runtime = fb.parse_cl_runtime(runtime_c)
    cl_kernels = fb.parse_cl_kernels(cl_dir)
    files = dict(zip(("opencl-compile.cfg", "opencl-link.cfg"),
                     fb.generate_cl(design, runtime, cl_kernels)))
    files["opencl.mk"] = fb.generate_cl_mk(runtime)
    os.makedirs(out_dir, exist_ok=True)
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        if os.path.exists(path) and open(path).read() == text:
            continue
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--hls", default=os.path.join(here, "..", "hls"))
    ap.add_argument("--kernels-cl", default=os.path.join(here, "..", "kernels_cl"))
    ap.add_argument("--runtime", default=os.path.join(here, "..", "host", "src", "backend",
                                                      "opencl", "opencl-program.c"))
    ap.add_argument("--opencl-out", metavar="DIR")
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    if a.opencl_out:
        if len(a.dirs) != 1:
            ap.error("--opencl-out takes exactly one PLATFORM_DIR")
        return write_opencl(a.opencl_out, a.dirs[0], a.runtime, a.kernels_cl)
    dirs = a.dirs or sorted(os.path.dirname(p) for p in glob.glob(os.path.join(here, "*", "design.json")))
    tops = fb.parse_tops(a.hls)
    stale = 0
    outputs = []
    for d in dirs:
        design = fb.load_json(os.path.join(d, "design.json"))
        files = dict(zip(("compile.cfg", "link.cfg", "design.mk"), fb.generate(design, tops)))
        outputs += [(os.path.join(d, name), text) for name, text in files.items()]
    for path, text in outputs:
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
