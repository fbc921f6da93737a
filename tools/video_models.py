"""PyTorch definitions of Cubist's zoo models beyond the video ResNets (run with Debian's /usr/bin/python3).

* ``s3d``: torchvision 0.14's ``S3D``, built from torchvision's own ``TemporalSeparableConv``,
  ``SepInceptionBlock3D`` and ``Conv3dNormActivation``; a reduced variant divides every channel count by
  ``channel_divisor`` (floor, at least 1) and may take a smaller ``avgpool_kernel`` for small CI clips.
* ``c3d``: C3D (Tran et al. 2015) laid out as the common PyTorch port of the Sports-1M weights
  (keys ``conv1 .. conv5b``, ``fc6``, ``fc7``, ``fc8``; 16x112x112 clips, 487 classes).
* ``alexnet3d``: AlexNet in 3D with the original's groups=2 layers (conv2, conv4, conv5), torchvision's AlexNet
  layout; the model Cubist splits across devices group by group.
* ``ir_csn_50``: an interaction-reduced channel-separated network (Tran et al. 2019) of ResNet-50 depth, built as
  VMZ builds ``ir_csn_152``: torchvision's ``VideoResNet`` with torchvision's ``Bottleneck``, a depthwise 3x3x3
  convolution builder, a stem with a max pool, and batch norm ``eps=1e-3`` (Caffe2's), blocks ``[3, 4, 6, 3]``.

``features_and_logits(model, clips)`` runs any zoo model (these and the video ResNets) in float64 and returns what
``cubist embed`` writes: ``features`` (the classifier's input after global pooling; for s3d the mean over time and
space of the average-pooled map; for c3d the output of fc7 after its ReLU) and ``logits``.
"""

import copy
import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision.models.video as tvm
import torchvision.models.video.resnet as tvr
from torchvision.models.video.s3d import S3D, SepInceptionBlock3D, TemporalSeparableConv
from torchvision.ops.misc import Conv3dNormActivation

import cubist_torch as ct

# ------------------------------------------------------------------------------------------------------------ S3D

S3D_AVGPOOL = (2, 7, 7)
# torchvision's SepInceptionBlock3D arguments after in_planes: b0_out, b1_mid, b1_out, b2_mid, b2_out, b3_out
S3D_INCEPTION = [
    (64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64), "pool3",
    (192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
    (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128), "pool2",
    (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128),
]


class S3DVariant(S3D):
    """torchvision's S3D with every channel count divided by ``div`` (floor, at least 1) and the average pool's kernel
    as a parameter; ``div=1`` and ``avgpool_kernel=(2, 7, 7)`` give torchvision's model (checked by self_check)."""

    def __init__(self, div=1, avgpool_kernel=S3D_AVGPOOL, num_classes=400, dropout=0.2):
        nn.Module.__init__(self)
        c = lambda n: max(1, n // div)  # noqa: E731
        norm = lambda n: nn.BatchNorm3d(n, eps=0.001, momentum=0.001)  # noqa: E731
        layers = [
            TemporalSeparableConv(3, c(64), 7, 2, 3, norm),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            Conv3dNormActivation(c(64), c(64), kernel_size=1, stride=1, norm_layer=norm),
            TemporalSeparableConv(c(64), c(192), 3, 1, 1, norm),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        ]
        planes = c(192)
        for cfg in S3D_INCEPTION:
            if cfg == "pool3":
                layers.append(nn.MaxPool3d(kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1)))
            elif cfg == "pool2":
                layers.append(nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0)))
            else:
                b0, b1m, b1, b2m, b2, b3 = (c(v) for v in cfg)
                layers.append(SepInceptionBlock3D(planes, b0, b1m, b1, b2m, b2, b3, norm))
                planes = b0 + b1 + b2 + b3
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AvgPool3d(kernel_size=tuple(avgpool_kernel), stride=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Conv3d(planes, num_classes, kernel_size=1, stride=1, bias=True),
        )


def s3d(div=1, avgpool_kernel=S3D_AVGPOOL, num_classes=400):
    if div == 1 and tuple(avgpool_kernel) == S3D_AVGPOOL:
        return tvm.s3d(num_classes=num_classes)
    return S3DVariant(div, avgpool_kernel, num_classes)


# ------------------------------------------------------------------------------------------------------------ C3D

C3D_CHANNELS = (64, 128, 256, 512, 512)
C3D_HIDDEN = 4096
C3D_CLASSES = 487
C3D_FC6_GRID = (1, 4, 4)  # pool5's output for 16x112x112 clips: 512 * 1 * 4 * 4 = 8192 fc6 inputs


