#!/usr/bin/python3
"""Time torch.nn layers in PyTorch the way ``bin/cubist bench`` times them in Cubist.

Run with Debian's interpreter (torch 1.13 built with oneDNN 2.6.3):

    /usr/bin/python3 tools/bench_torch.py --layer LAYER.json --input-shape N,C,D,H,W [--threads T] [--json]
    /usr/bin/python3 tools/bench_torch.py --suite [--batch 1,4] [--threads 2]

``--layer`` is the same ``{"module": NAME, "args": {...}}`` as ``cubist bench`` takes: a torch.nn class and
its constructor keyword arguments. Weights come from ``torch.manual_seed(seed)`` and PyTorch's default init, the
input is uniform in [-1, 1); everything is float32, under ``torch.no_grad()``, with the module in ``eval()`` and
``torch.set_num_threads(T)``. Each path runs ``--warmup`` untimed and ``--runs`` timed forward passes on the same
input; the median and the fastest run are reported.

Two paths are timed for every layer, and ``best`` is the faster one:

* ``default``: ``module(x)`` on a dense tensor -- whatever PyTorch's dispatcher picks. In 1.13 it only takes
  oneDNN (``mkldnn_convolution``) for a CPU float convolution when the batch is > 1, or groups > 1, or both spatial
  kernel sizes are > 3, or N*C*D*H > 20480 (``ConvParams::use_mkldnn`` in aten/src/ATen/native/Convolution.cpp);
  otherwise it runs ``slow_conv3d`` (im2col + GEMM on its generic BLAS here). Transposed 3D convolutions ran
  ``slow_conv_transpose3d`` at every batch size tried. The kernel it dispatched to is reported
  (``default_kernel``, from one profiled run).
* ``onednn``: what really forces oneDNN in 1.13 -- an MKLDNN-layout input (``x.to_mkldnn()``), which makes
  ``_convolution`` take the Mkldnn backend whatever the shape, with the module converted by
  ``torch.utils.mkldnn.to_mkldnn`` where it can be (``MkldnnConv1d/2d/3d`` with weights reordered once, like
  Cubist's ``prepare``; ``MkldnnBatchNorm``). ``torch.backends.mkldnn`` only has an on/off switch (on by
  default), nothing that forces it. ``to_mkldnn`` rejects ``padding='same'``; those convolutions run as plain
  modules on the MKLDNN input (weights reordered per call). The input conversion and the output's ``to_dense()``
  are outside the timed region, as in a network that stays in the oneDNN layout from layer to layer: this favours
  PyTorch. Not available in 1.13, reported as ``null`` with the reason: ConvTranspose (the MKLDNN input trips the
  shape check), AdaptiveAvgPool3d (no MKLDNN ``mean``), non-zero ``padding_mode`` (no MKLDNN padding ops). The
  oneDNN output is checked against the default path's (``max_abs_diff``).

GFLOP/s counts 2 x the MACs of the direct convolution, as ``ConvSpec.macs`` does in Cubist: every kernel tap,
padded or not; for transposed convolutions ``N * in_spatial * C_in * C_out/groups * taps``. Pools, BatchNorm3d and
ReLU have no GFLOP/s (``null``); ``gb_per_s`` counts input + output bytes.

``--suite`` runs the standard layer set (``SUITE`` below: C3D, R(2+1)D, depthwise, grouped, pointwise and
transposed 3D convolutions) at each ``--batch`` and prints a table. ``tools/bench_compare.py`` runs the same suite
through both ``bin/cubist bench`` and this script and prints a markdown comparison.
"""

import argparse
import copy
import json
import math
import os
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.utils.mkldnn as mkldnn_utils

MODULES = {
    "Conv1d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"],
    "Conv2d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"],
    "Conv3d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "padding_mode"],
    "ConvTranspose1d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                        "groups", "bias", "dilation", "padding_mode"],
    "ConvTranspose2d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                        "groups", "bias", "dilation", "padding_mode"],
    "ConvTranspose3d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
                        "groups", "bias", "dilation", "padding_mode"],
    "MaxPool3d": ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"],
    "AvgPool3d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
    "AdaptiveAvgPool3d": ["output_size"],
    "BatchNorm3d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "ReLU": ["inplace"],
}


# The standard layer set, (name, layer, input shape without the batch), NCDHW: tools/bench_layers.json, the one
# definition, read by the comparison tools and tools/gpu_check.sh alike.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_layers.json")) as _f:
    SUITE = [(e["name"], e["layer"], e["input"]) for e in json.load(_f)]


# The innermost aten op of the default path, as the profiler names it.
KERNEL_RE = re.compile(r"aten::(mkldnn_\w+|slow_conv\w*|thnn_conv\w*|_nnpack\w*|_?xnnpack\w*|\w*depthwise\w*)")


