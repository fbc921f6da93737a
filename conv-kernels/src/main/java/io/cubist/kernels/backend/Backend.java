package io.cubist.kernels.backend;

import io.cubist.kernels.backend.reference.ReferenceOps;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.DeformSpec;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.function.Supplier;

/**
 * A compute engine for every op of the {@code cubist op} contract. Engines: {@code reference} (plain loops, the
 * oracle every other engine is tested against), {@code cpu} (Vector API), {@code opencl} (Aparapi). Opened through
 * {@link Backends#open} from one {@link EngineRequest}; {@link BackendProvider}s rank them, and one asked for by name
 * is never silently swapped. An engine must prepare convolutions; every other op has a default that runs the
 * reference loops, and the per-op methods below are conveniences over {@link #prepare(OpSpec)}.
 *
 * <p>Unless stated otherwise tensors are NCDHW ({@code [N, C, D, H, W]}); inputs are never modified and every
 * method returns a new tensor.
 */
public interface Backend {

    /** The name users select it by: {@code reference}, {@code cpu}, {@code opencl}. */
    String name();

    /**
     * Validates {@code weight} ({@link ConvSpec#weightShape()}) and {@code bias} ({@code [out]}, or null when
     * {@code spec.bias()} is false) and packs them for repeated {@link PreparedConv#forward} calls.
     */
    PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias);

    /**
     * Prepares any other op from its spec, weights included, for repeated {@link PreparedOp#forward} calls. The
     * default runs the reference engine's loops; an engine overrides it for the ops it has kernels for.
     */
    default PreparedOp prepare(OpSpec spec) {
        return ReferenceOps.prepare(spec);
    }

    /**
     * Runs {@code body}, one forward pass, in which tensors this engine makes may stay in its own memory (a device's)
     * and be handed from op to op there; what {@code body} reads on the host ({@link Tensor#data()}) inside the
     * pass comes over then. Tensors made inside must not be read after it returns unless they were read inside.
     * Engines that compute in host memory just run it. Passes on one engine do not nest.
     */
    default <T> T pass(Supplier<T> body) {
        return body.get();
    }

    /**
     * Reads {@code tensors} to the host ({@link Tensor#data()}) in as few transfers as the engine can: inside a
     * {@link #pass}, the outputs a caller keeps.
     */
    default void fetch(java.util.List<Tensor> tensors) {
        tensors.forEach(Tensor::data);
    }

    /** What this engine moved to and from its device and launched so far ({@link Traffic#NONE} in host memory). */
    default Traffic traffic() {
        return Traffic.NONE;
    }

    /** One line for logs and manifests: the engine and what it runs on (threads, device). */
    default String describe() {
        return name();
    }

    /** {@code F.max_pool3d} on {@code [N, C, D, H, W]}; padded positions count as minus infinity. */
    default Tensor maxPool3d(PoolSpec spec, Tensor input) {
        return prepare(new OpSpec.MaxPool(spec)).forward(input);
    }

    /** {@code F.avg_pool3d} on {@code [N, C, D, H, W]}. */
    default Tensor avgPool3d(PoolSpec spec, Tensor input) {
        return prepare(new OpSpec.AvgPool(spec)).forward(input);
    }

    /** {@link OpSpec.AdaptiveAvgPool}. */
    default Tensor adaptiveAvgPool3d(Tensor input, Dims3 outputSize) {
        return prepare(new OpSpec.AdaptiveAvgPool(outputSize)).forward(input);
    }

    /** {@link OpSpec.BatchNorm}. */
    default Tensor batchNorm(Tensor input, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                             double eps) {
        return prepare(new OpSpec.BatchNorm(runningMean, runningVar, weight, bias, eps)).forward(input);
    }

    /** {@code F.relu}, any shape. */
    default Tensor relu(Tensor input) {
        return prepare(new OpSpec.Pointwise(OpSpec.Function.RELU)).forward(input);
    }

    /** {@code torch.sigmoid}, any shape. */
    default Tensor sigmoid(Tensor input) {
        return prepare(new OpSpec.Pointwise(OpSpec.Function.SIGMOID)).forward(input);
    }

    /** Swish / {@code F.silu}: {@code x * sigmoid(x)}, any shape. */
    default Tensor swish(Tensor input) {
        return prepare(new OpSpec.Pointwise(OpSpec.Function.SWISH)).forward(input);
    }

    /** {@link OpSpec.ScaleChannels}. */
    default Tensor scaleChannels(Tensor x, Tensor scale, boolean swish) {
        return prepare(new OpSpec.ScaleChannels(swish)).forward(x, scale);
    }

    /** {@code F.linear}: {@code y = x W^T + b}, {@code x [..., in]}, {@code W [out, in]}, {@code b [out]} or null. */
    default Tensor linear(Tensor input, Tensor weight, Tensor bias) {
        return prepare(new OpSpec.Linear(weight, bias)).forward(input);
    }

    /** {@link OpSpec.Shuffle} up: {@code F.pixel_shuffle} ({@code spatialDims} 2) and {@code pixel_shuffle3d} (3). */
    default Tensor pixelShuffle(Tensor input, int factor, int spatialDims) {
        return prepare(new OpSpec.Shuffle(factor, spatialDims, true)).forward(input);
    }

    /** The inverse of {@link #pixelShuffle}: {@code F.pixel_unshuffle} and {@code pixel_unshuffle3d}. */
    default Tensor pixelUnshuffle(Tensor input, int factor, int spatialDims) {
        return prepare(new OpSpec.Shuffle(factor, spatialDims, false)).forward(input);
    }

    /** {@link OpSpec.Deform}: {@code deform_conv3d} as defined in DESIGN.md. */
    default Tensor deformConv3d(DeformSpec spec, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                                Tensor mask) {
        return prepare(new OpSpec.Deform(spec, weight, bias)).forward(input, offset, mask);
    }
}
