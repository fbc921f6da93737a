package io.cubist.kernels.blocks;

import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/** Hand composition of a block's layers, independent of its wiring: the expected side of the forward tests. */
final class Composed {

    private Composed() {
    }

    static Tensor conv(ConvBlock block, String layer, Tensor x) {
        ConvLayer l = block.layer(layer);
        return new ReferenceConv(l.spec(), l.weight(), l.bias()).forward(x);
    }

    static Tensor relu(Tensor x) {
        float[] y = x.data().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.max(y[i], 0f);
        }
        return new Tensor(y, x.shape());
    }

    static Tensor relu(Tensor x, boolean on) {
        return on ? relu(x) : x;
    }

    static Tensor add(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError(Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()));
        }
        float[] y = new float[a.numel()];
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data()[i] + b.data()[i];
        }
        return new Tensor(y, a.shape());
    }

    static Tensor sub(Tensor a, Tensor b) {
        float[] y = new float[a.numel()];
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data()[i] - b.data()[i];
        }
        return new Tensor(y, a.shape());
    }
}
