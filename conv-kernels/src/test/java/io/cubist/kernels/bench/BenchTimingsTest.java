package io.cubist.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The bench's statistics, and that it runs exactly what it was asked to (no timing is asserted). */
class BenchTimingsTest {

    @Test
    void medianAndMin() {
        Timings odd = new Timings(3, new long[] {5_000_000, 1_000_000, 3_000_000});
        assertEquals(3.0, odd.medianMs());
        assertEquals(1.0, odd.minMs());
        Timings even = new Timings(0, new long[] {4_000_000, 1_000_000, 2_000_000, 9_000_000});
        assertEquals(3.0, even.medianMs()); // (2 + 4) / 2, as Python's statistics.median
        assertEquals(4, even.runs());
        assertArrayEquals(new double[] {4, 1, 2, 9}, even.allMs());
        assertThrows(IllegalArgumentException.class, () -> new Timings(0, new long[0]));
        assertThrows(IllegalArgumentException.class, () -> new Timings(-1, new long[] {1}));
    }

    @Test
    void measureRunsWarmupThenTimedRuns() {
        int[] calls = {0};
        Workload w = new Workload() {
            @Override
            public String description() {
                return "counter";
            }

            @Override
            public int[] inputShape() {
                return new int[] {1};
            }

            @Override
            public int[] outputShape() {
                return new int[] {1};
            }

            @Override
            public OptionalLong flops() {
                return OptionalLong.empty();
            }

            @Override
            public long bytesMoved() {
                return 8;
            }

            @Override
            public void run() {
                calls[0]++;
            }
        };
        Timings t = Timings.measure(w, 2, 5);
        assertEquals(7, calls[0]);
        assertEquals(5, t.runs());
        assertEquals(2, t.warmup());
        assertTrue(t.minMs() >= 0 && t.minMs() <= t.medianMs());
        assertThrows(IllegalArgumentException.class, () -> Timings.measure(w, 0, 0));
    }

    @Test
    void theFmaLoopComputesWhatItClaims() {
        // every chain converges to b / (1 - a) = 0.001 / 0.001 = 1: values stay normal, the sum is 12 x lanes
        float s = FmaPeak.chains(200_000);
        assertEquals(FmaPeak.ACCUMULATORS * FmaPeak.lanes(), s, 1e-2 * FmaPeak.ACCUMULATORS * FmaPeak.lanes());
        // no iterations: the starting values 0.10, 0.11, ..., 0.21 summed over every lane
        assertEquals(1.86f * FmaPeak.lanes(), FmaPeak.chains(0), 1e-3f * FmaPeak.lanes());
    }
}
