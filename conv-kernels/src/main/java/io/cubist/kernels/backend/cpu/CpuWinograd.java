package io.cubist.kernels.backend.cpu;

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
final class CpuWinograd implements PreparedConv {
    private static final int XI = 16;

    private final ConvSpec spec;
    private final CpuThreads threads;
    private final float[] bias;
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
        ReferenceConv.checkParameters(spec, weight, bias);
        if (!supports(spec)) {
            throw new IllegalArgumentException("Winograd F(2x2,3x3) needs a (k, 3, 3) kernel at stride 1, got " + spec);
        }
        this.spec = spec;
        this.threads = threads;
        this.bias = bias == null ? null : bias.data().clone();
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

    /** {@code V = B^T d B} for every 4x4 input tile of input plane {@code task = (n*C + c)*dp + padded depth}. */
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
        float[] d = new float[16];
        for (int ty = 0; ty < th; ty++) {
            for (int tx = 0; tx < tw; tx++) {
                for (int i = 0; i < 4; i++) {
                    int py = 2 * ty + i;
                    int iy = py >= lph ? -1 : mode.map(py - ph, in.h());
                    for (int j = 0; j < 4; j++) {
                        int px = 2 * tx + j;
                        int ix = iy < 0 || px >= lpw ? -1 : mode.map(px - pw, in.w());
                        d[4 * i + j] = ix < 0 ? 0f : x[base + iy * in.w() + ix];
                    }
                }
                // t = B^T d, B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]; then V = t B
                int o = vBase + ty * tw + tx;
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
                    float r0 = d[4 * i];
                    float r1 = d[4 * i + 1];
                    float r2 = d[4 * i + 2];
                    float r3 = d[4 * i + 3];
                    v[(4 * i) * xiStride + o] = r0 - r2;
                    v[(4 * i + 1) * xiStride + o] = r1 + r2;
                    v[(4 * i + 2) * xiStride + o] = r2 - r1;
                    v[(4 * i + 3) * xiStride + o] = r1 - r3;
                }
            }
        }
    }

    /** {@code Y = A^T M A} for every tile of output plane {@code no = n*O + o}, then bias, residual, ReLU. */
    private void transformOutput(float[] mbuf, int no, int xiStride, int mn, Dims3 out, int th, int tw, float[] y,
                                 float[] res, boolean relu) {
        int o = no % spec.outChannels();
        float b = bias == null ? 0f : bias[o];
        float[] m = new float[16];
        int outHW = out.h() * out.w();
        for (int od = 0; od < out.d(); od++) {
            for (int ty = 0; ty < th; ty++) {
                for (int tx = 0; tx < tw; tx++) {
                    int src = no * mn + od * th * tw + ty * tw + tx;
                    for (int xi = 0; xi < XI; xi++) {
                        m[xi] = mbuf[xi * xiStride + src];
                    }
                    // A^T = [[1,1,1,0],[0,1,-1,-1]]: rows then columns
                    for (int i = 0; i < 2; i++) {
                        float c0 = i == 0 ? m[0] + m[4] + m[8] : m[4] - m[8] - m[12];
                        float c1 = i == 0 ? m[1] + m[5] + m[9] : m[5] - m[9] - m[13];
                        float c2 = i == 0 ? m[2] + m[6] + m[10] : m[6] - m[10] - m[14];
                        float c3 = i == 0 ? m[3] + m[7] + m[11] : m[7] - m[11] - m[15];
                        int yy = 2 * ty + i;
                        if (yy >= out.h()) {
                            continue;
                        }
                        for (int j = 0; j < 2; j++) {
                            int xx = 2 * tx + j;
                            if (xx >= out.w()) {
                                continue;
                            }
                            int idx = no * out.d() * outHW + od * outHW + yy * out.w() + xx;
                            float val = (j == 0 ? c0 + c1 + c2 : c1 - c2 - c3) + b;
                            if (res != null) {
                                val += res[idx];
                            }
                            y[idx] = relu && val < 0f ? 0f : val;
                        }
                    }
                }
            }
        }
    }
}
