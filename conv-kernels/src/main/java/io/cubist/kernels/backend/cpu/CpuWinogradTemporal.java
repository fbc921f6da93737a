package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

/**
 * Winograd F(m, 3) over depth, m = 2 or 4: the temporal {@code (3, 1, 1)} convolutions of (2+1)D networks at stride
 * 1 and dilation 1, with padding in depth only (any padding mode). Each m output planes cost {@code m+2} multiplies
 * per input channel instead of {@code 3m}:
 * <pre>
 *   Y = A^T [ (G g) ⊙ (B^T d) ]      (d: m+2 input planes, g: the 3 temporal taps)
 * </pre>
 * The transforms combine whole planes, so they run over {@code H*W} consecutive positions (padded to a multiple of the
 * vector length, the pad computed and dropped); the {@code m+2} products {@code M_xi[o][(tile, hw)] = sum_c U_xi[o][c]
 * V_xi[c][(tile, hw)]} are GEMMs run by {@link CpuWinograd#fused}, each output plane written once with bias, residual
 * and ReLU. F(4) where the output has at least 4 planes, else F(2); the 1D transforms amplify rounding far less than
 * the 2D ones (relative error of a layer about 1e-7 to 1e-6 in float32).
 */
final class CpuWinogradTemporal extends CpuPreparedConv {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();
    /** Each worker thread's m+2 gathered input planes. */
    private static final Scratch PLANES = new Scratch();
    /** Each worker thread's m output planes of one chunk. */
    private static final Scratch OUT = new Scratch();

    private final int groups;
    private final int mG;
    private final int cG;
    private final int problemA;
    /** Per m (index m / 2 - 1): {@code [xi][group]} packed A blocks of {@code U_xi = G g}. */
    private final float[][] packed = new float[2][];
    private final Scratch scratch = new Scratch();

    /** Whether this engine computes {@code spec}. */
    static boolean supports(ConvSpec spec) {
        return !spec.transposed() && spec.kernel().d() == 3 && spec.kernel().h() == 1 && spec.kernel().w() == 1
                && spec.stride().allEqual(1) && spec.dilation().d() == 1 && spec.padBefore().h() == 0
                && spec.padBefore().w() == 0 && spec.padAfter().h() == 0 && spec.padAfter().w() == 0;
    }

