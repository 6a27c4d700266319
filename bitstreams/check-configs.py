#!/usr/bin/env python3
"""Checks the v++ recipes of both flows without Vitis.

HLS flow (test hls_bitstream_configs; --flow hls or all): the v++ configs against the HLS
sources:
  * compile.cfg, link.cfg and design.mk are what gen-config.py makes of design.json;
  * every kernel named in nk=, every CU in sp=/stream_connect=/slr=, every port exists:
    the kernel has an extern "C" top function in hls/ with a parameter of that name, sp=
    ports are pointers (m_axi), stream_connect ports are hls::stream (axis), producers are
    output ports and consumers input ports, FIFO depths are given;
  * every m_axi port of every CU has a bank, every stream port of every CU is connected
    exactly once, every CU has an SLR; nk counts match design.json;
  * every top function has at least one port, its name is unique, and design.json's HLS
    parameters are ones hls/common/fnrt-hls-config.h knows;
  * the Makefile parses for every target (make -n, with v++ replaced by echo) and names one
    build folder per target and platform; make-sidecar.py writes a sidecar whose kernels,
    streams and source hash match.

OpenCL flow (make FLOW=opencl, test xrt_opencl_recipe; --flow opencl or all): the recipe
against the OpenCL backend's tables (host/src/backend/opencl/opencl-program.c) and kernels_cl:
  * every kernel of the runtime's kernel table is a __kernel of kernels_cl, defined in the
    file the runtime loads it from (prog_files), and no kernel is defined twice;
  * every -D tunable a kernels_cl file reads (#ifndef FNRT_*) is one the runtime passes;
  * gen-config.py --opencl-out (run by the Makefile) gives exactly the runtime's kernels, one
    CU each, an sp= bank of the card's memory kind for every __global argument (by name) and
    no sp= for anything else;
  * make -n FLOW=opencl, every target: one build folder build_dir.opencl.<target>.<platform>,
    each kernel compiled with -k from its kernels_cl file with every -D of the tuning table's
    accelerator column, a link step and make-sidecar.py --flow opencl;
  * make-sidecar.py --flow opencl: flow "opencl", the tunables, the kernels with their
    argument names and counts as kernels_cl declares them, the sha256 of every source file;
  * with clang installed, every kernels_cl file compiles on its own (OpenCL C 1.2) with the
    recipe's -D options.
Exit status 0 when all hold; every failure is printed."""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnrt_bitstreams as fb  # noqa: E402

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL " + msg)


