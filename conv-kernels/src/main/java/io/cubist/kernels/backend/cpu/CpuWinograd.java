package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.MR;
import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(2x2, 3x3) over height and width (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016), direct over depth: convolutions with {@code (kd, 3, 3)} kernels at stride 1 and dilation 1 in
 * height and width (any temporal kernel, temporal dilation, padding and padding mode). Each 2x2 output tile costs 16
 * multiplies per (input channel, temporal tap) instead of 36:
 * <pre>
 *   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A     (d: a 4x4 input tile, g: a 3x3 kernel slice)
 * </pre>
 * The element-wise products summed over channels and temporal taps are 16 independent GEMMs
 * {@code M_xi[o][(od, tile)] = sum_(c, a) U_xi[o][(c, a)] * V_xi[(c, od + a*dilation)][tile]}, run by
 * {@link ImplicitGemm} on the transformed input; the output transform then applies bias, residual and ReLU.
 */
final class CpuWinograd extends CpuPreparedConv {
    private static final int XI = 16;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Each worker thread's even/odd split of one padded input plane, and its tiles' 16 gathered planes. */
    private static final Scratch SPLIT = new Scratch();
    /** Each worker thread's four output planes of one chunk of positions. */
    private static final Scratch QUAD = new Scratch();
    /** Each worker thread's 16 products of one chunk of positions. */
    private static final Scratch PRODUCTS = new Scratch();
    /** Floats of one task's products: 512 KB, inside L2 beside the panels the GEMM reads. */
    private static final long CHUNK_FLOATS = 1L << 17;
    /** Row i of {@code B^T d} is {@code d[T_ROW_A[i]] + T_SIGN[i] * d[T_ROW_B[i]]}. */
    private static final int[] T_ROW_A = {0, 1, 2, 1};
    private static final int[] T_ROW_B = {2, 2, 1, 3};
    private static final float[] T_SIGN = {-1f, 1f, -1f, -1f};

    private final int groups;
    private final int mG;
    private final int cG;
    private final int kd;
    private final int kDim;
    /** {@code [xi][group]} packed A blocks of {@code U_xi = G g G^T}, {@code mG x (cG*kd)} each. */
    private final float[] packed;
    private final int problemA;
    private final Scratch inputScratch = new Scratch();

    /** Whether this engine computes {@code spec}. */
    static boolean supports(ConvSpec spec) {
        return !spec.transposed() && spec.kernel().h() == 3 && spec.kernel().w() == 3 && spec.stride().allEqual(1)
                && spec.dilation().h() == 1 && spec.dilation().w() == 1;
    }

    CpuWinograd(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        super(spec, weight, bias, threads);
        if (!supports(spec)) {
            throw new IllegalArgumentException("Winograd F(2x2,3x3) needs a (k, 3, 3) kernel at stride 1, got " + spec);
        }
        this.groups = spec.groups();
        this.mG = spec.outChannels() / groups;
        this.cG = spec.inChannels() / groups;
        this.kd = spec.kernel().d();
        this.kDim = cG * kd;
        this.problemA = ImplicitGemm.packedSize(mG, kDim);
        float[] u = transformWeights(weight.data());
        packed = new float[XI * groups * problemA];
        for (int xi = 0; xi < XI; xi++) {
            int x = xi;
            ImplicitGemm.pack(packed, xi * groups * problemA, groups, mG, kDim,
                    (g, m, k) -> u[(((g * mG + m) * cG + k / kd) * kd + k % kd) * XI + x]);
        }
    }

