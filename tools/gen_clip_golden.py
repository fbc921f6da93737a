#!/usr/bin/python3
"""Golden cases for Cubist's ClipTransform: the same uint8 frames through torchvision 0.14's video preset.

    /usr/bin/python3 tools/gen_clip_golden.py [--out pipeline/src/test/resources/golden-clips]

Writes ``clip_transform.safetensors`` and ``clip_transform.json``. For every case NAME the safetensors file holds
``NAME.frames`` (uint8 ``[T, H, W, 3]``: RGB frames as a decoder gives them) and ``NAME.expected`` (float32
``[3, T, h, w]``: what torchvision returns); the JSON lists the cases with their resize, crop, mean and std.

The first case is ``torchvision.models.video.R2Plus1D_18_Weights.KINETICS400_V1.transforms()`` itself (resize
128x171, crop 112); the others are the class it instantiates (``torchvision.transforms._presets.VideoClassification``)
at small sizes: downscaling, upscaling by odd and by exact factors (where half-way values round to even), and a
resize to the input's own size.
"""
import argparse
import json
import os
import struct
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.video import R2Plus1D_18_Weights
from torchvision.transforms._presets import VideoClassification

KINETICS_MEAN = (0.43216, 0.394666, 0.37645)
KINETICS_STD = (0.22803, 0.22145, 0.216989)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def write_safetensors(path, tensors, metadata):
    names = {torch.uint8: "U8", torch.float32: "F32"}
    header = OrderedDict([("__metadata__", metadata)])
    blobs, offset = [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()  # little-endian on every machine this runs on
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def frames(gen, t, h, w, kind):
    if kind == "random":
        return torch.randint(0, 256, (t, h, w, 3), generator=gen, dtype=torch.uint8)
    # smooth ramps: neighbouring pixels differ by 1, so interpolated values often fall half-way
    y = torch.arange(h).view(1, h, 1, 1)
    x = torch.arange(w).view(1, 1, w, 1)
    tt = torch.arange(t).view(t, 1, 1, 1)
    c = torch.arange(3).view(1, 1, 1, 3)
    return ((x + 2 * y + 7 * tt + 50 * c) % 256).to(torch.uint8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="pipeline/src/test/resources/golden-clips")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(20221028)

    cases = [
        # name, T, H, W, frame kind, transform (None: the R2Plus1D weights' own), resize, crop, mean, std
        ("r2plus1d_18_preset", 1, 97, 131, "random", None, (128, 171), (112, 112), KINETICS_MEAN, KINETICS_STD),
        ("downscale", 3, 61, 83, "random", "vc", (30, 37), (20, 24), KINETICS_MEAN, KINETICS_STD),
        ("upscale_odd", 3, 7, 11, "random", "vc", (17, 29), (9, 13), IMAGENET_MEAN, IMAGENET_STD),
        ("upscale_x2_ramp", 2, 8, 10, "ramp", "vc", (16, 20), (12, 15), IMAGENET_MEAN, IMAGENET_STD),
        ("downscale_ramp", 2, 41, 57, "ramp", "vc", (16, 21), (16, 16), KINETICS_MEAN, KINETICS_STD),
        ("same_size", 2, 12, 16, "random", "vc", (12, 16), (8, 11), KINETICS_MEAN, KINETICS_STD),
    ]
    tensors, index = OrderedDict(), []
    for name, t, h, w, kind, which, resize, crop, mean, std in cases:
        x = frames(gen, t, h, w, kind)
        if which is None:
            tf = R2Plus1D_18_Weights.KINETICS400_V1.transforms()
            assert tuple(tf.resize_size) == resize and tuple(tf.crop_size) == crop
            assert tuple(tf.mean) == mean and tuple(tf.std) == std
        else:
            tf = VideoClassification(crop_size=crop, resize_size=resize, mean=mean, std=std)
        # the preset takes [T, C, H, W] uint8 and returns [C, T, h, w] float32
        y = tf(x.permute(0, 3, 1, 2).contiguous())
        assert y.shape == (3, t) + tuple(crop), y.shape
        tensors[name + ".frames"] = x
        tensors[name + ".expected"] = y.to(torch.float32)
        index.append({"name": name, "frames": t, "height": h, "width": w, "resize": list(resize),
                      "crop": list(crop), "mean": list(mean), "std": list(std)})
    meta = {"generator": "tools/gen_clip_golden.py", "torch": torch.__version__,
            "torchvision": torchvision.__version__}
    write_safetensors(os.path.join(args.out, "clip_transform.safetensors"), tensors, meta)
    with open(os.path.join(args.out, "clip_transform.json"), "w") as f:
        json.dump({"cases": index, **meta}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