def check_platform(d, tops, hls_dir, work):
    name = os.path.basename(d)
    n_fail = len(FAILS)
    design = fb.load_json(os.path.join(d, "design.json"))
    if design["platform"] != name:
        fail("%s: design.json platform %s differs from the folder name" % (name, design["platform"]))
    gen = dict(zip(("compile.cfg", "link.cfg", "design.mk"), fb.generate(design, tops)))
    for f, text in gen.items():
        path = os.path.join(d, f)
        if not os.path.exists(path) or open(path).read() != text:
            fail("%s/%s is not what gen-config.py makes of design.json" % (name, f))
    with open(os.path.join(d, "link.cfg")) as f:
        link = fb.parse_link_cfg(f.read())
    cu_kernel = {}
    for k, cus in link["nk"].items():
        if k not in tops:
            fail("%s: nk names kernel %s, no such HLS top function" % (name, k))
            continue
        for cu in cus:
            if cu in cu_kernel:
                fail("%s: CU name %s used twice" % (name, cu))
            cu_kernel[cu] = k
    for k, n in design["cus"].items():
        if len(link["nk"].get(k, [])) != n:
            fail("%s: design.json wants %d CUs of %s, link.cfg has %d" % (name, n, k, len(link["nk"].get(k, []))))

    def port_kind(cu, port, where):
        k = cu_kernel.get(cu)
        if k is None:
            fail("%s: %s names CU %s, which no nk= creates" % (name, where, cu))
            return None
        kind = tops[k]["ports"].get(port)
        if kind is None:
            fail("%s: %s names %s.%s, but %s has no parameter %s" % (name, where, cu, port, k, port))
        return kind

    banked = set()
    for cu, port, bank in link["sp"]:
        kind = port_kind(cu, port, "sp=")
        if kind and kind != "m_axi":
            fail("%s: sp= on %s.%s, which is %s, not a memory port" % (name, cu, port, kind))
        if design["memory"]["kind"] not in bank:
            fail("%s: sp=%s.%s:%s is not a %s bank" % (name, cu, port, bank, design["memory"]["kind"]))
        banked.add((cu, port))
    connected = {}
    for pcu, pport, ccu, cport, depth in link["sc"]:
        for cu, port, role in ((pcu, pport, "producer"), (ccu, cport, "consumer")):
            kind = port_kind(cu, port, "stream_connect=")
            if kind and kind != "axis":
                fail("%s: stream_connect uses %s.%s, which is %s, not a stream" % (name, cu, port, kind))
            if kind == "axis":
                if (role == "producer") == fb.is_input(port):
                    fail("%s: %s.%s cannot be a stream %s" % (name, cu, port, role))
            connected[(cu, port)] = connected.get((cu, port), 0) + 1
        if not depth:
            fail("%s: stream %s.%s -> %s.%s has no FIFO depth" % (name, pcu, pport, ccu, cport))
    slr_of = dict(link["slr"])
    for cu, k in cu_kernel.items():
        if cu not in slr_of:
            fail("%s: CU %s has no slr=" % (name, cu))
        for port, kind in tops[k]["ports"].items():
            if kind == "m_axi" and (cu, port) not in banked:
                fail("%s: %s.%s has no sp= bank" % (name, cu, port))
            if kind == "axis" and connected.get((cu, port), 0) != 1:
                fail("%s: stream %s.%s connected %d times" % (name, cu, port, connected.get((cu, port), 0)))
    slrs = design["memory"]["slrs"]
    for cu, slr in link["slr"]:
        if int(slr[3:]) >= slrs:
            fail("%s: %s placed in %s, the card has %d SLRs" % (name, cu, slr, slrs))
    config_h = open(os.path.join(hls_dir, "common", "fnrt-hls-config.h")).read()
    for key in design["hls"]:
        if "#ifndef %s" % key not in config_h:
            fail("%s: design.json sets %s, unknown to fnrt-hls-config.h" % (name, key))

    # Makefile dry runs, one build folder per target
    here = os.path.dirname(os.path.abspath(__file__))
    for target in ("sw_emu", "hw_emu", "hw"):
        r = subprocess.run(["make", "-n", "-C", here, "TARGET=" + target, "PLATFORM=" + name,
                            "VPP=echo", "PYTHON=echo"], capture_output=True, text=True)
        folder = "build_dir.%s.%s" % (target, name)
        r.stdout = r.stdout.replace("\\\n", " ")  # join continued recipe lines
        if r.returncode != 0:
            fail("%s: make -n TARGET=%s failed: %s" % (name, target, r.stderr.strip()[:300]))
        elif folder not in r.stdout or "-l " not in r.stdout:
            fail("%s: make -n TARGET=%s does not build into %s" % (name, target, folder))
        else:
            for k in link["nk"]:
                src = tops[k]["file"] if k in tops else "?"
                if not re.search(r"-k %s .*%s" % (k, re.escape(src)), r.stdout):
                    fail("%s: make -n TARGET=%s does not compile %s from %s" % (name, target, k, src))
    # sidecar
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, name + ".xclbin.json")
    r = subprocess.run([sys.executable, os.path.join(here, "make-sidecar.py"), "--design",
                        os.path.join(d, "design.json"), "--link", os.path.join(d, "link.cfg"),
                        "--hls", hls_dir, "--target", "hw", "--xclbin",
                        os.path.join(work, "absent.xclbin"), "--allow-missing-xclbin", "-o", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s: make-sidecar.py failed: %s" % (name, r.stderr.strip()))
        return
    side = json.load(open(out))
    if side["source_sha256"] != fb.source_hash(hls_dir) or len(side["streams"]) != len(link["sc"]):
        fail("%s: sidecar does not match the sources/configs" % name)
    if sorted(k["name"] for k in side["kernels"]) != sorted(link["nk"]):
        fail("%s: sidecar kernel list differs from link.cfg" % name)
    n_cu = sum(len(v) for v in link["nk"].values())
    if len(FAILS) == n_fail:
        print("ok %s: %d kernels, %d CUs, %d streams, %d memory ports, sidecar %s" % (
            name, len(link["nk"]), n_cu, len(link["sc"]), len(link["sp"]), out))


def check_opencl(d, a, work):
    """The OpenCL flow's recipe for platform folder d (see the module docstring)."""
    name = os.path.basename(d)
    n_fail = len(FAILS)
    design = fb.load_json(os.path.join(d, "design.json"))
    try:
        runtime = fb.parse_cl_runtime(a.runtime)
        cl = fb.parse_cl_kernels(a.kernels_cl)
    except SystemExit as e:
        fail("opencl %s: %s" % (name, e))
        return
    tune = dict((n, g) for n, _, g in runtime["tunables"])
    for k, f in runtime["kernels"]:
        if k not in cl:
            fail("opencl %s: the runtime's kernel table names %s (kernels_cl/%s), which no "
                 "kernels_cl/*.cl defines" % (name, k, f))
        elif cl[k]["file"] != f:
            fail("opencl %s: kernel %s is defined in kernels_cl/%s, the runtime loads it from %s"
                 % (name, k, cl[k]["file"], f))
    for t, files in sorted(fb.cl_tunables_read(a.kernels_cl).items()):
        if t not in tune:
            fail("opencl %s: kernels_cl/%s reads -D %s, which the runtime's tuning table does "
                 "not pass" % (name, files[0], t))

    # make -n FLOW=opencl: regenerates the configs into cfg (gen-config.py --opencl-out)
    here = os.path.dirname(os.path.abspath(__file__))
    cfg = os.path.join(work, "opencl." + name)
    for target in ("sw_emu", "hw_emu", "hw"):
        r = subprocess.run(["make", "-n", "-C", here, "FLOW=opencl", "TARGET=" + target,
                            "PLATFORM=" + name, "VPP=echo", "PYTHON=" + sys.executable,
                            "CL_CFG_DIR=" + cfg, "CL=" + os.path.abspath(a.kernels_cl),
                            "CL_RUNTIME=" + os.path.abspath(a.runtime)],
                           capture_output=True, text=True)
        out = r.stdout.replace("\\\n", " ")
        folder = "build_dir.opencl.%s.%s" % (target, name)
        if r.returncode != 0:
            fail("opencl %s: make -n FLOW=opencl TARGET=%s failed: %s" % (
                name, target, r.stderr.strip()[-400:]))
            return
        if folder not in out or " -l " not in out or "make-sidecar.py --flow opencl" not in out:
            fail("opencl %s: make -n FLOW=opencl TARGET=%s does not build and link into %s with "
                 "a sidecar" % (name, target, folder))
        defs = "".join(r" -D %s=%d" % (t, v) for t, v in tune.items())
        for k, f in runtime["kernels"]:
            pat = r"-c -t %s .*-k %s%s .*-o \S*%s/%s\.xo \S*/%s\n" % (
                target, k, re.escape(defs), re.escape(folder), k, re.escape(f))
            if not re.search(pat, out):
                fail("opencl %s: make -n FLOW=opencl TARGET=%s does not compile %s from "
                     "kernels_cl/%s with%s into %s" % (name, target, k, f, defs, folder))
    link_path = os.path.join(cfg, "opencl-link.cfg")
    if not os.path.exists(link_path):
        fail("opencl %s: the Makefile did not generate %s" % (name, link_path))
        return
    with open(link_path) as f:
        link = fb.parse_link_cfg(f.read())
    if sorted(link["nk"]) != sorted(k for k, _ in runtime["kernels"]):
        fail("opencl %s: link config kernels %s differ from the runtime's kernel table %s" % (
            name, sorted(link["nk"]), sorted(k for k, _ in runtime["kernels"])))
    cu_kernel = {}
    for k, cus in link["nk"].items():
        if len(cus) != 1:
            fail("opencl %s: %d CUs of %s (the OpenCL flow uses one)" % (name, len(cus), k))
        for cu in cus:
            cu_kernel[cu] = k
    banked = {}
    for cu, port, bank in link["sp"]:
        k = cu_kernel.get(cu)
        if k is None or k not in cl:
            fail("opencl %s: sp= names CU %s of no kernels_cl kernel" % (name, cu))
            continue
        kinds = dict(cl[k]["args"])
        if port not in kinds:
            fail("opencl %s: sp=%s.%s, but %s has no argument %s (kernels_cl/%s)" % (
                name, cu, port, k, port, cl[k]["file"]))
        elif kinds[port] not in ("global", "constant"):
            fail("opencl %s: sp=%s.%s names a %s argument, not a buffer" % (
                name, cu, port, kinds[port]))
        if not bank.startswith(design["memory"]["kind"] + "["):
            fail("opencl %s: sp=%s.%s:%s is not a %s bank" % (
                name, cu, port, bank, design["memory"]["kind"]))
        banked[(cu, port)] = banked.get((cu, port), 0) + 1
    for cu, k in cu_kernel.items():
        for arg, kind in cl.get(k, {"args": []})["args"]:
            if kind in ("global", "constant") and banked.get((cu, arg), 0) != 1:
                fail("opencl %s: buffer argument %s.%s has %d sp= banks (want 1)" % (
                    name, cu, arg, banked.get((cu, arg), 0)))

    # the sidecar writer
    side_path = os.path.join(work, "opencl." + name + ".xclbin.json")
    r = subprocess.run([sys.executable, os.path.join(here, "make-sidecar.py"), "--flow", "opencl",
                        "--design", os.path.join(d, "design.json"), "--link", link_path,
                        "--kernels-cl", a.kernels_cl, "--runtime", a.runtime, "--tune",
                        " ".join("%s=%d" % kv for kv in tune.items()), "--target", "hw",
                        "--xclbin", os.path.join(work, "absent.xclbin"),
                        "--allow-missing-xclbin", "-o", side_path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("opencl %s: make-sidecar.py --flow opencl failed: %s" % (name, r.stderr.strip()))
        return
    side = json.load(open(side_path))
    if side.get("flow") != "opencl" or side.get("tunables") != tune:
        fail("opencl %s: sidecar flow %s, tunables %s (want opencl, %s)" % (
            name, side.get("flow"), side.get("tunables"), tune))
    for e in side.get("kernels", []):
        want = cl.get(e["name"], {}).get("args")
        if [tuple(x) for x in e.get("args", [])] != want:
            fail("opencl %s: sidecar arguments of %s %s differ from kernels_cl's %s" % (
                name, e["name"], e.get("args"), want))
    for f in runtime["files"]:
        if side.get("sources", {}).get(f) != fb.file_sha256(os.path.join(a.kernels_cl, f)):
            fail("opencl %s: sidecar sha256 of kernels_cl/%s is wrong" % (name, f))

    # each file compiles on its own with the recipe's -D options
    if shutil.which("clang"):
        for f in runtime["files"]:
            r = subprocess.run(["clang", "-x", "cl", "-cl-std=CL1.2", "-fsyntax-only", "-Xclang",
                                "-finclude-default-header"] +
                               ["-D%s=%d" % kv for kv in tune.items()] +
                               [os.path.join(a.kernels_cl, f)], capture_output=True, text=True)
            if r.returncode != 0:
                fail("opencl %s: kernels_cl/%s does not compile with the recipe's -D options: %s"
                     % (name, f, r.stderr.strip()[-400:]))
    else:
        print("note: clang not installed: kernels_cl/*.cl not compiled with the recipe's -D")
    if len(FAILS) == n_fail:
        print("ok opencl %s: %d kernels, %d buffer arguments on %s, tunables %s, sidecar %s" % (
            name, len(link["nk"]), len(link["sp"]), fb.cl_memory_bank(design),
            " ".join("%s=%d" % kv for kv in tune.items()), side_path))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--flow", choices=["all", "hls", "opencl"], default="all")
    ap.add_argument("--hls", default=os.path.join(here, "..", "hls"))
    ap.add_argument("--kernels-cl", default=os.path.join(here, "..", "kernels_cl"))
    ap.add_argument("--runtime", default=os.path.join(here, "..", "host", "src", "backend",
                                                      "opencl", "opencl-program.c"))
    ap.add_argument("--bitstreams", default=here)
    ap.add_argument("--work", default="/tmp/fnrt-bitstream-check")
    a = ap.parse_args()
    dirs = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(a.bitstreams, "*", "design.json")))
    if len(dirs) < 2:
        fail("expected at least two platforms (a DDR and an HBM card)")
    if a.flow in ("all", "opencl"):
        os.makedirs(a.work, exist_ok=True)
        for d in dirs:
            check_opencl(d, a, a.work)
        if a.flow == "opencl":
            print("%d failure(s)" % len(FAILS))
            return 1 if FAILS else 0
    tops = fb.parse_tops(a.hls)
    if not tops:
        fail("no extern \"C\" top functions under %s" % a.hls)
    for k, t in tops.items():
        if not t["ports"]:
            fail("top %s has no ports" % k)
    print("HLS top functions: %s" % " ".join(sorted(tops)))
    for d in dirs:
        check_platform(d, tops, a.hls, a.work)
    print("%d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
