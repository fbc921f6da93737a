package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.device.DevicePlan;
import io.cubist.pipeline.weights.StateDict;
import java.util.List;

/**
 * A {@link Network} with weights that fit it ({@link Network#load}). {@link #prepare} reads, folds and packs them
 * for one backend; keep the {@link PreparedModel} and run it on many clips.
 */
public final class Model {

    private final Network network;
    private final StateDict weights;

    Model(Network network, StateDict weights) {
        this.network = network;
        this.weights = weights;
    }

    public Network network() {
        return network;
    }

    public String name() {
        return network.name();
    }

    /** Where the weights came from (a file, or the random seed). */
    public String source() {
        return weights.source();
    }

    /** Whether the weights include the classifier, so that {@link PreparedModel} gives logits. */
    public boolean hasClassifier() {
        return network.head() != null;
    }

    /**
     * Prepares every layer for {@code backend} once: batch norm folded into the convolution before it, ReLU and
     * residual additions fused into convolution epilogues, convolution weights packed. The result is used from one
     * thread at a time; prepare once per thread (or per backend) and reuse it.
     */
    public PreparedModel prepare(Backend backend) {
        return prepare(backend, List.of(), LayerPool.AVG);
    }

    /**
     * {@link #prepare(Backend)}, also handing back the outputs of {@code layers} ({@link Network#layerNames()}),
     * each pooled as {@code pool} says ({@link PreparedModel.Output#layers()}). Fusion stops at each requested
     * layer, so its output is exactly the module's (a batch norm right after it is not folded into the convolution
     * before it).
     *
     * @throws IllegalArgumentException naming the closest layers when one is not a layer of the network
     */
    public PreparedModel prepare(Backend backend, List<String> layers, LayerPool pool) {
        return prepare(backend, layers, pool, null);
    }

    /**
     * {@link #prepare(Backend)}, timing each top-level part of the backbone and the classifier into {@code profile}
     * ({@link Profile}): where a forward pass spends its time.
     */
    public PreparedModel prepare(Backend backend, Profile profile) {
        return prepare(backend, List.of(), LayerPool.AVG, profile);
    }

    private PreparedModel prepare(Backend backend, List<String> layers, LayerPool pool, Profile profile) {
        network.checkLayers(layers);
        Taps taps = layers.isEmpty() ? Taps.NONE : new Taps(layers);
        List<Op> body = Fusion.fuse(network.backbone().lower(weights, "", taps));
        PreparedModule b = profile == null ? Op.prepare(body, backend) : Op.prepare(body, backend, profile);
        PreparedModule h = null;
        if (network.head() != null) {
            h = Op.prepare(Fusion.fuse(network.head().lower(weights, network.headName())), backend);
            if (profile != null) {
                h = profile.timed("head", h);
            }
        }
        return new PreparedModel(network, List.of(backend), b, h, layers, pool, taps);
    }

    /**
     * Prepares the model on the engines {@code --devices} opened, one per device: on one, as
     * {@link #prepare(Backend, List, LayerPool)}; on several, a network with grouped convolutions is split as AlexNet
     * split its two GPUs ({@link #prepare(DevicePlan)}, the plan's speeds measured), and any other runs
     * data-parallel, each batch split across the devices in proportion to their speed, each device with its own
     * prepared copy ({@link PreparedModel#plan()} tells which).
     *
     * @throws IllegalArgumentException when layers are asked of a group split (it hands back features and logits)
     */
    public PreparedModel prepare(List<Backend> engines, List<String> layers, LayerPool pool) {
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("no engine to prepare " + name() + " on");
        }
        if (engines.size() == 1) {
            return prepare(engines.get(0), layers, pool);
        }
        network.checkLayers(layers);
        boolean grouped = grouped();
        if (grouped && !layers.isEmpty()) {
            throw new IllegalArgumentException("--layer runs on one device: " + name() + " has grouped"
                    + " convolutions, which several devices split (features and logits only); give one device");
        }
        // the devices' speeds are measured only once the request is known to be one that runs
        DevicePlan plan = DevicePlan.measured(engines.stream().map(Backend::describe).toList(), engines, 3);
        if (grouped) {
            return prepare(plan);
        }
        List<PreparedModel> copies = engines.stream().map(e -> prepare(e, layers, pool)).toList();
        return PreparedModel.dataParallel(copies, plan);
    }

    /** Whether any convolution of the network has more than one group (what a device plan splits). */
    public boolean grouped() {
        return Op.anyConv(network.backbone().lower(weights, ""), s -> s.groups() > 1);
    }

    /**
     * Prepares the model across the devices of {@code plan}: each grouped convolution's groups split over the plan's
     * slots in proportion to their speed, per-channel layers run where their channels lie, and the rest (ungrouped
     * convolutions, the classifier) on the plan's first slot. Activations cross devices only where a layer needs
     * channels another device holds; {@link DevicePlan#bytesMoved()} counts them.
     */
    public PreparedModel prepare(DevicePlan plan) {
        PreparedModule b = Partitioned.prepare(Fusion.fuse(network.backbone().lower(weights, "")), plan);
        PreparedModule h = null;
        if (network.head() != null) {
            h = Op.prepare(Fusion.fuse(network.head().lower(weights, network.headName())), plan.primary());
        }
        return new PreparedModel(network, plan.backends(), b, h, List.of(), LayerPool.AVG, Taps.NONE, plan, null);
    }
}
