package io.cubist.kernels.blocks;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** A {@link ConvBlock} defined by one {@link Stage} tree; every block class only builds its tree. */
abstract class AbstractBlock implements ConvBlock {

    private final String name;
    private final int spatialDims;
    private final int inChannels;
    private final int outChannels;
    private final Stage stage;
    private final List<ConvLayer> layers;

    AbstractBlock(String name, int spatialDims, int inChannels, Stage stage) {
        this.name = name;
        this.spatialDims = spatialDims;
        this.inChannels = inChannels;
        this.stage = stage;
        List<ConvLayer> l = new ArrayList<>();
        stage.collectLayers(l);
        for (ConvLayer c : l) {
            if (c.spec().spatialDims() != spatialDims) {
                throw new IllegalArgumentException(name + ": layer " + c.name() + " is " + c.spec().name()
                        + " in a " + spatialDims + "D block");
            }
        }
        this.layers = List.copyOf(l);
        try {
            this.outChannels = stage.outChannels(inChannels);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int spatialDims() {
        return spatialDims;
    }

    @Override
    public final int inChannels() {
        return inChannels;
    }

    @Override
    public final int outChannels() {
        return outChannels;
    }

    @Override
    public final List<ConvLayer> layers() {
        return layers;
    }

    @Override
    public final ConvLayer layer(String layerName) {
        for (ConvLayer l : layers) {
            if (l.name().equals(layerName)) {
                return l;
            }
        }
        throw new IllegalArgumentException(name + " has no layer '" + layerName + "'; layers: "
                + layers.stream().map(ConvLayer::name).toList());
    }

    @Override
    public final long parameterCount() {
        return layers.stream().mapToLong(ConvLayer::parameterCount).sum();
    }

    @Override
    public final long macs(int batch, Dims3 in) {
        return stage.macs(batch, in);
    }

    @Override
    public final ReceptiveField receptiveField() {
        return stage.receptiveField();
    }

    @Override
    public final Dims3 outputSize(Dims3 in) {
        return stage.outputSize(in);
    }

    @Override
    public final PreparedBlock prepare(Backend backend) {
        return new Prepared(this, stage.prepare(backend));
    }

    @Override
    public String toString() {
        return name + layers.stream().map(l -> l.name() + "=" + l.spec()).toList();
    }

    private record Prepared(ConvBlock block, UnaryOperator<Tensor> run) implements PreparedBlock {
        @Override
        public Tensor forward(Tensor input) {
            int dims = block.spatialDims();
            int rank = input.rank();
            if ((rank != dims + 2 && rank != dims + 1) || input.dim(rank - dims - 1) != block.inChannels()) {
                throw new IllegalArgumentException(block.name() + ": expected an input [N, " + block.inChannels()
                        + ", " + dims + " spatial dims] (or unbatched), got " + java.util.Arrays.toString(
                        input.shape()));
            }
            return run.apply(input);
        }
    }
}
