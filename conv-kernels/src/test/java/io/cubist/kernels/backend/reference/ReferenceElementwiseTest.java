package io.cubist.kernels.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ReferenceElementwiseTest {

    private static final float EPS = 1e-6f;

    private static Tensor vec(float... values) {
        return new Tensor(values, values.length);
    }

    @Test
    void batchNormHandComputed() {
        Tensor x = new Tensor(new float[] {1, 2, 3, 4}, 1, 2, 2);
        Tensor y = ReferenceElementwise.batchNorm(x, vec(1, 2), vec(4, 1), vec(2, 3), vec(1, -1), 0.0);
        // ch0: (x - 1) / 2 * 2 + 1; ch1: (x - 2) / 1 * 3 - 1
        assertArrayEquals(new int[] {1, 2, 2}, y.shape());
        assertArrayEquals(new float[] {1, 2, 2, 5}, y.data(), EPS);
    }

    @Test
    void batchNormEpsAndNullAffine() {
        Tensor x = new Tensor(new float[] {3, 5, 7, 9}, 2, 2);
        Tensor y = ReferenceElementwise.batchNorm(x, vec(1, 1), vec(0, 3), null, null, 1.0);
        // ch0: (x - 1) / 1; ch1: (x - 1) / 2
        assertArrayEquals(new float[] {2, 2, 6, 4}, y.data(), EPS);
    }

    @Test
    void batchNormUsesDimensionOneAsChannelAtEveryRank() {
        Tensor x = Tensor.random(1, 2, 3, 2, 2, 2);
        Tensor mean = Tensor.random(2, 3);
        Tensor var = vec(0.5f, 1.5f, 2.5f);
        Tensor w = Tensor.random(3, 3);
        Tensor b = Tensor.random(4, 3);
        Tensor y5 = ReferenceElementwise.batchNorm(x, mean, var, w, b, 1e-5);
        Tensor y3 = ReferenceElementwise.batchNorm(x.reshape(2, 3, 8), mean, var, w, b, 1e-5);
        assertArrayEquals(y5.data(), y3.data());
        for (int i = 0; i < x.numel(); i++) {
            int c = (i / 8) % 3;
            double expect = (x.data()[i] - mean.data()[c]) / Math.sqrt(var.data()[c] + 1e-5) * w.data()[c]
                    + b.data()[c];
            assertEquals(expect, y5.data()[i], 1e-6);
        }
    }

    @Test
    void batchNormBadShapes() {
        Tensor x = Tensor.zeros(2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.batchNorm(x, Tensor.zeros(4), Tensor.zeros(3), null, null, 1e-5));
        assertEquals("batch_norm: running_mean must have shape [3] (the input's channels), got [4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.batchNorm(x, Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(1, 3), null,
                        1e-5));
        assertEquals("batch_norm: weight must have shape [3] (the input's channels), got [1, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.batchNorm(x, Tensor.zeros(3), null, null, null, 1e-5));
        assertEquals("batch_norm: running_var is required in inference (shape [3]), got null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.batchNorm(Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(3), null, null,
                        1e-5));
        assertEquals("batch_norm: input must have shape [N, C, ...] (rank >= 2), got [3]", e.getMessage());
    }

    @Test
    void reluClampsNegativesAndKeepsNaN() {
        Tensor x = new Tensor(new float[] {-1, 0, 2.5f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY},
                2, 3);
        Tensor y = ReferenceElementwise.relu(x);
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertEquals(0f, y.data()[0]);
        assertEquals(0f, y.data()[1]);
        assertEquals(2.5f, y.data()[2]);
        assertTrue(Float.isNaN(y.data()[3]));
        assertEquals(0f, y.data()[4]);
        assertEquals(Float.POSITIVE_INFINITY, y.data()[5]);
        assertEquals(-1f, x.data()[0], "input unchanged");
    }

    @Test
    void linearHandComputed() {
        Tensor x = new Tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor w = new Tensor(new float[] {1, 0, -1, 0.5f, 0.5f, 0.5f}, 2, 3);
        Tensor y = ReferenceElementwise.linear(x, w, vec(10, -1));
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new float[] {8, 2, 8, 6.5f}, y.data(), EPS);
        assertArrayEquals(new float[] {-2, 3, -2, 7.5f}, ReferenceElementwise.linear(x, w, null).data(), EPS);
    }

    @Test
    void linearOnRankOneAndRankThreeInputs() {
        Tensor w = Tensor.random(5, 4, 3);
        Tensor b = Tensor.random(6, 4);
        Tensor x = Tensor.random(7, 2, 5, 3);
        Tensor y = ReferenceElementwise.linear(x, w, b);
        assertArrayEquals(new int[] {2, 5, 4}, y.shape());
        for (int r = 0; r < 10; r++) {
            Tensor row = new Tensor(java.util.Arrays.copyOfRange(x.data(), r * 3, r * 3 + 3), 3);
            Tensor yr = ReferenceElementwise.linear(row, w, b);
            assertArrayEquals(new int[] {4}, yr.shape());
            assertArrayEquals(java.util.Arrays.copyOfRange(y.data(), r * 4, r * 4 + 4), yr.data());
        }
    }

    @Test
    void linearBadShapes() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.linear(x, Tensor.zeros(4, 5), null));
        assertEquals("linear: weight must have shape [out_features, 3] (in_features from the input's last dimension),"
                + " got [4, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.linear(x, Tensor.zeros(4, 3), Tensor.zeros(3)));
        assertEquals("linear: bias must have shape [4] (out_features), got [3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceElementwise.linear(new Tensor(new float[] {1}), Tensor.zeros(4, 3), null));
        assertTrue(e.getMessage().startsWith("linear: input must have shape [..., in_features]"), e.getMessage());
    }
}
