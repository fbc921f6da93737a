#!/usr/bin/python3
"""Random conformance run of ``bin/cubist op`` against PyTorch: cases the golden suite has never seen.

    /usr/bin/python3 tools/conformance.py [--cases N] [--seed S] [--backend reference,cpu]
                                          [--ops conv3d,...] [--keep DIR] [--jobs J]

What it does:

1. Samples N random cases (default 200) spread over every op of the ``cubist op`` contract
   (docs: DESIGN.md): conv1d/2d/3d (stride, padding int/list/'same'/'valid', dilation, groups,
   bias, padding_mode, flip, unbatched inputs), conv_transpose1d/2d/3d (output_padding, groups,
   dilation, flip), deform_conv3d (offset groups, mask, bias, stride, padding, dilation, offsets
   that land inside, outside and on the edge of the volume), max_pool3d, avg_pool3d,
   adaptive_avg_pool3d, batch_norm, relu, linear, pixel_shuffle/unshuffle and
   pixel_shuffle3d/unshuffle3d. Shapes go beyond the golden cases (channels up to 24, spatial
   sizes up to 20, batch up to 3). Arguments are sampled freely; a sample that PyTorch rejects
   is counted and drawn again, as is one whose work exceeds a size budget.
2. Computes every expected output in float64 with the golden generator's own semantics
   (``tools/gen_golden.py``'s ``compute``, which also defines padding_mode/flip, the 3D pixel
   shuffles and, through ``tools/deform_conv3d_ref.py``, deform_conv3d) and writes each case in
   the golden format (NAME.json, NAME.safetensors, NAME.expected.safetensors) to a temporary
   directory.
3. Runs ``bin/cubist op`` once per case and backend, ``--jobs`` processes at a time (default 2).
4. Compares: the output must have the expected shape and
   ``max|got - expected| <= 2e-4 * max(1, max|expected|)``. Every failing case is printed on one
   line (op, args, shapes, max error, tolerance); then a table per op and backend (cases, max
   error, worst error/tolerance ratio, failures).
5. Checks error handling: impossible specs (groups not dividing channels, stride 0,
   output_padding >= stride, reflect padding >= input size, 'same' with stride 2, wrong weight
   rank, a missing tensor, an unknown argument, ...) -- each one PyTorch also rejects -- must
   make ``bin/cubist op`` exit non-zero, write no output file, and print exactly one line on
   stderr that is not a Java stack trace (the JVM's "WARNING: Using incubator modules" line is
   ignored).

The exit status is 1 if any case or error check failed, 0 otherwise. ``--keep DIR`` copies each
failing case into DIR in the golden format, named ``OP_conformance_sSEED_INDEX``, ready to be
added to conv-kernels/src/test/resources/golden (and its index.json). Without ``--seed`` a fresh
seed is drawn and printed; rerun with it to reproduce a run.

Every case and backend costs a JVM start (about 0.75 s of CPU), so on a two-core machine 300 cases on
two backends took 7 to 13 minutes (depending on what else ran); the default, 200, aims at about six.
``--cubist`` points at another launcher (default: this checkout's bin/cubist).
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_golden import (  # noqa: E402
    _half_offsets, _planar_offsets, _sample, _spec_text, _wide_offsets, _with_zeros,
    _zero_offsets, compute, cross_check, read_safetensors, write_safetensors)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CUBIST = os.path.join(REPO, "bin", "cubist")

RTOL = 2e-4
MAX_MACS = 40_000_000       # multiply-adds per case (keeps the plain-loop reference backend quick)
MAX_ELEMENTS = 1_500_000    # input + output elements per case
JVM_WARNING = "WARNING: Using incubator modules"

OPS = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "deform_conv3d",
       "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d", "batch_norm", "relu", "linear", "pixel_shuffle",
       "pixel_unshuffle", "pixel_shuffle3d", "pixel_unshuffle3d"]
# relative share of the cases
WEIGHTS = {"conv1d": 2, "conv2d": 3, "conv3d": 6, "conv_transpose1d": 2, "conv_transpose2d": 2,
           "conv_transpose3d": 4, "deform_conv3d": 4, "max_pool3d": 2, "avg_pool3d": 2,
           "adaptive_avg_pool3d": 1.5, "batch_norm": 1, "relu": 0.7, "linear": 1, "pixel_shuffle": 0.7,
           "pixel_unshuffle": 0.7, "pixel_shuffle3d": 0.7, "pixel_unshuffle3d": 0.7}


class TooLarge(Exception):
    """The sampled case would exceed the work budget; draw again."""


# ================================================================================================
# sampling
# ================================================================================================

def _scale(rng):
    """Size class of one case: (max channels, max spatial size, max batch)."""
    r = rng.random()
    if r < 0.45:
        return 4, 6, 2
    if r < 0.80:
        return 12, 12, 3
    return 24, 20, 3


def _int_or_list(rng, v, explicit_list=0.3):
    """v (a list) as torch accepts it: one int when all entries agree (sometimes), else the list."""
    if len(set(v)) == 1 and rng.random() > explicit_list:
        return v[0]
    return list(v)


def _maybe(rng, args, name, value, default, p_explicit=0.25):
    """Set args[name] = value unless it equals the default; defaults are sometimes spelled out."""
    plain = value if not isinstance(value, list) else (value if len(set(value)) > 1 else value[0])
    if plain != default or rng.random() < p_explicit:
        args[name] = value


def _spatial(rng, nd, max_size, lo=1):
    return [rng.randint(lo, max_size) for _ in range(nd)]


def _batch(rng, max_batch, unbatched_ok=True):
    """Leading batch dims: [] (unbatched) or [N]."""
    if unbatched_ok and rng.random() < 0.1:
        return []
    return [rng.randint(1, max_batch)]


def sample_conv(rng, nd):
    maxc, maxs, maxn = _scale(rng)
    groups = rng.choice([1, 1, 1, 2, 3, 4, "dw"])
    if groups == "dw":
        cin = rng.randint(1, maxc)
        groups = cin
        cout = cin * rng.choice([1, 1, 2])
    else:
        cin = groups * rng.randint(1, max(1, maxc // groups))
        cout = groups * rng.randint(1, max(1, maxc // groups))
    k = [rng.choice([1, 2, 3, 3, 3, 4, 5]) for _ in range(nd)]
    if nd < 3 and rng.random() < 0.2:
        k = [rng.choice([5, 6, 7]) for _ in range(nd)]
    s = [rng.choice([1, 1, 1, 2, 2, 3]) for _ in range(nd)]
    d = [rng.choice([1, 1, 1, 2, 3]) for _ in range(nd)]
    mode = rng.choice(["zeros", "zeros", "zeros", "reflect", "replicate", "circular"])
    kind = rng.choice(["int", "list", "list", "same", "same", "valid"])
    if kind == "same" and rng.random() < 0.9:
        s = [1] * nd            # otherwise PyTorch rejects it (counted)
    args = {}
    _maybe(rng, args, "stride", _int_or_list(rng, s), 1)
    if kind == "int":
        args["padding"] = rng.randint(0, 3)
    elif kind == "list":
        args["padding"] = [rng.randint(0, 3) for _ in range(nd)]
    else:
        args["padding"] = kind
    if args["padding"] in (0, [0] * nd) and rng.random() < 0.5:
        del args["padding"]
    _maybe(rng, args, "dilation", _int_or_list(rng, d), 1)
    _maybe(rng, args, "groups", groups, 1)
    _maybe(rng, args, "padding_mode", mode, "zeros", 0.15)
    flip = rng.random() < 0.3
    _maybe(rng, args, "flip", flip, False, 0.15)
    lo = 1 if rng.random() < 0.3 else 3
    x = _batch(rng, maxn) + [cin] + _spatial(rng, nd, maxs, lo)
    inputs = OrderedDict(input=x, weight=[cout, cin // groups] + k)
    if rng.random() < 0.7:
        inputs["bias"] = [cout]
    return args, inputs


def sample_conv_transpose(rng, nd):
    maxc, maxs, maxn = _scale(rng)
    maxs = max(2, maxs * 2 // 3)
    groups = rng.choice([1, 1, 1, 2, 3, 4])
    cin = groups * rng.randint(1, max(1, maxc // groups))
    cout = groups * rng.randint(1, max(1, maxc // groups))
    k = [rng.choice([1, 2, 3, 3, 4, 5]) for _ in range(nd)]
    s = [rng.choice([1, 1, 2, 2, 3]) for _ in range(nd)]
    d = [rng.choice([1, 1, 1, 2, 3]) for _ in range(nd)]
    p = [rng.randint(0, dd * (kk - 1)) if rng.random() < 0.6 else 0 for dd, kk in zip(d, k)]
    op = [rng.randint(0, max(ss, dd) - 1) if rng.random() < 0.6 else 0 for ss, dd in zip(s, d)]
    if rng.random() < 0.03:
        op = [ss for ss in s]   # output_padding == stride: PyTorch rejects it unless dilation is larger
    args = {}
    _maybe(rng, args, "stride", _int_or_list(rng, s), 1)
    _maybe(rng, args, "padding", _int_or_list(rng, p), 0)
    _maybe(rng, args, "output_padding", _int_or_list(rng, op), 0)
    _maybe(rng, args, "groups", groups, 1)
    _maybe(rng, args, "dilation", _int_or_list(rng, d), 1)
    if rng.random() < 0.08:
        args["padding_mode"] = "zeros"
    flip = rng.random() < 0.3
    _maybe(rng, args, "flip", flip, False, 0.15)
    x = _batch(rng, maxn) + [cin] + _spatial(rng, nd, maxs)
    inputs = OrderedDict(input=x, weight=[cin, cout // groups] + k)
    if rng.random() < 0.7:
        inputs["bias"] = [cout]
    return args, inputs


def _conv_out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def sample_deform(rng):
    maxc, maxs, maxn = _scale(rng)
    maxc, maxs = min(maxc, 16), min(maxs, 12)
    groups = rng.choice([1, 1, 1, 2, 3, 4])
    G = rng.choice([1, 1, 1, 2, 3, 4])
    unit = groups * G // math.gcd(groups, G)
    cin = unit * rng.randint(1, max(1, maxc // unit))
    cout = groups * rng.randint(1, max(1, maxc // groups))
    k = [rng.choice([1, 2, 3, 3]) for _ in range(3)]
    if rng.random() < 0.2:
        k[0] = 1
    s = [rng.choice([1, 1, 1, 2, 3]) for _ in range(3)]
    p = [rng.randint(0, 2) for _ in range(3)]
    d = [rng.choice([1, 1, 1, 2]) for _ in range(3)]
    N = rng.randint(1, maxn)
    sizes = _spatial(rng, 3, maxs)
    outs = [_conv_out(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d)]
    K = math.prod(k)
    args = {}
    _maybe(rng, args, "stride", _int_or_list(rng, s), 1)
    _maybe(rng, args, "padding", _int_or_list(rng, p), 0)
    _maybe(rng, args, "dilation", _int_or_list(rng, d), 1)
    oshape = [N, 3 * G * K] + outs
    flavour = rng.choice(["mixed"] * 5 + ["zero", "half", "wide", "planar", "integer"])
    offset = {"mixed": oshape, "zero": _zero_offsets, "half": _half_offsets, "wide": _wide_offsets,
              "planar": _planar_offsets,
              "integer": lambda gen, shape: torch.randint(-3, 4, shape, generator=gen).float()}[flavour]
    inputs = OrderedDict(input=[N, cin] + sizes)
    inputs["offset"] = offset if flavour == "mixed" else (lambda gen, f=offset: f(gen, oshape))
    inputs["weight"] = [cout, cin // groups] + k
    if rng.random() < 0.6:
        inputs["bias"] = [cout]
    if rng.random() < 0.5:
        inputs["mask"] = [N, G * K] + outs
    if min(outs) < 1:
        raise ValueError("empty output")   # the reference would reject it as well
    return args, inputs


def sample_max_pool(rng):
    maxc, maxs, maxn = _scale(rng)
    k = [rng.choice([1, 2, 2, 3, 3, 4, 5]) for _ in range(3)]
    args = {"kernel_size": _int_or_list(rng, k)}
    r = rng.random()
    if r < 0.2:
        pass
    elif r < 0.3:
        args["stride"] = None
    else:
        args["stride"] = _int_or_list(rng, [rng.choice([1, 1, 2, 2, 3, 4]) for _ in range(3)])
    _maybe(rng, args, "padding", _int_or_list(rng, [rng.randint(0, kk // 2) for kk in k]), 0)
    _maybe(rng, args, "dilation", _int_or_list(rng, [rng.choice([1, 1, 2, 3]) for _ in range(3)]), 1)
    _maybe(rng, args, "ceil_mode", rng.random() < 0.4, False)
    x = _batch(rng, maxn) + [rng.randint(1, maxc)] + _spatial(rng, 3, maxs)
    return args, OrderedDict(input=x)


def sample_avg_pool(rng):
    maxc, maxs, maxn = _scale(rng)
    k = [rng.choice([1, 2, 2, 3, 3, 4, 5]) for _ in range(3)]
    args = {"kernel_size": _int_or_list(rng, k)}
    r = rng.random()
    if r < 0.1:
        args["stride"] = None
    elif r > 0.3:
        args["stride"] = _int_or_list(rng, [rng.choice([1, 1, 2, 2, 3, 4]) for _ in range(3)])
    _maybe(rng, args, "padding", _int_or_list(rng, [rng.randint(0, kk // 2) for kk in k]), 0)
    _maybe(rng, args, "ceil_mode", rng.random() < 0.4, False)
    _maybe(rng, args, "count_include_pad", rng.random() < 0.5, True)
    r = rng.random()
    if r < 0.2:
        args["divisor_override"] = rng.randint(1, 30)
    elif r < 0.3:
        args["divisor_override"] = None
    x = _batch(rng, maxn) + [rng.randint(1, maxc)] + _spatial(rng, 3, maxs)
    return args, OrderedDict(input=x)


def sample_adaptive(rng):
    maxc, maxs, maxn = _scale(rng)
    x = _batch(rng, maxn) + [rng.randint(1, maxc)] + _spatial(rng, 3, maxs)
    r = rng.random()
    if r < 0.25:
        o = rng.randint(1, maxs)
    else:
        o = [rng.randint(1, maxs) for _ in range(3)]
        if r > 0.75:
            o = [None if rng.random() < 0.4 else v for v in o]
    return {"output_size": o}, OrderedDict(input=x)


def sample_batch_norm(rng):
    maxc, maxs, maxn = _scale(rng)
    rank = rng.choice([2, 3, 4, 5, 5])
    C = rng.randint(1, maxc)
    shape = [rng.randint(1, maxn), C] + _spatial(rng, rank - 2, maxs)
    args = {}
    if rng.random() < 0.3:
        args["training"] = False
    if rng.random() < 0.2:
        args["momentum"] = rng.choice([0.1, 0.3, 0.9])
    if rng.random() < 0.4:
        args["eps"] = rng.choice([1e-5, 1e-3, 0.1, 1.0, 0.0])
    inputs = OrderedDict(input=shape, running_mean=[C], running_var=[C])
    if rng.random() < 0.7:
        inputs["weight"] = [C]
    if rng.random() < 0.7:
        inputs["bias"] = [C]
    return args, inputs


def sample_relu(rng):
    maxc, maxs, maxn = _scale(rng)
    rank = rng.randint(1, 5)
    shape = [rng.randint(1, maxs) for _ in range(rank)]
    args = {}
    if rng.random() < 0.3:
        args["inplace"] = rng.random() < 0.5
    return args, OrderedDict(input=_with_zeros(shape, negzero=rng.random() < 0.3))


def sample_linear(rng):
    maxc, maxs, maxn = _scale(rng)
    rank = rng.choice([1, 2, 2, 3, 4])
    fin, fout = rng.randint(1, 4 * maxc), rng.randint(1, 4 * maxc)
    lead = [rng.randint(1, maxs) for _ in range(rank - 1)]
    inputs = OrderedDict(input=lead + [fin], weight=[fout, fin])
    if rng.random() < 0.7:
        inputs["bias"] = [fout]
    return {}, inputs


def sample_shuffle(rng, op):
    maxc, maxs, maxn = _scale(rng)
    three = op.endswith("3d")
    up = "unshuffle" not in op
    r = rng.choice([1, 2, 2, 2, 3] if three else [1, 2, 2, 3, 4])
    nsp = 3 if three else 2
    if three:
        lead = [rng.randint(1, maxn)]
    else:
        lead = rng.choice([[], [rng.randint(1, maxn)], [rng.randint(1, maxn)], [2, rng.randint(1, maxn)]])
    c = rng.randint(1, max(1, maxc // (2 if three else 1)))
    if up:
        x = lead + [c * r ** nsp] + [rng.randint(1, max(1, maxs // r)) for _ in range(nsp)]
        args = {"upscale_factor": r}
    else:
        x = lead + [c] + [r * rng.randint(1, max(1, maxs // r)) for _ in range(nsp)]
        args = {"downscale_factor": r}
    return args, OrderedDict(input=x)


def sample_args(op, rng):
    if op.startswith("conv_transpose"):
        return sample_conv_transpose(rng, int(op[-2]))
    if op.startswith("conv"):
        return sample_conv(rng, int(op[-2]))
    return {"deform_conv3d": sample_deform, "max_pool3d": sample_max_pool, "avg_pool3d": sample_avg_pool,
            "adaptive_avg_pool3d": sample_adaptive, "batch_norm": sample_batch_norm, "relu": sample_relu,
            "linear": sample_linear}.get(op, lambda r: sample_shuffle(r, op))(rng)


def _shape_of(spec):
    return None if callable(spec) else list(spec)


def _macs(op, tensors, out):
    """Rough multiply-add count of a case (for the work budget)."""
    if op.startswith("conv_transpose"):
        w = tensors["weight"]
        return tensors["input"].numel() * math.prod(w.shape[1:])
    if op.startswith("conv") or op == "deform_conv3d":
        w = tensors["weight"]
        extra = 8 if op == "deform_conv3d" else 1
        return out.numel() * math.prod(w.shape[1:]) * extra
    if op == "linear":
        return out.numel() * tensors["weight"].shape[1]
    if op in ("max_pool3d", "avg_pool3d", "adaptive_avg_pool3d"):
        return out.numel() * 64 + tensors["input"].numel()
    return out.numel()


def draw_case(op, rng, stats):
    """Sample until PyTorch accepts the case and it fits the budget; returns (args, tensors, expected)."""
    for _ in range(10_000):
        try:
            args, specs = sample_args(op, rng)
        except ValueError:
            stats["rejected"] += 1
            continue
        gen = torch.Generator().manual_seed(rng.getrandbits(62))
        # shapes first: skip the work for a case that is obviously too large
        shapes = [s for s in map(_shape_of, specs.values()) if s is not None]
        if sum(math.prod(s) for s in shapes) > MAX_ELEMENTS:
            stats["too_large"] += 1
            continue
        tensors = OrderedDict((k, _sample(k, v, gen)) for k, v in specs.items())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = compute(op, args, tensors)
        except (RuntimeError, ValueError, AssertionError, IndexError, TypeError) as e:
            stats["rejected"] += 1
            stats["reasons"][_reason(e)] = stats["reasons"].get(_reason(e), 0) + 1
            continue
        if out.numel() == 0:
            stats["rejected"] += 1
            stats["reasons"]["empty output"] = stats["reasons"].get("empty output", 0) + 1
            continue
        if out.numel() + sum(t.numel() for t in tensors.values()) > MAX_ELEMENTS \
                or _macs(op, tensors, out) > MAX_MACS:
            stats["too_large"] += 1
            continue
        # gen_golden's independent cross-check. Besides re-deriving the result it builds nn.ConvNd for conv
        # specs, which rejects what F.convNd is never asked about: compute() pads non-'zeros' padding modes
        # itself, so e.g. padding='same' with stride > 1 and padding_mode='replicate' would slip through.
        # (deform_conv3d's literal-loop check is too slow for the larger cases; it runs on small ones.)
        # (max_pool3d gives -inf where a dilated window holds no input element; the loop check refuses those.)
        if (op != "deform_conv3d" or _macs(op, tensors, out) <= 100_000) and bool(torch.isfinite(out).all()):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cross_check("conformance", op, args, tensors, out)
            except (RuntimeError, ValueError, TypeError) as e:
                stats["rejected"] += 1
                stats["reasons"][_reason(e)] = stats["reasons"].get(_reason(e), 0) + 1
                continue
            except AssertionError as e:
                raise RuntimeError(f"{op} {args} {_shapes(tensors)}: the oracle disagrees with its own "
                                   f"cross-check: {e}") from e
        return args, tensors, out
    raise RuntimeError(f"{op}: could not draw a valid case")


def _reason(e):
    """A rejection message with its numbers blanked, so that alike rejections are counted together."""
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return re.sub(r"-?\d+", "#", msg)[:100]


# ================================================================================================
# running bin/cubist
# ================================================================================================

def read_output(path):
    """Read the op's result file (F32 'output'; Cubist records the backend in the metadata)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    if list(header) != ["output"]:
        raise ValueError(f"expected one tensor 'output', the file has {list(header)}")
    info = header["output"]
    np_dtype = {"F32": "<f4", "F64": "<f8"}.get(info["dtype"])
    if np_dtype is None:
        raise ValueError(f"output dtype {info['dtype']}")
    begin, end = info["data_offsets"]
    data = buf[8 + n:]
    if end - begin != math.prod(info["shape"]) * np.dtype(np_dtype).itemsize or end != len(data):
        raise ValueError("output data size does not match its shape")
    arr = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(info["shape"])
    return torch.from_numpy(arr.astype(np.float64)), meta


