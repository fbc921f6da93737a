package io.cubist.pipeline.model;

import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.Dropout(p)} in inference ({@code eval()}): the identity, any shape. It is kept as a layer only so that
 * the modules after it in a {@code Sequential} have PyTorch's indices (S3D's {@code classifier.1}). No state.
 */
public final class Dropout extends ElementwiseLayer {

    private final double p;

    public Dropout(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        }
        this.p = p;
    }

    public double p() {
        return p;
    }

    @Override
    public String kind() {
        return "Dropout";
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of();
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