def parse_shape(text):
    parts = text.strip().strip("[]").split(",")
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        shape = []
    if not shape or any(d < 1 for d in shape):
        raise SystemExit(f"bench_torch: --input-shape must be positive ints separated by commas, batch first "
                         f"(N,C,D,H,W), got '{text}'")
    return shape


def build(layer, seed):
    """The module ``torch.nn.NAME(**args)``, with PyTorch's default init from ``seed``, in eval mode."""
    if not isinstance(layer, dict) or set(layer) - {"module", "args"} or "module" not in layer:
        raise SystemExit('bench_torch: a layer is {"module": NAME, "args": {...}}')
    name = layer["module"]
    args = layer.get("args", {})
    if name not in MODULES:
        raise SystemExit(f"bench_torch: unknown module '{name}'; modules: {', '.join(MODULES)}")
    unknown = [k for k in args if k not in MODULES[name]]
    if unknown:
        raise SystemExit(f"bench_torch: {name}: unknown argument(s) {', '.join(unknown)}; {name} takes "
                         f"{', '.join(MODULES[name])}")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
    torch.manual_seed(seed)
    try:
        m = getattr(nn, name)(**kwargs).float().eval()
    except (TypeError, ValueError, RuntimeError) as e:
        raise SystemExit(f"bench_torch: {name}: {e}")
    if isinstance(m, nn.BatchNorm3d):
        # non-trivial running statistics, like a trained network's (Cubist: mean in [-1, 1), var in [0.5, 1.5))
        g = torch.Generator().manual_seed(seed + 1)
        m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 2 - 1)
        m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return m


