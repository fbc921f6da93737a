package io.cubist.pipeline.model;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * {@code nn.ConvTranspose3d}: the adjoint of a {@code Conv3d}, {@code [N, C_in, D, H, W] -> [N, C_out, D', H', W']}
 * with {@code weight [C_in, C_out/groups, kD, kH, kW]}, {@code bias [C_out]} and, per axis,
 * {@code out = (in - 1)*stride - 2*padding + dilation*(k-1) + output_padding + 1}.
 *
 * <p>Receptive field: an output element depends on at most {@code ceil((dilation*(k-1)+1) / stride)} input elements
 * per axis; the jump between neighbouring outputs is {@code 1/stride} of an input element, which
 * {@link ReceptiveField} (whole elements) records as 1.
 */
public final class ConvTranspose3d implements Module {

    private final ConvSpec spec;

    public ConvTranspose3d(ConvSpec spec) {
        if (spec.spatialDims() != 3 || !spec.transposed()) {
            throw new IllegalArgumentException("ConvTranspose3d needs a conv_transpose3d spec, got " + spec);
        }
        this.spec = spec;
    }

    public ConvSpec spec() {
        return spec;
    }

    @Override
    public String kind() {
        return "ConvTranspose3d";
    }

    @Override
    public int[] outputShape(int[] in) {
        Shapes.requireNcdhw(toString(), in, spec.inChannels());
        return Shapes.ncdhw(in[0], spec.outChannels(), spec.outputSize(Shapes.spatial(in)));
    }

    @Override
    public long macs(int[] in) {
        outputShape(in);
        return spec.macs(in[0], Shapes.spatial(in));
    }

    @Override
    public ReceptiveField receptiveField(int[] in) {
        Dims3 k = spec.effectiveKernel();
        Dims3 s = spec.stride();
        return new ReceptiveField(new Dims3(ceilDiv(k.d(), s.d()), ceilDiv(k.h(), s.h()), ceilDiv(k.w(), s.w())),
                Dims3.of(1));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public List<StateEntry> stateDict() {
        return Conv3d.stateDict(spec);
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return Conv3d.lower(spec, weights, path);
    }

    @Override
    public String toString() {
        return "ConvTranspose3d" + spec.toString().substring("conv_transpose3d".length());
    }
}
