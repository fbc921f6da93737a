package io.cubist.kernels.backend.cpu;

import static io.cubist.kernels.backend.cpu.GemmKernel.NR;

import java.util.Arrays;

/**
 * Where a GEMM's grid positions land in an output row: runs of {@code len[i]} consecutive grid positions from
 * {@code grid[i]} that go to {@code out[i], out[i] + step, ...}. Grid positions between runs (padding columns of
 * the implicit-GEMM grid) are dropped. Runs are sorted by grid position and do not overlap.
 */
final class OutputRuns {
    final int[] grid;
    final int[] out;
    final int[] len;
    final int step;
    /** Grid positions to compute, in units of {@code NR}. */
    final int tiles;

    private OutputRuns(int[] grid, int[] out, int[] len, int count, int step) {
        this.grid = Arrays.copyOf(grid, count);
        this.out = Arrays.copyOf(out, count);
        this.len = Arrays.copyOf(len, count);
        this.step = step;
        int end = count == 0 ? 0 : this.grid[count - 1] + this.len[count - 1];
        this.tiles = (end + NR - 1) / NR;
    }

    /** Builds runs one at a time, in increasing grid order. */
    static final class Builder {
        private int[] grid = new int[16];
        private int[] out = new int[16];
        private int[] len = new int[16];
        private int count;
        private final int step;

        Builder(int step) {
            this.step = step;
        }

        Builder add(int gridStart, int outStart, int length) {
            if (length <= 0) {
                return this;
            }
            if (count > 0 && grid[count - 1] + len[count - 1] == gridStart
                    && out[count - 1] + len[count - 1] * step == outStart) {
                // continues the previous run in both spaces (no padding columns between): one longer run, so the
                // epilogue runs whole vectors instead of short rows
                len[count - 1] += length;
                return this;
            }
            if (count == grid.length) {
                grid = Arrays.copyOf(grid, 2 * count);
                out = Arrays.copyOf(out, 2 * count);
                len = Arrays.copyOf(len, 2 * count);
            }
            grid[count] = gridStart;
            out[count] = outStart;
            len[count] = length;
            count++;
            return this;
        }

        OutputRuns build() {
            return new OutputRuns(grid, out, len, count, step);
        }
    }

    /** The first run that ends after grid position {@code p}. */
    int firstAfter(int p) {
        int lo = 0;
        int hi = grid.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (grid[mid] + len[mid] <= p) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
