package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * fvcore's 3D {@code SqueezeExcitation} (X3D's SE): {@code x * sigmoid(conv2(relu(conv1(mean_THW(x)))))}, the two
 * convolutions 1×1×1 with bias, {@code C -> reduced -> C}. {@code [N, C, D, H, W] -> [N, C, D, H, W]}.
 *
 * <p>State: {@code block.0.weight [reduced, C, 1, 1, 1]}, {@code block.0.bias}, {@code block.2.weight},
 * {@code block.2.bias} (children {@code avg_pool} and {@code block = Sequential(Conv3d, ReLU, Conv3d, Sigmoid)}).
 * MACs: the two convolutions on the pooled {@code [N, C, 1, 1, 1]}. Receptive field: the whole input (the gate
 * depends on every position); reported as the identity's, as the per-position path.
 */
public final class SqueezeExcitation implements Module {

    private final int channels;
    private final int reduced;
    private final List<Child> children;

    public SqueezeExcitation(int channels, int reduced) {
        if (channels < 1 || reduced < 1) {
            throw new IllegalArgumentException("SqueezeExcitation: channels must be >= 1, got " + channels + " -> "
                    + reduced);
        }
        this.channels = channels;
        this.reduced = reduced;
        int[] one = {1, 1, 1};
        this.children = List.of(
                new Child("avg_pool", new AdaptiveAvgPool3d(Dims3.of(1))),
                new Child("block", Sequential.of(
                        new Conv3d(ConvSpec.builder(3, channels, reduced, one).bias(true).build()), new ReLU(),
                        new Conv3d(ConvSpec.builder(3, reduced, channels, one).bias(true).build()),
                        Activation.sigmoid())));
    }

    public int channels() {
        return channels;
    }

    public int reduced() {
        return reduced;
    }

    @Override
    public String kind() {
        return "SqueezeExcitation";
    }

    @Override
    public List<Child> children() {
        return children;
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw(kind(), in, channels);
        return in.clone();
    }

    @Override
    public long macs(int[] in) {
        outputShape(in);
        return 2L * in[0] * channels * reduced;
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        return ReceptiveField.IDENTITY;
    }

    @Override
    public List<StateEntry> stateDict() {
        return Module.stateDictOf(children);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of(new Op.Gate(path, Chain.lower(children, weights, path, Taps.NONE)));
    }

    @Override
    public String toString() {
        return "SqueezeExcitation(" + channels + " -> " + reduced + ")";
    }
}
