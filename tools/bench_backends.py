#!/usr/bin/python3
"""Two Cubist backends side by side on the standard layer set, one markdown table.

    /usr/bin/python3 tools/bench_backends.py [--backends cpu,opencl] [--batch 1] [--threads 2] [--layers ...]

For every layer of ``tools/bench_torch.py``'s ``SUITE`` (the layer set ``tools/bench_compare.py`` runs beside
PyTorch) at every batch size it runs ``bin/cubist bench --json`` once per backend, each in a fresh process, one at
a time, and prints per layer the median time and GFLOP/s of each backend and ``ratio`` = first backend's median /
second's (above 1 the second is faster). The footer gives the range of the 1-minute load average: with other work
on the machine every figure is noisy.
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
        raise SystemExit(f"bench_backends: {' '.join(cmd[:6])} ... failed ({p.returncode}):\n{p.stderr.strip()}")
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    return json.loads(lines[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backends", default="cpu,opencl", help="two backends, comma-separated (default cpu,opencl)")
    ap.add_argument("--batch", default="1", help="batch sizes, comma-separated (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="threads for the cpu engine (default 2)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs (default 1)")
    ap.add_argument("--warmup-seconds", type=float, default=2, help="and at least this long (default 2)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    ap.add_argument("--layers", help="only these suite layers, comma-separated (default: all)")
    ap.add_argument("--cubist", default=os.path.join(ROOT, "bin", "cubist"), help="the launcher")
    ap.add_argument("--json-out", help="write every raw result here (a JSON list)")
    a = ap.parse_args(argv)
    backends = a.backends.split(",")
    if len(backends) != 2:
        ap.error("--backends takes exactly two names")
    names = [n for n, _, _ in SUITE]
    wanted = a.layers.split(",") if a.layers else names
    for w in wanted:
        if w not in names:
            ap.error(f"unknown layer '{w}'; suite layers: {', '.join(names)}")
    common = ["--threads", str(a.threads), "--warmup", str(a.warmup), "--warmup-seconds", str(a.warmup_seconds),
              "--runs", str(a.runs), "--json"]
    rows, raw, loads = [], [], []
    started = time.time()
    for batch in [int(b) for b in a.batch.split(",")]:
        for name, layer, chw in SUITE:
            if name not in wanted:
                continue
            shape = ",".join(str(d) for d in [batch] + chw)
            res = [run_json([a.cubist, "bench", "--layer", json.dumps(layer), "--input-shape", shape,
                             "--backend", b] + common) for b in backends]
            loads.append(os.getloadavg()[0])
            raw.append({"name": name, "batch": batch, "results": res})
            x, y = res
            rows.append([name, str(batch), f"{x['ms_median']:.1f}", f"{x['gflops']:.1f}", f"{y['ms_median']:.1f}",
                         f"{y['gflops']:.1f}", f"{x['ms_median'] / y['ms_median']:.2f}"])
            print(f"  {name} batch {batch}: {backends[0]} {x['ms_median']:.1f} ms, {backends[1]} "
                  f"{y['ms_median']:.1f} ms", file=sys.stderr, flush=True)
    b0, b1 = backends
    header = ["layer", "batch", f"{b0} ms", f"{b0} GFLOP/s", f"{b1} ms", f"{b1} GFLOP/s",
              f"ratio ({b0} ms / {b1} ms)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if raw:
        print(f"\n{a.threads} threads, median of {a.runs} runs after {a.warmup} warmup; {time.time() - started:.0f} s"
              f" in all; 1-minute load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} processors"
              + (": other work shared the machine, expect noise" if max(loads) > os.cpu_count() else "") + ".")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(raw, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
