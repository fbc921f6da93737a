package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.MR;
import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import java.util.List;
import jdk.incubator.vector.FloatVector;

/**
 * Runs a batch of implicit GEMMs {@code Y[m][p] = epilogue(sum_k A[m][k] * buf[offs[k] + p])} on a thread budget,
 * with the register-blocked {@link GemmKernel}. Each {@link Problem} is one (batch item, group, phase) of a
 * convolution; they share the input buffer and the output tensor.
 *
 * <p>Work is split into (problem, group of tiles, range of row blocks) tasks ({@link #split}). Inside a task
 * the reduction runs in {@value #K_CHUNK}-long slices; where enough row blocks reuse it, each tile's slice of B is
 * packed into a contiguous micro-panel ({@link #panelRows} rows, half the L1d) that stays in L1 while the task's packed
 * A streams through it from L2, as BLIS orders its loops.
 */
final class ImplicitGemm {
    /** Multiply-adds a task aims for, so that thin problems (depthwise) are not all overhead. */
    static final long TASK_FLOPS = 1L << 18;
    static final int K_CHUNK = 256;
    /** Problems with at most this many rows run row by row ({@link GemmKernel#row}) instead of in MR-row tiles. */
    static final int THIN_ROWS = 3;
    /** A task's accumulators at most: a quarter of the L2 the engine finds. */
    private static final long ACC_FLOATS = Math.max(1L << 14, CpuInfo.HOST.l2Bytes() / 16);
    /** Packed A per row-block chunk at most ({@link #compute}): half the L2, as BLIS sizes its A block. */
    private static final long A_BLOCK_FLOATS = CpuInfo.HOST.l2Bytes() / 8;

    /**
     * One GEMM.
     *
     * @param aOff     where this problem's packed A ({@code [mBlocks][k][MR]}) starts in the shared array
     * @param offs     per reduction index {@code k} (its length is the reduction length): the buffer offset of B's
     *                 row {@code k} at grid position 0
     * @param yRow     per output row {@code m}: where row {@code m} starts in the output
     * @param biasBase row {@code m} adds {@code bias[biasBase + m]}
     * @param runs     where the grid positions go within a row (and how many tiles to compute)
     */
    record Problem(int aOff, int[] offs, int[] yRow, int biasBase, OutputRuns runs) {
        int tiles() {
            return runs.tiles;
        }
    }

    /** When B is copied into micro-panels. */
    enum Pack {
        /** Never: the kernel reads B in place (the cpu engine's option {@code pack=false}). */
        NEVER,
        /** Where enough row blocks reuse a panel ({@value #PACK_MIN_BLOCKS} or more). */
        WHEN_REUSED,
        /**
         * Always, and B's rows may end before the last tile does (a convolution reading its input tensor in place):
         * the copy stops at the buffer's end, and the missing columns are junk the output never takes.
         */
        ALWAYS_SHORT_TAIL;

        static Pack of(boolean pack) {
            return pack ? WHEN_REUSED : NEVER;
        }
    }

    /** What happens to each output once its sum is complete: {@code y = relu?(acc + bias[row] + residual)}. */
    record Epilogue(float[] bias, float[] residual, boolean relu) {
        static final Epilogue NONE = new Epilogue(null, null, false);
    }

    /** Each worker thread's accumulator tile. */
    private static final Scratch ACC = new Scratch();
    /** Each worker thread's packed panel of B. */
    private static final Scratch PANEL = new Scratch();
    /**
     * Reduction rows per packed micro-panel: {@code PANEL_ROWS x NR} floats fill half the L1 data cache the engine
     * finds ({@link CpuInfo}), in multiples of 8 from 16 to {@value #K_CHUNK} (128 with 512-bit vectors and a 48 KB
     * L1d, 256 with 256-bit vectors and 32 KB or more).
     */
    private static final int PANEL_ROWS = panelRows(CpuInfo.HOST);

    static int panelRows(CpuInfo cpu) {
        long rows = cpu.l1Bytes() / 2 / (4L * GemmKernel.NR);
        return (int) Math.max(16, Math.min(K_CHUNK, rows / 8 * 8));
    }
    /** Packing pays when enough row blocks reuse the panel. */
    private static final int PACK_MIN_BLOCKS = 4;

    private ImplicitGemm() {
    }

