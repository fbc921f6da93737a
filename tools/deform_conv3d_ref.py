"""Reference implementation of Cubist's ``deform_conv3d`` in float64 PyTorch.

    deform_conv3d(input, offset, weight, bias=None, stride=1, padding=0,
                  dilation=1, mask=None)

Definition (docs/DESIGN.md, "`cubist op`"): torchvision's ``deform_conv2d``
extended to three spatial axes.

* ``input``  ``[N, C, D, H, W]``
* ``weight`` ``[O, C / groups, kd, kh, kw]``; ``groups = C / weight.shape[1]``
* ``offset`` ``[N, 3 * G * K, oD, oH, oW]`` with ``K = kd * kh * kw`` and ``G``
  offset groups (``G = offset.shape[1] / (3 * K)``). Channel
  ``3 * (g * K + k) + {0, 1, 2}`` holds ``(dd, dh, dw)`` for offset group ``g``
  and kernel point ``k``; kernel points are numbered in row-major
  ``(kd, kh, kw)`` order.
* ``mask``   ``[N, G * K, oD, oH, oW]`` (optional); channel ``g * K + k``
  multiplies the sample of kernel point ``k`` in offset group ``g``.
* input channel ``c`` belongs to offset group ``c // (C / G)``.

For output position ``o`` and kernel point ``k = (a, b, c)`` the input is
sampled at ``p = o * stride - padding + k * dilation + (dd, dh, dw)`` by
trilinear interpolation; each of the eight corners that lies outside
``[0, D-1] x [0, H-1] x [0, W-1]`` contributes zero. The sampled columns are
then contracted with the weight exactly as in a grouped ``conv3d`` and the bias
is added.

Relation to torchvision (checked by :func:`self_check`): with ``kd == 1`` and
all ``dd == 0`` the result equals ``torchvision.ops.deform_conv2d`` applied to
every depth slice, where torchvision's offset channel ``2 * (g * K + k) + {0, 1}``
holds ``(dh, dw)``, i.e. the 3D layout is the 2D layout with a ``dd`` component
inserted in front of every pair. torchvision's bilinear sampler returns zero
outright when ``h <= -1 or h >= H`` (same for ``w``); that is the same value the
corner-wise rule gives, because at those positions every corner with a nonzero
weight lies outside the image.

Two implementations are provided: :func:`deform_conv3d_loops`, a literal and
slow transcription of the definition, and :func:`deform_conv3d`, the same
computation vectorised with ``torch.gather``. Both compute in float64.

Run ``/usr/bin/python3 tools/deform_conv3d_ref.py`` to execute the self checks.
"""

import itertools
import math

import torch
import torch.nn.functional as F


def _triple(v, name):
    if isinstance(v, int):
        return (v, v, v)
    v = tuple(int(x) for x in v)
    if len(v) != 3:
        raise ValueError(f"{name} must be an int or 3 ints, got {v}")
    return v