    /** {@code U = G g G^T} for every (out, in, temporal tap) 3x3 slice; {@code [O][C/g][kd][16]}. */
    private float[] transformWeights(float[] w) {
        int slices = spec.outChannels() * cG * kd;
        float[] u = new float[slices * XI];
        double[] t = new double[12];
        for (int s = 0; s < slices; s++) {
            double[] g = new double[9];
            for (int i = 0; i < 9; i++) {
                // true convolution: the 3x3 slice reversed, and the temporal taps reversed too
                int a = s % kd;
                int src = spec.flip() ? ((s - a + (kd - 1 - a)) * 9 + 8 - i) : s * 9 + i;
                g[i] = w[src];
            }
            // t = G g (4x3), G = [[1,0,0],[1/2,1/2,1/2],[1/2,-1/2,1/2],[0,0,1]]
            for (int j = 0; j < 3; j++) {
                t[j] = g[j];
                t[3 + j] = 0.5 * (g[j] + g[3 + j] + g[6 + j]);
                t[6 + j] = 0.5 * (g[j] - g[3 + j] + g[6 + j]);
                t[9 + j] = g[6 + j];
            }
            // U = t G^T (4x4)
            for (int i = 0; i < 4; i++) {
                double r0 = t[3 * i];
                double r1 = t[3 * i + 1];
                double r2 = t[3 * i + 2];
                u[s * XI + 4 * i] = (float) r0;
                u[s * XI + 4 * i + 1] = (float) (0.5 * (r0 + r1 + r2));
                u[s * XI + 4 * i + 2] = (float) (0.5 * (r0 - r1 + r2));
                u[s * XI + 4 * i + 3] = (float) r2;
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
        int th = (out.h() + 1) / 2;
        int tw = (out.w() + 1) / 2;
        int t2 = th * tw;
        int dp = in.d() + spec.padBefore().d() + spec.padAfter().d();
        // V: [xi][n][c][padded depth][tile], the transformed input; the tail keeps the last GEMM tile inside
        int vPlane = dp * t2;
        int vLen = XI * batch * cin * vPlane + NR;
        float[] v = inputScratch.get(vLen);
        Maps maps = Maps.of(spec, in, th, tw);
        threads.parallelFor(batch * cin * dp, task -> transformInput(input.data(), task, in, dp, maps, v,
                batch * cin * vPlane));
        // the 16 GEMMs M_xi[o][(od, tile)] = sum_(c, a) U_xi[o][(c, a)] * V_xi[(c, od + a*dilation)][tile], one
        // problem per (xi, n, g); positions (od, tile) flattened, mn of them
        int mn = out.d() * t2;
        OutputRuns runs = new OutputRuns.Builder(1).add(0, 0, mn).build();
        List<ImplicitGemm.Problem> problems = new ArrayList<>(XI * batch * groups);
        int dl = spec.dilation().d();
        for (int xi = 0; xi < XI; xi++) {
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < groups; g++) {
                    int[] offs = new int[kDim];
                    for (int c = 0; c < cG; c++) {
                        for (int a = 0; a < kd; a++) {
                            offs[c * kd + a] = ((xi * batch + n) * cin + g * cG + c) * vPlane + a * dl * t2;
                        }
                    }
                    ImplicitGemm.Problem p = new ImplicitGemm.Problem((xi * groups + g) * problemA, offs, null, 0, runs);
                    ImplicitGemm.checkReads(p, v.length);
                    problems.add(p);
                }
            }
        }
        // Each task: one (n, g), a chunk of positions, a range of row blocks; all 16 products of the chunk go to a
        // per-thread buffer that stays in L2, and the output transform reads them from there (the products are
        // never written out whole)
        int mBlocks = (mG + MR - 1) / MR;
        int tiles = runs.tiles;
        int rowsAll = ImplicitGemm.rowsRun(mG, 0, mBlocks);
        int chunk = (int) Math.max(1, Math.min(tiles, CHUNK_FLOATS / ((long) XI * rowsAll * NR)));
        int split = 1;
        while ((long) batch * groups * ((tiles + chunk - 1) / chunk) * split < 4L * threads.threads()) {
            if (chunk > 1) {
                chunk = (chunk + 1) / 2;
            } else if (split < mBlocks && mG > ImplicitGemm.THIN_ROWS) {
                split++;
            } else {
                break;
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
            float[] acc = PRODUCTS.get(XI * xiStride);
            int n = ng / groups;
            int g = ng % groups;
            for (int xi = 0; xi < XI; xi++) {
                ImplicitGemm.compute(packed, mG, v, problems.get((xi * batch + n) * groups + g), mb0, mb1, t0, t1,
                        acc, xi * xiStride, ldc);
            }
            int p0 = t0 * NR;
            int p1 = Math.min(mn, t1 * NR);
            int m1 = Math.min(mG, mb0 * MR + rowsTask);
            for (int m = mb0 * MR; m < m1; m++) {
                int o = g * mG + m;
                outputChunk(acc, xiStride, (m - mb0 * MR) * ldc, ldc, p0, p1, n * spec.outChannels() + o, out, th,
                        tw, y.data(), res, relu);
            }
        });
        return y;
    }

