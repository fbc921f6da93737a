package io.cubist.kernels.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.tensor.Tensor;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code torch.sigmoid} and swish ({@code F.silu}): the reference against values torch 1.13 prints in float32, and
 * every backend against the reference on a random tensor with a vector-unaligned tail and extreme values.
 */
class SigmoidSwishTest {

    @Test
    void referenceMatchesTorch() {
        Backend ref = new ReferenceBackend();
        Tensor x = new Tensor(new float[] {0f, 1f, -1f, 20f, -20f, 100f, -100f}, 7);
        // torch.sigmoid / F.silu of the same float32 values
        assertArrayEquals(new float[] {0.5f, 0.7310586f, 0.26894143f, 1f, 2.0611537e-09f, 1f, 0f},
                ref.sigmoid(x).data(), 1e-7f);
        assertArrayEquals(new float[] {0f, 0.7310586f, -0.26894143f, 20f, -4.1223075e-08f, 100f, -0f},
                ref.swish(x).data(), 1e-6f);
    }

    static Stream<String> backends() {
        return Backends.available().stream().map(Backend::name);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void everyBackendAgreesWithTheReference(String name) {
        Backend b = Backends.select(name);
        Tensor x = Tensor.random(3, 2, 5, 7, 11, 13);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] *= 12; // [-12, 12): well into both tails
        }
        d[0] = 90f;
        d[1] = -90f;
        Backend ref = new ReferenceBackend();
        Tensor s = b.sigmoid(x);
        Tensor w = b.swish(x);
        assertEquals(java.util.Arrays.toString(x.shape()), java.util.Arrays.toString(w.shape()));
        double ds = ref.sigmoid(x).maxAbsDiff(s);
        double dw = ref.swish(x).maxAbsDiff(w);
        assertTrue(ds <= 1e-6, name + ": sigmoid max abs error " + ds);
        assertTrue(dw <= 1e-5, name + ": swish max abs error " + dw);
        System.out.printf("%s: sigmoid max abs error %.3g, swish %.3g%n", name, ds, dw);
    }

    /** The squeeze-and-excitation scaling, with and without the swish after it, on every backend. */
    @ParameterizedTest
    @MethodSource("backends")
    void scaleChannelsAgreesWithTheReference(String name) {
        Backend b = Backends.select(name);
        Tensor x = Tensor.random(5, 2, 3, 4, 5, 7);
        Tensor g = Tensor.random(6, 2, 3, 1, 1, 1);
        Backend ref = new ReferenceBackend();
        for (boolean swish : new boolean[] {false, true}) {
            Tensor want = ref.scaleChannels(x, g, swish);
            double d = want.maxAbsDiff(b.scaleChannels(x, g, swish));
            assertTrue(d <= 1e-6, name + " swish=" + swish + ": max abs error " + d);
        }
        // the reference itself: x * g, then swish
        float v = x.data()[4 * 5 * 7 + 3] * g.data()[1];
        assertEquals(v, ref.scaleChannels(x, g, false).data()[4 * 5 * 7 + 3], 0f);
        assertEquals(v / (1 + Math.exp(-v)), ref.scaleChannels(x, g, true).data()[4 * 5 * 7 + 3], 1e-6);
    }
}