def _geometry(input, offset, weight, stride, padding, dilation, mask):
    if input.dim() != 5:
        raise ValueError(f"input must be [N, C, D, H, W], got {tuple(input.shape)}")
    N, C, D, H, W = input.shape
    O, Cg, kd, kh, kw = weight.shape
    if C % Cg != 0:
        raise ValueError(f"input channels {C} not divisible by weight.shape[1] {Cg}")
    groups = C // Cg
    if O % groups != 0:
        raise ValueError(f"out channels {O} not divisible by groups {groups}")
    K = kd * kh * kw
    if offset.shape[1] % (3 * K) != 0 or offset.shape[1] == 0:
        raise ValueError(f"offset.shape[1]={offset.shape[1]} is not a positive multiple of 3*K={3 * K}")
    G = offset.shape[1] // (3 * K)
    if C % G != 0:
        raise ValueError(f"input channels {C} not divisible by offset groups {G}")
    s, p, d = _triple(stride, "stride"), _triple(padding, "padding"), _triple(dilation, "dilation")
    out = []
    for size, k, si, pi, di in zip((D, H, W), (kd, kh, kw), s, p, d):
        out.append((size + 2 * pi - di * (k - 1) - 1) // si + 1)
    if min(out) < 1:
        raise ValueError(f"output size {out} is empty")
    if tuple(offset.shape) != (N, 3 * G * K, *out):
        raise ValueError(f"offset shape {tuple(offset.shape)} != {(N, 3 * G * K, *out)}")
    if mask is not None and tuple(mask.shape) != (N, G * K, *out):
        raise ValueError(f"mask shape {tuple(mask.shape)} != {(N, G * K, *out)}")
    return (N, C, D, H, W), (O, Cg, kd, kh, kw), groups, K, G, s, p, d, tuple(out)


def deform_conv3d_loops(input, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None):
    """Literal transcription of the definition (plain Python loops, float64)."""
    (N, C, D, H, W), (O, Cg, kd, kh, kw), groups, K, G, s, p, dl, (oD, oH, oW) = _geometry(
        input, offset, weight, stride, padding, dilation, mask)
    x = input.double().tolist()
    off = offset.double().tolist()
    msk = None if mask is None else mask.double().tolist()
    w = weight.double().tolist()
    b = None if bias is None else bias.double().tolist()
    cpg = C // G          # input channels per offset group
    opg = O // groups     # output channels per weight group

    def corner(n, c, z, y, xx):
        if 0 <= z <= D - 1 and 0 <= y <= H - 1 and 0 <= xx <= W - 1:
            return x[n][c][z][y][xx]
        return 0.0

    def trilinear(n, c, pz, py, px):
        z0, y0, x0 = math.floor(pz), math.floor(py), math.floor(px)
        fz, fy, fx = pz - z0, py - y0, px - x0
        v = 0.0
        for i, j, l in itertools.product((0, 1), repeat=3):
            wt = (fz if i else 1.0 - fz) * (fy if j else 1.0 - fy) * (fx if l else 1.0 - fx)
            v += wt * corner(n, c, z0 + i, y0 + j, x0 + l)
        return v

    out = torch.zeros(N, O, oD, oH, oW, dtype=torch.float64)
    kernel_points = list(itertools.product(range(kd), range(kh), range(kw)))
    for n in range(N):
        for od, oh, ow in itertools.product(range(oD), range(oH), range(oW)):
            # sampled value for every (input channel, kernel point)
            col = [[0.0] * K for _ in range(C)]
            for c in range(C):
                g = c // cpg
                for k, (a, bb, cc) in enumerate(kernel_points):
                    ch = 3 * (g * K + k)
                    pz = od * s[0] - p[0] + a * dl[0] + off[n][ch + 0][od][oh][ow]
                    py = oh * s[1] - p[1] + bb * dl[1] + off[n][ch + 1][od][oh][ow]
                    px = ow * s[2] - p[2] + cc * dl[2] + off[n][ch + 2][od][oh][ow]
                    v = trilinear(n, c, pz, py, px)
                    if msk is not None:
                        v *= msk[n][g * K + k][od][oh][ow]
                    col[c][k] = v
            for o in range(O):
                gi = o // opg
                acc = 0.0 if b is None else b[o]
                for ci in range(Cg):
                    c = gi * Cg + ci
                    for k, (a, bb, cc) in enumerate(kernel_points):
                        acc += w[o][ci][a][bb][cc] * col[c][k]
                out[n, o, od, oh, ow] = acc
    return out


def deform_conv3d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None):
    """Vectorised float64 reference (same definition as :func:`deform_conv3d_loops`)."""
    (N, C, D, H, W), (O, Cg, kd, kh, kw), groups, K, G, s, p, dl, (oD, oH, oW) = _geometry(
        input, offset, weight, stride, padding, dilation, mask)
    x = input.double()
    off = offset.double().reshape(N, G, K, 3, oD, oH, oW)
    cpg = C // G
    f64 = dict(dtype=torch.float64)

    # kernel point coordinates in row-major (kd, kh, kw) order, shape [K]
    ka, kb, kc = torch.meshgrid(torch.arange(kd), torch.arange(kh), torch.arange(kw), indexing="ij")
    ka, kb, kc = ka.reshape(-1), kb.reshape(-1), kc.reshape(-1)
    # undeformed sampling positions, broadcastable to [N, G, K, oD, oH, oW]
    base_d = (torch.arange(oD) * s[0] - p[0])[None, :] + (ka * dl[0])[:, None]   # [K, oD]
    base_h = (torch.arange(oH) * s[1] - p[1])[None, :] + (kb * dl[1])[:, None]   # [K, oH]
    base_w = (torch.arange(oW) * s[2] - p[2])[None, :] + (kc * dl[2])[:, None]   # [K, oW]
    pd = base_d.to(**f64)[None, None, :, :, None, None] + off[:, :, :, 0]
    ph = base_h.to(**f64)[None, None, :, None, :, None] + off[:, :, :, 1]
    pw = base_w.to(**f64)[None, None, :, None, None, :] + off[:, :, :, 2]

    d0, h0, w0 = torch.floor(pd), torch.floor(ph), torch.floor(pw)
    fd, fh, fw = pd - d0, ph - h0, pw - w0
    d0, h0, w0 = d0.long(), h0.long(), w0.long()

    xg = x.reshape(N, G, cpg, D * H * W)
    cols = torch.zeros(N, G, cpg, K * oD * oH * oW, **f64)
    for i, j, l in itertools.product((0, 1), repeat=3):
        zi, yi, xi = d0 + i, h0 + j, w0 + l
        valid = (zi >= 0) & (zi <= D - 1) & (yi >= 0) & (yi <= H - 1) & (xi >= 0) & (xi <= W - 1)
        wt = (fd if i else 1 - fd) * (fh if j else 1 - fh) * (fw if l else 1 - fw)
        wt = torch.where(valid, wt, torch.zeros_like(wt))
        flat = (zi.clamp(0, D - 1) * H + yi.clamp(0, H - 1)) * W + xi.clamp(0, W - 1)
        flat = flat.reshape(N, G, 1, -1).expand(N, G, cpg, -1)
        cols += torch.gather(xg, 3, flat) * wt.reshape(N, G, 1, -1)
    if mask is not None:
        cols = cols * mask.double().reshape(N, G, 1, -1)

    # [N, C, K, L] -> grouped matmul with weight [groups, O/groups, Cg*K]
    L = oD * oH * oW
    cols = cols.reshape(N, groups, Cg * K, L)
    wmat = weight.double().reshape(groups, O // groups, Cg * K)
    out = torch.einsum("gok,ngkl->ngol", wmat, cols).reshape(N, O, oD, oH, oW)
    if bias is not None:
        out = out + bias.double().reshape(1, O, 1, 1, 1)
    return out


# ----------------------------------------------------------------------------------------------
# self checks
# ----------------------------------------------------------------------------------------------

def _rand(gen, *shape, lo=-1.0, hi=1.0):
    return torch.rand(*shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo


def _offsets(gen, shape, integer_fraction=0.25):
    off = _rand(gen, *shape, lo=-2.0, hi=2.0)
    pick = torch.rand(*shape, generator=gen, dtype=torch.float64) < integer_fraction
    return torch.where(pick, torch.round(off), off)


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def check_against_torchvision(tol=1e-10, verbose=False):
    """kd == 1 and dd == 0: deform_conv3d equals torchvision deform_conv2d on every depth slice."""
    from torchvision.ops import deform_conv2d

    gen = torch.Generator().manual_seed(1234)
    configs = [
        # N, C, O, (D, H, W), (kh, kw), groups, G, stride(d,h,w), pad(d,h,w), dil(d,h,w), mask, bias
        (1, 2, 3, (2, 5, 5), (3, 3), 1, 1, (1, 1, 1), (0, 0, 0), (1, 1, 1), False, True),
        (2, 4, 4, (3, 6, 5), (3, 3), 2, 2, (1, 1, 1), (0, 1, 1), (1, 1, 1), True, True),
        (1, 4, 2, (3, 7, 6), (2, 3), 1, 4, (2, 2, 1), (0, 1, 0), (1, 2, 1), True, False),
        (2, 6, 6, (2, 6, 7), (3, 2), 3, 2, (1, 2, 3), (0, 2, 1), (3, 1, 2), False, False),
        (1, 2, 2, (1, 4, 4), (1, 1), 2, 1, (1, 1, 1), (0, 0, 0), (1, 1, 1), True, True),
        (1, 3, 2, (4, 5, 5), (3, 3), 1, 3, (3, 1, 1), (0, 2, 2), (2, 2, 2), True, True),
    ]
    worst = 0.0
    for (N, C, O, (D, H, W), (kh, kw), groups, G, s, p, dl, use_mask, use_bias) in configs:
        K = kh * kw
        oD = _out_size(D, 1, s[0], p[0], dl[0])
        oH = _out_size(H, kh, s[1], p[1], dl[1])
        oW = _out_size(W, kw, s[2], p[2], dl[2])
        x = _rand(gen, N, C, D, H, W)
        w = _rand(gen, O, C // groups, 1, kh, kw)
        b = _rand(gen, O) if use_bias else None
        off2 = _offsets(gen, (N, 2 * G * K, oD, oH, oW))
        m = _rand(gen, N, G * K, oD, oH, oW, lo=0.0, hi=1.0) if use_mask else None
        # 2D layout (dh, dw) at 2*(g*K+k) -> 3D layout (0, dh, dw) at 3*(g*K+k)
        o2 = off2.reshape(N, G * K, 2, oD, oH, oW)
        off3 = torch.cat([torch.zeros_like(o2[:, :, :1]), o2], dim=2).reshape(N, 3 * G * K, oD, oH, oW)
        got = deform_conv3d(x, off3, w, b, s, p, dl, m)
        for od in range(oD):
            z = od * s[0] - p[0]
            if 0 <= z < D:
                ref = deform_conv2d(x[:, :, z], off2[:, :, od], w[:, :, 0], b, s[1:], p[1:], dl[1:],
                                    None if m is None else m[:, :, od])
            else:  # the whole depth slice lies in the zero padding
                ref = torch.zeros(N, O, oH, oW, dtype=torch.float64)
                if b is not None:
                    ref += b.reshape(1, O, 1, 1)
            err = (got[:, :, od] - ref).abs().max().item()
            worst = max(worst, err)
            assert err < tol, f"deform_conv3d != torchvision deform_conv2d (err {err}) for config {(N, C, O, D, H, W, kh, kw, groups, G, s, p, dl)}"
    if verbose:
        print(f"deform_conv3d vs torchvision.ops.deform_conv2d per slice: max abs err {worst:.3g}")
    return worst


def check_against_loops(tol=1e-12, verbose=False):
    """Vectorised implementation equals the literal loops."""
    gen = torch.Generator().manual_seed(99)
    configs = [
        # N, C, O, (D,H,W), (kd,kh,kw), groups, G, stride, pad, dil, mask, bias
        (1, 2, 2, (3, 4, 3), (2, 2, 2), 1, 1, (1, 1, 1), (0, 0, 0), (1, 1, 1), False, True),
        (2, 4, 2, (3, 3, 4), (3, 2, 1), 2, 2, (2, 1, 1), (1, 0, 1), (1, 1, 2), True, False),
        (1, 2, 4, (4, 4, 4), (2, 3, 2), 2, 1, (1, 2, 1), (1, 1, 0), (2, 1, 1), True, True),
    ]
    worst = 0.0
    for (N, C, O, (D, H, W), (kd, kh, kw), groups, G, s, p, dl, use_mask, use_bias) in configs:
        K = kd * kh * kw
        osz = [_out_size(n, k, a, b, c) for n, k, a, b, c in zip((D, H, W), (kd, kh, kw), s, p, dl)]
        x = _rand(gen, N, C, D, H, W)
        w = _rand(gen, O, C // groups, kd, kh, kw)
        b = _rand(gen, O) if use_bias else None
        off = _offsets(gen, (N, 3 * G * K, *osz))
        m = _rand(gen, N, G * K, *osz, lo=0.0, hi=1.0) if use_mask else None
        err = (deform_conv3d(x, off, w, b, s, p, dl, m) - deform_conv3d_loops(x, off, w, b, s, p, dl, m)).abs().max().item()
        worst = max(worst, err)
        assert err < tol, f"vectorised != loops (err {err})"
    if verbose:
        print(f"deform_conv3d vectorised vs loops: max abs err {worst:.3g}")
    return worst


def check_special_offsets(tol=1e-12, verbose=False):
    """Zero offsets give conv3d; a constant integer offset gives conv3d of the shifted input."""
    gen = torch.Generator().manual_seed(7)
    N, C, O, D, H, W = 2, 4, 4, 4, 5, 6
    x = _rand(gen, N, C, D, H, W)
    w = _rand(gen, O, C // 2, 2, 3, 2)
    b = _rand(gen, O)
    s, p, dl = (1, 2, 1), (1, 1, 0), (2, 1, 2)
    K = 2 * 3 * 2
    osz = [_out_size(n, k, a, c, e) for n, k, a, c, e in zip((D, H, W), (2, 3, 2), s, p, dl)]
    zero = torch.zeros(N, 3 * 2 * K, *osz, dtype=torch.float64)
    ref = F.conv3d(x, w, b, s, p, dl, groups=2)
    err0 = (deform_conv3d(x, zero, w, b, s, p, dl) - ref).abs().max().item()
    assert err0 < tol, f"zero offsets != conv3d (err {err0})"
    ones = torch.ones(N, 2 * K, *osz, dtype=torch.float64)
    err1 = (deform_conv3d(x, zero, w, b, s, p, dl, mask=ones) - ref).abs().max().item()
    assert err1 < tol, f"zero offsets, unit mask != conv3d (err {err1})"
    # constant shift (dd, dh, dw) = (1, -1, 2): sample x[z+1, y-1, x+2] with zeros outside
    shift = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64)
    off = shift.reshape(1, 1, 3, 1, 1, 1).expand(N, 2 * K, 3, *osz).reshape(N, 3 * 2 * K, *osz)
    # zero-extend x by a margin M, then take the window that starts at M - padding + shift
    M = 4
    xp = F.pad(x, [M] * 6)
    start = [M - pi + int(si) for pi, si in zip(p, shift)]
    xs = xp[:, :, start[0]:, start[1]:, start[2]:]
    ref2 = F.conv3d(xs, w, b, s, 0, dl, groups=2)[:, :, :osz[0], :osz[1], :osz[2]]
    err2 = (deform_conv3d(x, off, w, b, s, p, dl) - ref2).abs().max().item()
    assert err2 < tol, f"integer offsets != shifted conv3d (err {err2})"
    if verbose:
        print(f"deform_conv3d zero/integer offsets vs conv3d: max abs err {max(err0, err1, err2):.3g}")
    return max(err0, err1, err2)


def self_check(verbose=False):
    check_against_loops(verbose=verbose)
    check_special_offsets(verbose=verbose)
    check_against_torchvision(verbose=verbose)


if __name__ == "__main__":
    self_check(verbose=True)
    print("deform_conv3d reference: all checks passed")
