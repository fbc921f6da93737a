package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The vectorized output epilogue: {@code y = relu?(acc + bias + residual)} over a contiguous run. */
final class Epilogues {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Epilogues() {
    }

    static void apply(float[] acc, int a, float[] y, int o, int n, float bias, float[] residual, boolean relu) {
        FloatVector b = FloatVector.broadcast(S, bias);
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, acc, a + i).add(b);
            if (residual != null) {
                v = v.add(FloatVector.fromArray(S, residual, o + i));
            }
            if (relu) {
                v = v.lanewise(VectorOperators.MAX, zero);
            }
            v.intoArray(y, o + i);
        }
        for (; i < n; i++) {
            float v = acc[a + i] + bias + (residual == null ? 0f : residual[o + i]);
            y[o + i] = relu && v < 0f ? 0f : v;
        }
    }
}