    CpuWinogradTemporal(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        super(spec, weight, bias, threads);
        if (!supports(spec)) {
            throw new IllegalArgumentException("temporal Winograd needs a (3, 1, 1) kernel at stride 1, got " + spec);
        }
        this.groups = spec.groups();
        this.mG = spec.outChannels() / groups;
        this.cG = spec.inChannels() / groups;
        this.problemA = ImplicitGemm.packedSize(mG, cG);
        float[] w = weight.data();
        for (int m = 2; m <= 4; m += 2) {
            double[][] gm = m == 2 ? WinogradTransforms.G2 : WinogradTransforms.G4;
            int xis = m + 2;
            float[] p = new float[xis * groups * problemA];
            for (int xi = 0; xi < xis; xi++) {
                double[] row = gm[xi];
                ImplicitGemm.pack(p, xi * groups * problemA, groups, mG, cG, (g, mm, c) -> {
                    int base = ((g * mG + mm) * cG + c) * 3;
                    // true convolution: the taps reversed
                    double w0 = w[base + (spec.flip() ? 2 : 0)];
                    double w1 = w[base + 1];
                    double w2 = w[base + (spec.flip() ? 0 : 2)];
                    return (float) (row[0] * w0 + row[1] * w1 + row[2] * w2);
                });
            }
            packed[m / 2 - 1] = p;
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
        int m = out.d() >= 4 ? 4 : 2;
        int xis = m + 2;
        float[] a = packed[m / 2 - 1];
        int hw = in.h() * in.w();
        int hwr = (hw + L - 1) / L * L;
        int td = (out.d() + m - 1) / m;
        int mn = td * hwr;
        float[] x = input.data();
        float[] yd = y.data();
        // a slice of the batch at a time, so that its transformed input stays in the last-level cache
        int slice = (int) Math.max(1, Math.min(batch, CpuWinograd.vBudget / ((long) xis * cin * mn)));
        for (int n0 = 0; n0 < batch; n0 += slice) {
            int first = n0;
            int nb = Math.min(slice, batch - n0);
            // V: [xi][n][c][(tile, hw)]; the tail keeps the last GEMM tile inside
            int xiStride = nb * cin * mn;
            float[] v = scratch.get(xis * xiStride + NR);
            threads.parallelFor(nb * cin * td, task -> transformInput(x, first * cin, task, in, m, td, hwr, v,
                    xiStride));
            // row c of problem (xi, n, g) is V's channel c: one row per input channel
            int nbs = nb;
            CpuWinograd.Offsets rows = (xi, n, g) -> {
                int[] offs = new int[cG];
                for (int c = 0; c < cG; c++) {
                    offs[c] = xi * xiStride + (n * cin + g * cG + c) * mn;
                }
                return offs;
            };
            CpuWinograd.fused(threads, a, problemA, mG, groups, nb, xis, v, rows, mn,
                    (acc, accXi, row, ldc, p0, p1, n, o) -> outputChunk(acc, accXi, row, ldc, p0, p1,
                            (first + n) * spec.outChannels() + o, m, hw, hwr, out, yd, res, relu));
        }
        return y;
    }

    /**
     * {@code V = B^T d} for tile {@code t} of input channel {@code nc} ({@code task = nc * td + t}): its m+2 input
     * planes (padding mode applied, zeros past {@code H*W}) gathered, then combined {@code L} positions at a time.
     */
    private void transformInput(float[] x, int ncBase, int task, Dims3 in, int m, int td, int hwr, float[] v,
                                int xiStride) {
        int nc = task / td;
        int t = task % td;
        int xis = m + 2;
        int hw = in.h() * in.w();
        float[] planes = PLANES.get(xis * hwr);
        PaddingMode mode = spec.paddingMode();
        int lpd = in.d() + spec.padBefore().d() + spec.padAfter().d();
        for (int k = 0; k < xis; k++) {
            int pd = m * t + k;
            int id = pd >= lpd ? -1 : mode.map(pd - spec.padBefore().d(), in.d());
            if (id < 0) {
                java.util.Arrays.fill(planes, k * hwr, (k + 1) * hwr, 0f);
            } else {
                System.arraycopy(x, ((ncBase + nc) * in.d() + id) * hw, planes, k * hwr, hw);
                java.util.Arrays.fill(planes, k * hwr + hw, (k + 1) * hwr, 0f);
            }
        }
        int o = nc * td * hwr + t * hwr;
        for (int p = 0; p < hwr; p += L) {
            if (m == 2) {
                WinogradTransforms.bt2(planes, p, hwr, v, o + p, xiStride);
            } else {
                WinogradTransforms.bt4(planes, p, hwr, v, o + p, xiStride);
            }
        }
    }

    /**
     * {@code Y = A^T M + bias} for positions {@code [p0, p1)} (flattened (tile, hw)) of output channel {@code no},
     * whose products are at {@code acc[xi * accXi + row + (p - p0)]}; each of the m output planes of a tile that
     * exists is written with the residual and ReLU.
     */
    private void outputChunk(float[] acc, int accXi, int row, int ldc, int p0, int p1, int no, int m, int hw, int hwr,
                             Dims3 out, float[] y, float[] res, boolean relu) {
        float b = bias == null ? 0f : bias[no % spec.outChannels()];
        float[] q = OUT.get(m * ldc);
        boolean reluNow = relu && res == null;
        for (int f = 0; f < p1 - p0; f += L) {
            if (m == 2) {
                WinogradTransforms.at2Out(acc, row + f, accXi, q, f, ldc, b, reluNow);
            } else {
                WinogradTransforms.at4Out(acc, row + f, accXi, q, f, ldc, b, reluNow);
            }
        }
        int plane = no * out.d() * hw;
        for (int p = p0; p < p1; ) {
            // one tile's run of positions
            int t = p / hwr;
            int h0 = p - t * hwr;
            int h1 = Math.min(p1 - t * hwr, hwr);
            int len = Math.min(h1, hw) - h0;
            for (int i = 0; i < m && m * t + i < out.d() && len > 0; i++) {
                int yo = plane + (m * t + i) * hw + h0;
                if (res == null) {
                    System.arraycopy(q, i * ldc + (p - p0), y, yo, len);
                } else {
                    Epilogues.apply(q, i * ldc + (p - p0), y, yo, len, 0f, res, relu);
                }
            }
            p = t * hwr + h1;
        }
    }
}