def run_cubist(cubist, spec, inp, out, backend, timeout=300):
    cmd = [cubist, "op", "--spec", spec, "--in", inp, "--out", out]
    if backend:
        cmd += ["--backend", backend]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {timeout} s"
    return p.returncode, p.stdout, p.stderr


def _stderr_lines(stderr):
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith(JVM_WARNING)]


def check_case(cubist, workdir, case, backend):
    """Run one case on one backend; returns a result dict."""
    name = case["name"]
    out_path = os.path.join(workdir, f"{name}.{backend}.out.safetensors")
    rc, _, err = run_cubist(cubist, os.path.join(workdir, f"{name}.json"),
                            os.path.join(workdir, f"{name}.safetensors"), out_path, backend)
    res = {"case": case, "backend": backend, "ok": False, "err": None, "ratio": None, "why": None}
    expected = case["expected"]
    finite = torch.isfinite(expected)
    tol = RTOL * max(1.0, expected[finite].abs().max().item() if finite.any() else 0.0)
    res["tol"] = tol
    if rc != 0:
        lines = _stderr_lines(err)
        res["why"] = f"exit {rc}: " + (lines[0] if lines else "(no message)") + \
            (f" (+{len(lines) - 1} more stderr lines)" if len(lines) > 1 else "")
        return res
    try:
        got, meta = read_output(out_path)
    except (OSError, ValueError, KeyError, struct.error) as e:
        res["why"] = f"unreadable output: {e}"
        return res
    finally:
        if os.path.exists(out_path):
            os.remove(out_path)
    if meta.get("backend") not in (None, backend):
        res["why"] = f"ran on backend {meta.get('backend')!r}, asked for {backend!r}"
        return res
    if list(got.shape) != list(expected.shape):
        res["why"] = f"output shape {list(got.shape)} != expected {list(expected.shape)}"
        return res
    # where PyTorch gives -inf (a max_pool3d window without input elements) the value must match exactly
    same_special = (got == expected) | (torch.isnan(got) & torch.isnan(expected))
    special = torch.where(same_special, torch.zeros_like(got), torch.full_like(got, math.inf))
    diff = torch.where(finite, (got - expected).abs(), special)
    diff = torch.nan_to_num(diff, nan=math.inf)
    e = diff.max().item() if diff.numel() else 0.0
    res["err"], res["ratio"] = e, e / tol
    res["ok"] = e <= tol
    if not res["ok"]:
        where = tuple(int(i) for i in np.unravel_index(int(diff.argmax()), tuple(diff.shape)))
        res["why"] = f"max error {e:.3g} > tol {tol:.3g} (ratio {e / tol:.3g}) at {list(where)}: " \
            f"got {got[where].item():.6g}, expected {expected[where].item():.6g}"
    return res


