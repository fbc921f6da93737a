#!/usr/bin/python3
"""Generate the PyTorch checkpoint fixtures of the weight-loading tests (pipeline, io.cubist.pipeline.weights).

Run with Debian's interpreter (it has torch 1.13):

    /usr/bin/python3 tools/make_pth_fixtures.py [--out DIR]

DIR defaults to pipeline/src/test/resources/weights/ in this repository; every file there is rewritten. The output
is deterministic except legacy.pth (its storage keys are memory addresses) and torchscript.pth.

What it writes:

* Real checkpoints, written by torch.save from a small module (Conv3d + BatchNorm3d + Linear, random weights and
  random BatchNorm statistics, num_batches_tracked = 7):
  ``small.pth`` (zip format, pickle protocol 2), ``small_p4.pth`` (protocol 4: FRAME, MEMOIZE, STACK_GLOBAL),
  ``small_f16.pth``, ``small_bf16.pth``, ``small_f64.pth`` (the module cast to that dtype; num_batches_tracked stays
  int64), ``dataparallel.pth`` (every key prefixed ``module.``), ``params.pth`` (nn.Parameter values, so
  ``_rebuild_parameter``), ``checkpoint.pth`` (a training checkpoint: epoch, SGD optimizer state and the state dict
  under ``state_dict``), ``legacy.pth`` (``_use_new_zipfile_serialization=False``), ``zip64.pth`` (small.pth's
  entries rewritten with every size and offset in ZIP64 fields), ``torchscript.pth`` (torch.jit.save) and
  ``whole_model.pth`` (torch.save of an nn.Sequential, not of its state dict).
* The same state dicts as safetensors: ``small.safetensors`` and ``small_{f16,bf16,f64}.safetensors``, each tensor
  in its own dtype (I64 for num_batches_tracked).
* ``views.pth``: tensors that are not plain contiguous storages: a transpose, two slices of one shared storage at
  different offsets, a strided slice, a permuted 3D view, an expanded (stride 0) view, a scalar and an empty tensor.
* Expected values, float32 safetensors: ``NAME.expected.safetensors`` for small, small_f16, small_bf16, small_f64
  and views: every tensor converted with ``.float()`` (round to nearest), made contiguous. A loader must reproduce
  them bit for bit.
* Hostile and broken checkpoints, their pickles written opcode by opcode (each in a zip laid out as torch.save lays
  it out, ``archive/data.pkl`` + ``archive/data/0`` + ``archive/version``), described in ``hostile.json``:
  ``{"FILE": {"refuses": TEXT, "marker": PATH?}}``, where TEXT must appear in the loader's error and PATH is a file
  the payload creates when the pickle runs. Before writing hostile.json, every file with a marker is loaded with
  torch.load in a child process to prove the payload really runs (the marker appears; it is then deleted).
  ``handmade.pth`` is a valid state dict written by the same opcode helpers, loaded with torch.load as a check.
"""

import argparse
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import OrderedDict

import torch
import torch.nn as nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "pipeline", "src", "test", "resources", "weights")

# ================================================================================================
# safetensors (any dtype a state dict has)
# ================================================================================================

_ST_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64"}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    header = OrderedDict([("__metadata__", {"format": "pt"})])
    blobs, offset = [], 0
    for name, t in tensors.items():
        data = tensor_bytes(t)
        header[name] = {"dtype": _ST_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def write_expected(path, state):
    """The values a loader must produce: float32, contiguous, converted as .float() does (round to nearest)."""
    write_safetensors(path, OrderedDict((k, v.detach().float().contiguous()) for k, v in state.items()))


# ================================================================================================
# real checkpoints
# ================================================================================================


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, (1, 3, 3))
        self.bn = nn.BatchNorm3d(4)
        self.fc = nn.Linear(4, 2)


def small_module():
    torch.manual_seed(0)
    m = Small()
    with torch.no_grad():
        m.bn.weight.uniform_(0.5, 1.5)
        m.bn.bias.uniform_(-0.5, 0.5)
        m.bn.running_mean.uniform_(-1, 1)
        m.bn.running_var.uniform_(0.5, 1.5)
        m.bn.num_batches_tracked.fill_(7)
    return m


def cast(state, dtype):
    return OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in state.items())


