#!/usr/bin/env python3
"""Checks the v++ configs against the HLS sources, without Vitis (test hls_bitstream_configs):
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
Exit status 0 when all hold; every failure is printed."""

import argparse
import glob
import json
import os
import re
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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--hls", default=os.path.join(here, "..", "hls"))
    ap.add_argument("--bitstreams", default=here)
    ap.add_argument("--work", default="/tmp/fnrt-bitstream-check")
    a = ap.parse_args()
    tops = fb.parse_tops(a.hls)
    if not tops:
        fail("no extern \"C\" top functions under %s" % a.hls)
    for k, t in tops.items():
        if not t["ports"]:
            fail("top %s has no ports" % k)
    print("HLS top functions: %s" % " ".join(sorted(tops)))
    dirs = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(a.bitstreams, "*", "design.json")))
    if len(dirs) < 2:
        fail("expected at least two platforms (a DDR and an HBM card)")
    for d in dirs:
        check_platform(d, tops, a.hls, a.work)
    print("%d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
