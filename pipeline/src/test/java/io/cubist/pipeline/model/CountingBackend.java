package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.PreparedConv;
import io.cubist.kernels.backend.PreparedOp;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.ops.OpSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;

/**
 * A backend that counts every multiply-accumulate its convolutions perform, by walking each output element's taps
 * of the tensors that actually flow: the brute-force side of the MAC tests. Every other op is the delegate's.
 */
final class CountingBackend implements Backend {

    private final Backend delegate;
    long macs;

    CountingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, Tensor weight, Tensor bias) {
        PreparedConv conv = delegate.prepare(spec, weight, bias);
        return new PreparedConv() {
            @Override
            public ConvSpec spec() {
                return spec;
            }

            @Override
            public Tensor forward(Tensor input) {
                Tensor y = conv.forward(input);
                Dims3 k = spec.kernel();
                for (int e = 0; e < y.numel(); e++) {
                    for (int c = 0; c < spec.inChannels() / spec.groups(); c++) {
                        for (int a = 0; a < k.d(); a++) {
                            for (int b = 0; b < k.h(); b++) {
                                for (int w = 0; w < k.w(); w++) {
                                    macs++;
                                }
                            }
                        }
                    }
                }
                return y;
            }
        };
    }

    @Override
    public String name() {
        return "counting-" + delegate.name();
    }

    @Override
    public PreparedOp prepare(OpSpec spec) {
        return delegate.prepare(spec);
    }
}
