package io.cubist.pipeline.model;

import io.cubist.kernels.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The intermediate outputs one prepared model hands back beside its features: the modules asked for by their
 * {@code state_dict} prefix ({@code layer3}, {@code blocks.4}, {@code Mixed_4f}), each kept by an {@link Op.Tap}
 * placed after it when the model is lowered. One instance per prepared model, used from its thread.
 */
public final class Taps {

    /** No taps. */
    public static final Taps NONE = new Taps(List.of());

    private final Set<String> wanted;
    private final Map<String, Tensor> kept = new LinkedHashMap<>();

    public Taps(List<String> names) {
        this.wanted = Set.copyOf(names);
    }

    boolean wants(String key) {
        return wanted.contains(key);
    }

    Op.Tap tap(String key) {
        return new Op.Tap(key, this);
    }

    void keep(String key, Tensor value) {
        kept.put(key, value);
    }

    /** The outputs kept since the last call, and forgets them. */
    Map<String, Tensor> take() {
        Map<String, Tensor> m = new LinkedHashMap<>(kept);
        kept.clear();
        return m;
    }
}