    /**
     * {@code V = B^T d B} for every 4x4 input tile of input plane {@code task = (n*C + c)*dp + padded depth}. The
     * padded plane is first split into even and odd columns; then the 16 elements of every tile are gathered into 16
     * planes {@code D_ij[tile]} (tile = ty * tw + tx, one contiguous copy per tile row), so that the transform runs
     * over {@code L} consecutive tiles at a time whatever the plane's width (most tile rows are shorter than a vector).
     */
    private void transformInput(float[] x, int task, Dims3 in, int dp, Maps maps, float[] v, int xiStride) {
        int th = maps.th;
        int tw = maps.tw;
        int t2 = th * tw;
        int nc = task / dp;
        int pdI = task % dp;
        int id = spec.paddingMode().map(pdI - spec.padBefore().d(), in.d());
        int vBase = (nc * dp + pdI) * t2;
        if (id < 0) {
            // a zero plane: its transform is zero (written, since the buffer is reused)
            for (int xi = 0; xi < XI; xi++) {
                java.util.Arrays.fill(v, xi * xiStride + vBase, xi * xiStride + vBase + t2, 0f);
            }
            return;
        }
        int base = (nc * in.d() + id) * in.h() * in.w();
        // rows 0 .. 2*th+1 of the padded plane; split[(2r + j) * width + m] = column 2m + j of row r
        int rowsP = 2 * th + 2;
        int width = tw + 1;
        int t2r = (t2 + L - 1) / L * L;
        float[] work = SPLIT.get(2 * rowsP * width + XI * t2r);
        int dOff = 2 * rowsP * width;
        for (int r = 0; r < rowsP; r++) {
            int iy = maps.row[r];
            int e = 2 * r * width;
            if (iy < 0) {
                java.util.Arrays.fill(work, e, e + 2 * width, 0f);
                continue;
            }
            int src = base + iy * in.w();
            for (int m = 0; m < width; m++) {
                int ix0 = maps.col[2 * m];
                int ix1 = maps.col[2 * m + 1];
                work[e + m] = ix0 < 0 ? 0f : x[src + ix0];
                work[e + width + m] = ix1 < 0 ? 0f : x[src + ix1];
            }
        }
        // D_ij[ty * tw + tx] = padded[2ty + i][2tx + j] = split row 2ty + i, parity j & 1, column tx + (j >> 1)
        for (int ty = 0; ty < th; ty++) {
            for (int i = 0; i < 4; i++) {
                int row = 2 * (2 * ty + i) * width;
                for (int j = 0; j < 4; j++) {
                    System.arraycopy(work, row + (j & 1) * width + (j >> 1), work, dOff + (4 * i + j) * t2r + ty * tw,
                            tw);
                }
            }
        }
        int f = 0;
        for (; f + L <= t2; f += L) {
            transformTiles(work, dOff + f, t2r, v, xiStride, vBase + f);
        }
        for (; f < t2; f++) {
            transformTile(work, dOff + f, t2r, v, xiStride, vBase + f);
        }
    }

    /** The input transform of one tile (the tail of a plane); the same arithmetic as the vector form. */
    private static void transformTile(float[] d, int at, int stride, float[] v, int xiStride, int o) {
        for (int i = 0; i < 4; i++) {
            // row i of t = B^T d: d0 - d2, d1 + d2, d2 - d1, d1 - d3
            int ra = T_ROW_A[i] * 4 * stride + at;
            int rb = T_ROW_B[i] * 4 * stride + at;
            float sg = T_SIGN[i];
            float t0 = d[ra] + sg * d[rb];
            float t1 = d[ra + stride] + sg * d[rb + stride];
            float t2 = d[ra + 2 * stride] + sg * d[rb + 2 * stride];
            float t3 = d[ra + 3 * stride] + sg * d[rb + 3 * stride];
            // row i of V = t B
            v[(4 * i) * xiStride + o] = t0 - t2;
            v[(4 * i + 1) * xiStride + o] = t1 + t2;
            v[(4 * i + 2) * xiStride + o] = t2 - t1;
            v[(4 * i + 3) * xiStride + o] = t1 - t3;
        }
    }

