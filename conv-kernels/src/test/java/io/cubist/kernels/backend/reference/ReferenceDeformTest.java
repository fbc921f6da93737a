package io.cubist.kernels.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceDeformTest {

    private static final DeformSpec UNIT = new DeformSpec(Dims3.of(1), Dims3.of(0), Dims3.of(1));

    /**
     * A direct grouped conv3d (cross-correlation, zero padding) where kernel point {@code (a, e, l)} of output
     * {@code (z, u, v)} reads input position {@code p + shift}, {@code shift} being whole numbers looked up per
     * offset group and kernel point and output position from {@code offset} (null: no shift).
     */
    private static Tensor shiftedConv(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias) {
        int[] is = input.shape();
        int[] ws = weight.shape();
        int n = is[0];
        int c = is[1];
        int o = ws[0];
        int cg = ws[1];
        int groups = c / cg;
        int k = ws[2] * ws[3] * ws[4];
        Dims3 out = spec.outputSize(new Dims3(is[2], is[3], is[4]), new Dims3(ws[2], ws[3], ws[4]));
        int g = offset == null ? 1 : offset.dim(1) / (3 * k);
        Tensor y = Tensor.zeros(n, o, out.d(), out.h(), out.w());
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                for (int z = 0; z < out.d(); z++) {
                    for (int u = 0; u < out.h(); u++) {
                        for (int v = 0; v < out.w(); v++) {
                            double sum = bias == null ? 0 : bias.data()[oc];
                            for (int ci = 0; ci < cg; ci++) {
                                int ch = (oc / (o / groups)) * cg + ci;
                                int og = ch / (c / g);
                                int kp = 0;
                                for (int a = 0; a < ws[2]; a++) {
                                    for (int e = 0; e < ws[3]; e++) {
                                        for (int l = 0; l < ws[4]; l++, kp++) {
                                            int[] p = {
                                                z * spec.stride().d() - spec.padding().d() + a * spec.dilation().d(),
                                                u * spec.stride().h() - spec.padding().h() + e * spec.dilation().h(),
                                                v * spec.stride().w() - spec.padding().w() + l * spec.dilation().w()};
                                            if (offset != null) {
                                                for (int ax = 0; ax < 3; ax++) {
                                                    p[ax] += (int) at(offset, b, 3 * (og * k + kp) + ax, z, u, v);
                                                }
                                            }
                                            if (p[0] < 0 || p[0] >= is[2] || p[1] < 0 || p[1] >= is[3]
                                                    || p[2] < 0 || p[2] >= is[4]) {
                                                continue;
                                            }
                                            sum += (double) at(weight, oc, ci, a, e, l)
                                                    * at(input, b, ch, p[0], p[1], p[2]);
                                        }
                                    }
                                }
                            }
                            y.data()[(((b * o + oc) * out.d() + z) * out.h() + u) * out.w() + v] = (float) sum;
                        }
                    }
                }
            }
        }
        return y;
    }

    private static float at(Tensor t, int i0, int i1, int i2, int i3, int i4) {
        int[] s = t.shape();
        return t.data()[(((i0 * s[1] + i1) * s[2] + i2) * s[3] + i3) * s[4] + i4];
    }

    private static Tensor scaled(Tensor t, float f) {
        Tensor r = t.copy();
        for (int i = 0; i < r.numel(); i++) {
            r.data()[i] *= f;
        }
        return r;
    }

    private static Tensor randomIntegers(SplittableRandom rnd, int lo, int hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) {
            t.data()[i] = lo + rnd.nextInt(hi - lo + 1);
        }
        return t;
    }

    @Test
    void zeroOffsetsWithoutMaskIsConv3d() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int trial = 0; trial < 20; trial++) {
            int groups = 1 + rnd.nextInt(2);
            int g = 1 + rnd.nextInt(2);
            int c = groups * g * (1 + rnd.nextInt(2));
            int o = groups * (1 + rnd.nextInt(2));
            Dims3 kernel = new Dims3(1 + rnd.nextInt(3), 1 + rnd.nextInt(3), 1 + rnd.nextInt(3));
            DeformSpec spec = new DeformSpec(new Dims3(1 + rnd.nextInt(2), 1 + rnd.nextInt(2), 1 + rnd.nextInt(2)),
                    new Dims3(rnd.nextInt(2), rnd.nextInt(2), rnd.nextInt(2)),
                    new Dims3(1 + rnd.nextInt(2), 1 + rnd.nextInt(2), 1 + rnd.nextInt(2)));
            int n = 1 + rnd.nextInt(2);
            Tensor input = Tensor.random(trial, n, c, 5 + rnd.nextInt(2), 5 + rnd.nextInt(3), 6);
            Tensor weight = Tensor.random(100 + trial, o, c / groups, kernel.d(), kernel.h(), kernel.w());
            Tensor bias = rnd.nextBoolean() ? Tensor.random(200 + trial, o) : null;
            int k = (int) kernel.product();
            Dims3 out = spec.outputSize(new Dims3(input.dim(2), input.dim(3), input.dim(4)), kernel);
            Tensor offset = Tensor.zeros(n, 3 * g * k, out.d(), out.h(), out.w());
            Tensor y = ReferenceDeform.deformConv3d(spec, input, offset, weight, bias, null);
            Tensor expected = shiftedConv(spec, input, null, weight, bias);
            assertArrayEquals(expected.shape(), y.shape());
            assertTrue(y.maxAbsDiff(expected) < 1e-5, "trial " + trial + ": max diff " + y.maxAbsDiff(expected));
        }
    }

    @Test
    void integerOffsetsSampleTheShiftedInput() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int trial = 0; trial < 20; trial++) {
            int groups = 1 + rnd.nextInt(2);
            int g = 1 + rnd.nextInt(2);
            int c = groups * g;
            int o = 2 * groups;
            Dims3 kernel = new Dims3(1 + rnd.nextInt(2), 1 + rnd.nextInt(3), 1 + rnd.nextInt(3));
            DeformSpec spec = new DeformSpec(new Dims3(1, 1 + rnd.nextInt(2), 1), Dims3.of(rnd.nextInt(2)),
                    new Dims3(1, 1, 1 + rnd.nextInt(2)));
            int n = 1 + rnd.nextInt(2);
            Tensor input = Tensor.random(trial, n, c, 3, 5, 5);
            Tensor weight = Tensor.random(100 + trial, o, c / groups, kernel.d(), kernel.h(), kernel.w());
            int k = (int) kernel.product();
            Dims3 out = spec.outputSize(new Dims3(3, 5, 5), kernel);
            Tensor offset = randomIntegers(rnd, -3, 3, n, 3 * g * k, out.d(), out.h(), out.w());
            Tensor y = ReferenceDeform.deformConv3d(spec, input, offset, weight, null, null);
            Tensor expected = shiftedConv(spec, input, offset, weight, null);
            assertTrue(y.maxAbsDiff(expected) < 1e-5, "trial " + trial + ": max diff " + y.maxAbsDiff(expected));
        }
    }

    @Test
    void constantIntegerOffsetIsConvOfTheShiftedVolume() {
        // (Δd, Δh, Δw) = (1, -1, 2) everywhere, kernel 1: output[z, u, v] = w * x[z+1, u-1, v+2] (0 outside)
        Tensor x = Tensor.random(5, 1, 1, 3, 4, 5);
        Tensor offset = Tensor.zeros(1, 3, 3, 4, 5);
        Arrays.fill(offset.data(), 0, 60, 1f);
        Arrays.fill(offset.data(), 60, 120, -1f);
        Arrays.fill(offset.data(), 120, 180, 2f);
        Tensor weight = new Tensor(new float[] {2f}, 1, 1, 1, 1, 1);
        Tensor y = ReferenceDeform.deformConv3d(UNIT, x, offset, weight, null, null);
        for (int z = 0; z < 3; z++) {
            for (int u = 0; u < 4; u++) {
                for (int v = 0; v < 5; v++) {
                    boolean inside = z + 1 < 3 && u - 1 >= 0 && v + 2 < 5;
                    float expect = inside ? 2 * at(x, 0, 0, z + 1, u - 1, v + 2) : 0f;
                    assertEquals(expect, at(y, 0, 0, z, u, v), 1e-6f, "at " + z + "," + u + "," + v);
                }
            }
        }
    }

    @Test
    void fractionalOffsetsInterpolateWithOutsideCornersAsZero() {
        Tensor x = new Tensor(new float[] {1, 3}, 1, 1, 1, 1, 2);
        Tensor weight = new Tensor(new float[] {1f}, 1, 1, 1, 1, 1);
        // Δw per output: 0.25 -> 0.75*1 + 0.25*3; 0.5 at w=1 -> 0.5*3 + 0.5*(outside)
        Tensor offset = new Tensor(new float[] {0, 0, 0, 0, 0.25f, 0.5f}, 1, 3, 1, 1, 2);
        assertArrayEquals(new float[] {1.5f, 1.5f},
                ReferenceDeform.deformConv3d(UNIT, x, offset, weight, null, null).data(), 1e-6f);
        // output 0 samples p = Δ: at or beyond -1 or size (2) it is zero; in between, outside corners add nothing
        float[][] cases = {{-1.5f, 0}, {-1, 0}, {-0.5f, 0.5f}, {-0.25f, 0.75f}, {1, 3}, {1.5f, 1.5f}, {2, 0}, {5, 0}};
        for (float[] pc : cases) {
            Tensor off = new Tensor(new float[] {0, 0, 0, 0, pc[0], 0}, 1, 3, 1, 1, 2);
            Tensor y = ReferenceDeform.deformConv3d(UNIT, x, off, weight, null, null);
            assertEquals(pc[1], y.data()[0], 1e-6f, "p = " + pc[0]);
        }
    }

    @Test
    void trilinearAtTheCentreOfACubeIsTheMean() {
        Tensor x = Tensor.random(9, 1, 1, 2, 2, 2);
        Tensor offset = new Tensor(new float[] {0.5f, 0.5f, 0.5f}, 1, 3, 1, 1, 1);
        Tensor weight = new Tensor(new float[] {1f}, 1, 1, 1, 1, 1);
        DeformSpec spec = new DeformSpec(Dims3.of(2), Dims3.of(0), Dims3.of(1));
        Tensor y = ReferenceDeform.deformConv3d(spec, x, offset, weight, null, null);
        double mean = 0;
        for (float v : x.data()) {
            mean += v / 8.0;
        }
        assertArrayEquals(new int[] {1, 1, 1, 1, 1}, y.shape());
        assertEquals(mean, y.data()[0], 1e-6);
        // one axis at a time: a linear blend of two neighbours
        Tensor offD = new Tensor(new float[] {0.25f, 0, 0}, 1, 3, 1, 1, 1);
        float expect = 0.75f * at(x, 0, 0, 0, 0, 0) + 0.25f * at(x, 0, 0, 1, 0, 0);
        assertEquals(expect, ReferenceDeform.deformConv3d(spec, x, offD, weight, null, null).data()[0], 1e-6f);
    }

    @Test
    void nanNeighbourPropagatesThroughAZeroWeightCorner() {
        Tensor x = new Tensor(new float[] {1, Float.NaN}, 1, 1, 1, 1, 2);
        Tensor offset = Tensor.zeros(1, 3, 1, 1, 2);
        Tensor y = ReferenceDeform.deformConv3d(UNIT, x, offset, new Tensor(new float[] {1f}, 1, 1, 1, 1, 1), null,
                null);
        assertTrue(Float.isNaN(y.data()[0]), "torchvision multiplies the NaN corner by its zero weight");
    }

    @Test
    void maskScalesLinearly() {
        DeformSpec spec = new DeformSpec(new Dims3(1, 2, 1), Dims3.of(1), new Dims3(1, 1, 2));
        Tensor input = Tensor.random(1, 2, 4, 3, 5, 6);
        Tensor weight = Tensor.random(2, 6, 2, 2, 3, 2);
        Dims3 out = spec.outputSize(new Dims3(3, 5, 6), new Dims3(2, 3, 2));
        int gk = 2 * 12;
        Tensor offset = Tensor.random(3, 2, 3 * gk, out.d(), out.h(), out.w());
        for (int i = 0; i < offset.numel(); i++) {
            offset.data()[i] *= 2.5f;
        }
        Tensor m1 = Tensor.random(4, 2, gk, out.d(), out.h(), out.w());
        Tensor m2 = Tensor.random(5, 2, gk, out.d(), out.h(), out.w());
        Tensor sum = m1.copy();
        for (int i = 0; i < sum.numel(); i++) {
            sum.data()[i] += m2.data()[i];
        }
        Tensor y1 = ReferenceDeform.deformConv3d(spec, input, offset, weight, null, m1);
        Tensor y2 = ReferenceDeform.deformConv3d(spec, input, offset, weight, null, m2);
        Tensor y12 = ReferenceDeform.deformConv3d(spec, input, offset, weight, null, sum);
        Tensor y3 = ReferenceDeform.deformConv3d(spec, input, offset, weight, null, scaled(m1, 3f));
        for (int i = 0; i < y1.numel(); i++) {
            assertEquals(y1.data()[i] + y2.data()[i], y12.data()[i], 1e-4);
            assertEquals(3 * y1.data()[i], y3.data()[i], 1e-4);
        }
        Tensor ones = Tensor.zeros(m1.shape());
        Arrays.fill(ones.data(), 1f);
        Tensor bias = Tensor.random(6, 6);
        assertEquals(0.0, ReferenceDeform.deformConv3d(spec, input, offset, weight, bias, ones)
                .maxAbsDiff(ReferenceDeform.deformConv3d(spec, input, offset, weight, bias, null)));
        assertTrue(y1.maxAbs() > 0.1, "the case is not trivial");
    }

    @Test
    void maskAndOffsetChannelsFollowTheOffsetGroupOfTheInputChannel() {
        // C=2, G=2, K=1: channel 0 uses offset channels 0..2 and mask channel 0; channel 1 uses 3..5 and mask 1
        Tensor x = new Tensor(new float[] {1, 2, 3, 10, 20, 30}, 1, 2, 1, 1, 3);
        // offset channel 5 = 3*(g*K + k) + 2 with g=1, k=0: Δw = 1 for input channel 1
        Tensor offset = new Tensor(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, 1, 6, 1, 1, 3);
        Tensor mask = new Tensor(new float[] {1, 1, 1, 0.5f, 0.5f, 0.5f}, 1, 2, 1, 1, 3);
        Tensor weight = new Tensor(new float[] {1, 1}, 1, 2, 1, 1, 1);
        Tensor y = ReferenceDeform.deformConv3d(UNIT, x, offset, weight, null, mask);
        // out[v] = x0[v] + 0.5 * x1[v + 1]
        assertArrayEquals(new float[] {1 + 10, 2 + 15, 3 + 0}, y.data(), 1e-6f);
    }

    @Test
    void depthOneKernelActsOnEachSliceIndependently() {
        int d = 3;
        Tensor input = Tensor.random(1, 1, 2, d, 5, 5);
        Tensor weight = Tensor.random(2, 3, 2, 1, 3, 3);
        DeformSpec spec = new DeformSpec(Dims3.of(1), new Dims3(0, 1, 1), Dims3.of(1));
        Tensor offset = Tensor.random(3, 1, 27, d, 5, 5);
        for (int ch = 0; ch < 27; ch += 3) {
            Arrays.fill(offset.data(), ch * d * 25, (ch + 1) * d * 25, 0f); // Δd = 0
        }
        Tensor y = ReferenceDeform.deformConv3d(spec, input, offset, weight, null, null);
        for (int z = 0; z < d; z++) {
            Tensor xs = slice(input, z);
            Tensor os = slice(offset, z);
            Tensor ys = ReferenceDeform.deformConv3d(spec, xs, os, weight, null, null);
            assertEquals(0.0, ys.maxAbsDiff(slice(y, z)), "slice " + z);
        }
    }

    private static Tensor slice(Tensor t, int z) {
        int[] s = t.shape();
        Tensor r = Tensor.zeros(s[0], s[1], 1, s[3], s[4]);
        int plane = s[3] * s[4];
        for (int i = 0; i < s[0] * s[1]; i++) {
            System.arraycopy(t.data(), (i * s[2] + z) * plane, r.data(), i * plane, plane);
        }
        return r;
    }

    @Test
    void badShapesAreNamed() {
        DeformSpec spec = UNIT;
        Tensor input = Tensor.zeros(2, 4, 6, 6, 6);
        Tensor weight = Tensor.zeros(8, 4, 3, 3, 3);
        Tensor offset = Tensor.zeros(2, 81, 4, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, Tensor.zeros(2, 80, 4, 4, 4), weight, null, null));
        assertEquals("deform_conv3d: offset must have shape [2, 81, 4, 4, 4] (3*G*K channels with K=27), got"
                + " [2, 80, 4, 4, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, Tensor.zeros(2, 162, 4, 4, 5), weight, null, null));
        assertEquals("deform_conv3d: offset must have shape [2, 162, 4, 4, 4] (3*G*K channels with K=27), got"
                + " [2, 162, 4, 4, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, Tensor.zeros(2, 243, 4, 4, 4), weight, null, null));
        assertEquals("deform_conv3d: input channels (4) must be divisible by the offset groups"
                + " G = offset.shape[1] / (3*K) = 243 / 81 = 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, offset, weight, null, Tensor.zeros(2, 26, 4, 4, 4)));
        assertEquals("deform_conv3d: mask must have shape [2, 27, 4, 4, 4] (G*K channels with G=1, K=27), got"
                + " [2, 26, 4, 4, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, offset, Tensor.zeros(8, 3, 3, 3, 3), null, null));
        assertEquals("deform_conv3d: weight must have shape [O, C/groups, kd, kh, kw] with C/groups dividing the"
                + " input's 4 channels, got [8, 3, 3, 3, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, offset, Tensor.zeros(3, 2, 3, 3, 3), null, null));
        assertEquals("deform_conv3d: weight's out channels (3) must be divisible by groups = C / weight.shape[1]"
                + " = 4 / 2 = 2, got weight [3, 2, 3, 3, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, input, offset, weight, Tensor.zeros(4), null));
        assertEquals("deform_conv3d: bias must have shape [8] (weight's out channels), got [4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, Tensor.zeros(4, 6, 6, 6), offset, weight, null, null));
        assertEquals("deform_conv3d: input must have shape [N, C, D, H, W], got [4, 6, 6, 6]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceDeform.deformConv3d(spec, Tensor.zeros(2, 4, 2, 6, 6), offset, weight, null, null));
        assertTrue(e.getMessage().startsWith("deform_conv3d: input size (2, 6, 6) is too small for kernel (3, 3, 3)"),
                e.getMessage());
    }
}