    /** The value of A for group {@code g}, row {@code m}, reduction index {@code k}. */
    interface AValue {
        float at(int g, int m, int k);
    }

    /**
     * Packs A for {@code groups} problems of {@code rows x kDim} into {@code [group][mBlock][k][MR]} (rows past
     * {@code rows} zero), starting at {@code into[offset]}; problem {@code g} starts at
     * {@code offset + g * packedSize(rows, kDim)}.
     */
    static void pack(float[] into, int offset, int groups, int rows, int kDim, AValue a) {
        int mBlocks = (rows + MR - 1) / MR;
        for (int g = 0; g < groups; g++) {
            for (int m = 0; m < rows; m++) {
                int base = offset + (g * mBlocks + m / MR) * kDim * MR + m % MR;
                for (int k = 0; k < kDim; k++) {
                    into[base + k * MR] = a.at(g, m, k);
                }
            }
        }
    }

    /** Floats one packed problem of {@code rows x kDim} takes. */
    static int packedSize(int rows, int kDim) {
        return (rows + MR - 1) / MR * MR * kDim;
    }

    /**
     * @param a    packed A shared by the problems
     * @param rows rows {@code m} of every problem (the last row block is zero-padded to {@code MR})
     */
    static void run(CpuThreads threads, float[] a, int rows, float[] buf, List<Problem> problems, float[] y,
                    Epilogue epi) {
        run(threads, a, rows, buf, problems, y, epi, Pack.of(threads.pack()));
    }

    /**
     * {@link #run} with B packed as {@code pack} says; with {@link Pack#ALWAYS_SHORT_TAIL} only the first column of
     * every row must lie inside {@code buf} (and the problems must not be thin).
     */
    static void run(CpuThreads threads, float[] a, int rows, float[] buf, List<Problem> problems, float[] y,
                    Epilogue epi, Pack pack) {
        if (pack == Pack.ALWAYS_SHORT_TAIL && rows <= THIN_ROWS) {
            throw new IllegalArgumentException("thin problems read B in place and need every column inside it");
        }
        int mBlocks = (rows + MR - 1) / MR;
        int maxTiles = 0;
        int maxK = 0;
        for (Problem p : problems) {
            maxTiles = Math.max(maxTiles, p.tiles());
            maxK = Math.max(maxK, p.offs.length);
            checkReads(p, pack == Pack.ALWAYS_SHORT_TAIL ? 1 : p.tiles() * NR, buf.length);
        }
        Split split = split(problems.size(), mBlocks, rows, maxTiles, maxK, threads.threads());
        int tileGroup = split.tileGroup;
        int groupsPerProblem = (maxTiles + tileGroup - 1) / tileGroup;
        int ldc = tileGroup * NR;
        int splits = split.rowSplits;
        int blocksPer = (mBlocks + splits - 1) / splits;
        threads.parallelFor(problems.size() * groupsPerProblem * splits, task -> {
            int s = task % splits;
            int rest = task / splits;
            Problem p = problems.get(rest / groupsPerProblem);
            int t0 = (rest % groupsPerProblem) * tileGroup;
            int t1 = Math.min(p.tiles(), t0 + tileGroup);
            int mb0 = s * blocksPer;
            int mb1 = Math.min(mBlocks, mb0 + blocksPer);
            if (t0 >= t1 || mb0 >= mb1) {
                return;
            }
            float[] acc = ACC.get(rowsRun(rows, mb0, mb1) * ldc);
            compute(a, rows, buf, p, mb0, mb1, t0, t1, acc, 0, ldc, pack);
            store(acc, ldc, mb0 * MR, Math.min(rows, mb1 * MR), t0 * NR, t1 * NR, p, y, epi);
        });
    }

    /** How {@link #run} cuts its work: tiles per task and the number of row-block ranges. */
    record Split(int tileGroup, int rowSplits) {
    }

