package io.cubist.pipeline.model;

import io.cubist.kernels.tensor.Tensor;

/**
 * A module whose weights one backend has read, folded and packed ({@link Module#prepare}); {@code forward} may be
 * called many times, from one thread at a time.
 */
@FunctionalInterface
public interface PreparedModule {

    /** Runs the module on {@code input}; returns a new tensor and leaves the input unchanged. */
    Tensor forward(Tensor input);
}
