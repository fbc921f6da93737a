#!/usr/bin/python3
"""Write torchvision's pretrained video-model weights as safetensors (and .pth) for ``cubist embed --weights``.

On a machine with internet access (torchvision downloads the checkpoints into its cache, ~/.cache/torch):

    /usr/bin/python3 tools/export_torchvision.py --all --out weights/
    # -> weights/r3d_18.safetensors, mc3_18.safetensors, r2plus1d_18.safetensors, s3d.safetensors

    bin/cubist embed --model r3d_18 --weights weights/r3d_18.safetensors --clips CLIPS --out OUT

Without internet, ``--random`` writes seeded random weights with random batch-norm statistics instead (the same
keys and shapes; what the conformance test uses). ``--pth`` also writes ``NAME.pth`` (``torch.save`` of the
state_dict). ``--from-pth FILE --out FILE.safetensors`` converts a checkpoint you already have.

Keys are torchvision's ``state_dict`` keys, unchanged (``stem.0.weight``, ``layer1.0.conv1.0.weight``, ``fc.bias``,
``...num_batches_tracked``): float tensors as F32, the batch counters as I64. Every file is read back and loaded
into a fresh torchvision model with ``load_state_dict(strict=True)`` before the script reports success.

Preprocessing the weights expect (``R3D_18_Weights.KINETICS400_V1.transforms()``, also in conf/models/NAME.json):
frames at 15 fps, clips of 16, resize to 128x171 (bilinear), center crop 112x112, scale to [0, 1], normalize with
mean (0.43216, 0.394666, 0.37645) and std (0.22803, 0.22145, 0.216989), layout [3, T, H, W]. s3d
(``S3D_Weights.KINETICS400_V1``): resize to 256x256, center crop 224x224, the same mean and std; torchvision
evaluates it on clips of 128 frames at 15 fps (at least 14 frames).

c3d and ir_csn_50 are not torchvision models: ``--from-pth`` converts their checkpoints, and ``write`` takes a
``build`` function for them (tools/model_conformance.py uses it with tools/video_models.py).
"""

import argparse
import os
import sys
from collections import OrderedDict

import torch
import torchvision
import torchvision.models.video as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cubist_torch as ct  # noqa: E402

MODELS = OrderedDict([
    ("r3d_18", "R3D_18_Weights"),
    ("mc3_18", "MC3_18_Weights"),
    ("r2plus1d_18", "R2Plus1D_18_Weights"),
    ("s3d", "S3D_Weights"),
])


def pretrained(name):
    """torchvision's Kinetics-400 model (downloads on first use)."""
    enum = getattr(tvm, MODELS[name])
    return getattr(tvm, name)(weights=enum.KINETICS400_V1).eval(), f"torchvision {torchvision.__version__} " \
        f"{MODELS[name]}.KINETICS400_V1"


def random_model(name, seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    return ct.randomize_(getattr(tvm, name)(), gen), f"random weights and batch-norm statistics (seed {seed})"


def state_dict_of(model):
    """The state_dict as F32 floats and I64 counters, in torchvision's order."""
    out = OrderedDict()
    for k, v in model.state_dict().items():
        out[k] = v.detach().to(torch.int64 if not v.is_floating_point() else torch.float32).contiguous()
    return out


def write(name, model, source, out_dir, pth, build=None):
    """Writes NAME.safetensors (and NAME.pth), each checked by loading it into a fresh ``build()`` (default: the
    torchvision model ``name``) with strict keys."""
    sd = state_dict_of(model)
    paths = [os.path.join(out_dir, name + ".safetensors")]
    ct.write_safetensors(paths[0], sd, {"format": "pt", "model": name, "source": source})
    if pth:
        paths.append(os.path.join(out_dir, name + ".pth"))
        torch.save(sd, paths[1])
    for p in paths:
        back = ct.read_safetensors(p) if p.endswith(".safetensors") else torch.load(p, map_location="cpu")
        fresh = build() if build else getattr(tvm, name)()
        fresh.load_state_dict(back, strict=True)
        assert all(torch.equal(back[k], sd[k]) for k in sd), p
        print(f"{p}: {len(sd)} tensors, {sum(p.numel() for p in fresh.parameters()):,} parameters ({source})")
    return paths


def from_pth(path, out):
    sd = torch.load(path, map_location="cpu", weights_only=True)
    for wrapper in ("state_dict", "model"):
        if isinstance(sd, dict) and wrapper in sd and isinstance(sd[wrapper], dict):
            sd = sd[wrapper]
    tensors = OrderedDict()
    for k, v in sd.items():
        if not torch.is_tensor(v):
            raise SystemExit(f"{path}: entry {k!r} is {type(v).__name__}, not a tensor; not a state_dict")
        tensors[k] = v.to(torch.float32 if v.is_floating_point() else torch.int64).contiguous()
    ct.write_safetensors(out, tensors, {"format": "pt", "source": os.path.basename(path)})
    print(f"{out}: {len(tensors)} tensors from {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--model", action="append", choices=list(MODELS), help="a model to export (repeatable)")
    ap.add_argument("--all", action="store_true", help="every model: " + ", ".join(MODELS))
    ap.add_argument("--out", required=True, help="output directory (with --from-pth: the .safetensors file)")
    ap.add_argument("--random", action="store_true", help="random weights and BN statistics instead of a download")
    ap.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
    ap.add_argument("--pth", action="store_true", help="also write NAME.pth (torch.save of the state_dict)")
    ap.add_argument("--from-pth", metavar="FILE", help="convert this .pth state_dict to safetensors at --out")
    args = ap.parse_args(argv)

    if args.from_pth:
        from_pth(args.from_pth, args.out)
        return
    names = list(MODELS) if args.all else (args.model or [])
    if not names:
        ap.error("name a --model or pass --all")
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        model, source = random_model(name, args.seed) if args.random else pretrained(name)
        write(name, model, source, args.out, args.pth)


if __name__ == "__main__":
    main()
