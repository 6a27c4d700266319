#!/usr/bin/env python3
"""Writes the JSON sidecar of an xclbin (fnr2r.xclbin.json), which the runtime checks
before it uses the xclbin:

  {"format": "fnrt-xclbin/1", "xclbin": "fnr2r.xclbin", "xclbin_sha256": ...,
   "xclbin_uuid": ...,                    the axlf header's uuid (hex), as XRT reports it
   "platform": ..., "target": "sw_emu|hw_emu|hw", "precision": "fp32|int16|int8",
   "hls": {FNRT_HLS_*: value},            the compile-time parameters of every kernel
   "kernels": [{"name", "cus": [...], "ports": {name: "axis|m_axi|scalar"}}],
   "streams": [[producer_cu, port, consumer_cu, port, depth]],
   "source_sha256": ...,                  hash of the HLS sources (fnrt_bitstreams.source_hash)
   "layout": {"activations": "blocked", "lanes": P, "weights": "packed-steps"},
   "predicted": {...}}                    fnrt-sim's prediction for this design

  python3 make-sidecar.py --design D/design.json --link D/link.cfg --hls ../hls \\
      --target hw --xclbin build_dir.hw.D/fnr2r.xclbin -o build_dir.hw.D/fnr2r.xclbin.json
The xclbin may be absent (--allow-missing-xclbin, used by the tests): its hash and uuid are
then null, and the runtime refuses the sidecar (it cannot vouch for any xclbin).

With --flow opencl (make FLOW=opencl) the sidecar of an xclbin of the kernels_cl kernels:

  {"format": "fnrt-xclbin/1", "flow": "opencl", "xclbin", "xclbin_sha256", "xclbin_uuid",
   "platform", "target",
   "tunables": {FNRT_CONV_OB: 8, ...},    the -D values every kernel was compiled with
   "build_options": "-D FNRT_CONV_OB=8 ...",
   "kernels": [{"name", "source": "conv.cl", "cus": [...], "args": [[name, kind], ...]}],
   "sources": {"conv.cl": sha256, ...},   every kernels_cl file the runtime compiles
   "memory": [[cu, port, bank]]}

  python3 make-sidecar.py --flow opencl --design D/design.json --link B/opencl-link.cfg \
      --kernels-cl ../kernels_cl --runtime ../host/src/backend/opencl/opencl-program.c \
      --tune "FNRT_CONV_OB=8 ..." --target hw --xclbin B/fnrt-cl.xclbin -o B/fnrt-cl.xclbin.json
The OpenCL backend (host/src/backend/opencl/opencl-xclbin.c) refuses an xclbin without it,
one whose sha256/uuid differ, an HLS-flow one ("use -b xrt"), tunables other than its table's
names or out of range or contradicted by $FNRT_OPENCL_TUNE (it adopts the sidecar's values
otherwise), a kernel of its table not listed from the same file, and kernels_cl sources whose
sha256 differs from its own.  The HLS flow's sidecars carry "flow": "hls".

The runtime (host/src/backend/xrt/xrt-sidecar.c) checks at load: format, xclbin_sha256
against the file, xclbin_uuid against its header, the card of "platform" against the
xclbin's platform VBNV, precision against hls.FNRT_HLS_PREC, layout (blocked, lanes =
FNRT_HLS_P, packed-steps), and that "kernels" lists exactly the xclbin's kernels, CUs and
port kinds; it packs activations and weights for the precision and lanes of "hls"."""

# struct axlf (xrt/xclbin.h): m_header.uuid at byte 416, 16 bytes
AXLF_UUID_OFFSET = 416

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fnrt_bitstreams as fb  # noqa: E402


def xclbin_id(a):
    """(sha256, uuid) of the xclbin, (None, None) when absent and allowed to be."""
    digest = None
    uuid = None
    if os.path.exists(a.xclbin):
        h = hashlib.sha256()
        with open(a.xclbin, "rb") as f:
            head = f.read(AXLF_UUID_OFFSET + 16)
            h.update(head)
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        if head[:8] != b"xclbin2\0" or len(head) < AXLF_UUID_OFFSET + 16:
            sys.exit("make-sidecar: %s is not an xclbin" % a.xclbin)
        uuid = head[AXLF_UUID_OFFSET:AXLF_UUID_OFFSET + 16].hex()
    elif not a.allow_missing_xclbin:
        sys.exit("make-sidecar: %s does not exist" % a.xclbin)
    return digest, uuid


