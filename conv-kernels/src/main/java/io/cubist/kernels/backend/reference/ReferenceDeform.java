package io.cubist.kernels.backend.reference;

import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * Plain-loop {@code deform_conv3d}, torchvision's {@code deform_conv2d} extended to 3D as DESIGN.md defines it.
 *
 * <p>Shapes, with kernel {@code (kd, kh, kw)}, {@code K = kd*kh*kw}, weight groups {@code groups = C / weight.shape[1]}
 * and offset groups {@code G = offset.shape[1] / (3*K)}:
 * <pre>
 *   input  [N, C, D, H, W]
 *   offset [N, 3*G*K, oD, oH, oW]   channel 3*(g*K + k) + {0,1,2} = (Δd, Δh, Δw) of offset group g, kernel point k
 *   weight [O, C/groups, kd, kh, kw]
 *   bias   [O] or null
 *   mask   [N, G*K, oD, oH, oW] or null   channel g*K + k
 *   output [N, O, oD, oH, oW],  out = floor((in + 2*padding - dilation*(k-1) - 1) / stride) + 1
 * </pre>
 * Kernel points are numbered row-major over {@code (kd, kh, kw)}; input channel {@code c} uses offset group
 * {@code c / (C/G)}. Each kernel point samples the input at {@code p = o*stride - padding + k*dilation + Δ} by
 * trilinear interpolation, every one of the eight corners outside the volume counting as zero.
 *
 * <p>For each batch item and input channel the samples (times the mask) are gathered into a column of
 * {@code K x oD*oH*oW} values, which then feeds every output channel of that channel's weight group.
 */
public final class ReferenceDeform {

    private ReferenceDeform() {
    }

    public static Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                                      Tensor mask) {
        OpShapes.DeformShape shape = OpShapes.checkDeform(spec, input, offset, weight, bias, mask);
        int n = shape.n();
        int c = shape.c();
        int id = shape.id();
        int ih = shape.ih();
        int iw = shape.iw();
        int cg = shape.cg();
        int o = shape.o();
        int og = shape.og();
        int kd = shape.kd();
        int kh = shape.kh();
        int kw = shape.kw();
        int k = shape.k();
        int g = shape.g();
        int od = shape.out().d();
        int oh = shape.out().h();
        int ow = shape.out().w();

        int sd = spec.stride().d();
        int sh = spec.stride().h();
        int sw = spec.stride().w();
        int pd = spec.padding().d();
        int ph = spec.padding().h();
        int pw = spec.padding().w();
        int dd = spec.dilation().d();
        int dh = spec.dilation().h();
        int dw = spec.dilation().w();
        int outVol = od * oh * ow;
        int inVol = id * ih * iw;
        int channelsPerOffsetGroup = c / g;
        float[] x = input.data();
        float[] off = offset.data();
        float[] msk = mask == null ? null : mask.data();
        float[] wt = weight.data();
        Tensor result = Tensor.zeros(n, o, od, oh, ow);
        float[] y = result.data();
        double[] column = new double[k * outVol];
        double[] acc = new double[o * outVol];

        for (int b = 0; b < n; b++) {
            Arrays.fill(acc, 0.0);
            for (int ch = 0; ch < c; ch++) {
                int grp = ch / channelsPerOffsetGroup;
                int xBase = (b * c + ch) * inVol;
                int kp = 0;
                for (int a = 0; a < kd; a++) {
                    for (int e = 0; e < kh; e++) {
                        for (int l = 0; l < kw; l++, kp++) {
                            int offChannel = 3 * (grp * k + kp);
                            int maskChannel = grp * k + kp;
                            for (int z = 0; z < od; z++) {
                                for (int u = 0; u < oh; u++) {
                                    for (int v = 0; v < ow; v++) {
                                        int pos = (z * oh + u) * ow + v;
                                        int offBase = ((b * 3 * g * k + offChannel) * outVol) + pos;
                                        // p = o*stride - padding + k*dilation + Δ, sampled trilinearly (outside = 0)
                                        double pz = z * sd - pd + a * dd + (double) off[offBase];
                                        double py = u * sh - ph + e * dh + (double) off[offBase + outVol];
                                        double px = v * sw - pw + l * dw + (double) off[offBase + 2 * outVol];
                                        double val = trilinear(x, xBase, id, ih, iw, pz, py, px);
                                        if (msk != null) {
                                            val *= msk[(b * g * k + maskChannel) * outVol + pos];
                                        }
                                        column[kp * outVol + pos] = val;
                                    }
                                }
                            }
                        }
                    }
                }
                int wgrp = ch / cg;
                int ci = ch % cg;
                for (int oc = wgrp * og; oc < (wgrp + 1) * og; oc++) {
                    int accBase = oc * outVol;
                    int wBase = (oc * cg + ci) * k;
                    for (int kk = 0; kk < k; kk++) {
                        // out[n, oc, pos] += weight[oc, ci, kk] * sample(input[n, ch], p(pos, kk)) * mask
                        double wv = wt[wBase + kk];
                        int colBase = kk * outVol;
                        for (int pos = 0; pos < outVol; pos++) {
                            acc[accBase + pos] += wv * column[colBase + pos];
                        }
                    }
                }
            }
            for (int oc = 0; oc < o; oc++) {
                double beta = bias == null ? 0.0 : bias.data()[oc];
                int yBase = (b * o + oc) * outVol;
                for (int pos = 0; pos < outVol; pos++) {
                    y[yBase + pos] = (float) (acc[oc * outVol + pos] + beta);
                }
            }
        }
        return result;
    }

    /**
     * Trilinear interpolation of one channel volume ({@code x[base ...]}, {@code [d, h, w]}) at real position
     * {@code (pz, py, px)}; each of the eight surrounding corners that lies outside the volume counts as zero, so a
     * position at or beyond -1 or {@code size} along any axis gives 0, as torchvision's bilinear sampler does.
     * Corners inside the volume are summed even when their weight is zero, so a NaN or infinite neighbour
     * propagates exactly as it does there.
     */
    public static double trilinear(float[] x, int base, int d, int h, int w, double pz, double py, double px) {
        if (!(pz > -1 && pz < d && py > -1 && py < h && px > -1 && px < w)) {
            return 0.0; // every corner is outside (also catches NaN offsets)
        }
        int z0 = (int) Math.floor(pz);
        int y0 = (int) Math.floor(py);
        int x0 = (int) Math.floor(px);
        double fz = pz - z0;
        double fy = py - y0;
        double fx = px - x0;
        double sum = 0;
        for (int cz = 0; cz < 2; cz++) {
            int zi = z0 + cz;
            double wz = cz == 0 ? 1 - fz : fz;
            if (zi < 0 || zi >= d) {
                continue;
            }
            for (int cy = 0; cy < 2; cy++) {
                int yi = y0 + cy;
                double wy = cy == 0 ? 1 - fy : fy;
                if (yi < 0 || yi >= h) {
                    continue;
                }
                for (int cx = 0; cx < 2; cx++) {
                    int xi = x0 + cx;
                    double wx = cx == 0 ? 1 - fx : fx;
                    if (xi < 0 || xi >= w) {
                        continue;
                    }
                    // v = sum over corners of (1-|pz-zi|)(1-|py-yi|)(1-|px-xi|) * x[zi, yi, xi]
                    sum += wz * wy * wx * x[base + (zi * h + yi) * w + xi];
                }
            }
        }
        return sum;
    }
}
