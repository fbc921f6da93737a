package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * One named convolution of a block with its parameters.
 *
 * @param name   the layer's name inside its block ({@code conv1}, {@code depthwise}, ...); the weight key is
 *               {@code name + ".weight"} as in a PyTorch {@code state_dict}
 * @param weight {@link ConvSpec#weightShape()}: {@code [out, in/groups, k...]}
 * @param bias   {@code [out]}, or null when {@code spec.bias()} is false
 */
public record ConvLayer(String name, ConvSpec spec, Tensor weight, Tensor bias) {

    public ConvLayer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(weight, name + ".weight");
        if (spec.transposed()) {
            throw new IllegalArgumentException(name + ": blocks are built from forward convolutions, got " + spec);
        }
        if (!Arrays.equals(weight.shape(), spec.weightShape())) {
            throw new IllegalArgumentException(name + ".weight must have shape " + Arrays.toString(spec.weightShape())
                    + " for " + spec + ", got " + Arrays.toString(weight.shape()));
        }
        if (spec.bias() != (bias != null)) {
            throw new IllegalArgumentException(name + ": " + spec + (spec.bias() ? " needs a bias of shape ["
                    + spec.outChannels() + "]" : " has bias=False but a bias was given"));
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != spec.outChannels())) {
            throw new IllegalArgumentException(name + ".bias must have shape [" + spec.outChannels() + "], got "
                    + Arrays.toString(bias.shape()));
        }
    }

    public long parameterCount() {
        return spec.parameterCount();
    }
}
