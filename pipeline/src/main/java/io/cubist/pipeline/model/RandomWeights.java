package io.cubist.pipeline.model;

import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded stand-in weights drawn as torchvision initializes its video ResNets (not from PyTorch's random stream):
 * convolution weights normal with {@code std = sqrt(2 / fan_out)} ({@code kaiming_normal_(mode="fan_out",
 * nonlinearity="relu")}, {@code fan_out = shape[0] * prod(kernel)}), linear weights normal with {@code std = 0.01},
 * biases 0, batch norm weight 1, bias 0, running mean 0 and variance 1. Features computed from them mean nothing;
 * they exist so that a model runs before real weights are at hand. Each tensor's stream depends on the seed and its
 * key only.
 */
public final class RandomWeights {

    private RandomWeights() {
    }

    /** Described in messages as {@code random weights (seed N)}. */
    public static StateDict torchvisionInit(List<StateEntry> entries, long seed) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (StateEntry e : entries) {
            Tensor t = Tensor.zeros(e.shape());
            float[] d = t.data();
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + e.key().hashCode());
            int[] s = e.shape();
            switch (e.role()) {
                case CONV_WEIGHT -> fillNormal(d, r, Math.sqrt(2.0 / ((double) d.length / s[1])));
                case LINEAR_WEIGHT -> fillNormal(d, r, 0.01);
                case BN_WEIGHT, BN_RUNNING_VAR -> java.util.Arrays.fill(d, 1f);
                default -> {
                    // biases, running means and the batch counter start at 0
                }
            }
            m.put(e.key(), t);
        }
        return StateDict.of(m, "random weights (seed " + seed + ")");
    }

    private static void fillNormal(float[] d, SplittableRandom r, double std) {
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextGaussian() * std);
        }
    }
}
