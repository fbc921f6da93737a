#!/usr/bin/python3
"""Cubist against PyTorch on the standard layer set, one markdown table.

    /usr/bin/python3 tools/bench_compare.py [--batch 1,4] [--threads 2] [--layers c3d_conv1,...] [--json-out F]

For every layer of ``tools/bench_torch.py``'s ``SUITE`` at every batch size it runs ``bin/cubist bench --json``
and ``tools/bench_torch.py --json`` with the same layer, input shape, threads, warmup and runs, one process at a
time (each in a fresh process, so neither warms the other's caches or competes for cores), and prints:

    layer | batch | Cubist ms | Cubist GFLOP/s | PyTorch default ms | PyTorch oneDNN ms | faster PyTorch path |
    ratio | Cubist fraction of peak

``ratio`` is PyTorch's best median / Cubist's median: above 1 Cubist is faster. The fraction of peak is Cubist's
GFLOP/s over the FMA peak ``cubist bench`` measured in the same process just before the layer. All times are
medians. The footer gives the range of the 1-minute load average seen after each layer: with other work on the
machine every figure is noisy (the peak, measured in the same conditions, less so as a ratio). ``--json-out``
keeps both tools' full JSON output.
"""

import argparse
import json
import os
import subprocess
import sys
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
from bench_torch import SUITE  # noqa: E402  (the one definition of the layer set)


def run_json(cmd):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"bench_compare: {' '.join(cmd[:3])} ... failed ({p.returncode}):\n{p.stderr.strip()}")
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    return json.loads(lines[-1])


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", default="1,4", help="batch sizes, comma-separated (default 1,4)")
    ap.add_argument("--threads", type=int, default=2, help="threads for both (default 2)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs (default 3)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs (default 10)")
    ap.add_argument("--layers", help="only these suite layers, comma-separated (default: all)")
    ap.add_argument("--backend", default="cpu", help="Cubist backend (default cpu)")
    ap.add_argument("--cubist", default=os.path.join(ROOT, "bin", "cubist"), help="the launcher")
    ap.add_argument("--json-out", help="write every raw result here (a JSON list)")
    a = ap.parse_args(argv)
    names = [n for n, _, _ in SUITE]
    wanted = a.layers.split(",") if a.layers else names
    for w in wanted:
        if w not in names:
            ap.error(f"unknown layer '{w}'; suite layers: {', '.join(names)}")
    common = ["--threads", str(a.threads), "--warmup", str(a.warmup), "--runs", str(a.runs), "--json"]
    rows = []
    raw = []
    started = time.time()
    for batch in [int(b) for b in a.batch.split(",")]:
        for name, layer, chw in SUITE:
            if name not in wanted:
                continue
            spec = json.dumps(layer)
            shape = ",".join(str(d) for d in [batch] + chw)
            c = run_json([a.cubist, "bench", "--layer", spec, "--input-shape", shape, "--backend", a.backend]
                         + common)
            t = run_json([sys.executable, os.path.join(TOOLS, "bench_torch.py"), "--layer", spec,
                          "--input-shape", shape] + common)
            raw.append({"name": name, "batch": batch, "cubist": c, "torch": t, "loadavg_1min": os.getloadavg()[0]})
            o = t["onednn"]
            rows.append([name, str(batch), f"{c['ms_median']:.2f}", fmt(c["gflops"], ".1f"),
                         f"{t['default']['ms_median']:.2f}", fmt(o and o["ms_median"], ".2f"),
                         t["best"] if o else "default (no oneDNN path)",
                         f"{t['ms_median'] / c['ms_median']:.2f}", fmt(c["fraction_of_peak"], ".1%")])
            print(f"  {name} batch {batch}: cubist {c['ms_median']:.1f} ms, torch best {t['ms_median']:.1f} ms",
                  file=sys.stderr, flush=True)
    header = ["layer", "batch", "Cubist ms", "Cubist GFLOP/s", "PyTorch default ms", "PyTorch oneDNN ms",
              "faster PyTorch path", "ratio (PyTorch best / Cubist)", "Cubist fraction of peak"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    peaks = [x["cubist"]["peak_gflops"] for x in raw]
    if raw:
        c0 = raw[0]["cubist"]
        print(f"\n{a.threads} threads, median of {a.runs} runs after {a.warmup} warmup; Cubist backend "
              f"{c0['backend']}, {c0['vector_bits']}-bit vectors, FMA peak measured {min(peaks):.0f}-"
              f"{max(peaks):.0f} GFLOP/s; torch {raw[0]['torch']['torch']}; {time.time() - started:.0f} s in all.")
        loads = [x["loadavg_1min"] for x in raw]
        print(f"1-minute load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} processors"
              + (": other work shared the machine, expect noise" if max(loads) > os.cpu_count() else "") + ".")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(raw, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
