package io.cubist.kernels.backend.cpu;

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
    /** Each worker thread's even/odd split of one padded input plane. */
    private static final Scratch SPLIT = new Scratch();

    private final int groups;
    private final int mG;
    private final int cG;
    private final int kd;
    private final int kDim;
    /** {@code [xi][group]} packed A blocks of {@code U_xi = G g G^T}, {@code mG x (cG*kd)} each. */
    private final float[] packed;
    private final int problemA;
    private final Scratch inputScratch = new Scratch();
    private final Scratch productScratch = new Scratch();

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
        threads.parallelFor(batch * cin * dp, task -> transformInput(input.data(), task, in, dp, th, tw, v,
                batch * cin * vPlane));
        // M: [xi][n][o][od*tile], the products summed over channels and temporal taps
        int mn = out.d() * t2;
        float[] mbuf = productScratch.get(XI * batch * spec.outChannels() * mn);
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
                    int[] yRow = new int[mG];
                    for (int m = 0; m < mG; m++) {
                        yRow[m] = ((xi * batch + n) * spec.outChannels() + g * mG + m) * mn;
                    }
                    problems.add(new ImplicitGemm.Problem((xi * groups + g) * problemA, offs, yRow, 0, runs));
                }
            }
        }
        ImplicitGemm.run(threads, packed, mG, v, problems, mbuf, ImplicitGemm.Epilogue.NONE);
        int cout = spec.outChannels();
        int stride = batch * cout * mn;
        threads.parallelFor(batch * cout, no -> transformOutput(mbuf, no, stride, mn, out, th, tw, y.data(), res,
                relu));
        return y;
    }

    /**
     * {@code V = B^T d B} for every 4x4 input tile of input plane {@code task = (n*C + c)*dp + padded depth}. The
     * padded plane is first split into even and odd columns, so that the tiles {@code tx .. tx+L-1} (whose columns
     * start at {@code 2*tx}) read column {@code j} of their patches as one contiguous vector.
     */
    private void transformInput(float[] x, int task, Dims3 in, int dp, int th, int tw, float[] v, int xiStride) {
        int nc = task / dp;
        int pdI = task % dp;
        PaddingMode mode = spec.paddingMode();
        int id = mode.map(pdI - spec.padBefore().d(), in.d());
        int vBase = (nc * dp + pdI) * th * tw;
        if (id < 0) {
            // a zero plane: its transform is zero (written, since the buffer is reused)
            for (int xi = 0; xi < XI; xi++) {
                java.util.Arrays.fill(v, xi * xiStride + vBase, xi * xiStride + vBase + th * tw, 0f);
            }
            return;
        }
        int ph = spec.padBefore().h();
        int pw = spec.padBefore().w();
        int lph = in.h() + ph + spec.padAfter().h();
        int lpw = in.w() + pw + spec.padAfter().w();
        int base = (nc * in.d() + id) * in.h() * in.w();
        // rows 0 .. 2*th+1 of the padded plane; even[r][m] = column 2m, odd[r][m] = column 2m+1, m < width
        int rowsP = 2 * th + 2;
        int width = tw + 1 + L;
        float[] split = SPLIT.get(2 * rowsP * width);
        for (int r = 0; r < rowsP; r++) {
            int iy = r >= lph ? -1 : mode.map(r - ph, in.h());
            int e = 2 * r * width;
            for (int m = 0; m < width; m++) {
                for (int j = 0; j < 2; j++) {
                    int px = 2 * m + j;
                    int ix = iy < 0 || px >= lpw ? -1 : mode.map(px - pw, in.w());
                    split[e + j * width + m] = ix < 0 ? 0f : x[base + iy * in.w() + ix];
                }
            }
        }
        float[] patch = new float[16];
        for (int ty = 0; ty < th; ty++) {
            int o = vBase + ty * tw;
            int tx = 0;
            for (; tx + L <= tw; tx += L) {
                // d[i][j] for L tiles: row 2*ty + i, column 2*tx + j -> even/odd column (j & 1) at tx + (j >> 1)
                transformTiles(split, 2 * (2 * ty) * width + tx, width, v, xiStride, o + tx);
            }
            for (; tx < tw; tx++) {
                transformTile(split, 2 * (2 * ty) * width + tx, width, v, xiStride, o + tx, patch);
            }
        }
    }

    /** The input transform of one tile, for the tail of a tile row; the same arithmetic as the vector form. */
    private static void transformTile(float[] split, int r0, int width, float[] v, int xiStride, int o, float[] d) {
        for (int i = 0; i < 4; i++) {
            int e = r0 + i * 2 * width;
            d[4 * i] = split[e];
            d[4 * i + 1] = split[e + width];
            d[4 * i + 2] = split[e + 1];
            d[4 * i + 3] = split[e + width + 1];
        }
        for (int j = 0; j < 4; j++) {
            float t0 = d[j] - d[8 + j];
            float t1 = d[4 + j] + d[8 + j];
            float t2 = d[8 + j] - d[4 + j];
            float t3 = d[4 + j] - d[12 + j];
            d[j] = t0;
            d[4 + j] = t1;
            d[8 + j] = t2;
            d[12 + j] = t3;
        }
        for (int i = 0; i < 4; i++) {
            v[(4 * i) * xiStride + o] = d[4 * i] - d[4 * i + 2];
            v[(4 * i + 1) * xiStride + o] = d[4 * i + 1] + d[4 * i + 2];
            v[(4 * i + 2) * xiStride + o] = d[4 * i + 2] - d[4 * i + 1];
            v[(4 * i + 3) * xiStride + o] = d[4 * i + 1] - d[4 * i + 3];
        }
    }

    /** The input transform of {@code L} consecutive tiles; see {@link #transformInput}. */
    private static void transformTiles(float[] split, int r0, int width, float[] v, int xiStride, int o) {
        int e0 = r0 + 0 * 2 * width;
        FloatVector d00 = FloatVector.fromArray(S, split, e0);
        FloatVector d01 = FloatVector.fromArray(S, split, e0 + width);
        FloatVector d02 = FloatVector.fromArray(S, split, e0 + 1);
        FloatVector d03 = FloatVector.fromArray(S, split, e0 + width + 1);
        int e1 = r0 + 1 * 2 * width;
        FloatVector d10 = FloatVector.fromArray(S, split, e1);
        FloatVector d11 = FloatVector.fromArray(S, split, e1 + width);
        FloatVector d12 = FloatVector.fromArray(S, split, e1 + 1);
        FloatVector d13 = FloatVector.fromArray(S, split, e1 + width + 1);
        int e2 = r0 + 2 * 2 * width;
        FloatVector d20 = FloatVector.fromArray(S, split, e2);
        FloatVector d21 = FloatVector.fromArray(S, split, e2 + width);
        FloatVector d22 = FloatVector.fromArray(S, split, e2 + 1);
        FloatVector d23 = FloatVector.fromArray(S, split, e2 + width + 1);
        int e3 = r0 + 3 * 2 * width;
        FloatVector d30 = FloatVector.fromArray(S, split, e3);
        FloatVector d31 = FloatVector.fromArray(S, split, e3 + width);
        FloatVector d32 = FloatVector.fromArray(S, split, e3 + 1);
        FloatVector d33 = FloatVector.fromArray(S, split, e3 + width + 1);
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
     * {@code Y = A^T M A} for every tile of output plane {@code no = n*O + o}, then bias, residual, ReLU; {@code L}
     * tiles of a tile row at a time, interleaved into the output's two rows at the end.
     */
    private void transformOutput(float[] mbuf, int no, int xiStride, int mn, Dims3 out, int th, int tw, float[] y,
                                 float[] res, boolean relu) {
        float b = bias == null ? 0f : bias[no % spec.outChannels()];
        float[] quad = new float[4 * L];
        int outHW = out.h() * out.w();
        for (int od = 0; od < out.d(); od++) {
            for (int ty = 0; ty < th; ty++) {
                for (int tx = 0; tx < tw; tx += L) {
                    int count = Math.min(L, tw - tx);
                    int src = no * mn + (od * th + ty) * tw + tx;
                    if (count == L) {
                        tilesOut(mbuf, xiStride, src, quad);
                    } else {
                        tilesOutScalar(mbuf, xiStride, src, count, quad);
                    }
                    for (int i = 0; i < 2 && 2 * ty + i < out.h(); i++) {
                        int row = no * out.d() * outHW + od * outHW + (2 * ty + i) * out.w();
                        for (int t = 0; t < count; t++) {
                            for (int j = 0; j < 2; j++) {
                                int xx = 2 * (tx + t) + j;
                                if (xx >= out.w()) {
                                    continue;
                                }
                                float val = quad[(2 * i + j) * L + t] + b + (res == null ? 0f : res[row + xx]);
                                y[row + xx] = relu && val < 0f ? 0f : val;
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@link #tilesOut} for the last {@code count < L} tiles of a row. */
    private static void tilesOutScalar(float[] mbuf, int xiStride, int src, int count, float[] quad) {
        for (int t = 0; t < count; t++) {
            int at = src + t;
            // rows of A^T M: c = m0 + m1 + m2, e = m1 - m2 - m3 (per column j), then the same across columns
            float c0 = mbuf[at] + mbuf[4 * xiStride + at] + mbuf[8 * xiStride + at];
            float c1 = mbuf[xiStride + at] + mbuf[5 * xiStride + at] + mbuf[9 * xiStride + at];
            float c2 = mbuf[2 * xiStride + at] + mbuf[6 * xiStride + at] + mbuf[10 * xiStride + at];
            float c3 = mbuf[3 * xiStride + at] + mbuf[7 * xiStride + at] + mbuf[11 * xiStride + at];
            float e0 = mbuf[4 * xiStride + at] - mbuf[8 * xiStride + at] - mbuf[12 * xiStride + at];
            float e1 = mbuf[5 * xiStride + at] - mbuf[9 * xiStride + at] - mbuf[13 * xiStride + at];
            float e2 = mbuf[6 * xiStride + at] - mbuf[10 * xiStride + at] - mbuf[14 * xiStride + at];
            float e3 = mbuf[7 * xiStride + at] - mbuf[11 * xiStride + at] - mbuf[15 * xiStride + at];
            quad[t] = c0 + c1 + c2;
            quad[L + t] = c1 - c2 - c3;
            quad[2 * L + t] = e0 + e1 + e2;
            quad[3 * L + t] = e1 - e2 - e3;
        }
    }

    /** The output transform of {@code L} tiles: {@code quad[(2i + j) * L + t]} is output (i, j) of tile t. */
    private static void tilesOut(float[] mbuf, int xiStride, int src, float[] quad) {
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
        c0.add(c1).add(c2).intoArray(quad, 0);
        c1.sub(c2).sub(c3).intoArray(quad, L);
        e0.add(e1).add(e2).intoArray(quad, 2 * L);
        e1.sub(e2).sub(e3).intoArray(quad, 3 * L);
    }
}
