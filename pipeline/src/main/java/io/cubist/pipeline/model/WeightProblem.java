package io.cubist.pipeline.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One way a checkpoint does not fit a network: a missing key, an unexpected key, or a key with the wrong shape.
 *
 * @param expected the network's shape for the key; null for an unexpected key
 * @param actual   the checkpoint's shape; null for a missing key
 */
public record WeightProblem(Kind kind, String key, int[] expected, int[] actual) {

    public enum Kind { MISSING, UNEXPECTED, SHAPE }

    /**
     * Compares a checkpoint with the {@code state_dict} a network expects, as {@code load_state_dict(strict=True)}
     * does: every required entry present with its shape, nothing else. Optional entries
     * ({@code num_batches_tracked}) may be absent. Problems come in the network's order, then unexpected keys in the
     * checkpoint's order.
     */
    public static List<WeightProblem> find(List<StateEntry> expected, Weights weights) {
        List<WeightProblem> problems = new ArrayList<>();
        Map<String, StateEntry> byKey = new HashMap<>();
        for (StateEntry e : expected) {
            byKey.put(e.key(), e);
            if (!weights.contains(e.key())) {
                if (!e.role().optional()) {
                    problems.add(new WeightProblem(Kind.MISSING, e.key(), e.shape(), null));
                }
            } else {
                int[] got = weights.shape(e.key());
                // a scalar counter saved as [1] is still the counter
                boolean scalarOk = e.shape().length == 0 && got.length <= 1 && (got.length == 0 || got[0] == 1);
                if (!Arrays.equals(got, e.shape()) && !scalarOk) {
                    problems.add(new WeightProblem(Kind.SHAPE, e.key(), e.shape(), got));
                }
            }
        }
        for (String k : weights.keys()) {
            if (!byKey.containsKey(k)) {
                problems.add(new WeightProblem(Kind.UNEXPECTED, k, null, weights.shape(k)));
            }
        }
        return List.copyOf(problems);
    }

    /** One line: {@code missing    layer1.0.conv1.0.weight  expected [64, 64, 3, 3, 3]}. */
    public String describe() {
        return switch (kind) {
            case MISSING -> "missing     " + key + "  expected " + Arrays.toString(expected);
            case UNEXPECTED -> "unexpected  " + key + "  " + Arrays.toString(actual) + " (the network has no such key)";
            case SHAPE -> "shape       " + key + "  expected " + Arrays.toString(expected) + ", got "
                    + Arrays.toString(actual);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightProblem p && p.kind == kind && p.key.equals(key)
                && Arrays.equals(p.expected, expected) && Arrays.equals(p.actual, actual);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + key.hashCode();
    }

    @Override
    public String toString() {
        return describe();
    }
}