    /**
     * The task decomposition that reads least: every task reads its rows' packed A once (from memory, for the
     * large weights of late layers) and its tiles' B once, so A is read once per tile group and B once per row split.
     * A task's accumulators stay within {@link #ACC_FLOATS}, there are at least two tasks per thread where the work
     * allows (equal tile groups, so they take the same time), and thin problems get at least {@link #TASK_FLOPS}
     * multiply-adds per task.
     */
    static Split split(int problems, int mBlocks, int rows, int maxTiles, int maxK, int threads) {
        if (maxTiles == 0) {
            return new Split(1, 1);
        }
        long want = 2L * threads;
        int maxSplit = rows <= THIN_ROWS ? 1 : mBlocks;
        Split best = null;
        long bestCost = Long.MAX_VALUE;
        boolean bestEnough = false;
        for (int sp = 1; sp <= maxSplit; sp = sp < 4 ? sp + 1 : sp * 2) {
            int blocksPer = (mBlocks + sp - 1) / sp;
            int splits = (mBlocks + blocksPer - 1) / blocksPer;
            int rowsPer = rowsRun(rows, 0, blocksPer);
            int group = (int) Math.max(1, Math.min(maxTiles, ACC_FLOATS / ((long) rowsPer * NR)));
            // thin problems: enough multiply-adds per task to amortise its start
            long perTile = Math.max(1L, (long) rowsPer * Math.max(1, maxK) * NR);
            group = (int) Math.max(group, Math.min(maxTiles, TASK_FLOPS / perTile));
            while (group > 1 && (long) problems * ((maxTiles + group - 1) / group) * splits < want) {
                group = (group + 1) / 2;
            }
            int groups = (maxTiles + group - 1) / group;
            group = (maxTiles + groups - 1) / groups; // equal groups
            boolean enough = (long) problems * groups * splits >= want;
            long cost = (long) groups * mBlocks * MR + (long) splits * maxTiles * NR;
            if ((enough && !bestEnough) || (enough == bestEnough && cost < bestCost)) {
                best = new Split(group, splits);
                bestCost = cost;
                bestEnough = enough;
            }
        }
        return best;
    }

    /** Rows {@code compute} writes for row blocks {@code [mb0, mb1)}: thin problems run only the rows they have. */
    static int rowsRun(int rows, int mb0, int mb1) {
        return rows <= THIN_ROWS ? rows : (mb1 - mb0) * MR;
    }

    /**
     * The sums of problem {@code p}'s row blocks {@code [mb0, mb1)} over tiles {@code [t0, t1)}, not stored: row
     * {@code r} of the range (row {@code mb0 * MR + r} of the problem) at {@code acc[accOff + r * ldc]}, tile
     * {@code ti} at column {@code (ti - t0) * NR}. Thin problems ({@value #THIN_ROWS} rows or fewer) run row by row.
     * The caller checks the read ranges ({@link #checkReads}). {@code pack} says when a slice of B is copied into
     * L1-sized micro-panels first.
     */
    static void compute(float[] a, int rows, float[] buf, Problem p, int mb0, int mb1, int t0, int t1, float[] acc,
                        int accOff, int ldc, Pack pack) {
        int k = p.offs.length;
        if (k == 0) {
            // no taps reach these outputs: bias only
            for (int r = 0; r < rowsRun(rows, mb0, mb1); r++) {
                java.util.Arrays.fill(acc, accOff + r * ldc, accOff + r * ldc + (t1 - t0) * NR, 0f);
            }
        }
        for (int k0 = 0; k0 < k; k0 += K_CHUNK) {
            int k1 = Math.min(k, k0 + K_CHUNK);
            if (rows <= THIN_ROWS) {
                // an MR-row tile would be mostly zero rows: run the rows that exist one by one
                for (int r = 0; r < rows; r++) {
                    for (int ti = t0; ti < t1; ti++) {
                        GemmKernel.row(a, p.aOff + k0 * MR + r, buf, p.offs, k0, k1, ti * NR, acc,
                                accOff + r * ldc + (ti - t0) * NR, k0 > 0);
                    }
                }
                continue;
            }
            if (pack == Pack.ALWAYS_SHORT_TAIL || pack == Pack.WHEN_REUSED && mb1 - mb0 >= PACK_MIN_BLOCKS) {
                // copy this slice of B into one contiguous micro-panel per tile ([tile][k][NR], as BLIS packs B):
                // each stays in L1 while every row block of the task streams its packed A through it, and the
                // kernel reads it sequentially
                for (int s0 = k0; s0 < k1; s0 += PANEL_ROWS) {
                    int s1 = Math.min(k1, s0 + PANEL_ROWS);
                    int kp = s1 - s0;
                    float[] panel = PANEL.get(PANEL_ROWS * NR);
                    // row blocks in chunks whose packed A stays in L2 while every tile's micro-panel passes by
                    int mc = (int) Math.max(1, A_BLOCK_FLOATS / ((long) kp * MR));
                    for (int c0 = mb0; c0 < mb1; c0 += mc) {
                        int c1 = Math.min(mb1, c0 + mc);
                        for (int ti = t0; ti < t1; ti++) {
                            // each tile's micro-panel is packed just before its row blocks use it, so it is
                            // written into L1 and read from there (a panel of every tile would go out to L2 and
                            // back); vector copies (a System.arraycopy call per 16 or 48 floats cost as much as
                            // the FMAs)
                            int col = ti * NR;
                            for (int kk = s0, dst = 0; kk < s1; kk++, dst += NR) {
                                int src = p.offs[kk] + col;
                                if (src + NR > buf.length) {
                                    // a short tail (only ALWAYS_SHORT_TAIL's last rows reach here)
                                    int n = Math.max(0, buf.length - src);
                                    System.arraycopy(buf, src, panel, dst, n);
                                    java.util.Arrays.fill(panel, dst + n, dst + NR, 0f);
                                    continue;
                                }
                                for (int v = 0; v < NR; v += GemmKernel.L) {
                                    FloatVector.fromArray(GemmKernel.S, buf, src + v).intoArray(panel, dst + v);
                                }
                            }
                            for (int mb = c0; mb < c1; mb++) {
                                GemmKernel.tilePanel(a, p.aOff + (mb * k + s0) * MR, panel, 0, kp, acc,
                                        accOff + (mb - mb0) * MR * ldc + (ti - t0) * NR, ldc, s0 > 0);
                            }
                        }
                    }
                }
                continue;
            }
            for (int mb = mb0; mb < mb1; mb++) {
                int aOff = p.aOff + (mb * k + k0) * MR;
                for (int ti = t0; ti < t1; ti++) {
                    GemmKernel.tile(a, aOff, buf, p.offs, k0, k1, ti * NR, acc,
                            accOff + (mb - mb0) * MR * ldc + (ti - t0) * NR, ldc, k0 > 0);
                }
            }
        }
    }

