package io.cubist.kernels.backend.opencl;

import com.aparapi.Kernel;

/**
 * {@code deform_conv3d} (DESIGN.md; {@code ReferenceDeform} is the oracle), one work item per output element:
 * {@code y[b, oc, p] = bias[oc] + sum_{ci, k} w[oc, ci, k] * mask[b, g*K + k, p] * trilinear(x[b, ch], p*stride -
 * padding + k*dilation + offset[b, 3*(g*K + k) + {0,1,2}, p])} with {@code ch} the input channel {@code ci} of the
 * output channel's weight group and {@code g} that channel's offset group; corners outside the volume count as 0.
 */
final class DeformKernel extends Kernel {
    float[] x = new float[1];
    float[] off = new float[1];
    float[] mask = new float[1];
    float[] w = new float[1];
    float[] bias = new float[1];
    float[] y = new float[1];

    int c;
    int id;
    int ih;
    int iw;
    int o;
    int cg;
    int og;
    int kd;
    int kh;
    int kw;
    int g;
    int od;
    int oh;
    int ow;
    int sd;
    int sh;
    int sw;
    int pd;
    int ph;
    int pw;
    int dd;
    int dh;
    int dw;
    int hasMask;
    int hasBias;
    int total;

    /** One corner's contribution: its weight times its value, or 0 outside the volume. */
    float corner(int base, int zi, int yi, int xi, float weight) {
        float v = 0f;
        if (zi >= 0 && zi < id && yi >= 0 && yi < ih && xi >= 0 && xi < iw) {
            v = weight * x[base + (zi * ih + yi) * iw + xi];
        }
        return v;
    }

    float trilinear(int base, float pz, float py, float px) {
        float v = 0f;
        if (pz > -1f && pz < id && py > -1f && py < ih && px > -1f && px < iw) {
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

    @Override
    public void run() {
        int gid = getGlobalId(0);
        if (gid < total) {
            int outVol = od * oh * ow;
            int pos = gid % outVol;
            int rest = gid / outVol;
            int oc = rest % o;
            int b = rest / o;
            int v = pos % ow;
            int u = (pos / ow) % oh;
            int z = pos / (ow * oh);
            int k = kd * kh * kw;
            int wgrp = oc / og;
            int perOffsetGroup = c / g;
            float acc = 0f;
            for (int ci = 0; ci < cg; ci++) {
                int ch = wgrp * cg + ci;
                int grp = ch / perOffsetGroup;
                int xBase = (b * c + ch) * id * ih * iw;
                for (int kp = 0; kp < k; kp++) {
                    int a = kp / (kh * kw);
                    int e = (kp / kw) % kh;
                    int l = kp % kw;
                    int offBase = (b * 3 * g * k + 3 * (grp * k + kp)) * outVol + pos;
                    float pz = z * sd - pd + a * dd + off[offBase];
                    float py = u * sh - ph + e * dh + off[offBase + outVol];
                    float px = v * sw - pw + l * dw + off[offBase + 2 * outVol];
                    float val = trilinear(xBase, pz, py, px);
                    if (hasMask == 1) {
                        val = val * mask[(b * g * k + grp * k + kp) * outVol + pos];
                    }
                    acc += w[(oc * cg + ci) * k + kp] * val;
                }
            }
            if (hasBias == 1) {
                acc = acc + bias[oc];
            }
            y[gid] = acc;
        }
    }
}
