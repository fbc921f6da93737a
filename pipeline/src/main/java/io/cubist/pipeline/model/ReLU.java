package io.cubist.pipeline.model;

import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.ReLU}: {@code max(x, 0)} element-wise, any shape. After a convolution (or at the end of a residual
 * block) it runs in the convolution's epilogue when prepared. No state.
 */
public final class ReLU extends ElementwiseLayer {

    @Override
    public String kind() {
        return "ReLU";
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return List.of(new Op.Relu());
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
