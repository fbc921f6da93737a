#!/usr/bin/python3
"""Generate the CI-sized PyTorch golden cases of the model zoo (pipeline/src/test/resources/golden-models/).

Run with Debian's interpreter (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tools/gen_model_golden.py [--out DIR]

Every case is deterministic (seeded with the CRC-32 of its name) and small enough to commit. Per case NAME:

* ``NAME.json``: what to build. Video ResNet cases: ``{"model": "r3d_18", "widths": [4, 8, 8, 16],
  "layers": [2, 2, 2, 2], "block": "basic"|"bottleneck", "stem_mid": 3, "num_classes": 10}``, built with
  torchvision's own blocks and convolution builders (tools/cubist_torch.py), so the keys are torchvision's.
  The other families (index key ``families``; tools/video_models.py): ``{"model": "s3d", "div": 16,
  "avgpool_kernel": [1, 2, 1], "num_classes": 10}``, ``{"model": "c3d", "channels": [...], "hidden": 32,
  "fc6_grid": [1, 2, 2], "num_classes": 10}``, ``{"model": "ir_csn_50", "widths": [...], "num_classes": 10}``, ``{"model": "alexnet3d", "channels": [...],
  "hidden": 32, "pool_grid": [1, 2, 2], "num_classes": 10}``.
  The ``layers`` case is a plain ``nn.Sequential`` of the other layers (see ``layers_case``).
* ``NAME.weights.safetensors``: the ``state_dict`` (F32; ``num_batches_tracked`` I64), random weights and random
  batch-norm statistics. For the cases in ``PTH_CASES`` also ``NAME.weights.pth``, the same state_dict as
  ``torch.save`` writes it (a zip checkpoint), so the Java .pth reader is checked on a real model.
* ``NAME.layers.safetensors`` for the cases in ``LAYER_CASES``: F64 outputs of intermediate modules by their
  ``state_dict`` prefix (what ``--layer`` gives, before pooling).
* ``NAME.clips.safetensors``: ``clips`` ``[N, 3, T, H, W]`` F32, uniform in [-2, 2).
* ``NAME.expected.safetensors``: F64, the model evaluated in float64 on the float32 weights and clips:
  ``features`` (the input of ``fc``) and ``logits`` for the video ResNets, ``output`` for ``layers``.

Stale files in DIR (*.json, *.safetensors, *.pth) are deleted first.
"""

import argparse
import glob
import os
import sys
import zlib
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cubist_torch as ct  # noqa: E402
import video_models as vm  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "pipeline", "src", "test", "resources", "golden-models")

