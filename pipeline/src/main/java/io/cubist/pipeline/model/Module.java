package io.cubist.pipeline.model;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.conv.ReceptiveField;
import io.cubist.pipeline.weights.StateDict;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A layer or a composition of layers, mirroring one {@code torch.nn.Module}: the architecture only. Weights come
 * from a {@link StateDict} when the module is {@link #prepare prepared} for a backend, keyed as the module's
 * {@code state_dict} ({@link #stateDict()}), so a checkpoint written by PyTorch loads with no renaming.
 *
 * <p>Tensors are NCDHW ({@code [N, C, D, H, W]}, D being time) unless a layer says otherwise. Shapes are plain
 * {@code int[]} in PyTorch's order.
 *
 * <p>MACs follow torchvision's published figures: the multiply-accumulates of convolutions (every kernel tap,
 * padded or not) and linear layers; batch norm (folded into the convolution before it at load), ReLU, pooling and
 * residual additions count zero.
 */
public interface Module {

    /** A named child, as {@code named_children()} lists it. */
    record Child(String name, Module module) {
        public Child {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(module, "module");
            if (name.isEmpty() || name.contains(".")) {
                throw new IllegalArgumentException("a child's name is one non-empty key segment, got '" + name + "'");
            }
        }
    }

    /** The PyTorch class this module matches: {@code Conv3d}, {@code BatchNorm3d}, {@code Sequential}, ... */
    String kind();

    /** The output shape for an input of shape {@code in}; an input this module cannot take is an error saying why. */
    int[] outputShape(int[] in);

    /** Multiply-accumulates of one forward pass over the whole input {@code in} (all of its batch). */
    long macs(int[] in);

    /**
     * The receptive field of this module alone for an input of shape {@code in}: how many input elements along
     * (d, h, w) one output element depends on, and the input distance between neighbouring outputs.
     */
    ReceptiveField receptiveField(int[] in);

    /** The {@code state_dict} entries (parameters and buffers) of this module and its children, in PyTorch's order. */
    List<StateEntry> stateDict();

    /** The children in registration order; empty for a leaf layer. */
    default List<Child> children() {
        return List.of();
    }

    /** What {@code sum(p.numel() for p in module.parameters())} gives: buffers (running statistics) excluded. */
    default long parameterCount() {
        return stateDict().stream().filter(e -> e.role().parameter()).mapToLong(StateEntry::numel).sum();
    }

    /**
     * This module as a list of {@link Op}s holding its weights, read from {@code weights} under {@code path} (the
     * module's own key prefix, empty for the root: a conv at {@code layer1.0.conv1.0} reads
     * {@code layer1.0.conv1.0.weight}).
     */
    List<Op> lower(StateDict weights, String path);

    /**
     * {@link #lower(StateDict, String)} with an {@link Op.Tap} after every descendant whose key is in {@code taps}
     * (an intermediate output a caller asked for, {@code --layer}). Containers whose children run as a chain
     * override this; a leaf has nothing to tap inside.
     */
    default List<Op> lower(StateDict weights, String path, Taps taps) {
        return lower(weights, path);
    }

    /**
     * The children whose output can be tapped ({@link #lower(StateDict, String, Taps)}): those that run one after
     * another as a chain (a sequence's, a residual block's two paths', a concatenation's branches'); none for a leaf.
     */
    default List<Child> tappableChildren() {
        return List.of();
    }

    /**
     * Appends the keys of the descendants whose output {@code --layer} can give ({@link Network#layerNames()}), in
     * forward order: by default every tappable child and, under it, its own.
     */
    default void layerNames(String path, List<String> out) {
        for (Child c : tappableChildren()) {
            String at = join(path, c.name());
            out.add(at);
            c.module().layerNames(at, out);
        }
    }

    /**
     * The output shape of the descendant at {@code layer} (a key under this module's {@code path}) for an input of
     * shape {@code in} to this module, or null when no tappable descendant has that key.
     */
    default int[] layerShape(String path, String layer, int[] in) {
        return null;
    }

    /**
     * Prepares this module for repeated forward passes on {@code backend}: weights read once, batch norm folded into
     * the convolution before it, ReLU and residual additions fused into the convolution's epilogue where one
     * precedes them, and every convolution packed by the backend once. Keys are relative to this module.
     */
    default PreparedModule prepare(Backend backend, StateDict weights) {
        return Op.prepare(Fusion.fuse(lower(weights, "")), backend);
    }

    /**
     * Appends one summary row per leaf layer (children in forward order) for an input of shape {@code in} whose
     * elements each see {@code rfIn} of the network input; returns the receptive field of this module's output.
     */
    default ReceptiveField summarize(String path, int[] in, ReceptiveField rfIn, List<SummaryRow> rows) {
        ReceptiveField rf = rfIn.then(receptiveField(in));
        rows.add(new SummaryRow(path, kind(), outputShape(in), parameterCount(), macs(in), rf));
        return rf;
    }

    /** {@code path + "." + name}, or {@code name} when {@code path} is empty: the key of a child or a tensor. */
    static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The entries of {@code children}, each under its child's name. */
    static List<StateEntry> stateDictOf(List<Child> children) {
        List<StateEntry> all = new ArrayList<>();
        for (Child c : children) {
            for (StateEntry e : c.module().stateDict()) {
                all.add(e.under(c.name()));
            }
        }
        return List.copyOf(all);
    }
}