# ================================================================================================
# error handling
# ================================================================================================

def _t(*shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(7)) * 2 - 1


def error_specs():
    """(label, op, args, tensors): impossible specs. PyTorch must reject each (checked) and so must cubist."""
    x5 = _t(1, 4, 5, 5, 5)
    w = _t(3, 4, 3, 3, 3)
    return [
        ("groups not dividing in_channels", "conv3d", {"groups": 3}, dict(input=x5, weight=_t(6, 1, 3, 3, 3))),
        ("groups not dividing out_channels", "conv3d", {"groups": 2}, dict(input=x5, weight=_t(3, 2, 3, 3, 3))),
        ("stride 0", "conv3d", {"stride": 0}, dict(input=x5, weight=w)),
        ("negative padding", "conv2d", {"padding": -1}, dict(input=_t(1, 4, 5, 5), weight=_t(3, 4, 3, 3))),
        ("output_padding >= stride", "conv_transpose3d", {"stride": 1, "output_padding": 1},
         dict(input=x5, weight=_t(4, 2, 3, 3, 3))),
        ("output_padding >= stride and dilation", "conv_transpose2d", {"stride": 2, "output_padding": [0, 2]},
         dict(input=_t(1, 4, 5, 5), weight=_t(4, 2, 3, 3))),
        ("reflect padding >= input size", "conv3d", {"padding": [1, 1, 5], "padding_mode": "reflect"},
         dict(input=x5, weight=w)),
        ("'same' with stride 2", "conv3d", {"padding": "same", "stride": 2}, dict(input=x5, weight=w)),
        ("'same' with stride 2, replicate", "conv2d", {"padding": "same", "stride": [1, 2],
                                                      "padding_mode": "replicate"},
         dict(input=_t(1, 4, 5, 5), weight=_t(3, 4, 3, 3))),
        ("wrong weight rank", "conv3d", {}, dict(input=x5, weight=_t(3, 4, 3, 3))),
        ("missing tensor", "conv3d", {}, dict(input=x5)),
        ("unknown arg", "conv3d", {"strides": 2}, dict(input=x5, weight=w)),
        ("kernel larger than padded input", "conv1d", {}, dict(input=_t(1, 4, 3), weight=_t(2, 4, 5))),
        ("bias of the wrong length", "conv3d", {}, dict(input=x5, weight=w, bias=_t(4))),
        ("deform offset channels not a multiple of 3*K", "deform_conv3d", {},
         dict(input=x5, offset=_t(1, 80, 3, 3, 3), weight=w)),
        ("max_pool3d padding > kernel/2", "max_pool3d", {"kernel_size": 2, "padding": 2}, dict(input=x5)),
        ("avg_pool3d kernel larger than input", "avg_pool3d", {"kernel_size": 6}, dict(input=x5)),
        ("pixel_shuffle3d channels not divisible by r^3", "pixel_shuffle3d", {"upscale_factor": 2},
         dict(input=_t(1, 12, 2, 2, 2))),
        ("batch_norm running_mean of the wrong length", "batch_norm", {},
         dict(input=x5, running_mean=_t(3), running_var=_t(4).abs())),
        ("linear in_features mismatch", "linear", {}, dict(input=_t(2, 5), weight=_t(3, 4))),
    ]


