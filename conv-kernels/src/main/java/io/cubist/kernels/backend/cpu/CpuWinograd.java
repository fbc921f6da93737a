package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.MR;
import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(m x m, 3x3) over height and width, m = 2 or 4 (Lavin and Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2016), direct over depth: convolutions with {@code (kd, 3, 3)} kernels at stride 1 and dilation 1
 * in height and width (any temporal kernel, temporal dilation, padding and padding mode). Each m x m output tile costs
 * {@code (m+2)^2} multiplies per (input channel, temporal tap) instead of {@code 9 m^2}: 16 instead of 36 for F(2x2),
 * 36 instead of 144 for F(4x4):
 * <pre>
 *   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A     (d: an (m+2)^2 input tile, g: a 3x3 kernel slice)
 * </pre>
 * The element-wise products summed over channels and temporal taps are {@code (m+2)^2} independent GEMMs
 * {@code M_xi[o][(od, tile)] = sum_(c, a) U_xi[o][(c, a)] * V_xi[(c, od + a*dilation)][tile]}, run by
 * {@link ImplicitGemm} on the transformed input a chunk of positions at a time; the output transform reads the chunk's
 * products from a per-thread buffer and applies bias, residual and ReLU.
 *
 * <p>F(4x4) where the call has enough tiles ({@link #tileSize}; relative error of a layer about 1e-6 to 1e-5 in
 * float32, 4x fewer multiplies than direct), F(2x2) otherwise or with {@code -Dcubist.cpu.winograd=f2}. The
 * transformed weights take {@code (m+2)^2 / 9} times the weights' memory (4x for F(4x4)), packed on first use of
 * each tile size.
 */
final class CpuWinograd extends CpuPreparedConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Each worker thread's phase split of one padded input plane, and its tiles' gathered planes. */
    private static final Scratch SPLIT = new Scratch();
    /** Each worker thread's padded input row. */
    private static final Scratch ROW = new Scratch();
    /** Each worker thread's output planes of one chunk of positions. */
    private static final Scratch QUAD = new Scratch();
    /** Each worker thread's products of one chunk of positions. */
    private static final Scratch PRODUCTS = new Scratch();
    /**
     * Floats of transformed input per batch slice: 32 MB, within the last-level cache here (at batch 4 the whole
     * transformed input of a (2+1)D temporal layer was 87 MB). Not final: tests lower it to run several slices.
     */
    static long vBudget = 1L << 23;
    /** Fewest F(4x4) tiles per call for F(4x4) to be used. */
    private static final int F4_MIN_TILES = 256;
    /**
     * Floats of one task's products: the size of a core's L2 as the engine finds it ({@link CpuInfo}; from 512 KB to
     * 4 MB). Measured with a 2 MB L2 (2 threads, alternating runs): 512 KB chunks ran 64 channels at 56x56 1.3x and 256
     * channels at 14x14 1.4x slower (the weights are read again for every chunk); 4 and 8 MB were no faster.
     */
    private static final long CHUNK_FLOATS = chunkFloats(CpuInfo.HOST);

    static long chunkFloats(CpuInfo cpu) {
        return Math.max(1L << 17, Math.min(1L << 20, cpu.l2Bytes() / 4));
    }

    private final int groups;
    private final int mG;
    private final int cG;
    private final int kd;
    private final int kDim;
    private final int problemA;
    private final boolean f4;
    /** The weights, kept (a copy) until both tile sizes are packed. */
    private float[] weights;
    /** Per tile size m (index m / 2 - 1): {@code [xi][group]} packed A blocks of {@code U_xi}, packed on first use. */
    private final float[][] packed = new float[2][];
    private final Scratch inputScratch = new Scratch();

    /** Whether this engine computes {@code spec}. */
    static boolean supports(ConvSpec spec) {
        return !spec.transposed() && spec.kernel().h() == 3 && spec.kernel().w() == 3 && spec.stride().allEqual(1)
                && spec.dilation().h() == 1 && spec.dilation().w() == 1;
    }

    CpuWinograd(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        this(spec, weight, bias, threads, true);
    }

    /** {@code f4}: whether F(4x4) may run ({@code -Dcubist.cpu.winograd=f2} says no). */
    CpuWinograd(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads, boolean f4) {
        super(spec, weight, bias, threads);
        this.f4 = f4;
        if (!supports(spec)) {
            throw new IllegalArgumentException("Winograd F(m x m,3x3) needs a (k, 3, 3) kernel at stride 1, got "
                    + spec);
        }
        this.groups = spec.groups();
        this.mG = spec.outChannels() / groups;
        this.cG = spec.inChannels() / groups;
        this.kd = spec.kernel().d();
        this.kDim = cG * kd;
        this.problemA = ImplicitGemm.packedSize(mG, kDim);
        this.weights = weight.data().clone();
    }

    /**
     * The tile size for {@code batch} outputs of {@code out}: F(4x4) where it has at least {@value #F4_MIN_TILES} tiles
     * to reuse its (2.25x larger) transformed weights over, F(2x2) otherwise. Measured (same JVM, alternating, 2
     * threads): F(4x4) 1.3-1.5x faster on 64 channels at 56x56 and 128 at 28x28, even on 256 at 14x14, 1.7x slower on
     * 512 at 7x7 where streaming the weights dominates.
     */
    private int tileSize(int batch, Dims3 out) {
        long tiles4 = (long) batch * out.d() * ((out.h() + 3) / 4) * ((out.w() + 3) / 4);
        return f4 && out.h() >= 4 && out.w() >= 4 && tiles4 >= F4_MIN_TILES ? 4 : 2;
    }

    /** The packed transformed weights for tile size {@code m}, made on first use. */
    private synchronized float[] packed(int m) {
        float[] p = packed[m / 2 - 1];
        if (p == null) {
            int xis = (m + 2) * (m + 2);
            float[] u = transformWeights(weights, m);
            p = new float[xis * groups * problemA];
            for (int xi = 0; xi < xis; xi++) {
                int x = xi;
                ImplicitGemm.pack(p, xi * groups * problemA, groups, mG, kDim,
                        (g, mm, k) -> u[(((g * mG + mm) * cG + k / kd) * kd + k % kd) * xis + x]);
            }
            packed[m / 2 - 1] = p;
            if (packed[0] != null && packed[1] != null) {
                weights = null;
            }
        }
        return p;
    }

    /** {@code U = G g G^T} for every (out, in, temporal tap) 3x3 slice; {@code [O][C/g][kd][(m+2)^2]}. */
    private float[] transformWeights(float[] w, int m) {
        double[][] gm = m == 2 ? WinogradTransforms.G2 : WinogradTransforms.G4;
        int a = m + 2;
        int xis = a * a;
        int slices = spec.outChannels() * cG * kd;
        float[] u = new float[slices * xis];
        double[] g = new double[9];
        double[] t = new double[a * 3];
        for (int s = 0; s < slices; s++) {
            int tap = s % kd;
            for (int i = 0; i < 9; i++) {
                // true convolution: the 3x3 slice reversed, and the temporal taps reversed too
                int src = spec.flip() ? ((s - tap + (kd - 1 - tap)) * 9 + 8 - i) : s * 9 + i;
                g[i] = w[src];
            }
            // t = G g (a x 3), then U = t G^T (a x a)
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < 3; j++) {
                    t[i * 3 + j] = gm[i][0] * g[j] + gm[i][1] * g[3 + j] + gm[i][2] * g[6 + j];
                }
            }
            for (int i = 0; i < a; i++) {
                for (int l = 0; l < a; l++) {
                    u[s * xis + i * a + l] = (float) (t[i * 3] * gm[l][0] + t[i * 3 + 1] * gm[l][1]
                            + t[i * 3 + 2] * gm[l][2]);
                }
            }
        }
        return u;
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
        int m = tileSize(batch, out);
        int xis = (m + 2) * (m + 2);
        float[] a = packed(m);
        int th = (out.h() + m - 1) / m;
        int tw = (out.w() + m - 1) / m;
        int t2 = th * tw;
        int dp = in.d() + spec.padBefore().d() + spec.padAfter().d();
        int mn = out.d() * t2;
        int vPlane = dp * t2;
        Maps maps = Maps.of(spec, in, m, th, tw);
        Tiling tiling = new Tiling(m, th, tw, out);
        int dl = spec.dilation().d();
        // a slice of the batch at a time, so that its transformed input stays in the last-level cache
        int slice = (int) Math.max(1, Math.min(batch, vBudget / ((long) xis * cin * vPlane)));
        for (int n0 = 0; n0 < batch; n0 += slice) {
            int first = n0;
            int nb = Math.min(slice, batch - n0);
            // V: [xi][n][c][padded depth][tile], the transformed input; the tail keeps the last GEMM tile inside
            float[] v = inputScratch.get(xis * nb * cin * vPlane + NR);
            threads.parallelFor(nb * cin * dp, task -> transformInput(input.data(), first * cin, task, in, dp, maps, v,
                    nb * cin * vPlane));
            // the GEMMs M_xi[o][(od, tile)] = sum_(c, a) U_xi[o][(c, a)] * V_xi[(c, od + a*dilation)][tile]: row
            // (c, a) of problem (xi, n, g) is V's plane (c, od + a*dilation)
            int nbs = nb;
            Offsets rows = (xi, n, g) -> {
                int[] offs = new int[kDim];
                for (int c = 0; c < cG; c++) {
                    for (int t = 0; t < kd; t++) {
                        offs[c * kd + t] = ((xi * nbs + n) * cin + g * cG + c) * vPlane + t * dl * t2;
                    }
                }
                return offs;
            };
            fused(threads, a, problemA, mG, groups, nb, xis, v, rows, mn, (acc, xiStride, row, ldc, p0, p1, n, o) ->
                    outputChunk(acc, xiStride, row, ldc, p0, p1, (first + n) * spec.outChannels() + o, tiling,
                            y.data(), res, relu));
        }
        return y;
    }

    /** Writes output channel {@code o} of batch item {@code n}, positions {@code [p0, p1)}, from a chunk's products. */
    interface ChunkOutput {
        void write(float[] acc, int xiStride, int row, int ldc, int p0, int p1, int n, int o);
    }

    /** The reduction rows of problem (xi, n, g): row {@code k} of B at {@code v[offs[k] + position]}. */
    interface Offsets {
        int[] of(int xi, int n, int g);
    }

    /**
     * Runs Winograd's {@code xis} GEMMs, one per (xi, n, g) with {@code mn} positions each (A at
     * {@code (xi * groups + g) * problemA} in {@code a}, B's rows where {@code rowsOf} says in {@code v}), and hands
     * their products to {@code out} a chunk at a time. Each task: one (n, g), a chunk of positions, a range of row
     * blocks; all products of the chunk go to a per-thread buffer that stays in L2, and the output transform reads them
     * from there (the products are never written out whole).
     */
    static void fused(CpuThreads threads, float[] a, int problemA, int mG, int groups, int batch, int xis, float[] v,
                      Offsets rowsOf, int mn, ChunkOutput out) {
        OutputRuns runs = new OutputRuns.Builder(1).add(0, 0, mn).build();
        List<ImplicitGemm.Problem> problems = new ArrayList<>(xis * batch * groups);
        for (int xi = 0; xi < xis; xi++) {
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < groups; g++) {
                    ImplicitGemm.Problem p = new ImplicitGemm.Problem((xi * groups + g) * problemA, rowsOf.of(xi, n, g),
                            null, 0, runs);
                    ImplicitGemm.checkReads(p, v.length);
                    problems.add(p);
                }
            }
        }
        int mBlocks = (mG + MR - 1) / MR;
        int tiles = (mn + NR - 1) / NR;
        // choose the chunk (tiles per task) and the split of the row blocks: each task reads its rows' weights of
        // every xi once and its chunk's V rows once, so the weights are read once per chunk and V once per split;
        // keep the products of a task within CHUNK_FLOATS, give every thread several tasks, then read least
        long kLen = problems.get(0).offs().length;
        long aFloats = (long) xis * mBlocks * MR * kLen;
        long vFloats = (long) xis * kLen * mn;
        int chunk = 1;
        int split = 1;
        long bestCost = Long.MAX_VALUE;
        boolean bestParallel = false;
        int maxSplit = mG > ImplicitGemm.THIN_ROWS ? mBlocks : 1;
        for (int sp = 1; sp <= maxSplit; sp = sp < 4 ? sp + 1 : sp * 2) {
            int rows = ImplicitGemm.rowsRun(mG, 0, (mBlocks + sp - 1) / sp);
            int ch = (int) Math.max(1, Math.min(tiles, CHUNK_FLOATS / ((long) xis * rows * NR)));
            boolean parallel = (long) batch * groups * ((tiles + ch - 1) / ch) * sp >= 4L * threads.threads();
            while (!parallel && ch > 1) {
                ch = (ch + 1) / 2;
                parallel = (long) batch * groups * ((tiles + ch - 1) / ch) * sp >= 4L * threads.threads();
            }
            long cost = (long) ((tiles + ch - 1) / ch) * aFloats + sp * vFloats;
            if ((parallel && !bestParallel) || (parallel == bestParallel && cost < bestCost)) {
                bestCost = cost;
                bestParallel = parallel;
                chunk = ch;
                split = sp;
            }
        }
        int chunkTiles = chunk;
        int chunks = (tiles + chunkTiles - 1) / chunkTiles;
        int splits = split;
        int blocksPer = (mBlocks + splits - 1) / splits;
        threads.parallelFor(batch * groups * chunks * splits, task -> {
            int s0 = task % splits;
            int rest = task / splits;
            int ch = rest % chunks;
            int ng = rest / chunks;
            int mb0 = s0 * blocksPer;
            int mb1 = Math.min(mBlocks, mb0 + blocksPer);
            if (mb0 >= mb1) {
                return;
            }
            int t0 = ch * chunkTiles;
            int t1 = Math.min(tiles, t0 + chunkTiles);
            int ldc = (t1 - t0) * NR;
            int rowsTask = ImplicitGemm.rowsRun(mG, mb0, mb1);
            int xiStride = rowsTask * ldc;
            float[] acc = PRODUCTS.get(xis * xiStride);
            int n = ng / groups;
            int g = ng % groups;
            for (int xi = 0; xi < xis; xi++) {
                ImplicitGemm.compute(a, mG, v, problems.get((xi * batch + n) * groups + g), mb0, mb1, t0, t1, acc,
                        xi * xiStride, ldc, ImplicitGemm.Pack.of(threads.pack()));
            }
            int p0 = t0 * NR;
            int p1 = Math.min(mn, t1 * NR);
            int m1 = Math.min(mG, mb0 * MR + rowsTask);
            for (int mm = mb0 * MR; mm < m1; mm++) {
                out.write(acc, xiStride, (mm - mb0 * MR) * ldc, ldc, p0, p1, n, g * mG + mm);
            }
        });
    }

    /**
     * {@code V = B^T d B} for every input tile of input plane {@code task = (n*C + c)*dp + padded depth}. The padded
     * plane is first split into m column phases; then the elements of every tile are gathered into {@code (m+2)^2}
     * planes {@code D_ij[tile]} (tile = ty * tw + tx, one contiguous copy per tile row), so that the transform runs
     * over {@code L} consecutive tiles at a time whatever the plane's width (most tile rows are shorter than a vector).
     */
    private void transformInput(float[] x, int ncBase, int task, Dims3 in, int dp, Maps maps, float[] v,
                                int xiStride) {
        int m = maps.m;
        int a = m + 2;
        int xis = a * a;
        int th = maps.th;
        int tw = maps.tw;
        int t2 = th * tw;
        int nc = task / dp;
        int pdI = task % dp;
        int id = spec.paddingMode().map(pdI - spec.padBefore().d(), in.d());
        int vBase = (nc * dp + pdI) * t2;
        if (id < 0) {
            // a zero plane: its transform is zero (written, since the buffer is reused)
            for (int xi = 0; xi < xis; xi++) {
                java.util.Arrays.fill(v, xi * xiStride + vBase, xi * xiStride + vBase + t2, 0f);
            }
            return;
        }
        int base = ((ncBase + nc) * in.d() + id) * in.h() * in.w();
        // rows 0 .. m*th+1 of the padded plane; split[(m*r + ph) * width + q] = column m*q + ph of row r
        int rowsP = maps.row.length;
        int width = tw + 1;
        int t2r = (t2 + L - 1) / L * L;
        float[] work = SPLIT.get(m * rowsP * width + xis * t2r);
        int dOff = m * rowsP * width;
        float[] prow = ROW.get(m * width);
        int pw = spec.padBefore().w();
        // the padded row's columns [lo, hi) are input columns lo - pw ..: one copy; the padding around them mapped
        int lo = Math.min(pw, m * width);
        int hi = Math.min(pw + in.w(), m * width);
        for (int r = 0; r < rowsP; r++) {
            int iy = maps.row[r];
            int e = m * r * width;
            if (iy < 0) {
                java.util.Arrays.fill(work, e, e + m * width, 0f);
                continue;
            }
            int src = base + iy * in.w();
            for (int px = 0; px < lo; px++) {
                int ix = maps.col[px];
                prow[px] = ix < 0 ? 0f : x[src + ix];
            }
            System.arraycopy(x, src + lo - pw, prow, lo, hi - lo);
            for (int px = hi; px < m * width; px++) {
                int ix = maps.col[px];
                prow[px] = ix < 0 ? 0f : x[src + ix];
            }
            for (int ph = 0; ph < m; ph++) {
                int dst = e + ph * width;
                for (int q = 0; q < width; q++) {
                    work[dst + q] = prow[m * q + ph];
                }
            }
        }
        // D_ij[ty * tw + tx] = padded[m*ty + i][m*tx + j] = split row m*ty + i, phase j % m, column tx + j / m
        for (int ty = 0; ty < th; ty++) {
            for (int i = 0; i < a; i++) {
                int row = m * (m * ty + i) * width;
                for (int j = 0; j < a; j++) {
                    System.arraycopy(work, row + (j % m) * width + j / m, work, dOff + (a * i + j) * t2r + ty * tw, tw);
                }
            }
        }
        int f = 0;
        if (m == 2) {
            for (; f + L <= t2; f += L) {
                WinogradTransforms.input2(work, dOff + f, t2r, v, xiStride, vBase + f);
            }
            for (; f < t2; f++) {
                WinogradTransforms.input2Tile(work, dOff + f, t2r, v, xiStride, vBase + f);
            }
        } else {
            for (; f + L <= t2; f += L) {
                WinogradTransforms.input4(work, dOff + f, t2r, v, xiStride, vBase + f);
            }
            for (; f < t2; f++) {
                WinogradTransforms.input4Tile(work, dOff + f, t2r, v, xiStride, vBase + f);
            }
        }
    }

    /**
     * {@code Y = A^T M A} for the positions {@code [p0, p1)} (flattened (od, ty, tx)) of output plane
     * {@code no = n*O + o}, whose products are at {@code acc[xi * xiStride + row + (p - p0)]}; plus bias: {@code L}
     * positions at a time into {@code m^2} planes {@code Q_ij} (one per position (i, j) of the output tile), then
     * interleaved into the output rows with the residual and ReLU.
     */
    private void outputChunk(float[] acc, int xiStride, int row, int ldc, int p0, int p1, int no, Tiling tl,
                             float[] y, float[] res, boolean relu) {
        int m = tl.m;
        float b = bias == null ? 0f : bias[no % spec.outChannels()];
        int count = p1 - p0;
        float[] q = QUAD.get(m * m * ldc);
        boolean reluNow = relu && res == null;
        int f = 0;
        if (m == 2) {
            for (; f + L <= count; f += L) {
                WinogradTransforms.output2(acc, xiStride, row + f, b, reluNow, q, f, ldc);
            }
            for (; f < count; f++) {
                WinogradTransforms.output2Tile(acc, xiStride, row + f, b, reluNow, q, f, ldc);
            }
        } else {
            for (; f + L <= count; f += L) {
                WinogradTransforms.output4(acc, xiStride, row + f, b, reluNow, q, f, ldc);
            }
            for (; f < count; f++) {
                WinogradTransforms.output4Tile(acc, xiStride, row + f, b, reluNow, q, f, ldc);
            }
        }
        Dims3 out = tl.out;
        int[] gather = new int[L];
        for (int k = 0; k < L; k++) {
            gather[k] = (k % m) * ldc + k / m;
        }
        FloatVector zero = FloatVector.zero(S);
        int t2 = tl.th * tl.tw;
        int outHW = out.h() * out.w();
        int plane = no * out.d() * outHW;
        for (int p = p0; p < p1; ) {
            // one run of tiles along a tile row
            int od = p / t2;
            int rem = p - od * t2;
            int ty = rem / tl.tw;
            int tx0 = rem - ty * tl.tw;
            int len = Math.min(p1 - p, tl.tw - tx0);
            // the run covers output columns m*tx0 .. m*tx0 + width - 1 of m rows; output column m*t + j of the run
            // is Q_ij[t]: L of them at a time by one gather (indices gather[k] = (k % m) * ldc + k / m)
            int width = Math.min(len * m, out.w() - m * tx0);
            for (int i = 0; i < m && m * ty + i < out.h(); i++) {
                int o = plane + od * outHW + (m * ty + i) * out.w() + m * tx0;
                int qr = (m * i) * ldc + (p - p0);
                int e = 0;
                if (res == null) {
                    for (; e + L <= width; e += L) {
                        FloatVector.fromArray(S, q, qr + e / m, gather, 0).intoArray(y, o + e);
                    }
                } else {
                    for (; e + L <= width; e += L) {
                        FloatVector val = FloatVector.fromArray(S, q, qr + e / m, gather, 0)
                                .add(FloatVector.fromArray(S, res, o + e));
                        (relu ? val.max(zero) : val).intoArray(y, o + e);
                    }
                }
                // the rest (most of a row narrower than a vector): tile by tile, column by column (e is a multiple
                // of m here)
                for (int t = e / m; m * t < width; t++) {
                    int cols = Math.min(m, width - m * t);
                    for (int j = 0; j < cols; j++) {
                        int at = o + m * t + j;
                        float val = q[qr + j * ldc + t];
                        if (res != null) {
                            val += res[at];
                            val = relu ? Math.max(val, 0f) : val;
                        }
                        y[at] = val;
                    }
                }
            }
            p += len;
        }
    }

    /** How an output is cut into m x m tiles: {@code th x tw} per depth plane. */
    private record Tiling(int m, int th, int tw, Dims3 out) {
    }

    /**
     * Where the padded input's rows and columns come from, computed once per call: {@code row[r]} (r up to
     * {@code m*th+1}) and {@code col[px]} (px up to {@code m*(tw+1)-1}) are the input row and column the padding mode
     * maps them to, or -1 for a zero.
     */
    private record Maps(int m, int th, int tw, int[] row, int[] col) {
        static Maps of(ConvSpec spec, Dims3 in, int m, int th, int tw) {
            PaddingMode mode = spec.paddingMode();
            int lph = in.h() + spec.padBefore().h() + spec.padAfter().h();
            int lpw = in.w() + spec.padBefore().w() + spec.padAfter().w();
            int[] row = new int[m * th + 2];
            for (int r = 0; r < row.length; r++) {
                row[r] = r >= lph ? -1 : mode.map(r - spec.padBefore().h(), in.h());
            }
            int[] col = new int[m * (tw + 1)];
            for (int px = 0; px < col.length; px++) {
                col[px] = px >= lpw ? -1 : mode.map(px - spec.padBefore().w(), in.w());
            }
            return new Maps(m, th, tw, row, col);
        }
    }
}
