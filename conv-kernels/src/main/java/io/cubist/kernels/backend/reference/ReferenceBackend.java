package io.cubist.kernels.backend.reference;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Tensor;

/**
 * The {@code reference} backend: plain loops over every op, accumulating in double. Slow and obviously correct;
 * every other backend is tested against it, and it is what runs when nothing faster can.
 */
public final class ReferenceBackend implements Backend {

    public static final String NAME = "reference";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        return new ReferenceConv(spec, weight, bias);
    }
}
