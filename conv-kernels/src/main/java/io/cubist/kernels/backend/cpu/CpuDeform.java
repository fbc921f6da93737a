package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.reference.ReferenceDeform;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

/**
 * {@code deform_conv3d} as scalar gather + vector GEMM: each batch item's trilinear samples (times the mask) are
 * gathered into columns {@code [C][K][positions]} in parallel, then every weight group is one {@link ImplicitGemm}
 * problem over those columns ({@code B[c*K + t][p] = cols[(c*K + t)*rowLen + p]}). Semantics and validation are
 * {@link ReferenceDeform}'s.
 */
final class CpuDeform {
    private CpuDeform() {
    }

    static Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                               Tensor mask, CpuThreads threads) {
        OpShapes.DeformShape s = OpShapes.checkDeform(spec, input, offset, weight, bias, mask);
        int outVol = (int) s.out().product();
        int tiles = (outVol + NR - 1) / NR;
        int rowLen = tiles * NR;
        int k = s.k();
        int kDim = s.cg() * k;
        float[] w = weight.data();
        float[] a = new float[s.groups() * ImplicitGemm.packedSize(s.og(), kDim)];
        ImplicitGemm.pack(a, 0, s.groups(), s.og(), kDim, (g, m, kk) -> w[(g * s.og() + m) * kDim + kk]);
        OutputRuns runs = new OutputRuns.Builder(1).add(0, 0, outVol).build();
        Tensor y = Tensor.zeros(s.n(), s.o(), s.out().d(), s.out().h(), s.out().w());
        float[] cols = new float[s.c() * k * rowLen];
        for (int n = 0; n < s.n(); n++) {
            int b = n;
            threads.parallelFor(s.c(), c -> gather(spec, s, input.data(), offset.data(),
                    mask == null ? null : mask.data(), b, c, cols, rowLen));
            List<ImplicitGemm.Problem> problems = new ArrayList<>(s.groups());
            for (int g = 0; g < s.groups(); g++) {
                int[] offs = new int[kDim];
                for (int kk = 0; kk < kDim; kk++) {
                    offs[kk] = (g * kDim + kk) * rowLen;
                }
                int[] yRow = new int[s.og()];
                for (int m = 0; m < s.og(); m++) {
                    yRow[m] = (n * s.o() + g * s.og() + m) * outVol;
                }
                problems.add(new ImplicitGemm.Problem(g * ImplicitGemm.packedSize(s.og(), kDim), offs, yRow,
                        g * s.og(), runs));
            }
            ImplicitGemm.run(threads, a, s.og(), cols, problems, y.data(),
                    new ImplicitGemm.Epilogue(bias == null ? null : bias.data(), null, false));
        }
        return y;
    }

    /** Channel {@code c}'s samples for every kernel point and output position of batch item {@code n}. */
    private static void gather(DeformSpec spec, OpShapes.DeformShape s, float[] x, float[] off, float[] msk, int n,
                               int c, float[] cols, int rowLen) {
        int k = s.k();
        int od = s.out().d();
        int oh = s.out().h();
        int ow = s.out().w();
        int outVol = od * oh * ow;
        int grp = c / (s.c() / s.g());
        int xBase = (n * s.c() + c) * s.id() * s.ih() * s.iw();
        for (int t = 0; t < k; t++) {
            int a = t / (s.kh() * s.kw());
            int e = (t / s.kw()) % s.kh();
            int l = t % s.kw();
            int offBase = (n * 3 * s.g() * k + 3 * (grp * k + t)) * outVol;
            int maskBase = (n * s.g() * k + grp * k + t) * outVol;
            int colBase = (c * k + t) * rowLen;
            for (int z = 0, pos = 0; z < od; z++) {
                for (int u = 0; u < oh; u++) {
                    for (int v = 0; v < ow; v++, pos++) {
                        // p = o*stride - padding + k*dilation + Δ, sampled trilinearly (outside = 0), times the mask
                        double pz = z * spec.stride().d() - spec.padding().d() + a * spec.dilation().d()
                                + (double) off[offBase + pos];
                        double py = u * spec.stride().h() - spec.padding().h() + e * spec.dilation().h()
                                + (double) off[offBase + outVol + pos];
                        double px = v * spec.stride().w() - spec.padding().w() + l * spec.dilation().w()
                                + (double) off[offBase + 2 * outVol + pos];
                        double val = ReferenceDeform.trilinear(x, xBase, s.id(), s.ih(), s.iw(), pz, py, px);
                        cols[colBase + pos] = (float) (msk == null ? val : val * msk[maskBase + pos]);
                    }
                }
            }
        }
    }
}