    /** The input transform of {@code L} consecutive tiles: {@code d_ij} at {@code d[at + (4i + j) * stride]}. */
    private static void transformTiles(float[] d, int at, int stride, float[] v, int xiStride, int o) {
        FloatVector d00 = FloatVector.fromArray(S, d, at);
        FloatVector d01 = FloatVector.fromArray(S, d, at + stride);
        FloatVector d02 = FloatVector.fromArray(S, d, at + 2 * stride);
        FloatVector d03 = FloatVector.fromArray(S, d, at + 3 * stride);
        FloatVector d10 = FloatVector.fromArray(S, d, at + 4 * stride);
        FloatVector d11 = FloatVector.fromArray(S, d, at + 5 * stride);
        FloatVector d12 = FloatVector.fromArray(S, d, at + 6 * stride);
        FloatVector d13 = FloatVector.fromArray(S, d, at + 7 * stride);
        FloatVector d20 = FloatVector.fromArray(S, d, at + 8 * stride);
        FloatVector d21 = FloatVector.fromArray(S, d, at + 9 * stride);
        FloatVector d22 = FloatVector.fromArray(S, d, at + 10 * stride);
        FloatVector d23 = FloatVector.fromArray(S, d, at + 11 * stride);
        FloatVector d30 = FloatVector.fromArray(S, d, at + 12 * stride);
        FloatVector d31 = FloatVector.fromArray(S, d, at + 13 * stride);
        FloatVector d32 = FloatVector.fromArray(S, d, at + 14 * stride);
        FloatVector d33 = FloatVector.fromArray(S, d, at + 15 * stride);
        // t = B^T d
        FloatVector t00 = d00.sub(d20);
        FloatVector t10 = d10.add(d20);
        FloatVector t20 = d20.sub(d10);
        FloatVector t30 = d10.sub(d30);
        FloatVector t01 = d01.sub(d21);
        FloatVector t11 = d11.add(d21);
        FloatVector t21 = d21.sub(d11);
        FloatVector t31 = d11.sub(d31);
        FloatVector t02 = d02.sub(d22);
        FloatVector t12 = d12.add(d22);
        FloatVector t22 = d22.sub(d12);
        FloatVector t32 = d12.sub(d32);
        FloatVector t03 = d03.sub(d23);
        FloatVector t13 = d13.add(d23);
        FloatVector t23 = d23.sub(d13);
        FloatVector t33 = d13.sub(d33);
        // V = t B, element (i, j) to plane 4i + j
        t00.sub(t02).intoArray(v, (0) * xiStride + o);
        t01.add(t02).intoArray(v, (1) * xiStride + o);
        t02.sub(t01).intoArray(v, (2) * xiStride + o);
        t01.sub(t03).intoArray(v, (3) * xiStride + o);
        t10.sub(t12).intoArray(v, (4) * xiStride + o);
        t11.add(t12).intoArray(v, (5) * xiStride + o);
        t12.sub(t11).intoArray(v, (6) * xiStride + o);
        t11.sub(t13).intoArray(v, (7) * xiStride + o);
        t20.sub(t22).intoArray(v, (8) * xiStride + o);
        t21.add(t22).intoArray(v, (9) * xiStride + o);
        t22.sub(t21).intoArray(v, (10) * xiStride + o);
        t21.sub(t23).intoArray(v, (11) * xiStride + o);
        t30.sub(t32).intoArray(v, (12) * xiStride + o);
        t31.add(t32).intoArray(v, (13) * xiStride + o);
        t32.sub(t31).intoArray(v, (14) * xiStride + o);
        t31.sub(t33).intoArray(v, (15) * xiStride + o);
    }

