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
final class CpuConv extends CpuPreparedConv {
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
    /** Per stride phase, whether a tap reads it: a 1×1×1 strided convolution reads one phase of {@code s³}. */
    private final boolean[] phaseRead;
    private final Scratch scratch = new Scratch();
    /**
     * For the depthwise paths: each channel's taps {@code [kd][kh][kw]}, flipped for true convolution; else null.
     * {@link DepthwiseKernel} takes 3 height taps at stride 1 ({@link #depthwiseFits}); any other depthwise
     * convolution (strided, other kernels) runs {@link #depthwiseGridForward} on the phase grid.
     */
    private final float[] depthwise;
    private final boolean depthwiseBlocks;

    CpuConv(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        super(spec, weight, bias, threads);
        if (spec.transposed()) {
            throw new IllegalArgumentException("CpuConv runs direct convolutions; use CpuConvTranspose");
        }
        this.groups = spec.groups();
        this.mG = spec.outChannels() / groups;
        this.cG = spec.inChannels() / groups;
        Dims3 k = spec.kernel();
        this.taps = (int) k.product();
        this.kDim = cG * taps;
        this.mBlocks = (mG + MR - 1) / MR;
        this.packed = pack(weight.data());
        boolean dw = spec.groups() == spec.inChannels() && spec.outChannels() == spec.inChannels();
        this.depthwiseBlocks = depthwiseFits(spec);
        this.depthwise = dw ? depthwiseTaps(weight.data()) : null;
        tapPhase = new int[taps];
        phaseRead = new boolean[(int) spec.stride().product()];
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
                    phaseRead[tapPhase[t]] = true;
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

    /** One output channel per input channel, height taps 3 at stride 1 and dilation 1: {@link DepthwiseKernel}. */
    private static boolean depthwiseFits(ConvSpec spec) {
        return spec.groups() == spec.inChannels() && spec.outChannels() == spec.inChannels()
                && spec.kernel().h() == 3 && spec.stride().allEqual(1) && spec.dilation().allEqual(1);
    }

    private float[] depthwiseTaps(float[] w) {
        float[] t = new float[w.length];
        for (int c = 0; c < spec.outChannels(); c++) {
            for (int i = 0; i < taps; i++) {
                t[c * taps + i] = w[c * taps + (spec.flip() ? taps - 1 - i : i)];
            }
        }
        return t;
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
        Grid grid = new Grid(spec, in, out);
        int planes = grid.phases * grid.plane;
        int[] tapOff = new int[taps];
        int maxTap = 0;
        for (int t = 0; t < taps; t++) {
            tapOff[t] = grid.tapOffset(tapPhase[t], tapShiftD[t], tapShiftH[t], tapShiftW[t]);
            maxTap = Math.max(maxTap, tapOff[t]);
        }
        if (readsInPlace()) {
            // a pointwise convolution reads its input where it is: the grid is the input itself
            gemm(input.data(), batch, cin, planes, tapOff, grid, out, y, res, relu, ImplicitGemm.Pack.ALWAYS_SHORT_TAIL);
            return y;
        }
        // one padded, phase-split copy of the input; the tail keeps the last tile's junk columns inside the array
        int need = Math.max(batch * cin * planes, (batch * cin - 1) * planes + maxTap + grid.tiles * NR);
        if (depthwiseBlocks) {
            need = Math.max(need, depthwiseReach(batch * cin, planes, grid, out));
        }
        float[] buf = scratch.get(need);
        if (depthwise != null && !depthwiseBlocks) {
            // each channel is split into its phases by the task that convolves it, while it is in cache
            depthwiseGridForward(input.data(), in, buf, batch, cin, planes, grid, tapOff, out, y.data(), res, relu);
            return y;
        }
        // by channel, and by grid depth where there are fewer channels than threads to keep busy (a stem's 3)
        int depthParts = batch * cin >= 4 * threads.threads() ? 1 : grid.gd;
        threads.parallelFor(batch * cin * depthParts, t -> {
            int nc = t / depthParts;
            int gd0 = depthParts == 1 ? 0 : t % depthParts;
            fill(input.data(), nc, in, grid, buf, nc * planes, gd0, depthParts == 1 ? grid.gd : gd0 + 1);
        });

        if (depthwiseBlocks) {
            depthwiseForward(buf, batch, cin, planes, grid, out, y.data(), res, relu);
            return y;
        }
        gemm(buf, batch, cin, planes, tapOff, grid, out, y, res, relu, ImplicitGemm.Pack.of(threads.pack()));
        return y;
    }

    /**
     * A 1x1x1 convolution at stride 1 without padding, not depthwise, with more than
     * {@value ImplicitGemm#THIN_ROWS} output channels per group and packing on: its phase grid is its input, so the
     * GEMM packs B straight from the input tensor instead of copying it into a padded buffer first.
     */
    private boolean readsInPlace() {
        return taps == 1 && depthwise == null && mG > ImplicitGemm.THIN_ROWS && threads.pack()
                && spec.stride().allEqual(1) && spec.padBefore().allEqual(0) && spec.padAfter().allEqual(0);
    }

    /** The implicit GEMMs of every (batch item, group) over {@code buf}, the phase grid's planes. */
    private void gemm(float[] buf, int batch, int cin, int planes, int[] tapOff, Grid grid, Dims3 out, Tensor y,
                      float[] res, boolean relu, ImplicitGemm.Pack pack) {
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
        ImplicitGemm.run(threads, packed, mG, buf, problems, y.data(), new ImplicitGemm.Epilogue(bias, res, relu),
                pack);
    }

    /** One past the last buffer index the depthwise blocks read (the last blocks' rows and columns run over). */
    private int depthwiseReach(int channels, int planes, Grid grid, Dims3 out) {
        int rowBlocks = (out.h() + DepthwiseKernel.ROWS - 1) / DepthwiseKernel.ROWS;
        int colBlocks = (out.w() + DepthwiseKernel.WIDTH - 1) / DepthwiseKernel.WIDTH;
        return (channels - 1) * planes + ((out.d() + spec.kernel().d() - 2) * grid.gh
                + rowBlocks * DepthwiseKernel.ROWS + 2) * grid.gw + colBlocks * DepthwiseKernel.WIDTH
                + spec.kernel().w() - 1;
    }

    /** The depthwise path: blocks of 4 output rows x {@code WIDTH} positions per channel, epilogue fused. */
    private void depthwiseForward(float[] buf, int batch, int cin, int planes, Grid grid, Dims3 out, float[] y,
                                  float[] res, boolean relu) {
        int kdT = spec.kernel().d();
        int kwT = spec.kernel().w();
        int rowBlocks = (out.h() + DepthwiseKernel.ROWS - 1) / DepthwiseKernel.ROWS;
        int colBlocks = (out.w() + DepthwiseKernel.WIDTH - 1) / DepthwiseKernel.WIDTH;
        int outVol = (int) out.product();
        if (depthwiseReach(batch * cin, planes, grid, out) > buf.length) {
            throw new IllegalStateException("depthwise blocks would read past their buffer for " + spec);
        }
        float[] x = buf;
        threads.parallelFor(batch * cin, nc -> {
            int c = nc % cin;
            float[] blk = new float[DepthwiseKernel.ROWS * DepthwiseKernel.WIDTH];
            float b = bias == null ? 0f : bias[c];
            int yBase = nc * outVol;
            for (int d = 0; d < out.d(); d++) {
                for (int rb = 0; rb < rowBlocks; rb++) {
                    for (int cb = 0; cb < colBlocks; cb++) {
                        int h0 = rb * DepthwiseKernel.ROWS;
                        int w0 = cb * DepthwiseKernel.WIDTH;
                        int p = nc * planes + (d * grid.gh + h0) * grid.gw + w0;
                        DepthwiseKernel.block(x, p, grid.gw, grid.gh * grid.gw, kdT, kwT, depthwise, c * taps, blk);
                        int n = Math.min(DepthwiseKernel.WIDTH, out.w() - w0);
                        for (int r = 0; r < DepthwiseKernel.ROWS && h0 + r < out.h(); r++) {
                            int o = yBase + (d * out.h() + h0 + r) * out.w() + w0;
                            Epilogues.apply(blk, r * DepthwiseKernel.WIDTH, y, o, n, b, res, relu);
                        }
                    }
                }
            }
        });
    }

    /**
     * Any other depthwise convolution (strided, a kernel {@link DepthwiseKernel} does not take): per channel and
     * output row, every tap is a contiguous run of the phase grid ({@code buf[tapOff + row + x]}), accumulated with
     * one vector FMA per tap and lane group, then the epilogue. {@code tapOff} are the taps' grid offsets. Each task
     * splits its own channel into phases first, so the split planes are still in cache when they are read.
     */
    private void depthwiseGridForward(float[] input, Dims3 in, float[] buf, int batch, int cin, int planes, Grid grid,
                                      int[] tapOff, Dims3 out, float[] y, float[] res, boolean relu) {
        int outVol = (int) out.product();
        int ow = out.w();
        int lanes = DepthwiseKernel.S.length();
        threads.parallelFor(batch * cin, nc -> {
            fill(input, nc, in, grid, buf, nc * planes);
            int c = nc % cin;
            float[] acc = new float[ow];
            float b = bias == null ? 0f : bias[c];
            int wBase = c * taps;
            for (int d = 0; d < out.d(); d++) {
                for (int h = 0; h < out.h(); h++) {
                    int row = nc * planes + (d * grid.gh + h) * grid.gw;
                    int x = 0;
                    // each lane group accumulates every tap in a register
                    for (; x <= ow - lanes; x += lanes) {
                        FloatVector a = FloatVector.zero(DepthwiseKernel.S);
                        for (int t = 0; t < taps; t++) {
                            a = FloatVector.fromArray(DepthwiseKernel.S, buf, row + tapOff[t] + x)
                                    .fma(FloatVector.broadcast(DepthwiseKernel.S, depthwise[wBase + t]), a);
                        }
                        a.intoArray(acc, x);
                    }
                    for (; x < ow; x++) {
                        float a = 0f;
                        for (int t = 0; t < taps; t++) {
                            a = Math.fma(buf[row + tapOff[t] + x], depthwise[wBase + t], a);
                        }
                        acc[x] = a;
                    }
                    Epilogues.apply(acc, 0, y, nc * outVol + (d * out.h() + h) * ow, ow, b, res, relu);
                }
            }
        });
    }

    /**
     * Writes input channel {@code nc} into its padded, phase-split planes at {@code dst}: every grid element of every
     * phase a tap reads, zeros included, since the buffer is reused (a phase no tap reads is left as it is: only the
     * dropped junk columns can reach into it).
     */
    private void fill(float[] x, int nc, Dims3 in, Grid grid, float[] buf, int dst) {
        fill(x, nc, in, grid, buf, dst, 0, grid.gd);
    }

    /** {@link #fill} of the grid depths {@code [gd0, gd1)} only. */
    private void fill(float[] x, int nc, Dims3 in, Grid grid, float[] buf, int dst, int gd0, int gd1) {
        PaddingMode mode = spec.paddingMode();
        Dims3 pb = spec.padBefore();
        Dims3 s = spec.stride();
        int src = nc * (int) in.product();
        // row by row of the (d, h) phases, every w phase of a row in turn, so a source row is read from memory once
        for (int pd = 0; pd < s.d(); pd++) {
            for (int ph = 0; ph < s.h(); ph++) {
                boolean any = false;
                for (int pw = 0; pw < s.w(); pw++) {
                    any |= phaseRead[(pd * s.h() + ph) * s.w() + pw];
                }
                if (!any) {
                    continue;
                }
                for (int gd = gd0; gd < gd1; gd++) {
                    int id = gd * s.d() + pd >= grid.lpd ? -1 : mode.map(gd * s.d() + pd - pb.d(), in.d());
                    for (int gh = 0; gh < grid.gh; gh++) {
                        int ih = id < 0 || gh * s.h() + ph >= grid.lph ? -1
                                : mode.map(gh * s.h() + ph - pb.h(), in.h());
                        int srcRow = ih < 0 ? -1 : src + (id * in.h() + ih) * in.w();
                        for (int pw = 0; pw < s.w(); pw++) {
                            if (!phaseRead[(pd * s.h() + ph) * s.w() + pw]) {
                                continue;
                            }
                            int row = dst + ((pd * s.h() + ph) * s.w() + pw) * grid.plane
                                    + (gd * grid.gh + gh) * grid.gw;
                            fillRow(x, srcRow, pw, in, grid, buf, row);
                        }
                    }
                }
            }
        }
    }

    /** One grid row of phase {@code pw} from source row {@code srcRow} (-1: a padding row, all zeros). */
    private void fillRow(float[] x, int srcRow, int pw, Dims3 in, Grid grid, float[] buf, int row) {
        if (srcRow < 0) {
            java.util.Arrays.fill(buf, row, row + grid.gw, 0f);
            return;
        }
        PaddingMode mode = spec.paddingMode();
        Dims3 pb = spec.padBefore();
        int sw = spec.stride().w();
        int from;
        int to;
        if (sw == 1) {
            // the unpadded part of the row is one contiguous copy
            from = pb.w();
            to = Math.min(pb.w() + in.w(), Math.min(grid.gw, grid.lpw));
            System.arraycopy(x, srcRow, buf, row + from, to - from);
        } else {
            // the grid columns whose source lies inside the row: a strided copy
            from = Math.max(0, (pb.w() - pw + sw - 1) / sw);
            to = Math.min(grid.gw, Math.min(Math.floorDiv(pb.w() + in.w() - 1 - pw, sw) + 1,
                    Math.floorDiv(grid.lpw - 1 - pw, sw) + 1));
            int at = srcRow + from * sw + pw - pb.w();
            for (int gw = from; gw < to; gw++, at += sw) {
                buf[row + gw] = x[at];
            }
        }
        for (int gw = 0; gw < grid.gw; gw++) {
            if (gw == from && to > from) {
                gw = to - 1;
                continue;
            }
            int q = gw * sw + pw;
            int iw = q >= grid.lpw ? -1 : mode.map(q - pb.w(), in.w());
            buf[row + gw] = iw >= 0 ? x[srcRow + iw] : 0f;
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
