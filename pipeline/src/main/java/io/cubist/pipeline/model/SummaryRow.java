package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ReceptiveField;

/**
 * One leaf layer of a {@link Summary}.
 *
 * @param name           the layer's {@code state_dict} path ({@code layer1.0.conv1.0})
 * @param kind           the PyTorch class ({@code Conv3d})
 * @param outputShape    the layer's output shape
 * @param parameters     its learnable parameters (buffers excluded)
 * @param macs           its multiply-accumulates for the whole batch
 * @param receptiveField what one of its output elements sees of the network input
 */
public record SummaryRow(String name, String kind, int[] outputShape, long parameters, long macs,
                         ReceptiveField receptiveField) {

    public SummaryRow {
        outputShape = outputShape.clone();
    }

    @Override
    public int[] outputShape() {
        return outputShape.clone();
    }
}