    /**
     * {@code Y = A^T M A} for the positions {@code [p0, p1)} (flattened (od, ty, tx)) of output plane
     * {@code no = n*O + o}, whose 16 products are at {@code acc[xi * xiStride + row + (p - p0)]}; plus bias: {@code L}
     * positions at a time into four planes {@code Q_ij} (one per position (i, j) in the 2x2 output tile), then
     * interleaved into the output rows with the residual and ReLU.
     */
    private void outputChunk(float[] acc, int xiStride, int row, int ldc, int p0, int p1, int no, Dims3 out, int th,
                             int tw, float[] y, float[] res, boolean relu) {
        float b = bias == null ? 0f : bias[no % spec.outChannels()];
        int count = p1 - p0;
        float[] q = QUAD.get(4 * ldc);
        boolean reluNow = relu && res == null;
        int f = 0;
        for (; f + L <= count; f += L) {
            tilesOut(acc, xiStride, row + f, b, reluNow, q, f, ldc);
        }
        for (; f < count; f++) {
            tileOut(acc, xiStride, row + f, b, reluNow, q, f, ldc);
        }
        int t2 = th * tw;
        int outHW = out.h() * out.w();
        int plane = no * out.d() * outHW;
        for (int p = p0; p < p1; ) {
            // one run of tiles along a tile row
            int od = p / t2;
            int rem = p - od * t2;
            int ty = rem / tw;
            int tx0 = rem - ty * tw;
            int len = Math.min(p1 - p, tw - tx0);
            // tiles whose both columns exist; the last tile of a row of odd width has only its left one
            int full = Math.min(len, out.w() / 2 - tx0);
            for (int i = 0; i < 2 && 2 * ty + i < out.h(); i++) {
                int yr = plane + od * outHW + (2 * ty + i) * out.w() + 2 * tx0;
                int qa = (2 * i) * ldc + (p - p0);
                int qb = qa + ldc;
                if (res == null) {
                    for (int t = 0; t < full; t++) {
                        y[yr + 2 * t] = q[qa + t];
                        y[yr + 2 * t + 1] = q[qb + t];
                    }
                    if (full < len) {
                        y[yr + 2 * full] = q[qa + full];
                    }
                } else {
                    for (int t = 0; t < full; t++) {
                        float v0 = q[qa + t] + res[yr + 2 * t];
                        float v1 = q[qb + t] + res[yr + 2 * t + 1];
                        y[yr + 2 * t] = relu ? Math.max(v0, 0f) : v0;
                        y[yr + 2 * t + 1] = relu ? Math.max(v1, 0f) : v1;
                    }
                    if (full < len) {
                        float v0 = q[qa + full] + res[yr + 2 * full];
                        y[yr + 2 * full] = relu ? Math.max(v0, 0f) : v0;
                    }
                }
            }
            p += len;
        }
    }

    /** {@link #tilesOut} for one tile. */
    private static void tileOut(float[] mbuf, int xiStride, int at, float b, boolean relu, float[] q, int f,
                                int t2r) {
        // rows of A^T M: c = m0 + m1 + m2, e = m1 - m2 - m3 (per column j), then the same across columns
        float c0 = mbuf[at] + mbuf[4 * xiStride + at] + mbuf[8 * xiStride + at];
        float c1 = mbuf[xiStride + at] + mbuf[5 * xiStride + at] + mbuf[9 * xiStride + at];
        float c2 = mbuf[2 * xiStride + at] + mbuf[6 * xiStride + at] + mbuf[10 * xiStride + at];
        float c3 = mbuf[3 * xiStride + at] + mbuf[7 * xiStride + at] + mbuf[11 * xiStride + at];
        float e0 = mbuf[4 * xiStride + at] - mbuf[8 * xiStride + at] - mbuf[12 * xiStride + at];
        float e1 = mbuf[5 * xiStride + at] - mbuf[9 * xiStride + at] - mbuf[13 * xiStride + at];
        float e2 = mbuf[6 * xiStride + at] - mbuf[10 * xiStride + at] - mbuf[14 * xiStride + at];
        float e3 = mbuf[7 * xiStride + at] - mbuf[11 * xiStride + at] - mbuf[15 * xiStride + at];
        float y00 = c0 + c1 + c2 + b;
        float y01 = c1 - c2 - c3 + b;
        float y10 = e0 + e1 + e2 + b;
        float y11 = e1 - e2 - e3 + b;
        q[f] = relu ? Math.max(y00, 0f) : y00;
        q[t2r + f] = relu ? Math.max(y01, 0f) : y01;
        q[2 * t2r + f] = relu ? Math.max(y10, 0f) : y10;
        q[3 * t2r + f] = relu ? Math.max(y11, 0f) : y11;
    }

