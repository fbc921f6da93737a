package io.cubist.pipeline.model;

import io.cubist.pipeline.weights.KeyNames;
import io.cubist.pipeline.weights.KeyReport;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A network's architecture as a feature extractor plus an optional classifier: {@code backbone} maps clips
 * {@code [N, 3, T, H, W]} to features {@code [N, D]} (the classifier's input, after global pooling and flattening);
 * {@code head}, keyed under {@code headName} ({@code fc} for the video ResNets), maps them to logits {@code [N, K]}.
 * The backbone's state is keyed from the root, so together they have the PyTorch model's {@code state_dict}.
 */
public final class Network {

    private final String name;
    private final Module backbone;
    private final String headName;
    private final Module head;

    /** @param head the classifier, or null for a feature extractor only */
    public Network(String name, Module backbone, String headName, Module head) {
        this.name = Objects.requireNonNull(name, "name");
        this.backbone = Objects.requireNonNull(backbone, "backbone");
        this.headName = Objects.requireNonNull(headName, "headName");
        this.head = head;
    }

    public String name() {
        return name;
    }

    public Module backbone() {
        return backbone;
    }

    public String headName() {
        return headName;
    }

    /** The classifier, or null. */
    public Module head() {
        return head;
    }

    public Network withoutHead() {
        return new Network(name, backbone, headName, null);
    }

    /** The {@code state_dict} entries: the backbone's, then the head's under {@link #headName()}. */
    public List<StateEntry> stateDict() {
        List<StateEntry> all = new ArrayList<>(backbone.stateDict());
        if (head != null) {
            head.stateDict().forEach(e -> all.add(e.under(headName)));
        }
        return List.copyOf(all);
    }

    /** The keys and shapes {@link StateDict#compare} checks a checkpoint against, in the network's order. */
    public Map<String, int[]> expectedShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (StateEntry e : stateDict()) {
            m.put(e.key(), e.shape());
        }
        return m;
    }

    /**
     * The modules whose output {@code --layer} can give, by {@code state_dict} prefix, in forward order: every
     * module reached through chains of children from the backbone's root ({@link Module#tappableChildren()}),
     * e.g. {@code layer3}, {@code layer3.1}, {@code layer3.1.conv2}, {@code avgpool}.
     */
    public List<String> layerNames() {
        List<String> names = new ArrayList<>();
        backbone.layerNames("", names);
        return List.copyOf(names);
    }

    /**
     * Checks {@code layers} against {@link #layerNames()}; a name that is not one is an error naming the closest
     * ones (and {@code cubist summary --model NAME --layers}, which lists them all).
     */
    public void checkLayers(List<String> layers) {
        List<String> known = layerNames();
        for (String l : layers) {
            if (!known.contains(l)) {
                List<String> close = known.stream()
                        .sorted(java.util.Comparator.comparingInt((String k) -> KeyNames.editDistance(l, k, Integer.MAX_VALUE - 1))
                                .thenComparing(k -> k))
                        .limit(5).toList();
                throw new IllegalArgumentException(name + " has no layer '" + l + "'; the closest: "
                        + String.join(", ", close) + " (cubist summary --model " + name + " lists them all)");
            }
        }
        if (new java.util.HashSet<>(layers).size() != layers.size()) {
            throw new IllegalArgumentException("a layer is named twice in " + layers);
        }
    }

    /** The output shape of {@code layer} ({@link #layerNames()}) for clips of shape {@code in}, before pooling. */
    public int[] layerShape(String layer, int[] in) {
        checkLayers(List.of(layer));
        return backbone.layerShape("", layer, in);
    }

    public long parameterCount() {
        return backbone.parameterCount() + (head == null ? 0 : head.parameterCount());
    }

    /** Features {@code [N, D]} for clips of shape {@code in}; an unfit input is an error saying why. */
    public int[] featureShape(int[] in) {
        int[] f = backbone.outputShape(in);
        if (f.length != 2) {
            throw new IllegalStateException(name + ": the backbone gives " + Arrays.toString(f)
                    + ", not [N, D] features");
        }
        return f;
    }

    public long macs(int[] in) {
        return backbone.macs(in) + (head == null ? 0 : head.macs(featureShape(in)));
    }

    /** One row per leaf layer for clips of shape {@code in}, and the totals. */
    public Summary summary(int[] in) {
        return Summary.of(this, in);
    }

    /**
     * Binds weights keyed as this network's {@code state_dict}. The classifier is kept when the weights hold any
     * {@code headName.*} key and dropped when they hold none (a backbone-only checkpoint gives features only).
     * Anything missing, unexpected or of the wrong shape ({@link StateDict#compare}; {@code num_batches_tracked}
     * may be absent) is a {@link WeightsMismatchException} listing every problem.
     */
    public Model load(StateDict weights) {
        Network net = this;
        if (head != null && weights.keys().stream().noneMatch(k -> k.startsWith(headName + "."))) {
            net = withoutHead();
        }
        KeyReport report = weights.compare(net.expectedShapes());
        if (!report.ok()) {
            throw new WeightsMismatchException(name, report, weights);
        }
        return new Model(net, weights);
    }

    @Override
    public String toString() {
        return name;
    }
}
