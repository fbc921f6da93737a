package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;
import java.util.List;

/**
 * A layer that maps each element on its own and keeps the shape ({@link ReLU}, {@link Activation}, {@link Dropout}
 * in inference): any shape in, the same out, no MACs, the identity's receptive field, no state. Subclasses give the
 * kind and the ops.
 */
abstract class ElementwiseLayer implements Module {

    @Override
    public final int[] outputShape(int[] in) {
        return in.clone();
    }

    @Override
    public final long macs(int[] in) {
        return 0;
    }

    @Override
    public final ReceptiveField receptiveField(int[] in) {
        return ReceptiveField.IDENTITY;
    }

    @Override
    public final List<StateEntry> stateDict() {
        return List.of();
    }
}