def views():
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.5
    base = torch.linspace(-3, 3, 24)
    y = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    out = OrderedDict()
    out["transposed"] = x.t()                           # [4,3] stride (1,4)
    out["shared_a"] = base[2:8].view(2, 3)              # offset 2 of base's storage
    out["shared_b"] = base[5:17].view(3, 4)             # offset 5 of the same storage, overlapping shared_a
    out["strided"] = x[:, ::2]                          # [3,2] stride (4,2)
    out["permuted"] = y.permute(2, 0, 1)                # [4,2,3] stride (1,12,4)
    out["expanded"] = torch.tensor([1.5, -2.0, 0.25]).view(3, 1).expand(3, 4)  # stride (1,0)
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 3)
    assert not out["transposed"].is_contiguous() and not out["permuted"].is_contiguous()
    assert out["shared_a"].storage().data_ptr() == out["shared_b"].storage().data_ptr()
    return out


def rezip64(src, dst):
    """Rewrites a zip with every entry's sizes and offset in ZIP64 extra fields and a ZIP64 end record."""
    with zipfile.ZipFile(src) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out = io.BytesIO()
    central = []
    for name, data in entries:
        n = name.encode()
        crc = zlib.crc32(data)
        offset = out.tell()
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                              len(n), len(local_extra)) + n + local_extra)
        out.write(data)
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF,
                                   0xFFFFFFFF, len(n), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + n + extra)
    cd_offset = out.tell()
    for c in central:
        out.write(c)
    cd_size = out.tell() - cd_offset
    eocd64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(central), len(central), cd_size,
                          cd_offset))
    out.write(struct.pack("<IIQI", 0x07064b50, 0, eocd64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    with open(dst, "wb") as f:
        f.write(out.getvalue())


# ================================================================================================
# pickles written opcode by opcode
# ================================================================================================


def p_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def p_short_str(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def p_int(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -2 ** 31 <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw


def p_tuple(*items):
    return b"(" + b"".join(items) + b"t"


def p_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def p_ordered_dict():
    return p_global("collections", "OrderedDict") + b")R"


def p_storage(key, numel, cls="FloatStorage"):
    return p_tuple(p_str("storage"), p_global("torch", cls), p_str(key), p_str("cpu"), p_int(numel)) + b"Q"


def p_tensor(storage, offset, size, stride):
    return (p_global("torch._utils", "_rebuild_tensor_v2")
            + p_tuple(storage, p_int(offset), p_tuple(*map(p_int, size)), p_tuple(*map(p_int, stride)), b"\x89",
                      p_ordered_dict())
            + b"R")


def p_state_dict(*items):
    """PROTO 2, an OrderedDict filled by SETITEMS with (key, value) opcode pairs, STOP."""
    return b"\x80\x02" + p_ordered_dict() + b"(" + b"".join(p_str(k) + v for k, v in items) + b"u."


STORAGE0 = struct.pack("<4f", 1.0, -2.0, 0.5, 4.0)


def p_ok_tensor():
    """A valid [2,2] float tensor over storage '0' (4 floats)."""
    return p_tensor(p_storage("0", 4), 0, (2, 2), (2, 1))


def write_checkpoint(path, pickle_bytes, storages=None):
    """A zip laid out as torch.save lays it out: archive/data.pkl, archive/data/<key>, archive/version."""
    storages = {"0": STORAGE0} if storages is None else storages
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("archive/data.pkl", (1980, 1, 1, 0, 0, 0)), pickle_bytes)
        for key, data in storages.items():
            z.writestr(zipfile.ZipInfo("archive/data/" + key, (1980, 1, 1, 0, 0, 0)), data)
        z.writestr(zipfile.ZipInfo("archive/version", (1980, 1, 1, 0, 0, 0)), b"3\n")


def marker(name):
    return "/tmp/cubist-pwned-%08x" % zlib.crc32(name.encode())


def hostile(out):
    """Writes the hostile and broken checkpoints; returns hostile.json's content."""
    cases = OrderedDict()

    def case(name, pickle_bytes, refuses, mark=None, storages=None):
        write_checkpoint(os.path.join(out, name), pickle_bytes, storages)
        cases[name] = OrderedDict([("refuses", refuses)] + ([("marker", mark)] if mark else []))

    # Code execution: a valid first entry, then the payload as the value of the second.
    m = marker("evil_os_system.pth")
    case("evil_os_system.pth",
         p_state_dict(("ok", p_ok_tensor()), ("x", p_global("os", "system") + p_tuple(p_str("touch " + m)) + b"R")),
         "os.system", m)
    m = marker("evil_builtins_eval.pth")
    case("evil_builtins_eval.pth",
         p_state_dict(("x", p_global("builtins", "eval")
                       + p_tuple(p_str("__import__('os').system('touch %s')" % m)) + b"R")),
         "builtins.eval", m)
    m = marker("evil_posix_system.pth")
    case("evil_posix_system.pth",  # protocol 4: the global comes from two strings on the stack
         b"\x80\x04" + p_short_str("posix") + p_short_str("system") + b"\x93" + p_short_str("touch " + m)
         + b"\x85R.",
         "posix.system", m)
    m = marker("evil_subprocess.pth")
    case("evil_subprocess.pth",
         b"\x80\x02" + p_global("subprocess", "check_output") + b"](" + p_str("touch") + p_str(m) + b"e\x85R.",
         "subprocess.check_output", m)
    # torch.storage._load_from_bytes(b) is torch.load(BytesIO(b)): a nested pickle, here one that runs os.system.
    m = marker("evil_load_from_bytes.pth")
    inner = b"\x80\x02" + p_global("os", "system") + p_tuple(p_str("touch " + m)) + b"R."
    case("evil_load_from_bytes.pth",
         b"\x80\x03" + p_global("torch.storage", "_load_from_bytes") + b"(B" + struct.pack("<I", len(inner))
         + inner + b"tR.",
         "torch.storage._load_from_bytes", m)
    # REDUCE on something that is not a callable a state dict uses.
    case("reduce_storage_class.pth", p_state_dict(("x", p_global("torch", "FloatStorage") + b")R")),
         "cannot call the global torch.FloatStorage")
    case("reduce_string.pth", p_state_dict(("x", p_str("os.system") + p_tuple(p_str("id")) + b"R")),
         "cannot call the str 'os.system'")
    # Tensors that do not fit their storage, or storages that do not fit the archive.
    case("huge_size.pth", p_state_dict(("x", p_tensor(p_storage("0", 4), 0, (1 << 20, 1 << 20), (1 << 20, 1)))),
         "more than 2147483639 elements")
    case("past_storage.pth", p_state_dict(("x", p_tensor(p_storage("0", 4), 1, (2, 2), (2, 1)))),
         "reach element 4 of a storage of 4 elements")
    case("negative_stride.pth", p_state_dict(("x", p_tensor(p_storage("0", 4), 3, (4,), (-1,)))),
         "negative stride -1")
    case("missing_storage.pth", p_state_dict(("x", p_tensor(p_storage("7", 4), 0, (4,), (1,)))),
         "has no entry 'archive/data/7'")
    case("storage_size_lie.pth", p_state_dict(("x", p_tensor(p_storage("0", 1 << 30), 0, (1 << 30,), (1,)))),
         "declares 1073741824 F32 elements but its entry holds 16 bytes")
    case("expand_bomb.pth",  # 20 views of 4 floats, each expanded (stride 0) to 2^20 elements
         p_state_dict(*[("x%d" % i, p_tensor(p_storage("0", 4), 0, (1 << 20,), (0,))) for i in range(20)]),
         "the tensors hold 20971520 elements in all")
    # Broken pickles.
    full = p_state_dict(("ok", p_ok_tensor()))
    case("truncated.pth", full[: len(full) * 2 // 3], "truncated")
    case("unknown_opcode.pth", b"\x80\x02" + b"\x82\x01" + b".", "pickle opcode EXT1 (0x82) at offset 2: unsupported")
    depth = 50000  # deeper than a recursive walk of the value could go on a default Java thread stack
    case("deep_nesting.pth",  # {'x': [[[[...]]]]}
         b"\x80\x02}" + p_str("x") + b"]" * depth + b"a" * (depth - 1) + b"s.",
         "the value of 'x' is a list of 1, not a tensor")
    case("deep_marks.pth", b"\x80\x02" + b"(" * 5000 + b".", "MARKs nested deeper than 4096")
    # A value shared 2^40 ways through the memo: list k holds list k-1 twice.
    body = b"]r" + struct.pack("<I", 0) + b"0"
    for k in range(1, 41):
        body += b"(j" + struct.pack("<I", k - 1) + b"j" + struct.pack("<I", k - 1) + b"lr" + struct.pack("<I", k) + b"0"
    body += b"j" + struct.pack("<I", 40)
    case("memo_bomb.pth", b"\x80\x02}" + p_str("x") + body + b"s.", "the value of 'x' is a list of 2, not a tensor")
    return cases


def verify_payloads_run(out, cases):
    """Loads every fixture with a marker using torch.load in a child process: the payload must run."""
    for name, c in cases.items():
        if "marker" not in c:
            continue
        m = c["marker"]
        if os.path.exists(m):
            os.remove(m)
        subprocess.run([sys.executable, "-c", "import sys, torch\ntry:\n torch.load(sys.argv[1])\nexcept Exception:\n"
                        " pass\n", os.path.join(out, name)], check=True, capture_output=True)
        assert os.path.exists(m), f"{name}: torch.load did not run the payload (no {m})"
        os.remove(m)


def wrappers(out, m):
    """Checkpoints as real training code writes them: PyTorchVideo's / PySlowFast's .pyth ({"epoch", "model_state",
    "optimizer_state", "cfg"}), a DataParallel model inside {"model": ...} as .pt, and a layout no reader knows."""
    sd = m.state_dict()
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    torch.save({"epoch": 196, "model_state": sd, "optimizer_state": opt.state_dict(),
                "cfg": "TRAIN:\n  DATASET: kinetics\n"}, os.path.join(out, "pytorchvideo.pyth"))
    torch.save({"model": OrderedDict(("module." + k, v) for k, v in sd.items()), "epoch": 1},
               os.path.join(out, "nested_dataparallel.pt"))
    torch.save({"weights_ema": sd, "step": 7}, os.path.join(out, "unknown_layout.pth"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))

    m = small_module()
    sd = m.state_dict()
    torch.save(sd, os.path.join(out, "small.pth"))
    torch.save(sd, os.path.join(out, "small_p4.pth"), pickle_protocol=4)
    write_safetensors(os.path.join(out, "small.safetensors"), sd)
    write_expected(os.path.join(out, "small.expected.safetensors"), sd)
    for suffix, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16), ("f64", torch.float64)):
        s = cast(sd, dtype)
        torch.save(s, os.path.join(out, f"small_{suffix}.pth"))
        write_safetensors(os.path.join(out, f"small_{suffix}.safetensors"), s)
        write_expected(os.path.join(out, f"small_{suffix}.expected.safetensors"), s)
    torch.save(OrderedDict(("module." + k, v) for k, v in sd.items()), os.path.join(out, "dataparallel.pth"))
    torch.save(OrderedDict(m.named_parameters()), os.path.join(out, "params.pth"))
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    for p in m.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    torch.save({"epoch": 3, "arch": "small", "best_acc1": 0.25, "state_dict": m.state_dict(),
                "optimizer": opt.state_dict()}, os.path.join(out, "checkpoint.pth"))
    write_expected(os.path.join(out, "checkpoint.expected.safetensors"), m.state_dict())
    wrappers(out, small_module())
    torch.save(sd, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
    rezip64(os.path.join(out, "small.pth"), os.path.join(out, "zip64.pth"))
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(2, 2))), os.path.join(out, "torchscript.pth"))
    torch.save(nn.Sequential(nn.Linear(2, 2)), os.path.join(out, "whole_model.pth"))

    v = views()
    torch.save(v, os.path.join(out, "views.pth"))
    write_expected(os.path.join(out, "views.expected.safetensors"), v)

    write_checkpoint(os.path.join(out, "handmade.pth"),
                     p_state_dict(("a", p_ok_tensor()), ("b", p_tensor(p_storage("0", 4), 1, (3,), (1,)))))
    cases = hostile(out)
    verify_payloads_run(out, cases)
    with open(os.path.join(out, "hostile.json"), "w") as f:
        json.dump(cases, f, indent=2)
        f.write("\n")

    # Self checks: torch reads back what it wrote and what was written by hand.
    for name in ("small.pth", "small_p4.pth", "dataparallel.pth", "legacy.pth", "zip64.pth"):
        back = torch.load(os.path.join(out, name))
        assert [k.replace("module.", "") for k in back] == list(sd), name
    hm = torch.load(os.path.join(out, "handmade.pth"))
    assert hm["a"].tolist() == [[1.0, -2.0], [0.5, 4.0]] and hm["b"].tolist() == [-2.0, 0.5, 4.0]
    for name in sorted(os.listdir(out)):
        print(f"{os.path.getsize(os.path.join(out, name)):8d}  {name}")


if __name__ == "__main__":
    main()
