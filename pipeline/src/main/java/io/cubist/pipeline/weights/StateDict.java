package io.cubist.pipeline.weights;

import io.cubist.kernels.io.DType;
import io.cubist.kernels.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The parameters and buffers of a model by their PyTorch {@code state_dict} names, in file order: each one a float32
 * {@link Tensor}, with the dtype it had in the file ({@code F16}, {@code I64} for {@code num_batches_tracked}, ...) and
 * the file it came from. Read one with {@link StateDictLoader#load}.
 *
 * <p>The map is immutable; the tensors are shared, not copied, and must not be written to (a model that folds
 * BatchNorm into a convolution computes new tensors). Instances may be read from several threads at once.
 */
public final class StateDict {
    /** Near matches a "no such key" message suggests. */
    private static final int SUGGESTIONS = 5;

    /**
     * One parameter or buffer.
     *
     * @param key    its state-dict name, e.g. {@code layer1.0.conv1.0.weight}
     * @param tensor its values converted to float32 (integers and float64 round to nearest)
     * @param dtype  the element type in the file
     * @param source the file it was read from
     */
    public record Entry(String key, Tensor tensor, DType dtype, String source) {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(tensor, "tensor");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(source, "source");
        }
    }

    private final String source;
    private final Map<String, Entry> entries;

    private StateDict(String source, Map<String, Entry> entries) {
        this.source = source;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** A builder for a state dict described in messages as {@code source} (usually the file). */
    public static Builder builder(String source) {
        return new Builder(source);
    }

    /** Float32 tensors from memory (tests, converted models), in the map's iteration order. */
    public static StateDict of(Map<String, Tensor> tensors, String source) {
        Builder b = builder(source);
        tensors.forEach((k, t) -> b.put(k, t, DType.F32, source));
        return b.build();
    }

    /** Where the entries came from, as messages name it. */
    public String source() {
        return source;
    }

    public int size() {
        return entries.size();
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The keys in file order. */
    public List<String> keys() {
        return List.copyOf(entries.keySet());
    }

    /** The entries in file order. */
    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    public boolean contains(String key) {
        return entries.containsKey(key);
    }

    /** The tensor named {@code key}; a missing key is an error that lists the keys the caller may have meant. */
    public Tensor get(String key) {
        return entry(key).tensor();
    }

    /** The tensor named {@code key}, or empty: for optional weights such as a classifier. */
    public Optional<Tensor> find(String key) {
        Entry e = entries.get(key);
        return e == null ? Optional.empty() : Optional.of(e.tensor());
    }

    public int[] shape(String key) {
        return entry(key).tensor().shape();
    }

    /** The element type {@code key} had in its file. */
    public DType dtype(String key) {
        return entry(key).dtype();
    }

    /** The file {@code key} was read from. */
    public String source(String key) {
        return entry(key).source();
    }

    public Entry entry(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new WeightFileException(source, "no tensor " + KeyNames.quote(key) + missingHint(key));
        }
        return e;
    }

    /** The entries whose keys start with {@code prefix}, keys unchanged (combine with {@link #stripPrefix}). */
    public StateDict withPrefix(String prefix) {
        Map<String, Entry> kept = new LinkedHashMap<>();
        entries.forEach((k, e) -> {
            if (k.startsWith(prefix)) {
                kept.put(k, e);
            }
        });
        return new StateDict(source, kept);
    }

    /**
     * Every key that starts with {@code prefix} loses it; others are kept as they are. {@code stripPrefix("module.")}
     * reads a checkpoint saved from a {@code DataParallel} model, and is harmless on one that was not. Two keys that
     * become the same ({@code a} and {@code module.a}) are an error.
     */
    public StateDict stripPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return this;
        }
        Map<String, Entry> renamed = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            String k = e.key().startsWith(prefix) ? e.key().substring(prefix.length()) : e.key();
            Entry before = renamed.put(k, new Entry(k, e.tensor(), e.dtype(), e.source()));
            if (before != null) {
                throw new WeightFileException(source, "removing the prefix " + KeyNames.quote(prefix)
                        + " makes two keys " + KeyNames.quote(k));
            }
        }
        return new StateDict(source, renamed);
    }

    /**
     * Compares the entries with the keys and shapes a model expects (in the model's order). {@code num_batches_tracked}
     * buffers are optional on both sides and their shapes are not compared; every other parameter and buffer
     * ({@code running_mean}, {@code running_var}, ...) must be present with the expected shape.
     */
    public KeyReport compare(Map<String, int[]> expected) {
        Map<String, int[]> missing = new LinkedHashMap<>();
        List<KeyReport.ShapeMismatch> mismatched = new ArrayList<>();
        expected.forEach((k, shape) -> {
            if (KeyNames.isNumBatchesTracked(k)) {
                return;
            }
            Entry e = entries.get(k);
            if (e == null) {
                missing.put(k, shape.clone());
            } else if (!Arrays.equals(shape, e.tensor().shape())) {
                mismatched.add(new KeyReport.ShapeMismatch(k, shape.clone(), e.tensor().shape()));
            }
        });
        List<String> unexpected = new ArrayList<>();
        for (String k : entries.keySet()) {
            if (!expected.containsKey(k) && !KeyNames.isNumBatchesTracked(k)) {
                unexpected.add(k);
            }
        }
        return new KeyReport(source, missing, unexpected, mismatched);
    }

    /**
     * {@link #compare} that fails unless the keys and shapes match, listing every missing key, unexpected key and shape
     * mismatch in one message. Returns this for chaining.
     */
    public StateDict match(Map<String, int[]> expected) {
        compare(expected).throwIfNotOk();
        return this;
    }

    @Override
    public String toString() {
        return "StateDict[" + source + ", " + entries.size() + " tensors]";
    }

    private String missingHint(String key) {
        if (entries.isEmpty()) {
            return "; the state dict is empty";
        }
        List<String> near = KeyNames.nearMatches(key, entries.keySet(), SUGGESTIONS);
        if (!near.isEmpty()) {
            return "; near matches: " + String.join(", ", near.stream().map(KeyNames::quote).toList());
        }
        List<String> some = entries.keySet().stream().limit(SUGGESTIONS).map(KeyNames::quote).toList();
        return "; no key is close; it has " + entries.size() + " keys: " + String.join(", ", some)
                + (entries.size() > SUGGESTIONS ? ", ..." : "");
    }

    /** Collects entries in insertion order; a key given twice is an error. */
    public static final class Builder {
        private final String source;
        private final Map<String, Entry> entries = new LinkedHashMap<>();

        private Builder(String source) {
            this.source = Objects.requireNonNull(source, "source");
        }

        public Builder put(String key, Tensor tensor, DType dtype, String from) {
            Entry e = new Entry(key, tensor, dtype, from);
            if (entries.putIfAbsent(key, e) != null) {
                throw new WeightFileException(from, "the key " + KeyNames.quote(key) + " appears twice");
            }
            return this;
        }

        public StateDict build() {
            return new StateDict(source, new LinkedHashMap<>(entries));
        }
    }
}
