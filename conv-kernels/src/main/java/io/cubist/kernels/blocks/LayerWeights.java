package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where a block gets the parameters of each of its layers: a block asks for every layer by name and spec while it
 * is being built.
 */
@FunctionalInterface
public interface LayerWeights {

    ConvLayer layer(String name, ConvSpec spec);

    /**
     * Given tensors keyed as a PyTorch {@code state_dict} relative to the block ({@code conv1.weight},
     * {@code conv1.bias}, ...). A missing key or a wrong shape is an error naming the key.
     */
    static LayerWeights of(Map<String, Tensor> tensors) {
        return (name, spec) -> {
            Tensor w = tensors.get(name + ".weight");
            if (w == null) {
                throw new IllegalArgumentException("missing tensor '" + name + ".weight' of shape "
                        + Arrays.toString(spec.weightShape()) + " for " + spec + "; keys present: "
                        + tensors.keySet());
            }
            Tensor b = tensors.get(name + ".bias");
            if (spec.bias() && b == null) {
                throw new IllegalArgumentException("missing tensor '" + name + ".bias' of shape ["
                        + spec.outChannels() + "] for " + spec);
            }
            return new ConvLayer(name, spec, w, spec.bias() ? b : null);
        };
    }

    /**
     * Seeded random parameters drawn as PyTorch initializes a conv: uniform in {@code ±1/sqrt(fan_in)},
     * {@code fan_in = in/groups * prod(kernel)}, for weights and biases alike (not PyTorch's random stream). Each
     * layer's stream depends on {@code seed} and the layer name only, so two blocks with equally named and shaped
     * layers get equal weights.
     */
    static LayerWeights random(long seed) {
        return (name, spec) -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + name.hashCode());
            double bound = 1 / Math.sqrt((double) spec.inChannels() / spec.groups() * spec.kernel().product());
            return new ConvLayer(name, spec, uniform(r, bound, spec.weightShape()),
                    spec.bias() ? uniform(r, bound, spec.outChannels()) : null);
        };
    }

    private static Tensor uniform(SplittableRandom r, double bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return t;
    }
}