CLIPS = (2, 3, 5, 24, 28)
RESNET_CASES = [
    # name, model, widths, layers, block
    ("r3d_18_w4-8-8-16", "r3d_18", (4, 8, 8, 16), (2, 2, 2, 2), "basic"),
    ("mc3_18_w4-8-8-16", "mc3_18", (4, 8, 8, 16), (2, 2, 2, 2), "basic"),
    ("r2plus1d_18_w4-8-8-16", "r2plus1d_18", (4, 8, 8, 16), (2, 2, 2, 2), "basic"),
    ("r3d_bottleneck_w4-4-8-8", "r3d_18", (4, 4, 8, 8), (1, 1, 1, 1), "bottleneck"),
    ("r2plus1d_bottleneck_w4-4-8-8", "r2plus1d_18", (4, 4, 8, 8), (1, 1, 1, 1), "bottleneck"),
]
# name, model, reduced variant (the arguments of tools/video_models.py's builder), clips [N, 3, T, H, W]
FAMILY_CASES = [
    ("s3d_div16", "s3d", OrderedDict(div=16, avgpool_kernel=[1, 2, 1]), (1, 3, 8, 64, 64)),
    ("c3d_w4-8-8-16-16", "c3d", OrderedDict(channels=[4, 8, 8, 16, 16], hidden=32, fc6_grid=[1, 2, 2]),
     (2, 3, 16, 32, 32)),
    ("ir_csn_50_w4-4-8-8", "ir_csn_50", OrderedDict(widths=[4, 4, 8, 8]), (2, 3, 8, 24, 24)),
    ("alexnet3d_w8-16-24-16-16", "alexnet3d", OrderedDict(channels=[8, 16, 24, 16, 16], hidden=32,
                                                           pool_grid=[1, 2, 2]), (2, 3, 8, 96, 96)),
    # X3D at full depth structure (every block kind: SE and not, projected shortcut with and without batch norm,
    # Swish, the head's projected pool), narrow: stem 8 wide, width factor 1, depth factor 1, head 32
    ("x3d_s_reduced", "x3d_s", OrderedDict(clip_length=4, crop_size=64, width_factor=1.0, depth_factor=1.0,
                                           stem_dim_in=8, head_dim_out=32), (2, 3, 4, 64, 64)),
    # I3D with every channel count / 16; odd sizes so the "SAME" padding of strided layers is asymmetric
    ("i3d_div16", "i3d", OrderedDict(div=16, avgpool_kernel=[2, 2, 2]), (2, 3, 15, 60, 60)),
    # SlowFast at PyTorchVideo's depth 18 (one bottleneck per stage), stem 16 wide: both pathways, every fusion
    ("slowfast_d18_s16", "slowfast_r50", OrderedDict(depth=18, stem_width=16, clip_length=8, crop_size=64),
     (2, 3, 8, 64, 64)),
]
NUM_CLASSES = 10
PTH_CASES = {"r2plus1d_18_w4-8-8-16"}
# intermediate outputs (--layer) written as NAME.layers.safetensors, F64, each the module's output as it is: a
# whole stage, a batch norm inside a convolution's Sequential (so fusion must stop there), a block's branch
LAYER_CASES = {
    "r3d_18_w4-8-8-16": ["layer3", "layer1.0.conv1.1", "layer2.0.downsample"],
    "x3d_s_reduced": ["blocks.2", "blocks.4.res_blocks.0.branch2.norm_b", "blocks.1.res_blocks.0.branch2.act_b"],
    "i3d_div16": ["Mixed_4f", "Mixed_3b.b1a", "MaxPool3d_4a_3x3"],
    "slowfast_d18_s16": ["blocks.2.multipathway_blocks.1", "blocks.3.multipathway_blocks.0.res_blocks.0.branch2"],
}


def layers_case():
    """Every other layer once: transposed and grouped/dilated convolutions with batch norm to fold (one of them
    transposed and grouped), a batch norm with no convolution before it, max/avg/adaptive pooling, flatten, linear."""
    return nn.Sequential(
        nn.ConvTranspose3d(3, 8, kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), output_padding=(0, 1, 1)),
        nn.BatchNorm3d(8),
        nn.ReLU(),
        nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        nn.Conv3d(8, 8, kernel_size=3, padding=2, dilation=2, groups=2),
        nn.BatchNorm3d(8, eps=1e-3),
        nn.AvgPool3d(kernel_size=2, stride=2),
        nn.BatchNorm3d(8),
        nn.ReLU(),
        nn.ConvTranspose3d(8, 4, kernel_size=2, stride=2, groups=2, bias=False),
        nn.BatchNorm3d(4),
        nn.AdaptiveAvgPool3d((1, 2, 2)),
        nn.Flatten(),
        nn.Linear(16, 5),
    )


LAYERS_INPUT = (2, 3, 4, 10, 10)