def opencl_sidecar(a, design, link):
    runtime = fb.parse_cl_runtime(a.runtime)
    cl = fb.parse_cl_kernels(a.kernels_cl)
    tune = fb.parse_cl_tune(a.tune, runtime)
    kernels = []
    for k, cus in sorted(link["nk"].items()):
        if k not in cl:
            sys.exit("make-sidecar: link config names kernel %s that no kernels_cl/*.cl defines" % k)
        kernels.append({"name": k, "source": cl[k]["file"], "cus": cus,
                        "args": [list(x) for x in cl[k]["args"]]})
    missing = [k for k, _ in runtime["kernels"] if k not in link["nk"]]
    if missing:
        sys.exit("make-sidecar: link config lacks kernels the runtime launches: %s" % " ".join(missing))
    digest, uuid = xclbin_id(a)
    return {
        "format": "fnrt-xclbin/1",
        "flow": "opencl",
        "xclbin": os.path.basename(a.xclbin),
        "xclbin_sha256": digest,
        "xclbin_uuid": uuid,
        "platform": design["platform"],
        "target": a.target,
        "clock_mhz": design["clock_mhz"],
        "tunables": tune,
        "build_options": " ".join("-D %s=%d" % (n, tune[n]) for n, _, _ in runtime["tunables"]),
        "kernels": kernels,
        "sources": {f: fb.file_sha256(os.path.join(a.kernels_cl, f)) for f in runtime["files"]},
        "memory": [[cu, port, bank] for cu, port, bank in link["sp"]],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flow", choices=["hls", "opencl"], default="hls")
    ap.add_argument("--design", required=True)
    ap.add_argument("--link", required=True)
    ap.add_argument("--hls", help="hls/ (flow hls)")
    ap.add_argument("--kernels-cl", help="kernels_cl/ (flow opencl)")
    ap.add_argument("--runtime", help="host/src/backend/opencl/opencl-program.c (flow opencl)")
    ap.add_argument("--tune", help="the CL_TUNE the kernels were compiled with (flow opencl)")
    ap.add_argument("--target", required=True, choices=["sw_emu", "hw_emu", "hw"])
    ap.add_argument("--xclbin", required=True)
    ap.add_argument("--allow-missing-xclbin", action="store_true")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    design = fb.load_json(a.design)
    with open(a.link) as f:
        link = fb.parse_link_cfg(f.read())
    if a.flow == "opencl":
        if not (a.kernels_cl and a.runtime and a.tune is not None):
            ap.error("--flow opencl needs --kernels-cl, --runtime and --tune")
        write(a.output, opencl_sidecar(a, design, link))
        return 0
    if not a.hls:
        ap.error("--flow hls needs --hls")
    tops = fb.parse_tops(a.hls)
    digest, uuid = xclbin_id(a)
    kernels = []
    for k, cus in sorted(link["nk"].items()):
        if k not in tops:
            sys.exit("make-sidecar: link config names kernel %s that has no HLS top" % k)
        kernels.append({"name": k, "cus": cus, "ports": tops[k]["ports"],
                        "source": tops[k]["file"]})
    side = {
        "format": "fnrt-xclbin/1",
        "flow": "hls",
        "xclbin": os.path.basename(a.xclbin),
        "xclbin_sha256": digest,
        "xclbin_uuid": uuid,
        "platform": design["platform"],
        "target": a.target,
        "precision": design["precision"],
        "clock_mhz": design["clock_mhz"],
        "hls": design["hls"],
        "kernels": kernels,
        "streams": [[p, pp, c, cp, int(d) if d else None] for p, pp, c, cp, d in link["sc"]],
        "memory": [[cu, port, bank] for cu, port, bank in link["sp"]],
        "source_sha256": fb.source_hash(a.hls),
        "layout": {"activations": "blocked", "lanes": design["hls"]["FNRT_HLS_P"],
                   "weights": "packed-steps"},
        "mapping": design.get("mapping", "pooled"),
        "predicted": design.get("predicted", {}),
    }
    write(a.output, side)
    return 0


def write(path, side):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(side, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
