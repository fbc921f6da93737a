package io.cubist.kernels.bench;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.tensor.Tensor;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/** One {@link LayerSpec} prepared on a backend, run on a random input of a fixed shape. */
public final class LayerWorkload implements Workload {
    private final LayerSpec layer;
    private final int[] inputShape;
    private final int[] outputShape;
    private final Tensor input;
    private final UnaryOperator<Tensor> forward;
    private Tensor last;

    /**
     * Checks the input shape, prepares the layer (weights from {@code seed}) and fills the input (uniform in
     * [-1, 1) from a seed derived from {@code seed}).
     */
    public LayerWorkload(LayerSpec layer, int[] inputShape, Backend backend, long seed) {
        this.layer = layer;
        this.inputShape = inputShape.clone();
        this.outputShape = layer.outputShape(this.inputShape);
        this.forward = layer.prepare(backend, seed);
        this.input = Tensor.random(seed ^ 0x5DEECE66DL, this.inputShape);
    }

    public LayerSpec layer() {
        return layer;
    }

    @Override
    public String description() {
        return layer.toString();
    }

    @Override
    public int[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public int[] outputShape() {
        return outputShape.clone();
    }

    @Override
    public OptionalLong flops() {
        return layer.flops(inputShape);
    }

    @Override
    public long bytesMoved() {
        return 4 * (Tensor.numel(inputShape) + Tensor.numel(outputShape));
    }

    @Override
    public void run() {
        last = null; // let the previous output go before this run allocates its own
        last = forward.apply(input);
    }

    /** The output of the latest run, or null before the first. */
    public Tensor lastOutput() {
        return last;
    }
}
