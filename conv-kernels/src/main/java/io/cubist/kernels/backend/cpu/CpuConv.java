package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.MR;
import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct (non-transposed) convolution as an implicit GEMM: {@code Y[m][n] = sum_k A[m][k] * B[k][n]} with
 * {@code m} the output channel, {@code k} = (input channel, kernel tap) and {@code n} the output position.
 *
 * <p>How B avoids im2col: the input is copied once into a padded buffer (padding mode applied there) split into
 * stride phases, so that every tap of a stride-{@code s} convolution becomes a stride-1 read of one phase. Output
 * positions are enumerated on that padded phase grid, flattened: then for every tap, {@code B[k][n] = buf[offs[k] +
 * n]} — consecutive outputs read consecutive floats, and the micro-kernel loads two vectors per tap. Grid positions
 * outside the output (the padding columns) are computed and dropped; the waste is {@code 1 - oH*oW/(gH*gW)}.
 */
final class CpuConv implements PreparedConv {
    private final ConvSpec spec;
    private final CpuThreads threads;
    private final float[] bias;
    private final int groups;
    private final int mG;
    private final int cG;
    private final int taps;
    private final int kDim;
    private final int mBlocks;
    /** {@code [group][mBlock][k][MR]}, rows past {@code mG} zero; flipped already for true convolution. */
    private final float[] packed;
    /** Per tap: its stride phase (row-major over (pd, ph, pw)) and its shift on the phase grid. */
    private final int[] tapPhase;
    private final int[] tapShiftD;
    private final int[] tapShiftH;
    private final int[] tapShiftW;
    private final Scratch scratch = new Scratch();

    CpuConv(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        ReferenceConv.checkParameters(spec, weight, bias);
        if (spec.transposed()) {
            throw new IllegalArgumentException("CpuConv runs direct convolutions; use CpuConvTranspose");
        }
        this.spec = spec;
        this.threads = threads;
        this.bias = bias == null ? null : bias.data().clone();
        this.groups = spec.groups();
        this.mG = spec.outChannels() / groups;
        this.cG = spec.inChannels() / groups;
        Dims3 k = spec.kernel();
        this.taps = (int) k.product();
        this.kDim = cG * taps;
        this.mBlocks = (mG + MR - 1) / MR;
        this.packed = pack(weight.data());
        tapPhase = new int[taps];
        tapShiftD = new int[taps];
        tapShiftH = new int[taps];
        tapShiftW = new int[taps];
        Dims3 s = spec.stride();
        Dims3 dl = spec.dilation();
        for (int a = 0, t = 0; a < k.d(); a++) {
            for (int b = 0; b < k.h(); b++) {
                for (int c = 0; c < k.w(); c++, t++) {
                    // tap at padded offset q = k*dilation reads phase q % s at grid shift q / s
                    int qd = a * dl.d();
                    int qh = b * dl.h();
                    int qw = c * dl.w();
                    tapPhase[t] = ((qd % s.d()) * s.h() + qh % s.h()) * s.w() + qw % s.w();
                    tapShiftD[t] = qd / s.d();
                    tapShiftH[t] = qh / s.h();
                    tapShiftW[t] = qw / s.w();
                }
            }
        }
    }

    private float[] pack(float[] w) {
        float[] p = new float[groups * ImplicitGemm.packedSize(mG, kDim)];
        ImplicitGemm.pack(p, 0, groups, mG, kDim, (g, m, k) -> {
            int c = k / taps;
            int t = k % taps;
            if (spec.flip()) {
                // true convolution: tap (a,b,c) takes the weight at (kd-1-a, kh-1-b, kw-1-c), i.e. reversed order
                t = taps - 1 - t;
            }
            return w[((g * mG + m) * cG + c) * taps + t];
        });
        return p;
    }

