package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.MR;
import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Transposed convolution computed directly, without inserting zeros: output positions are split by their phase
 * {@code (z + padding) mod stride}, and each phase is a stride-1 convolution of the input with the taps that reach
 * it. Per axis, {@code y[z] = sum_k x[i] * w[k]} over {@code z + padding = i*stride + k*dilation}; for phase
 * {@code phi} the taps are those with {@code k*dilation = phi + m_k*stride}, and then {@code i = q - m_k} with
 * {@code q = (z + padding) div stride}. Each (batch item, group, phase) is one {@link ImplicitGemm} problem.
 */
final class CpuConvTranspose extends CpuPreparedConv {
    private final int groups;
    private final int mG;
    private final int cG;
    private final int mBlocks;
    private final int phases;
    /** Per phase: its taps (row-major kernel indices) and their shifts {@code m_k} per axis. */
    private final int[][] phaseTaps;
    private final int[][] phaseM;
    /** Per phase: where its packed A starts. */
    private final int[] phaseA;
    /** Largest {@code m_k} per axis: the input's left padding in the buffer. */
    private final int[] maxM = new int[3];
    private final float[] packed;
    private final Scratch scratch = new Scratch();

    CpuConvTranspose(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        super(spec, weight, bias, threads);
        if (!spec.transposed()) {
            throw new IllegalArgumentException("CpuConvTranspose runs transposed convolutions; use CpuConv");
        }
        this.groups = spec.groups();
        this.mG = spec.outChannels() / groups;
        this.cG = spec.inChannels() / groups;
        this.mBlocks = (mG + MR - 1) / MR;
        Dims3 k = spec.kernel();
        Dims3 s = spec.stride();
        Dims3 dl = spec.dilation();
        this.phases = (int) s.product();
        phaseTaps = new int[phases][];
        phaseM = new int[phases][];
        phaseA = new int[phases];
        int aSize = 0;
        for (int ph = 0; ph < phases; ph++) {
            int[] phi = {ph / (s.h() * s.w()), (ph / s.w()) % s.h(), ph % s.w()};
            List<Integer> taps = new ArrayList<>();
            List<Integer> ms = new ArrayList<>();
            for (int a = 0; a < k.d(); a++) {
                for (int b = 0; b < k.h(); b++) {
                    for (int c = 0; c < k.w(); c++) {
                        int[] q = {a * dl.d(), b * dl.h(), c * dl.w()};
                        boolean hit = true;
                        for (int ax = 0; ax < 3; ax++) {
                            hit &= q[ax] % s.get(ax) == phi[ax];
                        }
                        if (hit) {
                            taps.add((a * k.h() + b) * k.w() + c);
                            for (int ax = 0; ax < 3; ax++) {
                                int m = (q[ax] - phi[ax]) / s.get(ax);
                                ms.add(m);
                                maxM[ax] = Math.max(maxM[ax], m);
                            }
                        }
                    }
                }
            }
            phaseTaps[ph] = taps.stream().mapToInt(Integer::intValue).toArray();
            phaseM[ph] = ms.stream().mapToInt(Integer::intValue).toArray();
            phaseA[ph] = aSize;
            aSize += groups * ImplicitGemm.packedSize(mG, cG * phaseTaps[ph].length);
        }
        packed = new float[aSize];
        pack(weight.data());
    }

    private void pack(float[] w) {
        int taps = (int) spec.kernel().product();
        for (int ph = 0; ph < phases; ph++) {
            int[] pt = phaseTaps[ph];
            ImplicitGemm.pack(packed, phaseA[ph], groups, mG, cG * pt.length, (g, m, k) -> {
                int c = k / pt.length;
                // true convolution reads the kernel reversed
                int tap = spec.flip() ? taps - 1 - pt[k % pt.length] : pt[k % pt.length];
                return w[((g * cG + c) * mG + m) * taps + tap];
            });
        }
    }

