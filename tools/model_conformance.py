#!/usr/bin/python3
"""Whole-model conformance: ``bin/cubist embed`` against PyTorch (float64) on full-size zoo models.

    /usr/bin/python3 tools/model_conformance.py [--models r3d_18 mc3_18 r2plus1d_18 s3d c3d ir_csn_50] [--batch 2]
                                                [--frames 16] [--size 112] [--backend cpu] [--threads N]

For each model: the PyTorch model (torchvision's; c3d and ir_csn_50 from tools/video_models.py) with seeded random
weights and random batch-norm statistics (tools/video_models.py ``randomize_``: running_mean ~ U(-0.5, 0.5),
running_var ~ U(0.5, 2), BN weight ~ U(0.5, 1.5), bias ~ U(-0.5, 0.5), fc random), saved as safetensors AND as .pth
(``torch.save`` of the state_dict); random clips ``[batch, 3, frames, size, size]`` (standard normal, float32; by
default 16x112x112, s3d 16x224x224, ir_csn_50 32x224x224, and each X3D size, i3d and slowfast_r50 at the clip its
preset gives: x3d_xs 4x160x160, x3d_s 13x160x160, x3d_m 16x224x224, x3d_l 16x312x312, i3d 64x224x224,
slowfast_r50 32x224x224); ``bin/cubist embed`` run once per weight format; its
``features`` and ``logits`` compared with PyTorch's, computed in float64 from the same float32 weights and clips.

Prints per model and format the relative L2 error ||cubist - torch|| / ||torch|| and the max abs error of features
and logits, and the embed throughput. Exits 1 if any error exceeds --tolerance (default 1e-3) or a run fails.
Needs ~1.5 GB of disk under --work (c3d adds 0.7 GB; default: a temporary directory, removed afterwards unless
--keep).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cubist_torch as ct  # noqa: E402
import export_torchvision as ex  # noqa: E402
import video_models as vm  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = list(ex.MODELS) + [n for n in vm.BUILDERS if n not in ex.MODELS]


def random_model(name, seed):
    """(model, source, build): the model with random weights and BN statistics, and its builder for export checks."""
    if name in ex.MODELS:
        model, source = ex.random_model(name, seed)
        return model, source, None
    torch.manual_seed(seed)
    model = vm.randomize_(vm.build(name), torch.Generator().manual_seed(seed))
    return model, f"random weights and batch-norm statistics (seed {seed})", lambda: vm.build(name)


def embed(model, weights, clips, out, backend, threads, engine_options=()):
    cmd = [os.path.join(REPO, "bin", "cubist"), "embed", "--model", model, "--weights", weights, "--clips", clips,
           "--out", out]
    if backend:
        cmd += ["--backend", backend]
    if threads:
        cmd += ["--threads", str(threads)]
    for o in engine_options:
        cmd += ["--engine-option", o]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    err = [l for l in p.stderr.splitlines() if not l.startswith("WARNING: Using incubator modules")]
    return p.returncode, err, time.time() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    ap.add_argument("--formats", nargs="+", default=["safetensors", "pth"], choices=["safetensors", "pth"])
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--frames", type=int, default=None, help="clip length (default: 16; ir_csn_50 32)")
    ap.add_argument("--size", type=int, default=None, help="crop size (default: 112; s3d, ir_csn_50 224)")
    ap.add_argument("--backend", default=None, help="cubist backend (default: the best available)")
    ap.add_argument("--threads", type=int, default=None, help="cpu backend threads")
    ap.add_argument("--engine-option", action="append", default=[], metavar="K=V",
                    help="an engine setting passed to embed (repeatable), e.g. winograd=f2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--work", default=None, help="working directory (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    args = ap.parse_args(argv)

    work = args.work or tempfile.mkdtemp(prefix="cubist-models-")
    os.makedirs(work, exist_ok=True)
    rows, failed = [], False
    print(f"torch {torch.__version__}, batch {args.batch}, backend {args.backend or 'default'}, "
          f"tolerance {args.tolerance:g} (relative L2)", flush=True)
    try:
        for i, name in enumerate(args.models):
            model, source, build = random_model(name, args.seed + i)
            ex.write(name, model, source, work, pth="pth" in args.formats, build=build)
            gen = torch.Generator().manual_seed(1000 + args.seed + i)
            frames = args.frames or vm.default_clip(name)[2]
            size = args.size or vm.default_clip(name)[3]
            clips = torch.randn((args.batch, 3, frames, size, size), generator=gen)
            clips_path = os.path.join(work, name + ".clips.safetensors")
            ct.write_safetensors(clips_path, OrderedDict(clips=clips))
            t0 = time.time()
            want_f, want_l = vm.features_and_logits(model, clips)
            print(f"{name}: clips {list(clips.shape)}, PyTorch float64 forward {time.time() - t0:.1f} s", flush=True)
            del model
            for fmt in args.formats:
                out = os.path.join(work, f"{name}.{fmt}.out.safetensors")
                code, err, secs = embed(name, os.path.join(work, f"{name}.{fmt}"), clips_path, out, args.backend,
                                        args.threads, args.engine_option)
                if code != 0:
                    failed = True
                    rows.append((name, fmt, None, None, None, None, secs, "exit %d: %s" % (code, " | ".join(err))))
                    print(f"{name} {fmt}: FAILED (exit {code})\n  " + "\n  ".join(err), flush=True)
                    continue
                got = ct.read_safetensors(out)
                rf, rl = ct.rel_l2(got["features"], want_f), ct.rel_l2(got["logits"], want_l)
                mf = float((got["features"].double() - want_f).abs().max())
                ml = float((got["logits"].double() - want_l).abs().max())
                ok = rf <= args.tolerance and rl <= args.tolerance
                failed |= not ok
                speed = next((m.group(0) for m in map(re.compile(r"[0-9.]+ clips/s").search, err) if m), "")
                rows.append((name, fmt, rf, mf, rl, ml, secs, ("ok" if ok else "TOO LARGE") + (f" ({speed})" if speed
                                                                                               else "")))
                print(f"{name} {fmt}: features rel L2 {rf:.3e} (max abs {mf:.3e}), logits rel L2 {rl:.3e} "
                      f"(max abs {ml:.3e}) {'ok' if ok else 'TOO LARGE'}", flush=True)
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'model':<12} {'weights':<12} {'features rel L2':>15} {'max abs':>10} {'logits rel L2':>14} "
          f"{'max abs':>10} {'embed s':>8}  result")
    for name, fmt, rf, mf, rl, ml, secs, note in rows:
        if rf is None:
            print(f"{name:<12} {fmt:<12} {'-':>15} {'-':>10} {'-':>14} {'-':>10} {secs:8.1f}  {note}")
        else:
            print(f"{name:<12} {fmt:<12} {rf:15.3e} {mf:10.3e} {rl:14.3e} {ml:10.3e} {secs:8.1f}  {note}")
    if args.keep or args.work:
        print(f"files kept in {work}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