    @Override
    public ConvSpec spec() {
        return spec;
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, null, false);
    }

    @Override
    public Tensor forward(Tensor input, Tensor residual, boolean relu) {
        int[] s5 = ReferenceConv.inputShape5d(spec, input);
        int batch = s5[0];
        int cin = s5[1];
        Dims3 in = new Dims3(s5[2], s5[3], s5[4]);
        Dims3 out = spec.outputSize(in);
        spec.checkPaddingFits(in);
        Tensor y = Tensor.zeros(ReferenceConv.outputShape(spec, input, out));
        float[] res = PreparedConv.residualData(spec, residual, y);
        Grid grid = new Grid(spec, in, out);
        int planes = grid.phases * grid.plane;
        int[] tapOff = new int[taps];
        int maxTap = 0;
        for (int t = 0; t < taps; t++) {
            tapOff[t] = grid.tapOffset(tapPhase[t], tapShiftD[t], tapShiftH[t], tapShiftW[t]);
            maxTap = Math.max(maxTap, tapOff[t]);
        }
        // one padded, phase-split copy of the input; the tail keeps the last tile's junk columns inside the array
        float[] buf = scratch.get(Math.max(batch * cin * planes, (batch * cin - 1) * planes + maxTap + grid.tiles * NR));
        threads.parallelFor(batch * cin, nc -> fill(input.data(), nc, in, grid, buf, nc * planes));

        OutputRuns runs = grid.runs(out);
        int outVol = (int) out.product();
        List<ImplicitGemm.Problem> problems = new ArrayList<>(batch * groups);
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < groups; g++) {
                int[] offs = new int[kDim];
                int xBase = (n * cin + g * cG) * planes;
                for (int c = 0; c < cG; c++) {
                    for (int t = 0; t < taps; t++) {
                        offs[c * taps + t] = xBase + c * planes + tapOff[t];
                    }
                }
                int[] yRow = new int[mG];
                for (int m = 0; m < mG; m++) {
                    yRow[m] = (n * spec.outChannels() + g * mG + m) * outVol;
                }
                problems.add(new ImplicitGemm.Problem(g * mBlocks * kDim * MR, offs, yRow, g * mG, runs));
            }
        }
        ImplicitGemm.run(threads, packed, mG, buf, problems, y.data(), new ImplicitGemm.Epilogue(bias, res, relu));
        return y;
    }

    /**
     * Writes input channel {@code nc} into its padded, phase-split planes at {@code dst}: every grid element, zeros
     * included, since the buffer is reused.
     */
    private void fill(float[] x, int nc, Dims3 in, Grid grid, float[] buf, int dst) {
        PaddingMode mode = spec.paddingMode();
        Dims3 pb = spec.padBefore();
        Dims3 s = spec.stride();
        int src = nc * (int) in.product();
        for (int pd = 0; pd < s.d(); pd++) {
            for (int ph = 0; ph < s.h(); ph++) {
                for (int pw = 0; pw < s.w(); pw++) {
                    int planeBase = dst + ((pd * s.h() + ph) * s.w() + pw) * grid.plane;
                    for (int gd = 0; gd < grid.gd; gd++) {
                        int id = gd * s.d() + pd >= grid.lpd ? -1 : mode.map(gd * s.d() + pd - pb.d(), in.d());
                        for (int gh = 0; gh < grid.gh; gh++) {
                            int ih = id < 0 || gh * s.h() + ph >= grid.lph ? -1
                                    : mode.map(gh * s.h() + ph - pb.h(), in.h());
                            int row = planeBase + (gd * grid.gh + gh) * grid.gw;
                            if (ih < 0) {
                                java.util.Arrays.fill(buf, row, row + grid.gw, 0f);
                                continue;
                            }
                            int srcRow = src + (id * in.h() + ih) * in.w();
                            int from = 0;
                            int to = 0;
                            if (s.w() == 1) {
                                // the unpadded part of the row is one contiguous copy
                                from = pb.w();
                                to = Math.min(pb.w() + in.w(), Math.min(grid.gw, grid.lpw));
                                System.arraycopy(x, srcRow, buf, row + from, to - from);
                            }
                            for (int gw = 0; gw < grid.gw; gw++) {
                                if (gw == from && to > from) {
                                    gw = to - 1;
                                    continue;
                                }
                                int q = gw * s.w() + pw;
                                int iw = q >= grid.lpw ? -1 : mode.map(q - pb.w(), in.w());
                                buf[row + gw] = iw >= 0 ? x[srcRow + iw] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    /** The padded phase grid of one input channel and how output positions are flattened on it. */
    private static final class Grid {
        final int lpd;
        final int lph;
        final int lpw;
        final int gd;
        final int gh;
        final int gw;
        final int plane;
        final int phases;
        final int tiles;
        final int flat;

        Grid(ConvSpec spec, Dims3 in, Dims3 out) {
            Dims3 s = spec.stride();
            lpd = in.d() + spec.padBefore().d() + spec.padAfter().d();
            lph = in.h() + spec.padBefore().h() + spec.padAfter().h();
            lpw = in.w() + spec.padBefore().w() + spec.padAfter().w();
            gd = (lpd + s.d() - 1) / s.d();
            gh = (lph + s.h() - 1) / s.h();
            gw = (lpw + s.w() - 1) / s.w();
            plane = gd * gh * gw;
            phases = (int) s.product();
            flat = (out.d() - 1) * gh * gw + (out.h() - 1) * gw + out.w();
            tiles = (flat + NR - 1) / NR;
        }

        int tapOffset(int phase, int sd, int sh, int sw) {
            return phase * plane + (sd * gh + sh) * gw + sw;
        }

        /** Each output row (d, h) is a run of {@code oW} consecutive grid positions. */
        OutputRuns runs(Dims3 out) {
            OutputRuns.Builder b = new OutputRuns.Builder(1);
            for (int d = 0; d < out.d(); d++) {
                for (int h = 0; h < out.h(); h++) {
                    b.add((d * gh + h) * gw, (d * out.h() + h) * out.w(), out.w());
                }
            }
            return b.build();
        }
    }
}
