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
    private final PreparedModule backbone;
    private final PreparedModule head;
    private final List<String> layers;
    private final LayerPool pool;
    private final Taps taps;

    PreparedModel(Network network, Backend backend, PreparedModule backbone, PreparedModule head,
                  List<String> layers, LayerPool pool, Taps taps) {
        this.network = network;
        this.backend = backend;
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

    public Backend backend() {
        return backend;
    }

    /** Runs clips {@code [N, C, T, H, W]} (already normalized); an input the network cannot take is an error. */
    public Output forward(Tensor clips) {
        try {
            network.featureShape(clips.shape());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(network.name() + " cannot take clips of shape "
                    + java.util.Arrays.toString(clips.shape()) + ": " + e.getMessage(), e);
        }
        Tensor f = backbone.forward(clips);
        Map<String, Tensor> kept = taps.take();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String l : layers) {
            Tensor t = kept.get(l);
            if (t == null) {
                throw new IllegalStateException(network.name() + ": layer " + l + " did not run");
            }
            out.put(l, pool.apply(t));
        }
        return new Output(f, head == null ? null : head.forward(f), out);
    }
}
