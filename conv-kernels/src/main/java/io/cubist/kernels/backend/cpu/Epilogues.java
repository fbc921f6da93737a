package io.cubist.kernels.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vectorized output epilogue: {@code y = relu?(acc + bias + residual)} over a contiguous run. One loop per
 * (residual, relu) combination: a vector reassigned under a condition becomes a phi that C2 may fail to unbox.
 */
final class Epilogues {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Epilogues() {
    }

    static void apply(float[] acc, int a, float[] y, int o, int n, float bias, float[] residual, boolean relu) {
        FloatVector b = FloatVector.broadcast(S, bias);
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        int end = n - S.length();
        if (residual == null && !relu) {
            for (; i <= end; i += S.length()) {
                FloatVector.fromArray(S, acc, a + i).add(b).intoArray(y, o + i);
            }
        } else if (residual == null) {
            for (; i <= end; i += S.length()) {
                FloatVector.fromArray(S, acc, a + i).add(b).lanewise(VectorOperators.MAX, zero).intoArray(y, o + i);
            }
        } else if (!relu) {
            for (; i <= end; i += S.length()) {
                FloatVector.fromArray(S, acc, a + i).add(b).add(FloatVector.fromArray(S, residual, o + i))
                        .intoArray(y, o + i);
            }
        } else {
            for (; i <= end; i += S.length()) {
                FloatVector.fromArray(S, acc, a + i).add(b).add(FloatVector.fromArray(S, residual, o + i))
                        .lanewise(VectorOperators.MAX, zero).intoArray(y, o + i);
            }
        }
        for (; i < n; i++) {
            float v = acc[a + i] + bias + (residual == null ? 0f : residual[o + i]);
            y[o + i] = relu && v < 0f ? 0f : v;
        }
    }
}