class C3D(nn.Module):
    """C3D as the common PyTorch port lays it out (same attribute names, so the same state_dict keys). Widths are
    parameters for reduced variants; ``fc6_grid`` is pool5's output (time, height, width) for the clips it takes."""

    def __init__(self, channels=C3D_CHANNELS, hidden=C3D_HIDDEN, num_classes=C3D_CLASSES, fc6_grid=C3D_FC6_GRID):
        super().__init__()
        c1, c2, c3, c4, c5 = channels
        conv = lambda i, o: nn.Conv3d(i, o, kernel_size=(3, 3, 3), padding=(1, 1, 1))  # noqa: E731
        self.conv1 = conv(3, c1)
        self.pool1 = nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.conv2 = conv(c1, c2)
        self.pool2 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2))
        self.conv3a = conv(c2, c3)
        self.conv3b = conv(c3, c3)
        self.pool3 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2))
        self.conv4a = conv(c3, c4)
        self.conv4b = conv(c4, c4)
        self.pool4 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2))
        self.conv5a = conv(c4, c5)
        self.conv5b = conv(c5, c5)
        self.pool5 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 1, 1))
        self.fc6_in = c5 * math.prod(fc6_grid)
        self.fc6 = nn.Linear(self.fc6_in, hidden)
        self.fc7 = nn.Linear(hidden, hidden)
        self.fc8 = nn.Linear(hidden, num_classes)
        self.dropout = nn.Dropout(p=0.5)
        self.relu = nn.ReLU()

    def features(self, x):
        """fc7's output after its ReLU (dropout is the identity in eval): the input of fc8."""
        h = self.pool1(self.relu(self.conv1(x)))
        h = self.pool2(self.relu(self.conv2(h)))
        h = self.pool3(self.relu(self.conv3b(self.relu(self.conv3a(h)))))
        h = self.pool4(self.relu(self.conv4b(self.relu(self.conv4a(h)))))
        h = self.pool5(self.relu(self.conv5b(self.relu(self.conv5a(h)))))
        assert h[0].numel() == self.fc6_in, f"pool5 gives {tuple(h.shape)}, fc6 takes {self.fc6_in}"
        h = h.flatten(1)  # the port's h.view(-1, 8192)
        h = self.dropout(self.relu(self.fc6(h)))
        return self.dropout(self.relu(self.fc7(h)))

    def forward(self, x):
        return self.fc8(self.features(x))


def c3d(channels=C3D_CHANNELS, hidden=C3D_HIDDEN, num_classes=C3D_CLASSES, fc6_grid=C3D_FC6_GRID):
    return C3D(channels, hidden, num_classes, fc6_grid)


# ------------------------------------------------------------------------------------------------------ ir-CSN-50

CSN_LAYERS = (3, 4, 6, 3)
CSN_BN_EPS = 1e-3


class Conv3DDepthwise(nn.Conv3d):
    """The ir-CSN convolution builder: a depthwise 3x3x3 convolution (groups = channels) with the block's stride on
    every axis, as torchvision's conv builders are called by its Bottleneck."""

    def __init__(self, in_planes, out_planes, midplanes=None, stride=1, padding=1):
        assert in_planes == out_planes
        super().__init__(in_planes, out_planes, kernel_size=(3, 3, 3), stride=stride, padding=padding,
                         groups=in_planes, bias=False)

    @staticmethod
    def get_downsample_stride(stride):
        return stride, stride, stride


def _csn_stem(width):
    return nn.Sequential(
        nn.Conv3d(3, width, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
        nn.BatchNorm3d(width), nn.ReLU(inplace=True),
        nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)))


def ir_csn_50(widths=ct.TORCHVISION_WIDTHS, layers=CSN_LAYERS, num_classes=400):
    """stem (3x7x7 conv, BN, ReLU, 1x3x3 max pool) -> four stages of torchvision Bottlenecks whose 3x3x3 convolution
    is depthwise (1x1x1 reduce, depthwise 3x3x3 with stride (2, 2, 2) at the start of stages 2-4, 1x1x1 expand to
    4 * planes; projection shortcut where the shape changes) -> AdaptiveAvgPool3d(1) -> fc (2048 -> classes)."""
    model = ct._VariantResNet(tvr.Bottleneck, [Conv3DDepthwise] * 4, list(layers), _csn_stem(widths[0]),
                              list(widths), num_classes)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm3d):
            m.eps = CSN_BN_EPS
    return model