def _pytorch_rejects(op, args, tensors):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = compute(op, args, tensors)
            cross_check("error_check", op, args, tensors, out)   # nn.ConvNd's own argument checks
    except (RuntimeError, ValueError, AssertionError, IndexError, TypeError, KeyError):
        return True
    return False


def check_error(cubist, workdir, idx, label, op, args, tensors, backend):
    base = os.path.join(workdir, f"err{idx:02d}")
    out_path = f"{base}.{backend}.out.safetensors"
    rc, _, err = run_cubist(cubist, f"{base}.json", f"{base}.safetensors", out_path, backend, timeout=120)
    lines = _stderr_lines(err)
    problems = []
    if rc == 0:
        problems.append("exit status 0")
    if len(lines) != 1:
        problems.append(f"{len(lines)} stderr lines, expected 1")
    trace = [ln for ln in lines if ln.lstrip().startswith("at ") or "Exception in thread" in ln
             or ln.lstrip().startswith("Caused by:") or ln.lstrip().startswith("...")]
    if trace:
        problems.append("stack trace on stderr")
    elif any(re.search(r"\b(java|javax|jdk|sun)\.[\w.$]*(Exception|Error)\b", ln) for ln in lines):
        problems.append("an unexpected Java exception rather than a validation message")
    if os.path.exists(out_path):
        problems.append("output file written")
        os.remove(out_path)
    return {"label": label, "op": op, "args": args, "backend": backend, "rc": rc, "lines": lines,
            "problems": problems}


