#!/usr/bin/python3
"""Whole models, Cubist beside PyTorch on the same machine and thread budget: clips per second.

    /usr/bin/python3 tools/bench_models.py [--models r3d_18,mc3_18,r2plus1d_18] [--batch 1,4] [--threads 2]

PyTorch side: torchvision 0.14's model with random weights, ``eval()``, ``torch.no_grad()``, float32,
``torch.set_num_threads(T)``, on random clips of each model's default size (``video_models.default_clip``:
16x112x112 for the video ResNets, s3d 16x224x224, x3d_s 13x160x160, x3d_m 16x224x224, i3d 64x224x224,
slowfast_r50 32x224x224; the models beyond torchvision's from tools/video_models.py), ``--warmup`` untimed and
``--runs`` timed forward passes, median. Two paths, and the faster one counts: ``default`` (``model(x)``; at
batch 1 PyTorch 1.13's dispatcher sends some 3D convolutions to its slow im2col path, see bench_torch.py) and
``onednn`` (``torch.utils.mkldnn.to_mkldnn(model)`` on an MKLDNN-layout input, converted back to dense before the
global pooling, which has no MKLDNN kernel; for the families whose other layers have no MKLDNN kernel at all (X3D's
swish and gates, I3D's padding, SlowFast's frame selection) every Conv3d alone is forced through oneDNN, its input
and output converted).
Cubist side: ``bin/cubist bench --model NAME --batch N --threads T --json`` (same warm-up, runs and median).
With ``--ort`` also ONNX Runtime's CPU provider (its Java package, ``tools/fetch_onnxruntime.sh``; ``--ort-jar`` or
``$ORT_JAR`` to give the jar): the PyTorch model exported by ``tools/export_onnx.py`` (opset 13), ``T`` intra-op
threads, all graph optimizations, run by ``tools/OrtBench.java``; the ratio is then to the best of PyTorch's two
paths and ONNX Runtime.
Prints a markdown table with the ratio Cubist clips/s / PyTorch clips/s and the load average when each ran:
timings on a shared machine are noise, so compare ratios from one quiet run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torchvision.models.video as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import video_models as vm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def clip_shape(name, batch):
    return vm.default_clip(name, batch)


def torch_model(name):
    return getattr(tvm, name)() if hasattr(tvm, name) and name not in vm.BUILDERS else vm.build(name)


class _ToDense(torch.nn.Module):
    def forward(self, x):
        return x.to_dense() if x.is_mkldnn else x


class _OneDnnConv(torch.nn.Module):
    """A Conv3d forced through oneDNN (MkldnnConv3d) inside a dense model: the input converted to oneDNN's layout
    and the output back, for models whose other layers have no oneDNN kernel."""

    def __init__(self, conv):
        super().__init__()
        import torch.utils.mkldnn as mkldnn_utils
        self.conv = mkldnn_utils.to_mkldnn(torch.nn.Sequential(conv))[0]

    def forward(self, x):
        return self.conv(x.to_mkldnn()).to_dense()


def onednn_per_conv(model):
    """A copy of ``model`` with every Conv3d forced through oneDNN (see _OneDnnConv)."""
    import copy
    m = copy.deepcopy(model)
    for name, child in list(m.named_modules()):
        for attr, sub in list(child.named_children()):
            if type(sub) is torch.nn.Conv3d:
                setattr(child, attr, _OneDnnConv(sub))
    return m


def _median_seconds(fn, x, warmup, runs):
    times = []
    with torch.no_grad():
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            fn(x)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


def torch_clips_per_sec(name, batch, threads, warmup, runs):
    """(default clips/s, oneDNN clips/s or None, why oneDNN could not run)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch_model(name).eval()
    x = torch.rand(*clip_shape(name, batch)) * 2 - 1
    default = batch / _median_seconds(model, x, warmup, runs)
    try:
        import copy
        import torch.utils.mkldnn as mkldnn_utils
        m = copy.deepcopy(model)
        if hasattr(m, "avgpool") and hasattr(m, "fc"):  # torchvision's video ResNets
            m.avgpool = torch.nn.Sequential(_ToDense(), m.avgpool)
            m = mkldnn_utils.to_mkldnn(m)
            m.fc = model.fc  # dense input by then
        else:
            # the other families have layers oneDNN tensors cannot run (cat, index_select, sigmoid ...): force
            # oneDNN per convolution instead
            m = onednn_per_conv(model).eval()
            with torch.no_grad():
                diff = (m(x) - model(x)).abs().max().item()
            if diff > 1e-3:
                return default, None, f"oneDNN output differs by {diff}"
            return default, batch / _median_seconds(m, x, warmup, runs), ""
        with torch.no_grad():
            out = m(x.to_mkldnn())
            out = out.to_dense() if out.is_mkldnn else out
            diff = (out - model(x)).abs().max().item()
        if diff > 1e-3:
            return default, None, f"oneDNN output differs by {diff}"
        return default, batch / _median_seconds(lambda t: m(t.to_mkldnn()), x, warmup, runs), ""
    except Exception as e:  # noqa: BLE001 - reported in the table
        return default, None, f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"


