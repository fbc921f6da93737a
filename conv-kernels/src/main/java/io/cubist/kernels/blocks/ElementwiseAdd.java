package io.cubist.kernels.blocks;

import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;

/**
 * {@code a + b} for the residual and parallel-branch sums of blocks (the {@link io.cubist.kernels.backend.Backend}
 * interface has no element-wise add).
 */
final class ElementwiseAdd {

    private ElementwiseAdd() {
    }

    /** A new tensor {@code a + b}; shapes must be equal (no broadcasting); the inputs are not modified. */
    static Tensor add(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException("cannot add branch outputs of shapes " + Arrays.toString(a.shape())
                    + " and " + Arrays.toString(b.shape()));
        }
        float[] x = a.data();
        float[] y = b.data();
        float[] z = new float[x.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = x[i] + y[i];
        }
        return new Tensor(z, a.shape());
    }
}
