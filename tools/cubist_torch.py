"""Shared PyTorch helpers for Cubist's model tools (run with Debian's /usr/bin/python3: torch 1.13, torchvision 0.14).

* safetensors reading and writing (F32, F64, I64) without the ``safetensors`` package;
* torchvision's ``VideoResNet`` with other stage widths, block types and block counts, built from torchvision's
  own blocks and convolution builders so the ``state_dict`` keys are torchvision's;
* random weights and random batch-norm statistics for conformance runs;
* a float64 forward that returns the features (the input of ``fc``) and the logits.
"""

import copy
import json
import math
import struct
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torchvision.models.video.resnet as tvr

_DTYPES = {
    "F32": (torch.float32, "<f4", 4),
    "F64": (torch.float64, "<f8", 8),
    "I64": (torch.int64, "<i8", 8),
}
_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata=None):
    """Write an ordered mapping name -> tensor (float32, float64 or int64) as a safetensors file."""
    header = OrderedDict([("__metadata__", dict(metadata or {"format": "pt"}))])
    blobs, offset = [], 0
    for name, t in tensors.items():
        dtype = _NAMES[t.dtype]
        data = t.detach().contiguous().cpu().numpy().astype(_DTYPES[dtype][1]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Read a safetensors file (F32/F64/I64) into an ordered dict, checking that the tensors tile the data."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    header.pop("__metadata__", None)
    data = buf[8 + n:]
    out, end_seen = OrderedDict(), 0
    for name, info in header.items():
        torch_dtype, np_dtype, size = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        assert end - begin == math.prod(info["shape"]) * size, f"{path}: {name} has the wrong byte size"
        arr = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np_dtype[1:], copy=True))
        end_seen = max(end_seen, end)
    assert end_seen == len(data), f"{path}: trailing bytes"
    return out


# ------------------------------------------------------------------------------------------------ video ResNets

TORCHVISION_WIDTHS = (64, 128, 256, 512)
TORCHVISION_STEM_MID = 45

FAMILIES = {
    # name: (conv builders, stem)
    "r3d_18": ([tvr.Conv3DSimple] * 4, "basic"),
    "mc3_18": ([tvr.Conv3DSimple] + [tvr.Conv3DNoTemporal] * 3, "basic"),
    "r2plus1d_18": ([tvr.Conv2Plus1D] * 4, "r2plus1d"),
}


def stem_mid_for(widths):
    """The R(2+1)D stem width Cubist uses for other widths: 45 at torchvision's, else round(45 * w0 / 64)."""
    if widths[0] == TORCHVISION_WIDTHS[0]:
        return TORCHVISION_STEM_MID
    return max(1, int(round(TORCHVISION_STEM_MID * widths[0] / TORCHVISION_WIDTHS[0])))


class _VariantResNet(tvr.VideoResNet):
    """torchvision's VideoResNet with the stage widths as parameters (torchvision hard-codes 64..512)."""

    def __init__(self, block, conv_makers, layers, stem, widths, num_classes):
        nn.Module.__init__(self)
        self.inplanes = widths[0]
        self.stem = stem
        self.layer1 = self._make_layer(block, conv_makers[0], widths[0], layers[0], stride=1)
        self.layer2 = self._make_layer(block, conv_makers[1], widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, conv_makers[2], widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, conv_makers[3], widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)


def _stem(kind, width, mid):
    if kind == "basic":
        return nn.Sequential(
            nn.Conv3d(3, width, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            nn.BatchNorm3d(width), nn.ReLU(inplace=True))
    return nn.Sequential(
        nn.Conv3d(3, mid, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
        nn.BatchNorm3d(mid), nn.ReLU(inplace=True),
        nn.Conv3d(mid, width, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0), bias=False),
        nn.BatchNorm3d(width), nn.ReLU(inplace=True))


def video_resnet(name, widths=None, layers=(2, 2, 2, 2), block="basic", num_classes=400):
    """A torchvision video ResNet; with the defaults exactly torchvision's ``name()`` (checked by self_check)."""
    if widths is None:
        return getattr(tvr, name)(num_classes=num_classes)
    makers, stem = FAMILIES[name]
    blk = tvr.BasicBlock if block == "basic" else tvr.Bottleneck
    return _VariantResNet(blk, makers, list(layers), _stem(stem, widths[0], stem_mid_for(widths)), list(widths),
                          num_classes)


def self_check():
    """The width-parameterized builder at torchvision's widths has torchvision's exact state_dict."""
    for name in FAMILIES:
        a = getattr(tvr, name)().state_dict()
        b = video_resnet(name, widths=TORCHVISION_WIDTHS).state_dict()
        assert list(a) == list(b), name
        assert all(a[k].shape == b[k].shape for k in a), name


def randomize_(model, gen):
    """Random weights and batch-norm statistics, so that folding and every parameter matter.

    Conv weights keep their (seeded) kaiming init; BN weight ~ U(0.5, 1.5), bias ~ U(-0.5, 0.5),
    running_mean ~ U(-0.5, 0.5), running_var ~ U(0.5, 2), num_batches_tracked random; fc weight ~ N(0, 0.05²),
    bias ~ U(-0.5, 0.5).
    """
    def u(shape, lo, hi):
        return torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)):
                fan_out = m.weight.shape[0] * math.prod(m.weight.shape[2:])
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * math.sqrt(2.0 / fan_out))
                if m.bias is not None:
                    m.bias.copy_(u(m.bias.shape, -0.2, 0.2))
            elif isinstance(m, nn.BatchNorm3d):
                m.weight.copy_(u(m.weight.shape, 0.5, 1.5))
                m.bias.copy_(u(m.bias.shape, -0.5, 0.5))
                m.running_mean.copy_(u(m.running_mean.shape, -0.5, 0.5))
                m.running_var.copy_(u(m.running_var.shape, 0.5, 2.0))
                m.num_batches_tracked.fill_(int(torch.randint(1, 10000, (1,), generator=gen)))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.05)
                m.bias.copy_(u(m.bias.shape, -0.5, 0.5))
    return model.eval()


def features_and_logits(model, clips):
    """The model run in float64 on float32 clips: (features = the input of fc, logits). The model is not changed."""
    m = copy.deepcopy(model).double().eval()
    x = clips.double()
    with torch.no_grad():
        for part in (m.stem, m.layer1, m.layer2, m.layer3, m.layer4, m.avgpool):
            x = part(x)
        f = x.flatten(1)
        return f, m.fc(f)


def rel_l2(got, want):
    """||got - want|| / ||want|| in float64."""
    g = got.double().flatten()
    w = want.double().flatten()
    return float(torch.linalg.norm(g - w) / torch.linalg.norm(w))
