package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * Every op of the opencl engine in one Aparapi kernel, so that all of them read and write the same device buffers:
 * Aparapi keeps a buffer per kernel object and array field, so one kernel owning the device's memory as arenas is
 * what lets a model's activations stay on the device from op to op. {@link #op} selects the op of a launch; the
 * tensors are offsets into the arenas:
 * <ul>
 *   <li>{@link #mem}: activations, bump-allocated per forward pass ({@link OclDevice#pass});</li>
 *   <li>{@link #wts} and {@link #tabs}: prepared weights and integer tables, uploaded once;</li>
 *   <li>{@link #up} and {@link #down}: staging for what crosses to and from the host.</li>
 * </ul>
 * The convolution is an implicit GEMM tiled through local memory: per group {@code Y[o, p] = sum_k A[o, k] B[k, p]}
 * with {@code A} the packed weights {@code [C_out, K]}, {@code K = C_in/groups * kd*kh*kw}, and {@code B[k, p]}
 * gathered on the fly; a work-group of 256 items computes a {@value #TM} x {@value #TP} block, each item 4 x 4
 * outputs; the decomposition of {@code k} into (input channel, tap) comes from a table. Depthwise convolutions,
 * pooling, element-wise ops, the linear layer, the pixel shuffles, deformable convolution, channel concatenation,
 * padding and frame selection run one work item per output element.
 *
 * <p>Fields are primitive arrays and ints only (Aparapi turns this class into OpenCL C). Flags are ints, 0 or 1.
 */
final class DeviceKernel extends Kernel {
    static final int TM = 64;
    static final int TK = 16;
    static final int TP = 64;
    static final int LOCAL = 256;

    static final int UPLOAD = 0;
    static final int DOWNLOAD = 1;
    static final int CONV = 2;
    static final int DEPTHWISE = 3;
    static final int POOL = 4;
    static final int POINTWISE = 5;
    static final int AFFINE = 6;
    static final int LINEAR = 7;
    static final int SCALE = 8;
    static final int ADD = 9;
    static final int BLOCKS = 10;
    static final int PAD = 11;
    static final int FRAMES = 12;
    static final int SHUFFLE = 13;
    static final int DEFORM = 14;
    /** The device's FMA peak: {@link #inner} rounds of 8 independent fused multiply-adds per work item. */
    static final int PEAK = 15;

    float[] mem = new float[1];
    float[] wts = new float[1];
    int[] tabs = new int[1];
    float[] up = new float[1];
    float[] down = new float[1];

    int op;
    int total;
    /** Sub-op: pooling 0 max, 1 avg, 2 adaptive; pointwise 0 relu, 1 sigmoid, 2 swish; shuffle 1 up, 0 down. */
    int fn;

    // offsets: x input, y output, r residual or second input, s per-channel scale, w weights, b bias, t table
    int xOff;
    int yOff;
    int rOff;
    int sOff;
    int wOff;
    int bOff;
    int tOff;
    int ioOff;

    int n;
    int cin;
    int cout;
    int groups;
    int cinG;
    int coutG;
    int inD;
    int inH;
    int inW;
    int outD;
    int outH;
    int outW;
    int kd;
    int kh;
    int kw;
    int sd;
    int sh;
    int sw;
    int pd;
    int ph;
    int pw;
    int dd;
    int dh;
    int dw;
    /** Padding mode: 0 zeros, 1 reflect, 2 replicate, 3 circular. */
    int mode;
    int transposed;
    /** 1x1x1 kernel, stride 1, no padding: B is the input itself. */
    int pointwise;
    int hasBias;
    int hasRes;
    int relu;
    int kTotal;
    int positions;
    int mTiles;
    int pTiles;
    /** Pooling. */
    int countIncludePad;
    int divisorOverride;
    /** Minus infinity, passed in rather than written as a constant the code generator would have to spell. */
    float lowest;
    /** Element-wise: channels and elements per channel and sample; linear: input and output features. */
    int channels;
    int inner;
    int inF;
    int outF;
    /** Blocks: copy {@code total} elements in blocks of {@code block}, source stride and destination stride. */
    int block;
    int xStride;
    int yStride;
    /** Shuffle: factor, depth factor. */
    int r;
    int rd;
    /** Deform: offset groups, mask present. */
    int g;
    int hasMask;

    @Local final float[] tileA = new float[TM * TK];
    @Local final float[] tileB = new float[TK * TP];

    /** {@code PaddingMode.map}: the index read for a possibly out-of-range {@code i}, or -1 for a zero. */
    int remap(int i, int len) {
        int q = i;
        if (i < 0 || i >= len) {
            if (mode == 0) {
                q = -1;
            } else if (mode == 1) {
                if (len == 1) {
                    q = 0;
                } else if (i < 0) {
                    q = -i;
                } else {
                    q = 2 * (len - 1) - i;
                }
            } else if (mode == 2) {
                if (i < 0) {
                    q = 0;
                } else {
                    q = len - 1;
                }
            } else {
                q = ((i % len) + len) % len;
            }
        }
        return q;
    }

    /** Transposed: output {@code z = i*s - p + tap} reads input {@code i = t / s} for {@code t = z + p - tap}. */
    int adjoint(int t, int s, int len) {
        int q = -1;
        if (t >= 0 && t % s == 0 && t / s < len) {
            q = t / s;
        }
        return q;
    }

    /** B[k, p] of the convolution for the position whose first-tap coordinates are {@code (zd, zh, zw)}. */
    float gather(int xBase, int k, int p, int zd, int zh, int zw) {
        float v = 0f;
        if (pointwise == 1) {
            v = mem[xBase + k * positions + p];
        } else {
            int t = tOff + 4 * k;
            int ci = tabs[t];
            int id = 0;
            int ih = 0;
            int iw = 0;
            if (transposed == 1) {
                id = adjoint(zd - tabs[t + 1], sd, inD);
                ih = adjoint(zh - tabs[t + 2], sh, inH);
                iw = adjoint(zw - tabs[t + 3], sw, inW);
            } else {
                id = remap(zd + tabs[t + 1], inD);
                ih = remap(zh + tabs[t + 2], inH);
                iw = remap(zw + tabs[t + 3], inW);
            }
            if (id >= 0 && ih >= 0 && iw >= 0) {
                v = mem[xBase + (ci * inD + id) * inH * inW + ih * inW + iw];
            }
        }
        return v;
    }

    /** The epilogue: bias, residual and ReLU, then the single write of output {@code idx}. */
    void finish(int idx, int o, float acc) {
        float v = acc;
        if (hasBias == 1) {
            v = v + wts[bOff + o];
        }
        if (hasRes == 1) {
            v = v + mem[rOff + idx];
        }
        if (relu == 1 && v < 0f) {
            v = 0f;
        }
        mem[yOff + idx] = v;
    }

    void store(int b, int grp, int m, int p, float acc) {
        if (m < coutG && p < positions) {
            int o = grp * coutG + m;
            finish((b * cout + o) * positions + p, o, acc);
        }
    }

    void conv() {
        int lid = getLocalId(0);
        int tile = getGroupId(0);
        int pt = tile % pTiles;
        int rest = tile / pTiles;
        int mt = rest % mTiles;
        rest = rest / mTiles;
        int grp = rest % groups;
        int b = rest / groups;
        int lm = lid / 16;
        int lp = lid % 16;
        int m0 = mt * TM + lm;
        int p0 = pt * TP;
        int pc = lid % TP;
        int kr0 = lid / TP;
        int p = p0 + pc;
        int ow = p % outW;
        int oh = (p / outW) % outH;
        int od = p / (outW * outH);
        int zd = od * sd - pd;
        int zh = oh * sh - ph;
        int zw = ow * sw - pw;
        if (transposed == 1) {
            zd = od + pd;
            zh = oh + ph;
            zw = ow + pw;
        }
        int xBase = xOff + (b * cin + grp * cinG) * inD * inH * inW;
        float a00 = 0f;
        float a01 = 0f;
        float a02 = 0f;
        float a03 = 0f;
        float a10 = 0f;
        float a11 = 0f;
        float a12 = 0f;
        float a13 = 0f;
        float a20 = 0f;
        float a21 = 0f;
        float a22 = 0f;
        float a23 = 0f;
        float a30 = 0f;
        float a31 = 0f;
        float a32 = 0f;
        float a33 = 0f;
        for (int k0 = 0; k0 < kTotal; k0 += TK) {
            for (int q = 0; q < 4; q++) {
                int e = lid + q * LOCAL;
                int row = mt * TM + e / TK;
                int col = k0 + e % TK;
                float a = 0f;
                if (row < coutG && col < kTotal) {
                    a = wts[wOff + (grp * coutG + row) * kTotal + col];
                }
                tileA[e] = a;
            }
            for (int q = 0; q < 4; q++) {
                int kr = kr0 + 4 * q;
                float v = 0f;
                if (k0 + kr < kTotal && p < positions) {
                    v = gather(xBase, k0 + kr, p, zd, zh, zw);
                }
                tileB[kr * TP + pc] = v;
            }
            localBarrier();
            for (int kk = 0; kk < TK; kk++) {
                float w0 = tileA[(lm + 0) * TK + kk];
                float w1 = tileA[(lm + 16) * TK + kk];
                float w2 = tileA[(lm + 32) * TK + kk];
                float w3 = tileA[(lm + 48) * TK + kk];
                float b0 = tileB[kk * TP + lp + 0];
                float b1 = tileB[kk * TP + lp + 16];
                float b2 = tileB[kk * TP + lp + 32];
                float b3 = tileB[kk * TP + lp + 48];
                a00 += w0 * b0;
                a01 += w0 * b1;
                a02 += w0 * b2;
                a03 += w0 * b3;
                a10 += w1 * b0;
                a11 += w1 * b1;
                a12 += w1 * b2;
                a13 += w1 * b3;
                a20 += w2 * b0;
                a21 += w2 * b1;
                a22 += w2 * b2;
                a23 += w2 * b3;
                a30 += w3 * b0;
                a31 += w3 * b1;
                a32 += w3 * b2;
                a33 += w3 * b3;
            }
            localBarrier();
        }
        store(b, grp, m0 + 0, p0 + lp + 0, a00);
        store(b, grp, m0 + 0, p0 + lp + 16, a01);
        store(b, grp, m0 + 0, p0 + lp + 32, a02);
        store(b, grp, m0 + 0, p0 + lp + 48, a03);
        store(b, grp, m0 + 16, p0 + lp + 0, a10);
        store(b, grp, m0 + 16, p0 + lp + 16, a11);
        store(b, grp, m0 + 16, p0 + lp + 32, a12);
        store(b, grp, m0 + 16, p0 + lp + 48, a13);
        store(b, grp, m0 + 32, p0 + lp + 0, a20);
        store(b, grp, m0 + 32, p0 + lp + 16, a21);
        store(b, grp, m0 + 32, p0 + lp + 32, a22);
        store(b, grp, m0 + 32, p0 + lp + 48, a23);
        store(b, grp, m0 + 48, p0 + lp + 0, a30);
        store(b, grp, m0 + 48, p0 + lp + 16, a31);
        store(b, grp, m0 + 48, p0 + lp + 32, a32);
        store(b, grp, m0 + 48, p0 + lp + 48, a33);
    }

    void depthwise(int gid) {
        int ow = gid % outW;
        int rest = gid / outW;
        int oh = rest % outH;
        rest = rest / outH;
        int od = rest % outD;
        rest = rest / outD;
        int o = rest % cout;
        int b = rest / cout;
        int c = o / coutG;
        int xBase = xOff + (b * cin + c) * inD * inH * inW;
        int wBase = wOff + o * kd * kh * kw;
        float acc = 0f;
        for (int a = 0; a < kd; a++) {
            int id = remap(od * sd - pd + a * dd, inD);
            if (id >= 0) {
                for (int e = 0; e < kh; e++) {
                    int ih = remap(oh * sh - ph + e * dh, inH);
                    if (ih >= 0) {
                        for (int f = 0; f < kw; f++) {
                            int iw = remap(ow * sw - pw + f * dw, inW);
                            if (iw >= 0) {
                                acc += mem[xBase + (id * inH + ih) * inW + iw] * wts[wBase + (a * kh + e) * kw + f];
                            }
                        }
                    }
                }
            }
        }
        finish(gid, o, acc);
    }

    float maxWindow(int base, int od, int oh, int ow) {
        float m = lowest;
        for (int a = 0; a < kd; a++) {
            int z = od * sd - pd + a * dd;
            if (z >= 0 && z < inD) {
                for (int e = 0; e < kh; e++) {
                    int y = oh * sh - ph + e * dh;
                    if (y >= 0 && y < inH) {
                        for (int f = 0; f < kw; f++) {
                            int x = ow * sw - pw + f * dw;
                            if (x >= 0 && x < inW) {
                                float v = mem[base + (z * inH + y) * inW + x];
                                if (v > m || v != v) {
                                    m = v;
                                }
                            }
                        }
                    }
                }
            }
        }
        return m;
    }

    float sum(int base, int d0, int d1, int h0, int h1, int w0, int w1) {
        float s = 0f;
        for (int z = d0; z < d1; z++) {
            for (int y = h0; y < h1; y++) {
                for (int x = w0; x < w1; x++) {
                    s += mem[base + (z * inH + y) * inW + x];
                }
            }
        }
        return s;
    }

    float avgWindow(int base, int od, int oh, int ow) {
        // window: [o*s - pad, min(o*s - pad + k, in + pad)), clipped to [0, in) for the sum
        int ds = od * sd - pd;
        int de = min(ds + kd, inD + pd);
        int hs = oh * sh - ph;
        int he = min(hs + kh, inH + ph);
        int ws = ow * sw - pw;
        int we = min(ws + kw, inW + pw);
        int poolSize = (de - ds) * (he - hs) * (we - ws);
        int d0 = max(ds, 0);
        int d1 = min(de, inD);
        int h0 = max(hs, 0);
        int h1 = min(he, inH);
        int w0 = max(ws, 0);
        int w1 = min(we, inW);
        float v = 0f;
        if (d0 < d1 && h0 < h1 && w0 < w1) {
            int divisor = (d1 - d0) * (h1 - h0) * (w1 - w0);
            if (divisorOverride != 0) {
                divisor = divisorOverride;
            } else if (countIncludePad == 1) {
                divisor = poolSize;
            }
            v = sum(base, d0, d1, h0, h1, w0, w1) / divisor;
        }
        return v;
    }

    float adaptiveWindow(int base, int od, int oh, int ow) {
        // output i averages input [floor(i*in/out), ceil((i+1)*in/out))
        int d0 = (od * inD) / outD;
        int d1 = ((od + 1) * inD + outD - 1) / outD;
        int h0 = (oh * inH) / outH;
        int h1 = ((oh + 1) * inH + outH - 1) / outH;
        int w0 = (ow * inW) / outW;
        int w1 = ((ow + 1) * inW + outW - 1) / outW;
        return sum(base, d0, d1, h0, h1, w0, w1) / ((d1 - d0) * (h1 - h0) * (w1 - w0));
    }

    void pool(int gid) {
        int ow = gid % outW;
        int rest = gid / outW;
        int oh = rest % outH;
        rest = rest / outH;
        int od = rest % outD;
        int plane = rest / outD;
        int base = xOff + plane * inD * inH * inW;
        float v = 0f;
        if (fn == 0) {
            v = maxWindow(base, od, oh, ow);
        } else if (fn == 1) {
            v = avgWindow(base, od, oh, ow);
        } else {
            v = adaptiveWindow(base, od, oh, ow);
        }
        mem[yOff + gid] = v;
    }

    float activate(float v) {
        float y = v;
        if (fn == 0) {
            if (v < 0f) {
                y = 0f;
            }
        } else if (fn == 1) {
            y = 1f / (1f + exp(-v));
        } else if (fn == 2) {
            y = v / (1f + exp(-v));
        }
        return y;
    }

    float linear(int gid) {
        int row = gid / outF;
        int o = gid % outF;
        float s = 0f;
        for (int i = 0; i < inF; i++) {
            s += mem[xOff + row * inF + i] * wts[wOff + o * inF + i];
        }
        if (hasBias == 1) {
            s = s + wts[bOff + o];
        }
        return s;
    }

    /** Output element {@code gid} of SAME padding: the input element it copies, or zero. */
    float pad(int gid) {
        int x = gid % outW;
        int rest = gid / outW;
        int y = rest % outH;
        rest = rest / outH;
        int z = rest % outD;
        int plane = rest / outD;
        int iz = z - pd;
        int iy = y - ph;
        int ix = x - pw;
        float v = 0f;
        if (iz >= 0 && iz < inD && iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
            v = mem[xOff + ((plane * inD + iz) * inH + iy) * inW + ix];
        }
        return v;
    }

    /** Output element {@code gid} of a frame selection: the frame {@code tabs[tOff + t]} of its plane. */
    float frame(int gid) {
        int planeSize = inH * inW;
        int within = gid % planeSize;
        int rest = gid / planeSize;
        int t = rest % outD;
        int nc = rest / outD;
        return mem[xOff + (nc * inD + tabs[tOff + t]) * planeSize + within];
    }

    /** Pixel shuffle ({@code fn == 1}) or unshuffle of element {@code gid} of the big tensor. */
    void shuffle(int gid) {
        int ow = outW * r;
        int oh = outH * r;
        int od = outD * rd;
        int x = gid % ow;
        int rest = gid / ow;
        int y = rest % oh;
        rest = rest / oh;
        int z = rest % od;
        rest = rest / od;
        int ch = rest % channels;
        int b = rest / channels;
        int cs = ch * rd * r * r + ((z % rd) * r + (y % r)) * r + (x % r);
        int s = (((b * channels * rd * r * r + cs) * outD + z / rd) * outH + y / r) * outW + x / r;
        if (fn == 1) {
            mem[yOff + gid] = mem[xOff + s];
        } else {
            mem[yOff + s] = mem[xOff + gid];
        }
    }

    float corner(int base, int z, int y, int x, float weight) {
        float v = 0f;
        if (z >= 0 && z < inD && y >= 0 && y < inH && x >= 0 && x < inW) {
            v = weight * mem[base + (z * inH + y) * inW + x];
        }
        return v;
    }

    float trilinear(int base, float pz, float py, float px) {
        float v = 0f;
        if (pz > -1f && pz < inD && py > -1f && py < inH && px > -1f && px < inW) {
            int z0 = (int) floor(pz);
            int y0 = (int) floor(py);
            int x0 = (int) floor(px);
            float fz = pz - z0;
            float fy = py - y0;
            float fx = px - x0;
            v = corner(base, z0, y0, x0, (1f - fz) * (1f - fy) * (1f - fx))
                    + corner(base, z0, y0, x0 + 1, (1f - fz) * (1f - fy) * fx)
                    + corner(base, z0, y0 + 1, x0, (1f - fz) * fy * (1f - fx))
                    + corner(base, z0, y0 + 1, x0 + 1, (1f - fz) * fy * fx)
                    + corner(base, z0 + 1, y0, x0, fz * (1f - fy) * (1f - fx))
                    + corner(base, z0 + 1, y0, x0 + 1, fz * (1f - fy) * fx)
                    + corner(base, z0 + 1, y0 + 1, x0, fz * fy * (1f - fx))
                    + corner(base, z0 + 1, y0 + 1, x0 + 1, fz * fy * fx);
        }
        return v;
    }

    /**
     * {@code deform_conv3d} output element {@code gid} ({@code ReferenceDeform} is the oracle): offsets at
     * {@link #rOff}, the mask at {@link #sOff}.
     */
    void deform(int gid) {
        int outVol = outD * outH * outW;
        int pos = gid % outVol;
        int rest = gid / outVol;
        int oc = rest % cout;
        int b = rest / cout;
        int v = pos % outW;
        int u = (pos / outW) % outH;
        int z = pos / (outW * outH);
        int k = kd * kh * kw;
        int wgrp = oc / coutG;
        int perOffsetGroup = cin / g;
        float acc = 0f;
        for (int ci = 0; ci < cinG; ci++) {
            int ch = wgrp * cinG + ci;
            int grp = ch / perOffsetGroup;
            int xBase = xOff + (b * cin + ch) * inD * inH * inW;
            for (int kp = 0; kp < k; kp++) {
                int a = kp / (kh * kw);
                int e = (kp / kw) % kh;
                int l = kp % kw;
                int offBase = rOff + (b * 3 * g * k + 3 * (grp * k + kp)) * outVol + pos;
                float pz = z * sd - pd + a * dd + mem[offBase];
                float py = u * sh - ph + e * dh + mem[offBase + outVol];
                float px = v * sw - pw + l * dw + mem[offBase + 2 * outVol];
                float val = trilinear(xBase, pz, py, px);
                if (hasMask == 1) {
                    val = val * mem[sOff + (b * g * k + grp * k + kp) * outVol + pos];
                }
                acc += wts[wOff + (oc * cinG + ci) * k + kp] * val;
            }
        }
        if (hasBias == 1) {
            acc = acc + wts[bOff + oc];
        }
        mem[yOff + gid] = acc;
    }

    /** Eight independent FMA chains, {@link #inner} rounds: 16 * inner FLOPs, the sum written so none is dead. */
    float peak(int gid) {
        float a0 = gid * 1e-7f;
        float a1 = a0 + 1f;
        float a2 = a0 + 2f;
        float a3 = a0 + 3f;
        float a4 = a0 + 4f;
        float a5 = a0 + 5f;
        float a6 = a0 + 6f;
        float a7 = a0 + 7f;
        float m = 0.999999f;
        float c = 1e-6f;
        for (int i = 0; i < inner; i++) {
            a0 = fma(a0, m, c);
            a1 = fma(a1, m, c);
            a2 = fma(a2, m, c);
            a3 = fma(a3, m, c);
            a4 = fma(a4, m, c);
            a5 = fma(a5, m, c);
            a6 = fma(a6, m, c);
            a7 = fma(a7, m, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }

    @Override
    public void run() {
        if (op == CONV) {
            conv();
        } else {
            int gid = getGlobalId(0);
            if (gid < total) {
                if (op == UPLOAD) {
                    mem[yOff + gid] = up[ioOff + gid];
                } else if (op == DOWNLOAD) {
                    down[ioOff + gid] = mem[xOff + gid];
                } else if (op == DEPTHWISE) {
                    depthwise(gid);
                } else if (op == POOL) {
                    pool(gid);
                } else if (op == POINTWISE) {
                    mem[yOff + gid] = activate(mem[xOff + gid]);
                } else if (op == AFFINE) {
                    int c = (gid / inner) % channels;
                    mem[yOff + gid] = mem[xOff + gid] * wts[wOff + c] + wts[bOff + c];
                } else if (op == LINEAR) {
                    mem[yOff + gid] = linear(gid);
                } else if (op == SCALE) {
                    mem[yOff + gid] = activate(mem[xOff + gid] * mem[sOff + gid / inner]);
                } else if (op == ADD) {
                    float s = mem[xOff + gid] + mem[rOff + gid];
                    if (relu == 1 && s < 0f) {
                        s = 0f;
                    }
                    mem[yOff + gid] = s;
                } else if (op == BLOCKS) {
                    mem[yOff + (gid / block) * yStride + gid % block] = mem[xOff + (gid / block) * xStride
                            + gid % block];
                } else if (op == PAD) {
                    mem[yOff + gid] = pad(gid);
                } else if (op == FRAMES) {
                    mem[yOff + gid] = frame(gid);
                } else if (op == SHUFFLE) {
                    shuffle(gid);
                } else if (op == DEFORM) {
                    deform(gid);
                } else if (op == PEAK) {
                    mem[yOff + gid] = peak(gid);
                }
            }
        }
    }
}
