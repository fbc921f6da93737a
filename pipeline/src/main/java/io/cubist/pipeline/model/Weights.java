package io.cubist.pipeline.model;

import io.cubist.kernels.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Named parameter and buffer tensors keyed as a PyTorch {@code state_dict} ({@code stem.0.weight},
 * {@code layer1.0.conv1.0.weight}, {@code fc.bias}, ...), as a model reads them while it is loaded. Implementations
 * must not change while a model is being built from them.
 */
public interface Weights {

    /** The tensor stored under {@code key}, converted to float32; an error naming the key if there is none. */
    Tensor get(String key);

    boolean contains(String key);

    /** Every key, in the order of the file. */
    Set<String> keys();

    /** The shape stored under {@code key}, without necessarily reading its data. */
    default int[] shape(String key) {
        return get(key).shape();
    }

    /**
     * The tensor under {@code key}, which must have shape {@code expected}: a missing key or another shape is an
     * error naming the key and both shapes.
     */
    default Tensor require(String key, int[] expected) {
        if (!contains(key)) {
            throw new IllegalArgumentException("missing weight '" + key + "' of shape " + Arrays.toString(expected));
        }
        Tensor t = get(key);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException("weight '" + key + "' has shape " + Arrays.toString(t.shape())
                    + " but the layer needs " + Arrays.toString(expected));
        }
        return t;
    }

    /** Weights held in a map (copied; insertion order kept). */
    static Weights of(Map<String, Tensor> tensors) {
        Map<String, Tensor> m = new LinkedHashMap<>(tensors);
        return new Weights() {
            @Override
            public Tensor get(String key) {
                Tensor t = m.get(key);
                if (t == null) {
                    throw new IllegalArgumentException("no weight '" + key + "'");
                }
                return t;
            }

            @Override
            public boolean contains(String key) {
                return m.containsKey(key);
            }

            @Override
            public Set<String> keys() {
                return java.util.Collections.unmodifiableSet(m.keySet());
            }

            @Override
            public String toString() {
                return "Weights[" + m.size() + " tensors]";
            }
        };
    }
}
