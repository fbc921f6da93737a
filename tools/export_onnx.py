#!/usr/bin/python3
"""Export a zoo model with random weights to ONNX for ONNX Runtime's side of tools/bench_models.py.

    /usr/bin/python3 tools/export_onnx.py --model r3d_18 --out /tmp/r3d_18.onnx [--opset 13]

torchvision's model (or tools/video_models.py's for the other families), seeded random weights, ``eval()``,
``torch.onnx.export`` with opset 13 and a dynamic batch axis, input ``clips`` of the model's default clip size
(``video_models.default_clip``).
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_models as bm  # noqa: E402
import video_models as vm  # noqa: E402


def export(name, out, opset=13):
    torch.manual_seed(0)
    model = bm.torch_model(name).eval()
    x = torch.rand(*vm.default_clip(name, 1)) * 2 - 1
    with torch.no_grad():
        torch.onnx.export(model, x, out, input_names=["clips"], output_names=["out"], opset_version=opset,
                          dynamic_axes={"clips": {0: "batch"}, "out": {0: "batch"}})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--opset", type=int, default=13)
    a = ap.parse_args(argv)
    print(export(a.model, a.out, a.opset))
    return 0


if __name__ == "__main__":
    sys.exit(main())
