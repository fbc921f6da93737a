package io.cubist.kernels.blocks;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.List;

/**
 * A small network of convolutions that the convolution literature treats as one unit (a bottleneck, a factorized
 * or channel-separated convolution), with its parameters. All arithmetic is derived from its layers:
 * parameters are their sum; MACs are the convolutions' MACs at the sizes each one actually sees (ReLUs and
 * residual additions are not counted, as fvcore does not); the receptive field composes serial layers with
 * {@link ReceptiveField#then} and takes the per-axis larger window of parallel branches.
 *
 * <p>Tensors are {@code [N, C, spatial...]} at the rank of the block's convolutions ({@link #spatialDims()} + 2).
 */
public interface ConvBlock {

    /** What the block is, with its defining hyper-parameters, e.g. {@code P3D-B(256, 64, 256)}. */
    String name();

    /** 2 or 3 (1 where a block allows it): the rank of every layer. */
    int spatialDims();

    int inChannels();

    int outChannels();

    /** Every convolution with its parameters, in the order a forward pass first reaches them. */
    List<ConvLayer> layers();

    /** The layer called {@code name}; an error listing the names if there is none. */
    ConvLayer layer(String name);

    /** Weights plus biases of every layer. */
    long parameterCount();

    /** Multiply-accumulates of every convolution for {@code batch} inputs of spatial size {@code in}. */
    long macs(int batch, Dims3 in);

    ReceptiveField receptiveField();

    /** Spatial output size for input spatial size {@code in} (3D form, unit leading dimensions below 3D). */
    Dims3 outputSize(Dims3 in);

    /** Prepares every convolution on {@code backend} once; the block only calls the {@link Backend} interface. */
    PreparedBlock prepare(Backend backend);

    /** One-off forward pass: {@code prepare(backend).forward(input)}. */
    default Tensor forward(Backend backend, Tensor input) {
        return prepare(backend).forward(input);
    }
}