    /** The output transform of {@code L} tiles: output (i, j) of tile {@code f + t} to {@code q[(2i + j) * t2r + f + t]}. */
    private static void tilesOut(float[] mbuf, int xiStride, int src, float b, boolean relu, float[] q, int f,
                                 int t2r) {
        FloatVector m0 = FloatVector.fromArray(S, mbuf, 0 * xiStride + src);
        FloatVector m1 = FloatVector.fromArray(S, mbuf, 1 * xiStride + src);
        FloatVector m2 = FloatVector.fromArray(S, mbuf, 2 * xiStride + src);
        FloatVector m3 = FloatVector.fromArray(S, mbuf, 3 * xiStride + src);
        FloatVector m4 = FloatVector.fromArray(S, mbuf, 4 * xiStride + src);
        FloatVector m5 = FloatVector.fromArray(S, mbuf, 5 * xiStride + src);
        FloatVector m6 = FloatVector.fromArray(S, mbuf, 6 * xiStride + src);
        FloatVector m7 = FloatVector.fromArray(S, mbuf, 7 * xiStride + src);
        FloatVector m8 = FloatVector.fromArray(S, mbuf, 8 * xiStride + src);
        FloatVector m9 = FloatVector.fromArray(S, mbuf, 9 * xiStride + src);
        FloatVector m10 = FloatVector.fromArray(S, mbuf, 10 * xiStride + src);
        FloatVector m11 = FloatVector.fromArray(S, mbuf, 11 * xiStride + src);
        FloatVector m12 = FloatVector.fromArray(S, mbuf, 12 * xiStride + src);
        FloatVector m13 = FloatVector.fromArray(S, mbuf, 13 * xiStride + src);
        FloatVector m14 = FloatVector.fromArray(S, mbuf, 14 * xiStride + src);
        FloatVector m15 = FloatVector.fromArray(S, mbuf, 15 * xiStride + src);
        // A^T = [[1,1,1,0],[0,1,-1,-1]]: rows, then columns
        FloatVector c0 = m0.add(m4).add(m8);
        FloatVector e0 = m4.sub(m8).sub(m12);
        FloatVector c1 = m1.add(m5).add(m9);
        FloatVector e1 = m5.sub(m9).sub(m13);
        FloatVector c2 = m2.add(m6).add(m10);
        FloatVector e2 = m6.sub(m10).sub(m14);
        FloatVector c3 = m3.add(m7).add(m11);
        FloatVector e3 = m7.sub(m11).sub(m15);
        FloatVector bv = FloatVector.broadcast(S, b);
        FloatVector y00 = c0.add(c1).add(c2).add(bv);
        FloatVector y01 = c1.sub(c2).sub(c3).add(bv);
        FloatVector y10 = e0.add(e1).add(e2).add(bv);
        FloatVector y11 = e1.sub(e2).sub(e3).add(bv);
        if (relu) {
            FloatVector z = FloatVector.zero(S);
            y00.max(z).intoArray(q, f);
            y01.max(z).intoArray(q, t2r + f);
            y10.max(z).intoArray(q, 2 * t2r + f);
            y11.max(z).intoArray(q, 3 * t2r + f);
        } else {
            y00.intoArray(q, f);
            y01.intoArray(q, t2r + f);
            y10.intoArray(q, 2 * t2r + f);
            y11.intoArray(q, 3 * t2r + f);
        }
    }

    /**
     * Where the padded input's rows and columns come from, computed once per call: {@code row[r]} (r up to
     * {@code 2*th+1}) and {@code col[px]} (px up to {@code 2*tw+1}) are the input row and column the padding mode
     * maps them to, or -1 for a zero.
     */
    private record Maps(int th, int tw, int[] row, int[] col) {
        static Maps of(ConvSpec spec, Dims3 in, int th, int tw) {
            PaddingMode mode = spec.paddingMode();
            int lph = in.h() + spec.padBefore().h() + spec.padAfter().h();
            int lpw = in.w() + spec.padBefore().w() + spec.padAfter().w();
            int[] row = new int[2 * th + 2];
            for (int r = 0; r < row.length; r++) {
                row[r] = r >= lph ? -1 : mode.map(r - spec.padBefore().h(), in.h());
            }
            int[] col = new int[2 * tw + 2];
            for (int px = 0; px < col.length; px++) {
                col[px] = px >= lpw ? -1 : mode.map(px - spec.padBefore().w(), in.w());
            }
            return new Maps(th, tw, row, col);
        }
    }
}