def _gen(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def _clips(gen, shape):
    return torch.rand(shape, generator=gen) * 4 - 2


def _write(out, name, spec, model, clips, expected):
    import json
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    ct.write_safetensors(os.path.join(out, name + ".weights.safetensors"), model.state_dict())
    ct.write_safetensors(os.path.join(out, name + ".clips.safetensors"), OrderedDict(clips=clips))
    ct.write_safetensors(os.path.join(out, name + ".expected.safetensors"), expected)


def layer_outputs(model, clips, names):
    """The outputs of the named submodules, the model run in float64 (forward hooks)."""
    import copy
    m = copy.deepcopy(model).double().eval()
    got = OrderedDict()
    hooks = [m.get_submodule(n).register_forward_hook(lambda mod, i, o, n=n: got.__setitem__(n, o.detach().clone()))
             for n in names]
    with torch.no_grad():
        vm.features_and_logits(m, clips)
    for h in hooks:
        h.remove()
    return OrderedDict((n, got[n]) for n in names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for p in (glob.glob(os.path.join(args.out, "*.json")) + glob.glob(os.path.join(args.out, "*.safetensors"))
              + glob.glob(os.path.join(args.out, "*.pth"))):
        os.remove(p)
    ct.self_check()
    vm.self_check()
    torch.manual_seed(0)

    names = []
    for name, model_name, widths, layers, block in RESNET_CASES:
        gen = _gen(name)
        model = ct.randomize_(ct.video_resnet(model_name, widths=widths, layers=layers, block=block,
                                              num_classes=NUM_CLASSES), gen)
        clips = _clips(gen, CLIPS)
        f, l = ct.features_and_logits(model, clips)
        spec = OrderedDict(model=model_name, widths=list(widths), layers=list(layers), block=block,
                           stem_mid=ct.stem_mid_for(widths), num_classes=NUM_CLASSES)
        _write(args.out, name, spec, model, clips, OrderedDict(features=f, logits=l))
        if name in PTH_CASES:
            torch.save(model.state_dict(), os.path.join(args.out, name + ".weights.pth"))
        if name in LAYER_CASES:
            ct.write_safetensors(os.path.join(args.out, name + ".layers.safetensors"),
                                 layer_outputs(model, clips, LAYER_CASES[name]))
        # the same weights read back through the reader give the same answer
        back = ct.read_safetensors(os.path.join(args.out, name + ".weights.safetensors"))
        m2 = ct.video_resnet(model_name, widths=widths, layers=layers, block=block, num_classes=NUM_CLASSES)
        m2.load_state_dict(back)
        f2, l2 = ct.features_and_logits(m2, clips)
        assert torch.equal(f, f2) and torch.equal(l, l2), name
        names.append(name)
        print(f"{name}: features {tuple(f.shape)} |f|max {f.abs().max():.3g}, logits {tuple(l.shape)}")

    families = []
    for name, model_name, variant, shape in FAMILY_CASES:
        gen = _gen(name)
        model = vm.randomize_(vm.build(model_name, num_classes=NUM_CLASSES, **variant), gen)
        clips = _clips(gen, shape)
        f, l = vm.features_and_logits(model, clips)
        _write(args.out, name, OrderedDict(model=model_name, **variant, num_classes=NUM_CLASSES), model, clips,
               OrderedDict(features=f, logits=l))
        m2 = vm.build(model_name, num_classes=NUM_CLASSES, **variant)
        m2.load_state_dict(ct.read_safetensors(os.path.join(args.out, name + ".weights.safetensors")))
        f2, l2 = vm.features_and_logits(m2, clips)
        assert torch.equal(f, f2) and torch.equal(l, l2), name
        if name in LAYER_CASES:
            ct.write_safetensors(os.path.join(args.out, name + ".layers.safetensors"),
                                 layer_outputs(model, clips, LAYER_CASES[name]))
        families.append(name)
        print(f"{name}: features {tuple(f.shape)} |f|max {f.abs().max():.3g}, logits {tuple(l.shape)}")

    name = "layers"
    gen = _gen(name)
    model = ct.randomize_(layers_case(), gen)
    clips = _clips(gen, LAYERS_INPUT)
    with torch.no_grad():
        import copy
        out = copy.deepcopy(model).double()(clips.double())
    _write(args.out, name, OrderedDict(model="layers"), model, clips, OrderedDict(output=out))
    names.append(name)
    print(f"{name}: output {tuple(out.shape)}")

    import json
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(OrderedDict(torch=torch.__version__, torchvision=torchvision.__version__, cases=names,
                              families=families), f,
                  indent=2)
        f.write("\n")
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(args.out, "*")))
    print(f"{len(names) + len(families)} cases, {total / 1e6:.2f} MB in {args.out}")


if __name__ == "__main__":
    main()