# ------------------------------------------------------------------------------------------------------ AlexNet3D

ALEXNET3D_CHANNELS = (96, 256, 384, 384, 256)
ALEXNET3D_HIDDEN = 4096
ALEXNET3D_POOL_GRID = (1, 2, 2)  # what pool5 leaves of 16x112x112 clips is (4, 2, 2); time is averaged


class AlexNet3D(nn.Module):
    """AlexNet in 3D with the original's two-GPU grouping (conv2, conv4 and conv5 have groups=2; conv3 reads every
    map), laid out as torchvision's AlexNet (``features``, ``avgpool``, ``classifier``; same key numbering). The
    features are the output of ``classifier[5]``, the input of the last linear layer."""

    def __init__(self, channels=ALEXNET3D_CHANNELS, hidden=ALEXNET3D_HIDDEN, num_classes=400,
                 pool_grid=ALEXNET3D_POOL_GRID, groups=2):
        super().__init__()
        c1, c2, c3, c4, c5 = channels
        self.features = nn.Sequential(
            nn.Conv3d(3, c1, kernel_size=(3, 11, 11), stride=(1, 4, 4), padding=(1, 2, 2)),
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2)),
            nn.Conv3d(c1, c2, kernel_size=(3, 5, 5), padding=(1, 2, 2), groups=groups),
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(2, 3, 3), stride=(2, 2, 2)),
            nn.Conv3d(c2, c3, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv3d(c3, c4, kernel_size=3, padding=1, groups=groups),
            nn.ReLU(inplace=True),
            nn.Conv3d(c4, c5, kernel_size=3, padding=1, groups=groups),
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(2, 3, 3), stride=(2, 2, 2)),
        )
        self.avgpool = nn.AdaptiveAvgPool3d(tuple(pool_grid))
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5),
            nn.Linear(c5 * math.prod(pool_grid), hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def embed(self, x):
        """The input of the last linear layer (dropout is the identity in eval)."""
        return self.classifier[:6](torch.flatten(self.avgpool(self.features(x)), 1))

    def forward(self, x):
        return self.classifier[6](self.embed(x))


def alexnet3d(channels=ALEXNET3D_CHANNELS, hidden=ALEXNET3D_HIDDEN, num_classes=400, pool_grid=ALEXNET3D_POOL_GRID,
              groups=2):
    return AlexNet3D(channels, hidden, num_classes, pool_grid, groups)


# ------------------------------------------------------------------------------------------------------------ X3D
# PyTorchVideo's create_x3d (pytorchvideo/models/x3d.py), its module and attribute names, so a state_dict from its
# .pyth checkpoints has the same keys; written here since PyTorchVideo is not packaged for Debian.

def round_width(width, multiplier, min_width=8, divisor=8):
    width *= multiplier
    out = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if out < 0.9 * width:
        out += divisor
    return int(out)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class SqueezeExcitation(nn.Module):
    """fvcore's SqueezeExcitation with is_3d=True."""

    def __init__(self, channels, reduced):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool3d(1)
        self.block = nn.Sequential(nn.Conv3d(channels, reduced, 1, bias=True), nn.ReLU(),
                                   nn.Conv3d(reduced, channels, 1, bias=True), nn.Sigmoid())

    def forward(self, x):
        return x * self.block(self.avg_pool(x))


class Conv2plus1d(nn.Module):
    """PyTorchVideo's Conv2plus1d with norm and activation None: conv_t, then conv_xy (X3D's stem passes its spatial
    convolution as conv_t and its temporal one as conv_xy)."""

    def __init__(self, conv_t, conv_xy):
        super().__init__()
        self.conv_t = conv_t
        self.conv_xy = conv_xy

    def forward(self, x):
        return self.conv_xy(self.conv_t(x))


class ResNetBasicStem(nn.Module):
    def __init__(self, conv, norm, activation):
        super().__init__()
        self.conv, self.norm, self.activation = conv, norm, activation

    def forward(self, x):
        return self.activation(self.norm(self.conv(x)))


class BottleneckBlock(nn.Module):
    def __init__(self, conv_a, norm_a, act_a, conv_b, norm_b, act_b, conv_c, norm_c):
        super().__init__()
        self.conv_a, self.norm_a, self.act_a = conv_a, norm_a, act_a
        self.conv_b, self.norm_b, self.act_b = conv_b, norm_b, act_b
        self.conv_c, self.norm_c = conv_c, norm_c

    def forward(self, x):
        x = self.act_a(self.norm_a(self.conv_a(x)))
        x = self.act_b(self.norm_b(self.conv_b(x)))
        return self.norm_c(self.conv_c(x))


class ResBlock(nn.Module):
    def __init__(self, branch1_conv, branch1_norm, branch2, activation):
        super().__init__()
        self.branch1_conv, self.branch1_norm, self.branch2, self.activation = (branch1_conv, branch1_norm, branch2,
                                                                               activation)

    def forward(self, x):
        shortcut = x
        if self.branch1_conv is not None:
            shortcut = self.branch1_conv(x)
            if self.branch1_norm is not None:
                shortcut = self.branch1_norm(shortcut)
        return self.activation(self.branch2(x) + shortcut)


class ResStage(nn.Module):
    def __init__(self, res_blocks):
        super().__init__()
        self.res_blocks = res_blocks

    def forward(self, x):
        for b in self.res_blocks:
            x = b(x)
        return x


class ProjectedPool(nn.Module):
    def __init__(self, pre_conv, pre_norm, pre_act, pool, post_conv, post_act):
        super().__init__()
        self.pre_conv, self.pre_norm, self.pre_act, self.pool = pre_conv, pre_norm, pre_act, pool
        self.post_conv, self.post_act = post_conv, post_act

    def forward(self, x):
        x = self.pool(self.pre_act(self.pre_norm(self.pre_conv(x))))
        return self.post_act(self.post_conv(x))


class ResNetBasicHead(nn.Module):
    """pool, dropout, proj per position, softmax over classes, mean over positions (PyTorchVideo's X3D head)."""

    def __init__(self, pool, dropout, proj):
        super().__init__()
        self.pool, self.dropout, self.proj = pool, dropout, proj
        self.activation = nn.Softmax(dim=1)
        self.output_pool = nn.AdaptiveAvgPool3d(1)

    def features(self, x):
        """The input of proj averaged over the pooled positions: what Cubist's features are."""
        return self.pool(x).mean(dim=(2, 3, 4))

    def logits(self, x):
        """proj per position averaged over positions, before the softmax."""
        x = self.proj(self.dropout(self.pool(x)).permute((0, 2, 3, 4, 1))).permute((0, 4, 1, 2, 3))
        return x.mean(dim=(2, 3, 4))

    def forward(self, x):
        x = self.proj(self.dropout(self.pool(x)).permute((0, 2, 3, 4, 1))).permute((0, 4, 1, 2, 3))
        return self.output_pool(self.activation(x)).flatten(1)


class X3DNet(nn.Module):
    """PyTorchVideo's Net: blocks run in order."""

    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def trunk(self, x):
        for b in self.blocks[:-1]:
            x = b(x)
        return x

    def forward(self, x):
        return self.blocks[-1](self.trunk(x))


def x3d(clip_length=13, crop_size=160, width_factor=2.0, depth_factor=2.2, stem_dim_in=12, bottleneck_factor=2.25,
        head_dim_out=2048, num_classes=400, se_ratio=0.0625):
    bn = lambda n: nn.BatchNorm3d(n, eps=1e-5, momentum=0.1)  # noqa: E731
    stem_out = round_width(stem_dim_in, width_factor)
    blocks = [ResNetBasicStem(
        Conv2plus1d(nn.Conv3d(3, stem_out, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False),
                    nn.Conv3d(stem_out, stem_out, (5, 1, 1), padding=(2, 0, 0), bias=False, groups=stem_out)),
        bn(stem_out), nn.ReLU())]
    dims = [stem_dim_in]
    for _ in range(3):
        dims.append(round_width(dims[-1], 2.0))
    dim_in = stem_out
    for i, d in enumerate([1, 2, 5, 3]):
        dim_out = round_width(dims[i], width_factor)
        inner = int(bottleneck_factor * dim_out)
        res = []
        for j in range(int(math.ceil(depth_factor * d))):
            cin = dim_in if j == 0 else dim_out
            stride = (1, 2, 2) if j == 0 else (1, 1, 1)
            se = (SqueezeExcitation(inner, round_width(inner, se_ratio)) if (j + 1) % 2 else nn.Identity())
            branch2 = BottleneckBlock(
                nn.Conv3d(cin, inner, 1, bias=False), bn(inner), nn.ReLU(),
                nn.Conv3d(inner, inner, 3, stride=stride, padding=1, bias=False, groups=inner),
                nn.Sequential(bn(inner), se), Swish(),
                nn.Conv3d(inner, dim_out, 1, bias=False), bn(dim_out))
            res.append(ResBlock(
                nn.Conv3d(cin, dim_out, 1, stride=stride, bias=False) if cin != dim_out or j == 0 else None,
                nn.BatchNorm3d(dim_out) if cin != dim_out else None, branch2, nn.ReLU()))
        blocks.append(ResStage(nn.ModuleList(res)))
        dim_in = dim_out
    side = int(math.ceil(crop_size / 32))
    pool = ProjectedPool(nn.Conv3d(dim_in, inner, 1, bias=False), bn(inner), nn.ReLU(),
                         nn.AvgPool3d((clip_length, side, side), stride=1),
                         nn.Conv3d(inner, head_dim_out, 1, bias=False), nn.ReLU())
    blocks.append(ResNetBasicHead(pool, nn.Dropout(0.5), nn.Linear(head_dim_out, num_classes)))
    return X3DNet(blocks)


X3D_SIZES = OrderedDict([
    ("x3d_xs", dict(clip_length=4, crop_size=160, depth_factor=2.2)),
    ("x3d_s", dict(clip_length=13, crop_size=160, depth_factor=2.2)),
    ("x3d_m", dict(clip_length=16, crop_size=224, depth_factor=2.2)),
    ("x3d_l", dict(clip_length=16, crop_size=312, depth_factor=5.0)),
])


def _x3d_builder(size):
    def build(**variant):
        return x3d(**{**X3D_SIZES[size], **variant})
    return build


# ------------------------------------------------------------------------------------------------------- SlowFast
# PyTorchVideo's create_slowfast as its hub's slowfast_r50 calls it (8x8, alpha 4, beta 1/8, fusion kernel 7x1x1
# stride 4), with its module names (MultiPathWayWithFuse, FuseFastToSlow, PoolConcatPathway, Net).

class ResNetStemWithPool(nn.Module):
    """create_res_basic_stem: conv, norm, activation, pool."""

    def __init__(self, conv, norm, activation, pool):
        super().__init__()
        self.conv, self.norm, self.activation, self.pool = conv, norm, activation, pool

    def forward(self, x):
        return self.pool(self.activation(self.norm(self.conv(x))))


class FuseFastToSlow(nn.Module):
    def __init__(self, conv_fast_to_slow, norm, activation):
        super().__init__()
        self.conv_fast_to_slow, self.norm, self.activation = conv_fast_to_slow, norm, activation

    def forward(self, x):
        fuse = self.activation(self.norm(self.conv_fast_to_slow(x[1])))
        return [torch.cat([x[0], fuse], 1), x[1]]


class MultiPathWayWithFuse(nn.Module):
    def __init__(self, multipathway_blocks, multipathway_fusion):
        super().__init__()
        self.multipathway_blocks = multipathway_blocks
        self.multipathway_fusion = multipathway_fusion

    def forward(self, x):
        x = [b(xi) for b, xi in zip(self.multipathway_blocks, x)]
        return self.multipathway_fusion(x) if self.multipathway_fusion is not None else x


class PoolConcatPathway(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        return torch.cat([p(xi) for p, xi in zip(self.pool, x)], 1)


class SlowFastNet(nn.Module):
    """Net(blocks) with PackPathway in front: the input is the fast clip, the slow one its frames
    torch.linspace(0, T - 1, T // alpha).long()."""

    def __init__(self, blocks, alpha):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.alpha = alpha

    def trunk(self, fast):
        t = fast.shape[2]
        slow = torch.index_select(fast, 2, torch.linspace(0, t - 1, t // self.alpha).long())
        x = [slow, fast]
        for b in self.blocks[:-1]:
            x = b(x)
        return x

    def forward(self, fast):
        return self.blocks[-1](self.trunk(fast))


class BasicHead(nn.Module):
    """create_res_basic_head with pool None and activation None: dropout, proj per position, mean over positions."""

    def __init__(self, in_features, num_classes):
        super().__init__()
        self.dropout = nn.Dropout(0.5)
        self.proj = nn.Linear(in_features, num_classes)
        self.output_pool = nn.AdaptiveAvgPool3d(1)

    def features(self, x):
        return x.mean(dim=(2, 3, 4))

    def forward(self, x):
        x = self.proj(self.dropout(x).permute((0, 2, 3, 4, 1))).permute((0, 4, 1, 2, 3))
        return self.output_pool(x).flatten(1)


SLOWFAST_DEPTHS = {18: (1, 1, 1, 1), 50: (3, 4, 6, 3)}


def slowfast(depth=50, stem_width=64, clip_length=32, crop_size=224, num_classes=400, alpha=4, beta_inv=8,
             fusion_ratio=2, fusion_kernel=7):
    bn = nn.BatchNorm3d
    conv = lambda i, o, k, s=(1, 1, 1): nn.Conv3d(i, o, k, stride=s, padding=[a // 2 for a in k], bias=False)  # noqa
    pool = lambda: nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))  # noqa: E731

    def fusion(c):
        return FuseFastToSlow(nn.Conv3d(c, c * fusion_ratio, (fusion_kernel, 1, 1), stride=(alpha, 1, 1),
                                        padding=(fusion_kernel // 2, 0, 0), bias=False), bn(c * fusion_ratio),
                              nn.ReLU())

    def stage(d, dim_in, inner, dim_out, ta, spatial):
        blocks = []
        for j in range(d):
            cin = dim_in if j == 0 else dim_out
            sp = spatial if j == 0 else 1
            branch2 = BottleneckBlock(conv(cin, inner, (ta, 1, 1)), bn(inner), nn.ReLU(),
                                      conv(inner, inner, (1, 3, 3), (1, sp, sp)), bn(inner), nn.ReLU(),
                                      conv(inner, dim_out, (1, 1, 1)), bn(dim_out))
            proj = cin != dim_out or sp > 1
            blocks.append(ResBlock(nn.Conv3d(cin, dim_out, 1, stride=(1, sp, sp), bias=False) if proj else None,
                                   bn(dim_out) if proj else None, branch2, nn.ReLU()))
        return ResStage(nn.ModuleList(blocks))

    fast_stem = stem_width // beta_inv
    blocks = [MultiPathWayWithFuse(nn.ModuleList([
        ResNetStemWithPool(conv(3, stem_width, (1, 7, 7), (1, 2, 2)), bn(stem_width), nn.ReLU(), pool()),
        ResNetStemWithPool(conv(3, fast_stem, (5, 7, 7), (1, 2, 2)), bn(fast_stem), nn.ReLU(), pool())]),
        fusion(fast_stem))]
    dim_in, dim_out = stem_width, stem_width * 4
    for i, d in enumerate(SLOWFAST_DEPTHS[depth]):
        spatial = 1 if i == 0 else 2
        slow = stage(d, dim_in + dim_in * fusion_ratio // beta_inv, dim_out // 4, dim_out, 1 if i < 2 else 3, spatial)
        fast = stage(d, dim_in // beta_inv, dim_out // 4 // beta_inv, dim_out // beta_inv, 3, spatial)
        blocks.append(MultiPathWayWithFuse(nn.ModuleList([slow, fast]),
                                           fusion(dim_out // beta_inv) if i < 3 else None))
        dim_in, dim_out = dim_out, dim_out * 2
    side = int(math.ceil(crop_size / 32))
    blocks.append(PoolConcatPathway(nn.ModuleList([
        nn.AvgPool3d((clip_length // alpha, side, side), stride=1),
        nn.AvgPool3d((clip_length, side, side), stride=1)])))
    blocks.append(BasicHead(dim_in + dim_in // beta_inv, num_classes))
    return SlowFastNet(blocks, alpha)


def slowfast_r50(**variant):
    return slowfast(**variant)


# ------------------------------------------------------------------------------------------------------------ I3D
# The Inception-v1 I3D of Carreira & Zisserman (2017) in the layout of the widely used PyTorch port (InceptionI3d:
# Unit3D with conv3d + bn, TensorFlow "SAME" padding computed per input, MaxPool3dSamePadding, Mixed_* blocks with
# branches b0, b1a/b1b, b2a/b2b, b3a/b3b), so its converted checkpoints (rgb_imagenet.pt, rgb_charades.pt) load.

def _same_pad(x, kernel, stride):
    pad = []
    for k, s, n in reversed(list(zip(kernel, stride, x.shape[2:]))):
        total = max(k - s, 0) if n % s == 0 else max(k - n % s, 0)
        pad += [total // 2, total - total // 2]
    return nn.functional.pad(x, pad)


class Unit3D(nn.Module):
    def __init__(self, in_channels, out_channels, kernel=(1, 1, 1), stride=(1, 1, 1), batch_norm=True, relu=True,
                 bias=False):
        super().__init__()
        self.kernel, self.stride, self.relu = tuple(kernel), tuple(stride), relu
        self.conv3d = nn.Conv3d(in_channels, out_channels, self.kernel, stride=self.stride, padding=0, bias=bias)
        self.bn = nn.BatchNorm3d(out_channels, eps=0.001, momentum=0.01) if batch_norm else None

    def forward(self, x):
        x = self.conv3d(_same_pad(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return torch.relu(x) if self.relu else x


class MaxPool3dSamePadding(nn.MaxPool3d):
    def forward(self, x):
        return super().forward(_same_pad(x, self.kernel_size, self.stride))


class InceptionModule(nn.Module):
    def __init__(self, in_channels, oc):
        super().__init__()
        self.b0 = Unit3D(in_channels, oc[0])
        self.b1a = Unit3D(in_channels, oc[1])
        self.b1b = Unit3D(oc[1], oc[2], (3, 3, 3))
        self.b2a = Unit3D(in_channels, oc[3])
        self.b2b = Unit3D(oc[3], oc[4], (3, 3, 3))
        self.b3a = MaxPool3dSamePadding(kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=0)
        self.b3b = Unit3D(in_channels, oc[5])

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


I3D_MIXED = [("Mixed_3b", (64, 96, 128, 16, 32, 32)), ("Mixed_3c", (128, 128, 192, 32, 96, 64)),
             ("MaxPool3d_4a_3x3", ((3, 3, 3), (2, 2, 2))),
             ("Mixed_4b", (192, 96, 208, 16, 48, 64)), ("Mixed_4c", (160, 112, 224, 24, 64, 64)),
             ("Mixed_4d", (128, 128, 256, 24, 64, 64)), ("Mixed_4e", (112, 144, 288, 32, 64, 64)),
             ("Mixed_4f", (256, 160, 320, 32, 128, 128)),
             ("MaxPool3d_5a_2x2", ((2, 2, 2), (2, 2, 2))),
             ("Mixed_5b", (256, 160, 320, 32, 128, 128)), ("Mixed_5c", (384, 192, 384, 48, 128, 128))]
I3D_AVGPOOL = (2, 7, 7)


class InceptionI3d(nn.Module):
    """The end points registered as attributes in order (the port's build()), then avg_pool, dropout and logits (a
    1x1x1 Unit3D with bias, no batch norm, no ReLU). ``div`` divides every channel count (floor, at least 1) for CI
    variants."""

    def __init__(self, num_classes=400, div=1, avgpool_kernel=I3D_AVGPOOL):
        super().__init__()
        c = lambda n: max(1, n // div)  # noqa: E731
        self.Conv3d_1a_7x7 = Unit3D(3, c(64), (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPool3dSamePadding(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=0)
        self.Conv3d_2b_1x1 = Unit3D(c(64), c(64))
        self.Conv3d_2c_3x3 = Unit3D(c(64), c(192), (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPool3dSamePadding(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=0)
        planes = c(192)
        self.end_points = [n for n in ("Conv3d_1a_7x7", "MaxPool3d_2a_3x3", "Conv3d_2b_1x1", "Conv3d_2c_3x3",
                                       "MaxPool3d_3a_3x3")]
        for name, cfg in I3D_MIXED:
            if name.startswith("MaxPool"):
                setattr(self, name, MaxPool3dSamePadding(kernel_size=cfg[0], stride=cfg[1], padding=0))
            else:
                oc = [c(v) for v in cfg]
                setattr(self, name, InceptionModule(planes, oc))
                planes = oc[0] + oc[2] + oc[4] + oc[5]
            self.end_points.append(name)
        self.avg_pool = nn.AvgPool3d(kernel_size=tuple(avgpool_kernel), stride=(1, 1, 1))
        self.dropout = nn.Dropout(0.5)
        self.logits = Unit3D(planes, num_classes, batch_norm=False, relu=False, bias=True)

    def extract_features(self, x):
        for name in self.end_points:
            x = getattr(self, name)(x)
        return self.avg_pool(x)

    def forward(self, x):
        """Per-time logits [N, K, T'] as the port returns them."""
        return self.logits(self.dropout(self.extract_features(x))).squeeze(3).squeeze(3)


def i3d(num_classes=400, div=1, avgpool_kernel=I3D_AVGPOOL):
    return InceptionI3d(num_classes, div, avgpool_kernel)


# ------------------------------------------------------------------------------------------------------ the zoo

BUILDERS = OrderedDict([("s3d", s3d), ("c3d", c3d), ("ir_csn_50", ir_csn_50), ("alexnet3d", alexnet3d)]
                       + [(n, _x3d_builder(n)) for n in X3D_SIZES] + [("i3d", i3d), ("slowfast_r50", slowfast_r50)])

# (frames, size) of the clip each zoo model is described, checked and timed at (Architecture.defaultInput() in Java);
# a model not listed: 16x112x112, torchvision's video ResNets'
DEFAULT_CLIPS = {"s3d": (16, 224), "ir_csn_50": (32, 224), "x3d_xs": (4, 160), "x3d_s": (13, 160),
                 "x3d_m": (16, 224), "x3d_l": (16, 312), "i3d": (64, 224), "slowfast_r50": (32, 224)}


def default_clip(name, batch=1):
    """The clip batch [batch, 3, T, H, W] a zoo model is described at."""
    frames, size = DEFAULT_CLIPS.get(name, (16, 112))
    return (batch, 3, frames, size, size)


# sum(p.numel() for p in model.parameters()) and len(model.state_dict()) of the full-size models (self_check)
PARAMETERS = {"s3d": 8_320_048, "c3d": 79_991_015, "ir_csn_50": 13_131_152, "alexnet3d": 29_618_000}


def build(name, **variant):
    """A zoo model by name: torchvision's video ResNets (``cubist_torch.video_resnet``) or one of BUILDERS."""
    if name in BUILDERS:
        return BUILDERS[name](**variant)
    return ct.video_resnet(name, **variant)


def randomize_(model, gen):
    """``cubist_torch.randomize_`` (random weights and batch-norm statistics), then every grouped convolution redrawn
    with its fan-out per group (``std = sqrt(2 * groups / fan_out)``): a depthwise 3x3x3 kernel sums 27 inputs, and
    drawn for ``fan_out = C * 27`` it would shrink the input-dependent signal of a full-size CSN to nearly nothing."""
    ct.randomize_(model, gen)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv3d) and m.groups > 1:
                fan_out = m.weight.shape[0] * math.prod(m.weight.shape[2:]) / m.groups
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * math.sqrt(2.0 / fan_out))
    return model.eval()


def features_and_logits(model, clips):
    """``model`` run in float64 on float32 ``clips``: (features, logits) as ``cubist embed`` writes them. The model
    is not changed. s3d's logits are torchvision's own forward; its features are the mean over (T, H, W) of the
    average-pooled map, which the 1x1x1 classifier convolution commutes with."""
    if isinstance(model, tvr.VideoResNet):
        return ct.features_and_logits(model, clips)
    m = copy.deepcopy(model).double().eval()
    x = clips.double()
    with torch.no_grad():
        if isinstance(m, S3D):
            f = m.avgpool(m.features(x)).mean(dim=(2, 3, 4))
            return f, m(x)
        if isinstance(m, C3D):
            f = m.features(x)
            return f, m.fc8(f)
        if isinstance(m, X3DNet):
            t = m.trunk(x)
            return m.blocks[-1].features(t), m.blocks[-1].logits(t)
        if isinstance(m, SlowFastNet):
            t = m.trunk(x)  # the pooled, concatenated pathways
            f = m.blocks[-1].features(t)
            return f, m.blocks[-1](t)
        if isinstance(m, InceptionI3d):
            # video_features' i3d: the average-pooled Mixed_5c map, averaged over the time it leaves; the logits
            # are the port's per-time logits averaged over time
            return m.extract_features(x).mean(dim=(2, 3, 4)), m(x).mean(dim=2)
        if isinstance(m, AlexNet3D):
            f = m.embed(x)
            return f, m.classifier[6](f)
    raise TypeError(f"no features for {type(model).__name__}")


def macs(model, clips_shape):
    """Multiply-accumulates of convolutions and linear layers (every kernel tap), counted with forward hooks."""
    total = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv3d):
            total[0] += out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)
        elif isinstance(m, nn.Linear):
            total[0] += out.numel() * m.in_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv3d, nn.Linear))]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(clips_shape))
    finally:
        for h in hs:
            h.remove()
    return total[0]


def self_check():
    """The parameterized builders at full size are torchvision's S3D exactly; parameter totals are PARAMETERS."""
    a = tvm.s3d().state_dict()
    b = S3DVariant().state_dict()
    assert list(a) == list(b) and all(a[k].shape == b[k].shape for k in a), "s3d"
    for name, n in PARAMETERS.items():
        got = sum(p.numel() for p in build(name).parameters())
        assert got == n, f"{name}: {got:,} parameters, expected {n:,}"
