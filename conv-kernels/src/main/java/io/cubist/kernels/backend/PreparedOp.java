package io.cubist.kernels.backend;

import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.tensor.Tensor;

/**
 * An op an engine has prepared once ({@link Backend#prepare(OpSpec)}), its weights in the engine's form;
 * {@code forward} may be called many times, from one thread at a time. Inputs are never modified.
 */
@FunctionalInterface
public interface PreparedOp {

    /** Runs the op on {@code inputs}, in the order its {@link OpSpec} names them (an optional one may be null). */
    Tensor forward(Tensor... inputs);
}
