package io.cubist.kernels.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ReferencePoolTest {

    private static final float EPS = 1e-6f;

    /** A {@code [1, 1, 1, 1, W]} tensor: pooling along the last axis only. */
    private static Tensor row(float... values) {
        return new Tensor(values, 1, 1, 1, 1, values.length);
    }

    private static Tensor arange(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = i;
        }
        return t;
    }

    private static PoolSpec maxW(int k, int s, int p, int dil, boolean ceil) {
        return PoolSpec.max(new Dims3(1, 1, k), new Dims3(1, 1, s), new Dims3(0, 0, p), new Dims3(1, 1, dil), ceil);
    }

    private static PoolSpec avgW(int k, int s, int p, boolean ceil, boolean includePad, int divisor) {
        return PoolSpec.avg(new Dims3(1, 1, k), new Dims3(1, 1, s), new Dims3(0, 0, p), ceil, includePad, divisor);
    }

    @Test
    void maxPoolPicksWindowMaxima() {
        Tensor x = arange(1, 1, 1, 4, 4);
        PoolSpec spec = PoolSpec.max(new Dims3(1, 2, 2), new Dims3(1, 2, 2), Dims3.of(0), Dims3.of(1), false);
        Tensor y = ReferencePool.maxPool3d(spec, x);
        assertArrayEquals(new int[] {1, 1, 1, 2, 2}, y.shape());
        assertArrayEquals(new float[] {5, 7, 13, 15}, y.data(), EPS);
    }

    @Test
    void maxPoolFullCubeOverTwoChannels() {
        Tensor x = arange(1, 2, 2, 2, 2);
        Tensor y = ReferencePool.maxPool3d(PoolSpec.max(Dims3.of(2), Dims3.of(2), Dims3.of(0), Dims3.of(1), false), x);
        assertArrayEquals(new int[] {1, 2, 1, 1, 1}, y.shape());
        assertArrayEquals(new float[] {7, 15}, y.data(), EPS);
    }

    @Test
    void maxPoolPaddingIsMinusInfinityNotZero() {
        Tensor y = ReferencePool.maxPool3d(maxW(3, 1, 1, 1, false), row(-3, -1, -2));
        assertArrayEquals(new float[] {-1, -1, -1}, y.data(), EPS);
    }

    @Test
    void maxPoolDilation() {
        // windows {0,2,4}, {1,3,5}, {2,4,6}
        Tensor y = ReferencePool.maxPool3d(maxW(3, 1, 0, 2, false), row(5, 0, 1, 9, 2, 3, 4));
        assertArrayEquals(new float[] {5, 9, 4}, y.data(), EPS);
    }

    @Test
    void maxPoolCeilModeKeepsPartialLastWindow() {
        Tensor x = row(1, 2, 3, 4, 5);
        assertArrayEquals(new float[] {2, 4}, ReferencePool.maxPool3d(maxW(2, 2, 0, 1, false), x).data(), EPS);
        assertArrayEquals(new float[] {2, 4, 5}, ReferencePool.maxPool3d(maxW(2, 2, 0, 1, true), x).data(), EPS);
    }

    @Test
    void maxPoolCeilModeDropsWindowStartingInRightPadding() {
        // in=4, k=2, s=3, p=1: ceil gives 3 windows, but the third would start at 5 >= in + pad, so 2 remain
        PoolSpec spec = maxW(2, 3, 1, 1, true);
        assertEquals(2, spec.outputSize(2, 4));
        Tensor y = ReferencePool.maxPool3d(spec, row(1, 2, 3, 4));
        // windows [-1, 1) and [2, 4)
        assertArrayEquals(new float[] {1, 4}, y.data(), EPS);
    }

    @Test
    void maxPoolPropagatesNaN() {
        Tensor y = ReferencePool.maxPool3d(maxW(2, 2, 0, 1, false), row(Float.NaN, 7, 1, Float.NaN, 3, 4));
        assertTrue(Float.isNaN(y.data()[0]), "NaN first in its window");
        assertTrue(Float.isNaN(y.data()[1]), "NaN last in its window");
        assertEquals(4f, y.data()[2]);
    }

    @Test
    void poolingAcceptsUnbatchedInput() {
        Tensor x = Tensor.random(3, 2, 3, 4, 5);
        PoolSpec spec = PoolSpec.max(Dims3.of(2), Dims3.of(1), Dims3.of(1), Dims3.of(1), false);
        Tensor y = ReferencePool.maxPool3d(spec, x);
        Tensor yb = ReferencePool.maxPool3d(spec, x.reshape(1, 2, 3, 4, 5));
        assertArrayEquals(new int[] {2, 4, 5, 6}, y.shape());
        assertArrayEquals(yb.data(), y.data());
        assertEquals(4, ReferencePool.avgPool3d(PoolSpec.avg(Dims3.of(2), Dims3.of(2), Dims3.of(0), false, true, 0),
                x).rank());
        assertEquals(4, ReferencePool.adaptiveAvgPool3d(x, Dims3.of(1)).rank());
    }

    @Test
    void avgPoolDivisorWithPaddingAndCeilMode() {
        Tensor x = row(1, 2, 3, 4, 5);
        // k=3, s=2, p=1, in=5, ceil: windows [-1,2) [1,4) [3,6); pool_size 3 each; clipped sizes 2, 3, 2
        assertArrayEquals(new float[] {1, 3, 3},
                ReferencePool.avgPool3d(avgW(3, 2, 1, true, true, 0), x).data(), EPS);
        assertArrayEquals(new float[] {1.5f, 3, 4.5f},
                ReferencePool.avgPool3d(avgW(3, 2, 1, true, false, 0), x).data(), EPS);
        assertArrayEquals(new float[] {1.5f, 4.5f, 4.5f},
                ReferencePool.avgPool3d(avgW(3, 2, 1, true, true, 2), x).data(), EPS);
    }

    @Test
    void avgPoolCeilWindowPastRightPaddingIsNotCountedAsPadding() {
        // in=6, k=3, s=2, p=1, ceil: 4 windows; the last is [5, min(8, in+pad=7)) so pool_size = 2, clipped = 1
        Tensor x = row(1, 2, 3, 4, 5, 6);
        assertArrayEquals(new float[] {1, 3, 5, 3},
                ReferencePool.avgPool3d(avgW(3, 2, 1, true, true, 0), x).data(), EPS);
        assertArrayEquals(new float[] {1.5f, 3, 5, 6},
                ReferencePool.avgPool3d(avgW(3, 2, 1, true, false, 0), x).data(), EPS);
    }

    @Test
    void avgPoolCeilModeWithoutPadding() {
        // in=5, k=2, s=2, ceil: last window [4, min(6, 5)) has pool_size 1 even with count_include_pad
        Tensor x = row(1, 2, 3, 4, 5);
        assertArrayEquals(new float[] {1.5f, 3.5f, 5},
                ReferencePool.avgPool3d(avgW(2, 2, 0, true, true, 0), x).data(), EPS);
        assertArrayEquals(new float[] {1.5f, 3.5f},
                ReferencePool.avgPool3d(avgW(2, 2, 0, false, true, 0), x).data(), EPS);
    }

    @Test
    void avgPoolDivisorIsAProductOverThreeAxes() {
        Tensor ones = new Tensor(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 2, 2, 2);
        // k=2, s=2, p=1 on 2x2x2: 8 windows, each holding one real element out of 2*2*2
        Tensor incl = ReferencePool.avgPool3d(PoolSpec.avg(Dims3.of(2), Dims3.of(2), Dims3.of(1), false, true, 0),
                ones);
        Tensor excl = ReferencePool.avgPool3d(PoolSpec.avg(Dims3.of(2), Dims3.of(2), Dims3.of(1), false, false, 0),
                ones);
        assertArrayEquals(new int[] {1, 1, 2, 2, 2}, incl.shape());
        for (int i = 0; i < 8; i++) {
            assertEquals(0.125f, incl.data()[i], EPS);
            assertEquals(1f, excl.data()[i], EPS);
        }
    }

    @Test
    void avgPoolOverWholeVolumeIsTheMean() {
        Tensor x = arange(2, 3, 2, 3, 4);
        Tensor y = ReferencePool.avgPool3d(PoolSpec.avg(new Dims3(2, 3, 4), Dims3.of(1), Dims3.of(0), false, true, 0),
                x);
        assertArrayEquals(new int[] {2, 3, 1, 1, 1}, y.shape());
        for (int plane = 0; plane < 6; plane++) {
            assertEquals(plane * 24 + 11.5f, y.data()[plane], EPS);
        }
    }

    @Test
    void avgPoolRejectsDilation() {
        PoolSpec spec = new PoolSpec(Dims3.of(2), Dims3.of(1), Dims3.of(0), Dims3.of(2), false, true, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferencePool.avgPool3d(spec, Tensor.zeros(1, 1, 4, 4, 4)));
        assertEquals("avg_pool3d: dilation must be 1, got (2, 2, 2)", e.getMessage());
    }

    @Test
    void adaptivePoolWithNonDividingSizes() {
        // in=5 -> out=3: [0,2) [1,4) [3,5)
        assertArrayEquals(new float[] {1.5f, 3, 4.5f},
                ReferencePool.adaptiveAvgPool3d(row(1, 2, 3, 4, 5), new Dims3(1, 1, 3)).data(), EPS);
        // in=2 -> out=3 (upsampling): [0,1) [0,2) [1,2)
        assertArrayEquals(new float[] {1, 1.5f, 2},
                ReferencePool.adaptiveAvgPool3d(row(1, 2), new Dims3(1, 1, 3)).data(), EPS);
        // in=7 -> out=3: [0,3) [2,5) [4,7)
        assertArrayEquals(new float[] {1, 3, 5},
                ReferencePool.adaptiveAvgPool3d(row(0, 1, 2, 3, 4, 5, 6), new Dims3(1, 1, 3)).data(), EPS);
    }

    @Test
    void adaptivePoolIsSeparableAcrossAxes() {
        // x[d, h, w] = 100*d + 10*h + w, so each axis averages independently
        Tensor x = Tensor.zeros(1, 1, 3, 5, 7);
        for (int d = 0; d < 3; d++) {
            for (int h = 0; h < 5; h++) {
                for (int w = 0; w < 7; w++) {
                    x.data()[(d * 5 + h) * 7 + w] = 100 * d + 10 * h + w;
                }
            }
        }
        Tensor y = ReferencePool.adaptiveAvgPool3d(x, new Dims3(2, 3, 3));
        assertArrayEquals(new int[] {1, 1, 2, 3, 3}, y.shape());
        float[] md = {0.5f, 1.5f}; // [0,2) [1,3)
        float[] mh = {0.5f, 2, 3.5f}; // [0,2) [1,4) [3,5)
        float[] mw = {1, 3, 5}; // [0,3) [2,5) [4,7)
        int i = 0;
        for (float d : md) {
            for (float h : mh) {
                for (float w : mw) {
                    assertEquals(100 * d + 10 * h + w, y.data()[i++], 1e-4f);
                }
            }
        }
    }

    @Test
    void adaptivePoolIdentityAndGlobalMean() {
        Tensor x = Tensor.random(7, 2, 3, 4, 5, 6);
        assertEquals(0.0, ReferencePool.adaptiveAvgPool3d(x, new Dims3(4, 5, 6)).maxAbsDiff(x));
        Tensor g = ReferencePool.adaptiveAvgPool3d(x, Dims3.of(1));
        double sum = 0;
        for (int i = 0; i < 120; i++) {
            sum += x.data()[i];
        }
        assertEquals(sum / 120, g.data()[0], 1e-6);
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferencePool.maxPool3d(maxW(2, 2, 0, 1, false), Tensor.zeros(1, 4, 4)));
        assertEquals("max_pool3d: input must have shape [N, C, D, H, W] or [C, D, H, W], got [1, 4, 4]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferencePool.adaptiveAvgPool3d(Tensor.zeros(1, 2, 0, 4, 4), Dims3.of(1)));
        assertEquals("adaptive_avg_pool3d: input must have non-zero C, D, H and W, got [1, 2, 0, 4, 4]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferencePool.maxPool3d(maxW(3, 1, 0, 1, false), row(1, 2)));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        // avg_pool3d compares the unpadded input with the kernel even where padding would make room
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferencePool.avgPool3d(avgW(4, 1, 2, false, true, 0), row(1, 2, 3)));
        assertEquals("avg_pool3d: input spatial size must be at least kernel_size (1, 1, 4) on every axis (padding"
                + " does not count), got input [1, 1, 1, 1, 3]", e.getMessage());
    }
}
