package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.tensor.Tensor;

/**
 * A model ready to run on one backend ({@link Model#prepare}): clips in, features and (with a classifier) logits
 * out. Used from one thread at a time.
 */
public final class PreparedModel {

    /**
     * @param features the classifier's input {@code [N, D]}
     * @param logits   {@code [N, K]}, or null when the weights have no classifier
     */
    public record Output(Tensor features, Tensor logits) {
    }

    private final Network network;
    private final Backend backend;
    private final PreparedModule backbone;
    private final PreparedModule head;

    PreparedModel(Network network, Backend backend, PreparedModule backbone, PreparedModule head) {
        this.network = network;
        this.backend = backend;
        this.backbone = backbone;
        this.head = head;
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
        return new Output(f, head == null ? null : head.forward(f));
    }
}