    /**
     * Applies the epilogue to grid positions {@code [p0, p1)} of rows {@code [m0, m1)} (row {@code m} at
     * {@code acc[(m - m0) * ldc]}) and writes them to their outputs.
     */
    private static void store(float[] acc, int ldc, int m0, int m1, int p0, int p1, Problem p, float[] y,
                              Epilogue epi) {
        OutputRuns runs = p.runs;
        int first = runs.firstAfter(p0);
        for (int m = m0; m < m1; m++) {
            float b = epi.bias == null ? 0f : epi.bias[p.biasBase + m];
            int yBase = p.yRow[m];
            int aBase = (m - m0) * ldc - p0;
            for (int i = first; i < runs.grid.length && runs.grid[i] < p1; i++) {
                int g0 = Math.max(p0, runs.grid[i]);
                int g1 = Math.min(p1, runs.grid[i] + runs.len[i]);
                int o0 = yBase + runs.out[i] + (g0 - runs.grid[i]) * runs.step;
                if (runs.step == 1) {
                    Epilogues.apply(acc, aBase + g0, y, o0, g1 - g0, b, epi.residual, epi.relu);
                } else {
                    for (int g = g0, o = o0; g < g1; g++, o += runs.step) {
                        float v = acc[aBase + g] + b + (epi.residual == null ? 0f : epi.residual[o]);
                        y[o] = epi.relu && v < 0f ? 0f : v;
                    }
                }
            }
        }
    }

    /**
     * The micro-kernel reads {@code buf[offs[k] + p]} for {@code p < tiles * NR} with per-access checks possibly
     * switched off ({@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0}): every read range is checked here.
     */
    static void checkReads(Problem p, int length) {
        checkReads(p, p.tiles() * NR, length);
    }

    /** {@link #checkReads} where each row must hold {@code span} floats inside the buffer. */
    static void checkReads(Problem p, int span, int length) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int o : p.offs) {
            lo = Math.min(lo, o);
            hi = Math.max(hi, o);
        }
        if (p.offs.length > 0 && (lo < 0 || (long) hi + span > length)) {
            throw new IllegalStateException("implicit GEMM would read outside its buffer: offsets [" + lo + ", " + hi
                    + "] + " + span + " positions, buffer " + length);
        }
    }
}