# ================================================================================================
# main
# ================================================================================================

def _shapes(tensors):
    return " ".join(f"{k}{list(v.shape)}" for k, v in tensors.items())


def _args_text(args):
    return json.dumps(args, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200, help="number of random cases (default %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: drawn and printed)")
    parser.add_argument("--backend", default="reference,cpu", help="comma-separated backends (default %(default)s)")
    parser.add_argument("--ops", default=None, help="comma-separated ops (default: all of the contract)")
    parser.add_argument("--keep", default=None, metavar="DIR", help="write failing cases here, golden format")
    parser.add_argument("--jobs", type=int, default=2, help="bin/cubist processes at a time (default %(default)s)")
    parser.add_argument("--cubist", default=DEFAULT_CUBIST, help="launcher (default %(default)s)")
    parser.add_argument("--no-error-checks", action="store_true", help="skip the impossible-spec checks")
    opts = parser.parse_args()

    seed = opts.seed if opts.seed is not None else int.from_bytes(os.urandom(4), "little")
    backends = [b for b in opts.backend.split(",") if b]
    ops = OPS if opts.ops is None else [o for o in opts.ops.split(",") if o]
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        parser.error(f"unknown ops {unknown}; ops: {', '.join(OPS)}")
    print(f"conformance: seed {seed}, {opts.cases} cases, backends {','.join(backends)}, torch {torch.__version__}")
    sys.stdout.flush()

    # ---- sample and compute the expected outputs ------------------------------------------------
    rng = random.Random(seed)
    total_w = sum(WEIGHTS[o] for o in ops)
    # deterministic, proportional op assignment (every op at least once when N >= len(ops)), then shuffled
    counts = {o: int(opts.cases * WEIGHTS[o] / total_w) for o in ops}
    if opts.cases >= len(ops):
        for o in ops:
            counts[o] = max(counts[o], 1)
    order = sorted(ops, key=lambda o: -(opts.cases * WEIGHTS[o] / total_w - counts[o]))
    i = 0
    while sum(counts.values()) < opts.cases:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts.values()) > opts.cases:
        big = max(counts, key=counts.get)
        counts[big] -= 1
    plan = [o for o in ops for _ in range(counts[o])]
    rng.shuffle(plan)

    workdir = tempfile.mkdtemp(prefix="cubist-conformance-")
    stats = {"rejected": 0, "too_large": 0, "reasons": {}}
    cases = []
    t0 = time.time()
    for idx, op in enumerate(plan):
        case_rng = random.Random(f"{seed}:{idx}")
        args, tensors, expected = draw_case(op, case_rng, stats)
        name = f"{idx:03d}_{op}"
        with open(os.path.join(workdir, f"{name}.json"), "w") as f:
            f.write(_spec_text(op, args))
        write_safetensors(os.path.join(workdir, f"{name}.safetensors"), tensors)
        write_safetensors(os.path.join(workdir, f"{name}.expected.safetensors"), OrderedDict(output=expected))
        cases.append({"idx": idx, "name": name, "op": op, "args": args, "shapes": _shapes(tensors),
                      "out_shape": list(expected.shape), "expected": expected})
    print(f"sampled {len(cases)} cases in {time.time() - t0:.1f} s; PyTorch rejected {stats['rejected']} "
          f"samples, {stats['too_large']} more were over the size budget")
    for reason, n in sorted(stats["reasons"].items(), key=lambda kv: -kv[1])[:8]:
        print(f"  rejected {n:4d}x  {reason}")
    sys.stdout.flush()

    # ---- error-handling specs ---------------------------------------------------------------------
    errs = [] if opts.no_error_checks else error_specs()
    bad_oracle = []
    for i, (label, op, args, tensors) in enumerate(errs):
        if not _pytorch_rejects(op, args, tensors):
            bad_oracle.append(label)
        with open(os.path.join(workdir, f"err{i:02d}.json"), "w") as f:
            f.write(_spec_text(op, args))
        write_safetensors(os.path.join(workdir, f"err{i:02d}.safetensors"), OrderedDict(tensors))
    if bad_oracle:
        print(f"internal error: PyTorch accepts the impossible specs {bad_oracle}", file=sys.stderr)
        return 2

    # ---- run bin/cubist ---------------------------------------------------------------------------
    # one call first, so that a stale checkout is built once rather than by every worker
    p = subprocess.run([opts.cubist, "backends"], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"{opts.cubist} backends failed:\n{p.stderr}", file=sys.stderr)
        return 2
    t0 = time.time()
    tasks = [(c, b) for c in cases for b in backends]
    results, error_results = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        futs = [pool.submit(check_case, opts.cubist, workdir, c, b) for c, b in tasks]
        efuts = [pool.submit(check_error, opts.cubist, workdir, i, label, op, args, t, b)
                 for i, (label, op, args, t) in enumerate(errs) for b in backends]
        for n, f in enumerate(concurrent.futures.as_completed(futs), 1):
            r = f.result()
            results.append(r)
            if not r["ok"]:
                c = r["case"]
                print(f"FAIL {c['name']} [{r['backend']}] {c['op']} args={_args_text(c['args'])} {c['shapes']} "
                      f"-> {c['out_shape']}: {r['why']}")
                sys.stdout.flush()
        error_results = [f.result() for f in efuts]
    elapsed = time.time() - t0
    results.sort(key=lambda r: (r["case"]["idx"], r["backend"]))

    # ---- report -----------------------------------------------------------------------------------
    print(f"\nran {len(tasks)} case runs and {len(error_results)} error checks in {elapsed:.0f} s "
          f"({opts.jobs} at a time)\n")
    hdr = f"{'op':22s} {'backend':10s} {'cases':>5s} {'max error':>10s} {'worst err/tol':>13s} {'failures':>8s}"
    print(hdr)
    print("-" * len(hdr))
    total_fail = 0
    for op in ops:
        for b in backends:
            rs = [r for r in results if r["case"]["op"] == op and r["backend"] == b]
            if not rs:
                continue
            errs_ = [r["err"] for r in rs if r["err"] is not None]
            ratios = [r["ratio"] for r in rs if r["ratio"] is not None]
            fails = sum(not r["ok"] for r in rs)
            total_fail += fails
            me = f"{max(errs_):.2e}" if errs_ else "-"
            wr = f"{max(ratios):.3g}" if ratios else "-"
            print(f"{op:22s} {b:10s} {len(rs):5d} {me:>10s} {wr:>13s} {fails:8d}")
    print("-" * len(hdr))
    for b in backends:
        rs = [r for r in results if r["backend"] == b]
        ratios = [r["ratio"] for r in rs if r["ratio"] is not None]
        print(f"{'all':22s} {b:10s} {len(rs):5d} {max((r['err'] for r in rs if r['err'] is not None), default=0):10.2e}"
              f" {max(ratios, default=0):13.3g} {sum(not r['ok'] for r in rs):8d}")

    err_fail = [e for e in error_results if e["problems"]]
    if error_results:
        print(f"\nerror handling: {len(error_results) - len(err_fail)}/{len(error_results)} impossible specs "
              f"rejected cleanly")
        for e in err_fail:
            print(f"FAIL error check '{e['label']}' [{e['backend']}] {e['op']} args={_args_text(e['args'])}: "
                  f"{'; '.join(e['problems'])}; exit {e['rc']}; stderr: "
                  + (" | ".join(e["lines"][:4]) if e["lines"] else "(empty)"))

    # ---- keep failing cases ------------------------------------------------------------------------
    failed = sorted({r["case"]["idx"] for r in results if not r["ok"]})
    if opts.keep and failed:
        os.makedirs(opts.keep, exist_ok=True)
        for c in cases:
            if c["idx"] not in failed:
                continue
            keep = f"{c['op']}_conformance_s{seed}_{c['idx']:03d}"
            for suffix in (".json", ".safetensors", ".expected.safetensors"):
                shutil.copyfile(os.path.join(workdir, c["name"] + suffix), os.path.join(opts.keep, keep + suffix))
            # sanity: what was kept reads back with the golden reader
            read_safetensors(os.path.join(opts.keep, keep + ".safetensors"))
        print(f"\nkept {len(failed)} failing case(s) in {opts.keep}")
    shutil.rmtree(workdir, ignore_errors=True)

    ok = total_fail == 0 and not err_fail
    print(f"\n{'PASS' if ok else 'FAIL'}: {total_fail} failing case run(s), {len(err_fail)} failing error check(s); "
          f"seed {seed}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