def conv_flops(m, in_shape, out_shape):
    """2 x MACs of the direct convolution (Cubist's ConvSpec.flops), or None for other modules."""
    if not isinstance(m, nn.modules.conv._ConvNd):
        return None
    taps = math.prod(m.kernel_size)
    n = in_shape[0]
    if m.transposed:
        return 2 * n * math.prod(in_shape[2:]) * m.in_channels * (m.out_channels // m.groups) * taps
    return 2 * n * math.prod(out_shape[2:]) * m.out_channels * (m.in_channels // m.groups) * taps


def time_runs(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        ms.append((time.perf_counter_ns() - t0) / 1e6)
    return {"ms_median": statistics.median(ms), "ms_min": min(ms), "ms_all": ms}


def default_kernel(m, x):
    with torch.autograd.profiler.profile() as prof:
        m(x)
    for e in prof.function_events:
        hit = KERNEL_RE.fullmatch(e.name)
        if hit:
            return hit.group(1)
    return None


def onednn_module(m):
    """(module, how): the oneDNN-converted module where to_mkldnn can convert it, else the module itself."""
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        raise RuntimeError("torch 1.13 has no oneDNN path for ConvTranspose with an MKLDNN input (the input "
                           "trips the non-transposed shape check) and to_mkldnn does not convert it")
    if isinstance(m, nn.AdaptiveAvgPool3d):
        raise RuntimeError("torch 1.13 has no MKLDNN kernel for AdaptiveAvgPool3d (aten::mean)")
    if getattr(m, "padding_mode", "zeros") != "zeros":
        raise RuntimeError(f"padding_mode='{m.padding_mode}' pads with F.pad, which has no MKLDNN kernel")
    try:
        return mkldnn_utils.to_mkldnn(copy.deepcopy(m)), "to_mkldnn(module)"
    except Exception:  # e.g. padding='same': to_mkldnn wants int padding; run the module on the MKLDNN input
        return m, "module on to_mkldnn() input"


def bench_layer(layer, shape, threads, warmup=3, runs=10, seed=0):
    """Times both paths of one layer; returns a JSON-ready dict."""
    torch.set_num_threads(threads)
    m = build(layer, seed)
    g = torch.Generator().manual_seed(seed ^ 0x5DEECE66D)
    x = (torch.rand(*shape, generator=g) * 2 - 1).contiguous()
    with torch.no_grad():
        y = m(x)
        result = {
            "layer": repr(m),
            "layer_spec": layer,
            "input_shape": list(shape),
            "output_shape": list(y.shape),
            "threads": threads,
            "warmup": warmup,
            "runs": runs,
            "torch": torch.__version__,
        }
        d = time_runs(lambda: m(x), warmup, runs)
        d["kernel"] = default_kernel(m, x)
        result["default"] = d
        try:
            mm, how = onednn_module(m)
            xm = x.to_mkldnn()
            ym = mm(xm)
            if not ym.is_mkldnn:
                raise RuntimeError("the output is not an MKLDNN tensor: oneDNN did not run")
            o = time_runs(lambda: mm(xm), warmup, runs)
            o["how"] = how
            o["max_abs_diff"] = (ym.to_dense() - y).abs().max().item()
            result["onednn"] = o
        except Exception as e:  # noqa: BLE001 -- any failure means "no oneDNN path", reported with its reason
            result["onednn"] = None
            result["onednn_error"] = str(e).splitlines()[0][:300]
    best = "default"
    if result["onednn"] is not None and result["onednn"]["ms_median"] < d["ms_median"]:
        best = "onednn"
    result["best"] = best
    result["ms_median"] = result[best]["ms_median"]
    result["ms_min"] = result[best]["ms_min"]
    flops = conv_flops(m, shape, result["output_shape"])
    result["flops"] = flops
    result["gflops"] = None if flops is None else flops / (result["ms_median"] * 1e6)
    result["gb_per_s"] = 4 * (x.numel() + y.numel()) / (result["ms_median"] * 1e6)
    return result


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_result(r):
    rows = [
        ("layer", r["layer"]),
        ("input", str(r["input_shape"])),
        ("output", str(r["output_shape"])),
        ("threads", str(r["threads"])),
        ("default", f"{r['default']['ms_median']:.3f} ms median, {r['default']['ms_min']:.3f} ms min"
                    f" ({r['default']['kernel'] or 'no conv kernel'})"),
        ("onednn", f"{r['onednn']['ms_median']:.3f} ms median, {r['onednn']['ms_min']:.3f} ms min"
                   f" ({r['onednn']['how']}, max |diff| {r['onednn']['max_abs_diff']:.2e})"
         if r["onednn"] else f"n/a: {r['onednn_error']}"),
        ("best", r["best"]),
    ]
    if r["gflops"] is not None:
        rows.append(("throughput", f"{r['gflops']:.1f} GFLOP/s"))
    else:
        rows.append(("throughput", f"{r['gb_per_s']:.2f} GB/s (input + output)"))
    for k, v in rows:
        print(f"{k:<12} {v}")


def suite_shapes(batches):
    for batch in batches:
        for name, layer, chw in SUITE:
            yield name, layer, [batch] + chw, batch


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example:\n  /usr/bin/python3 tools/bench_torch.py --threads 2 "
                                        "--input-shape 1,128,8,28,28 \\\n      --layer '{\"module\": \"Conv3d\", "
                                        "\"args\": {\"in_channels\": 128, \"out_channels\": 256, "
                                        "\"kernel_size\": 3, \"padding\": 1}}'")
    ap.add_argument("--layer", help='{"module": NAME, "args": {...}}: a torch.nn class and its constructor kwargs')
    ap.add_argument("--input-shape", help="input shape, batch first: N,C,D,H,W")
    ap.add_argument("--suite", action="store_true", help="run the standard layer set (see SUITE) and print a table")
    ap.add_argument("--batch", default="1,4", help="--suite: batch sizes, comma-separated (default 1,4)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help=f"torch.set_num_threads (default: every processor, {os.cpu_count()})")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs per path (default 3)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per path (default 10)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the weights and input (default 0)")
    ap.add_argument("--json", action="store_true", help="print JSON (one object per layer, one per line)")
    a = ap.parse_args(argv)
    if a.threads < 1 or a.runs < 1 or a.warmup < 0:
        ap.error("--threads and --runs must be >= 1, --warmup >= 0")
    if a.suite == bool(a.layer or a.input_shape):
        ap.error("give either --suite or --layer with --input-shape")
    if a.suite:
        batches = [int(b) for b in a.batch.split(",")]
        results = []
        for name, layer, shape, batch in suite_shapes(batches):
            r = bench_layer(layer, shape, a.threads, a.warmup, a.runs, a.seed)
            r["name"] = name
            results.append(r)
            if a.json:
                print(json.dumps(r), flush=True)
        if not a.json:
            print(f"torch {torch.__version__}, {a.threads} threads, median of {a.runs} runs after {a.warmup} warmup\n")
            print(f"{'layer':<22} {'batch':>5} {'default ms':>11} {'oneDNN ms':>10} {'best':>7} {'GFLOP/s':>8}"
                  f"  default kernel")
            for r in results:
                o = r["onednn"]
                print(f"{r['name']:<22} {r['input_shape'][0]:>5} {r['default']['ms_median']:>11.2f} "
                      f"{fmt(o and o['ms_median'], '.2f'):>10} {r['best']:>7} {fmt(r['gflops'], '.1f'):>8}"
                      f"  {r['default']['kernel']}")
        return 0
    if not (a.layer and a.input_shape):
        ap.error("--layer and --input-shape go together")
    try:
        layer = json.loads(a.layer)
    except json.JSONDecodeError as e:
        raise SystemExit(f"bench_torch: --layer is not valid JSON: {e}")
    r = bench_layer(layer, parse_shape(a.input_shape), a.threads, a.warmup, a.runs, a.seed)
    if a.json:
        print(json.dumps(r))
    else:
        print_result(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
