package io.cubist.kernels.blocks;

import io.cubist.kernels.conv.ConvSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Convolutions applied one after another, with an optional ReLU between neighbours: the plain stacks much of the
 * literature's arithmetic is stated on (VGG's two stacked 3x3 convs seeing 5x5, Inception's 1x1 reduction before a
 * 5x5). Shapes: {@code [N, in_0, S...] -> [N, out_last, S'...]}, each layer's output feeding the next.
 * Parameters: {@code sum_l out_l * in_l/groups_l * prod(k_l)} (+ {@code out_l} per layer with bias).
 */
public final class ConvSequence extends AbstractBlock {

    public ConvSequence(String name, boolean reluBetween, List<ConvLayer> layers) {
        super(name, first(layers).spec().spatialDims(), first(layers).spec().inChannels(),
                Stage.convs(reluBetween, layers));
    }

    /** Seeded random weights; layers are named {@code 0, 1, ...} as in {@code nn.Sequential}. */
    public static ConvSequence random(long seed, boolean reluBetween, ConvSpec... specs) {
        LayerWeights w = LayerWeights.random(seed);
        List<ConvLayer> layers = new ArrayList<>();
        for (int i = 0; i < specs.length; i++) {
            layers.add(w.layer(Integer.toString(i), specs[i]));
        }
        return new ConvSequence("ConvSequence", reluBetween, layers);
    }

    private static ConvLayer first(List<ConvLayer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a conv sequence needs at least one layer");
        }
        return layers.get(0);
    }
}
