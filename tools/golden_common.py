"""Driver code shared by make-golden.py and make-golden-crossmodal.py: the common command
line (--out-dir, --keep-tmp, --verbose), the scratch directory, running the other tools,
the checks on the pre-normalisation outputs and the closing list of files with their sha256.
"""

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
MIN_NORM = 1e-2


def arg_parser(description, keep_tmp_help):
    """argparse parser with the options both scripts take."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "tests", "data"))
    ap.add_argument("--keep-tmp", metavar="DIR", help=keep_tmp_help)
    ap.add_argument("--verbose", action="store_true", help="print per-layer RMS values")
    return ap


@contextlib.contextmanager
def work_dir(keep, prefix):
    """Yields `keep` (created, kept afterwards) or a fresh temporary directory (removed)."""
    tmp = keep or tempfile.mkdtemp(prefix=prefix)
    os.makedirs(tmp, exist_ok=True)
    try:
        yield tmp
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(prog, cmd):
    """Runs cmd; returns its output, or exits naming prog and the command if it failed."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout)
        raise SystemExit("%s: command failed (%d): %s" % (prog, r.returncode, " ".join(cmd)))
    return r.stdout


def run_tool(prog, script, *args):
    """Runs tools/<script> with this Python."""
    return run(prog, [sys.executable, os.path.join(TOOLS, script)] + list(args))


def report(prog, label, pre, tanh=False):
    """Prints the statistics of pre, a (3,H,W) output before normalisation; False (with a
    message on stderr) if its minimum norm is <= MIN_NORM or a channel is nearly constant
    (std < 0.05) or, for a tanh output, more than 5% of it is saturated (|x| > 0.99)."""
    norm = np.sqrt((pre.astype(np.float64) ** 2).sum(axis=0))
    std = pre.reshape(3, -1).std(axis=1)
    sat = float((np.abs(pre) > 0.99).mean())
    print("  %-9s min pre-normalisation norm %.4f (max %.4f, mean %.4f); %sper-channel std %s"
          % (label, norm.min(), norm.max(), norm.mean(),
             "|tanh|>0.99: %.2f%%; " % (100.0 * sat) if tanh else "",
             np.array2string(std, precision=3)))
    ok = True
    if norm.min() <= MIN_NORM:
        print("%s: %s minimum norm %.3g <= %g" % (prog, label, norm.min(), MIN_NORM),
              file=sys.stderr)
        ok = False
    if tanh and (sat > 0.05 or std.min() < 0.05):
        print("%s: %s output saturated or nearly constant" % (prog, label), file=sys.stderr)
        ok = False
    elif not tanh and std.min() < 0.05:
        print("%s: %s output nearly constant" % (prog, label), file=sys.stderr)
        ok = False
    return ok


def dump_rms(dump):
    """(layer name, shape, RMS) of every DIR/<name>.npy, sorted by file name."""
    for f in sorted(os.listdir(dump)):
        a = np.load(os.path.join(dump, f))
        yield f[:-4], a.shape, np.sqrt((a ** 2).mean())


def print_files(paths, width):
    for path in paths:
        print("  %-*s %9d bytes  sha256 %s" % (width, os.path.basename(path),
                                             os.path.getsize(path), sha256_file(path)))