    @Override
    public Tensor forward(Tensor input, Tensor residual, boolean relu) {
        Call call = begin(input, residual);
        int batch = call.batch();
        int cin = call.cin();
        Dims3 in = call.in();
        Dims3 out = call.out();
        Tensor y = call.y();
        float[] res = call.residual();
        Dims3 s = spec.stride();
        Dims3 p = spec.padBefore();
        // q runs over [0, Q) per axis: Q = ceil((out + padding) / stride); the buffer holds x shifted right by maxM
        int[] qn = new int[3];
        int[] len = new int[3];
        for (int a = 0; a < 3; a++) {
            qn[a] = (out.get(a) + p.get(a) + s.get(a) - 1) / s.get(a);
            len[a] = Math.max(qn[a], in.get(a)) + maxM[a];
        }
        int plane = len[0] * len[1] * len[2];
        int flat = (qn[0] - 1) * len[1] * len[2] + (qn[1] - 1) * len[2] + qn[2];
        int tiles = (flat + NR - 1) / NR;
        float[] buf = scratch.get(batch * cin * plane + tiles * NR);
        java.util.Arrays.fill(buf, 0, batch * cin * plane, 0f); // the shifted margins read as zeros
        float[] x = input.data();
        int inVol = (int) in.product();
        threads.parallelFor(batch * cin, nc -> {
            for (int d = 0; d < in.d(); d++) {
                for (int h = 0; h < in.h(); h++) {
                    System.arraycopy(x, nc * inVol + (d * in.h() + h) * in.w(), buf,
                            nc * plane + ((d + maxM[0]) * len[1] + h + maxM[1]) * len[2] + maxM[2], in.w());
                }
            }
        });
        int outVol = (int) out.product();
        List<ImplicitGemm.Problem> problems = new ArrayList<>();
        for (int ph = 0; ph < phases; ph++) {
            int[] phi = {ph / (s.h() * s.w()), (ph / s.w()) % s.h(), ph % s.w()};
            // per (qd, qh) row: the qw whose z lands inside the output, every stride-th output element
            OutputRuns.Builder rb = new OutputRuns.Builder(s.w());
            for (int qd = 0; qd < qn[0]; qd++) {
                int zd = qd * s.d() + phi[0] - p.d();
                if (zd < 0 || zd >= out.d()) {
                    continue;
                }
                for (int qh = 0; qh < qn[1]; qh++) {
                    int zh = qh * s.h() + phi[1] - p.h();
                    if (zh < 0 || zh >= out.h()) {
                        continue;
                    }
                    // zw = qw*s + phi - p in [0, oW)
                    int qw0 = Math.max(0, Math.floorDiv(p.w() - phi[2] + s.w() - 1, s.w()));
                    int qw1 = Math.min(qn[2], Math.floorDiv(out.w() - 1 + p.w() - phi[2], s.w()) + 1);
                    rb.add((qd * len[1] + qh) * len[2] + qw0,
                            (zd * out.h() + zh) * out.w() + qw0 * s.w() + phi[2] - p.w(), qw1 - qw0);
                }
            }
            OutputRuns runs = rb.build();
            int[] pt = phaseTaps[ph];
            int[] pm = phaseM[ph];
            int kDim = cG * pt.length;
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < groups; g++) {
                    int[] offs = new int[kDim];
                    for (int c = 0; c < cG; c++) {
                        for (int t = 0; t < pt.length; t++) {
                            int shift = ((maxM[0] - pm[3 * t]) * len[1] + maxM[1] - pm[3 * t + 1]) * len[2]
                                    + maxM[2] - pm[3 * t + 2];
                            offs[c * pt.length + t] = (n * cin + g * cG + c) * plane + shift;
                        }
                    }
                    int[] yRow = new int[mG];
                    for (int m = 0; m < mG; m++) {
                        yRow[m] = (n * spec.outChannels() + g * mG + m) * outVol;
                    }
                    problems.add(new ImplicitGemm.Problem(phaseA[ph] + g * mBlocks * kDim * MR, offs, yRow, g * mG,
                            runs));
                }
            }
        }
        ImplicitGemm.run(threads, packed, mG, buf, problems, y.data(), new ImplicitGemm.Epilogue(bias, res, relu));
        return y;
    }
}