def cubist_clips_per_sec(name, batch, threads, warmup, runs):
    out = subprocess.run([os.environ.get("CUBIST", os.path.join(ROOT, "bin", "cubist")), "bench", "--model", name, "--batch", str(batch),
                          "--threads", str(threads), "--warmup", str(warmup), "--runs", str(runs), "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["clips_per_sec"]


def cubist_profile(name, batch, threads, warmup, runs):
    """Cubist's ``bench --profile``: {top-level part: ms per run}, and the whole run's median ms."""
    out = subprocess.run([os.environ.get("CUBIST", os.path.join(ROOT, "bin", "cubist")), "bench", "--model", name,
                          "--batch", str(batch), "--threads", str(threads), "--warmup", str(warmup), "--runs",
                          str(runs), "--profile", "--json"], capture_output=True, text=True, check=True)
    d = json.loads(out.stdout.strip().splitlines()[-1])
    return {p["part"]: (p["ms"], p.get("flops")) for p in d["profile"]}, d["ms_median"], d["peak_gflops"]


def torch_profile(name, batch, threads, warmup, runs):
    """PyTorch's oneDNN path (the whole torchvision ResNet in oneDNN's layout) part by part: the stem's layers and each
    residual block timed on its own input, {part: ms}, with Cubist's part names (``stem.0`` ... for the stem's
    modules, ``layer1.0`` ...)."""
    import torch.utils.mkldnn as mkldnn_utils
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = mkldnn_utils.to_mkldnn(torch_model(name).eval())
    x = (torch.rand(*clip_shape(name, batch)) * 2 - 1).to_mkldnn()
    parts = [(f"stem.{i}", m) for i, m in enumerate(model.stem)]
    parts += [(f"layer{i}.{j}", getattr(model, f"layer{i}")[j]) for i in range(1, 5)
              for j in range(len(getattr(model, f"layer{i}")))]
    times = {}
    with torch.no_grad():
        for part, module in parts:
            times[part] = _median_seconds(module, x, warmup, runs) * 1e3
            x = module(x)
    return times


def print_profile(models, threads, warmup, runs):
    """Per-part table: Cubist's ms and GFLOP/s beside PyTorch oneDNN's ms, batch 1. A Cubist part that fuses several
    of PyTorch's modules (a convolution with its batch norm and ReLU) is compared with their sum."""
    for name in models:
        cub, total, peak = cubist_profile(name, 1, threads, warmup, runs)
        tor = torch_profile(name, 1, threads, warmup, runs)
        print(f"\n{name}, batch 1 (Cubist's FMA peak probe: {peak:.0f} GFLOP/s; Cubist's timed runs: {total:.1f} ms)")
        print("| part | Cubist ms | Cubist GFLOP/s | PyTorch oneDNN ms | ratio |")
        print("|---|---:|---:|---:|---:|")
        names = list(cub)
        keys = list(tor)
        sum_c = sum_t = 0.0
        for i, part in enumerate(names):
            if part not in keys:  # the pool and the head: PyTorch's are not timed part by part
                continue
            ms, flops = cub[part]
            # PyTorch's modules from this part up to the next Cubist part (batch norm and ReLU fused here)
            nxt = names[i + 1] if i + 1 < len(names) else None
            lo = keys.index(part)
            hi = keys.index(nxt) if nxt in keys else len(keys)
            t = sum(tor[k] for k in keys[lo:hi])
            sum_c += ms
            sum_t += t
            gf = f"{flops / ms / 1e6:.0f}" if flops else ""
            print(f"| {part} | {ms:.1f} | {gf} | {t:.1f} | {t / ms:.2f} |")
        print(f"| sum | {sum_c:.1f} | | {sum_t:.1f} | {sum_t / sum_c:.2f} |", flush=True)


def ort_clips_per_sec(name, batch, threads, warmup, runs, jar, work):
    import export_onnx
    path = os.path.join(work, name + ".onnx")
    if not os.path.exists(path):
        export_onnx.export(name, path)
    shape = ",".join(str(d) for d in clip_shape(name, batch))
    out = subprocess.run(["java", "-cp", jar, os.path.join(ROOT, "tools", "OrtBench.java"), path, shape,
                          str(threads), str(warmup), str(runs)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["clips_per_sec"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="r3d_18,mc3_18,r2plus1d_18")
    ap.add_argument("--batch", default="1,4")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ort", action="store_true", help="also time ONNX Runtime (see tools/fetch_onnxruntime.sh)")
    ap.add_argument("--ort-jar", default=os.environ.get("ORT_JAR"))
    ap.add_argument("--profile", action="store_true",
                    help="instead: where a forward pass goes, part by part (torchvision's video ResNets, batch 1)")
    a = ap.parse_args(argv)
    if a.profile:
        print(f"threads {a.threads}, warm-up {a.warmup}, median of {a.runs}; torch {torch.__version__}")
        print_profile(a.models.split(","), a.threads, a.warmup, a.runs)
        return 0
    jar = None
    if a.ort:
        jar = a.ort_jar or subprocess.run([os.path.join(ROOT, "tools", "fetch_onnxruntime.sh")], capture_output=True,
                                          text=True, check=True).stdout.strip()
    import tempfile
    work = tempfile.mkdtemp(prefix="cubist-onnx-")
    print(f"threads {a.threads}, warm-up {a.warmup}, median of {a.runs}; torch {torch.__version__}")
    if jar:
        print("| model | batch | Cubist clips/s | PyTorch default | PyTorch oneDNN | ONNX Runtime | ratio to the best"
              " | load avg |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
    else:
        print("| model | batch | Cubist clips/s | PyTorch default | PyTorch oneDNN | ratio to PyTorch's best | load avg |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    for name in a.models.split(","):
        for batch in (int(b) for b in a.batch.split(",")):
            c = cubist_clips_per_sec(name, batch, a.threads, a.warmup, a.runs)
            d, o, why = torch_clips_per_sec(name, batch, a.threads, a.warmup, a.runs)
            best = max(d, o or 0.0)
            onednn = f"{o:.2f}" if o else f"n/a ({why})"
            if jar:
                ort = ort_clips_per_sec(name, batch, a.threads, a.warmup, a.runs, jar, work)
                best = max(best, ort)
                print(f"| {name} | {batch} | {c:.2f} | {d:.2f} | {onednn} | {ort:.2f} | {c / best:.2f} |"
                      f" {os.getloadavg()[0]:.1f} |", flush=True)
            else:
                print(f"| {name} | {batch} | {c:.2f} | {d:.2f} | {onednn} | {c / best:.2f} |"
                      f" {os.getloadavg()[0]:.1f} |", flush=True)
    import shutil
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
