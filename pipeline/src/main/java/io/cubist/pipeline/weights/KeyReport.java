package io.cubist.pipeline.weights;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a {@link StateDict} compares with the keys and shapes a model expects (see {@link StateDict#compare}): every
 * missing key, every unexpected key and every shape mismatch, so that one message lists all that is wrong.
 * {@code num_batches_tracked} buffers are never missing, never unexpected and never mismatched: inference does not
 * read them.
 *
 * @param source     the weights file (or files) compared, as messages name it
 * @param missing    expected keys the file lacks, with the expected shape, in the model's order
 * @param unexpected keys in the file the model does not have, in file order
 * @param mismatched keys present on both sides with different shapes, in the model's order
 */
public record KeyReport(String source, Map<String, int[]> missing, List<String> unexpected,
                        List<ShapeMismatch> mismatched) {
    /** Items listed per category before the message says "... and N more". */
    private static final int SHOWN = 20;

    /** A key whose shape in the file is not the one the model expects. */
    public record ShapeMismatch(String key, int[] expected, int[] actual) {
        @Override
        public String toString() {
            return key + " expected " + KeyNames.shape(expected) + " got " + KeyNames.shape(actual);
        }
    }

    public KeyReport {
        missing = Collections.unmodifiableMap(new LinkedHashMap<>(missing));
        unexpected = List.copyOf(unexpected);
        mismatched = List.copyOf(mismatched);
    }

    /** True when the file has exactly the expected keys with the expected shapes. */
    public boolean ok() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    /**
     * One line: {@code missing: a [64,3,1,7,7]; unexpected: fc.bias; shape mismatch: b expected [3] got [4]}, then a
     * hint when the two key sets differ by a prefix (a DataParallel {@code module.} checkpoint). Empty when ok.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            List<String> items = new ArrayList<>();
            missing.forEach((k, shape) -> items.add(KeyNames.printable(k, 200) + " " + KeyNames.shape(shape)));
            parts.add("missing: " + KeyNames.list(items, SHOWN));
        }
        if (!unexpected.isEmpty()) {
            List<String> items = unexpected.stream().map(k -> KeyNames.printable(k, 200)).toList();
            parts.add("unexpected: " + KeyNames.list(items, SHOWN));
        }
        if (!mismatched.isEmpty()) {
            parts.add("shape mismatch: " + KeyNames.list(mismatched.stream().map(ShapeMismatch::toString).toList(),
                    SHOWN));
        }
        String hint = prefixHint();
        return String.join("; ", parts) + (hint.isEmpty() ? "" : " (" + hint + ")");
    }

    /** Throws a {@link WeightFileException} naming the source and {@link #describe() everything} unless ok. */
    public void throwIfNotOk() {
        if (!ok()) {
            throw new WeightFileException(source, "the weights do not fit the model: " + describe());
        }
    }

    @Override
    public String toString() {
        return ok() ? "KeyReport[ok]" : "KeyReport[" + describe() + "]";
    }

    /**
     * When unexpected keys are missing keys with a prefix added (or removed), the prefix that most pairs share: the
     * usual cause is a {@code module.} left by DataParallel, or a wrapper model's attribute name.
     */
    private String prefixHint() {
        if (missing.isEmpty() || unexpected.isEmpty()) {
            return "";
        }
        Map<String, Integer> extra = new HashMap<>();
        Map<String, Integer> lacking = new HashMap<>();
        Set<String> missingKeys = new HashSet<>(missing.keySet());
        Set<String> unexpectedKeys = new HashSet<>(unexpected);
        for (String u : unexpected) {
            countPrefixes(u, missingKeys, extra);
        }
        for (String m : missing.keySet()) {
            countPrefixes(m, unexpectedKeys, lacking);
        }
        Map.Entry<String, Integer> best = null;
        boolean fileHasPrefix = true;
        for (Map.Entry<String, Integer> e : extra.entrySet()) {
            if (best == null || e.getValue() > best.getValue()) {
                best = e;
            }
        }
        for (Map.Entry<String, Integer> e : lacking.entrySet()) {
            if (best == null || e.getValue() > best.getValue()) {
                best = e;
                fileHasPrefix = false;
            }
        }
        if (best == null) {
            return "";
        }
        String p = KeyNames.quote(best.getKey());
        return fileHasPrefix
                ? best.getValue() + " of the file's keys are expected keys with the prefix " + p
                        + " added; load them with stripPrefix(" + p.replace('\'', '"') + ")"
                : best.getValue() + " expected keys are the file's keys with the prefix " + p
                        + " added; the file holds a submodule of this model";
    }

    /** For each dotted prefix of {@code key} whose remainder is in {@code others}, counts that prefix. */
    private static void countPrefixes(String key, Set<String> others, Map<String, Integer> counts) {
        for (int i = key.indexOf('.'); i >= 0 && i < key.length() - 1; i = key.indexOf('.', i + 1)) {
            if (others.contains(key.substring(i + 1))) {
                counts.merge(key.substring(0, i + 1), 1, Integer::sum);
            }
        }
    }
}
