package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model ready to run on one backend ({@link Model#prepare}): clips in, features and (with a classifier) logits
 * out. Used from one thread at a time.
 */
public final class PreparedModel {

    /**
     * @param features the classifier's input {@code [N, D]}
     * @param logits   {@code [N, K]}, or null when the weights have no classifier
     * @param layers   the requested layers' outputs in the order asked ({@code [N, C]} averaged over time and
     *                 space, or the map {@code [N, C, D, H, W]} with {@link LayerPool#NONE}); empty when none were
     */
    public record Output(Tensor features, Tensor logits, Map<String, Tensor> layers) {
        public Output(Tensor features, Tensor logits) {
            this(features, logits, Map.of());
        }
    }

    private final Network network;
    private final Backend backend;
    /** Every engine the model runs on: a forward pass is a pass on each ({@link Backend#pass}). */
    private final List<Backend> engines;
    private final PreparedModule backbone;
    private final PreparedModule head;
    private final List<String> layers;
    private final LayerPool pool;
    private final Taps taps;

    PreparedModel(Network network, List<Backend> engines, PreparedModule backbone, PreparedModule head,
                  List<String> layers, LayerPool pool, Taps taps) {
        this.network = network;
        this.engines = List.copyOf(new java.util.LinkedHashSet<>(engines));
        this.backend = this.engines.get(0);
        this.backbone = backbone;
        this.head = head;
        this.layers = List.copyOf(layers);
        this.pool = pool;
        this.taps = taps;
    }

    /** The layers whose outputs {@link Output#layers()} holds. */
    public List<String> layers() {
        return layers;
    }

    public LayerPool layerPool() {
        return pool;
    }

    public Network network() {
        return network;
    }

    /** The engine the model's unsplit layers run on (the first of {@link #engines()}). */
    public Backend backend() {
        return backend;
    }

    /** Every engine the model runs on; one unless it was prepared over a device plan. */
    public List<Backend> engines() {
        return engines;
    }

    /** Runs clips {@code [N, C, T, H, W]} (already normalized); an input the network cannot take is an error. */
    public Output forward(Tensor clips) {
        try {
            network.featureShape(clips.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(network.name() + " cannot take clips of shape "
                    + java.util.Arrays.toString(clips.shape()) + ": " + e.getMessage(), e);
        }
        return pass(0, () -> {
            Tensor f = backbone.forward(clips);
            Map<String, Tensor> kept = taps.take();
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String l : layers) {
                Tensor t = kept.get(l);
                if (t == null) {
                    throw new IllegalStateException(network.name() + ": layer " + l + " did not run");
                }
                out.put(l, pool.apply(backend, t));
            }
            Tensor logits = head == null ? null : head.forward(f);
            // the outputs come to the host together, before the pass ends and the device reuses their memory
            List<Tensor> keep = new java.util.ArrayList<>(out.values());
            keep.add(0, f);
            if (logits != null) {
                keep.add(logits);
            }
            for (Backend e : engines) {
                e.fetch(keep);
            }
            return new Output(f, logits, out);
        });
    }

    /** {@code body} inside a pass on every engine from the {@code i}-th on. */
    private Output pass(int i, java.util.function.Supplier<Output> body) {
        if (i == engines.size()) {
            return body.get();
        }
        return engines.get(i).pass(() -> pass(i + 1, body));
    }
}
