package io.cubist.kernels.backend.cpu;

import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.OpShapes;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/** What the CPU engine's convolutions share: the checked spec and bias, and the start of every call. */
abstract class CpuPreparedConv implements PreparedConv {
    protected final ConvSpec spec;
    protected final CpuThreads threads;
    /** {@code [out]}, or null. */
    protected final float[] bias;

    CpuPreparedConv(ConvSpec spec, Tensor weight, Tensor bias, CpuThreads threads) {
        OpShapes.checkParameters(spec, weight, bias);
        this.spec = spec;
        this.threads = threads;
        this.bias = bias == null ? null : bias.data().clone();
    }

    /** One call: batch, input channels, input and output spatial sizes, the output, and the residual's data. */
    record Call(int batch, int cin, Dims3 in, Dims3 out, Tensor y, float[] residual) {
    }

    /** Checks {@code input} (and {@code residual}) against the spec and allocates the output. */
    Call begin(Tensor input, Tensor residual) {
        int[] s5 = OpShapes.inputShape5d(spec, input);
        Dims3 in = new Dims3(s5[2], s5[3], s5[4]);
        Dims3 out = spec.outputSize(in);
        if (!spec.transposed()) {
            spec.checkPaddingFits(in);
        }
        Tensor y = Tensor.zeros(OpShapes.convOutputShape(spec, input, out));
        return new Call(s5[0], s5[1], in, out, y, PreparedConv.residualData(spec, residual, y));
    }

    @Override
    public ConvSpec spec() {
        return spec;
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, null, false);
    }
}
