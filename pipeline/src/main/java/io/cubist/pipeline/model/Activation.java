package io.cubist.pipeline.model;

import io.cubist.pipeline.weights.StateDict;
import java.util.List;
import java.util.Objects;

/**
 * A stateless element-wise function other than ReLU (which {@link ReLU} keeps apart, since it fuses into
 * convolutions): {@code nn.Sigmoid}, PyTorchVideo's {@code Swish} ({@code x * sigmoid(x)}, X3D's inner activation) and
 * {@code nn.Identity}. Any shape; no state; no MACs.
 */
public final class Activation extends ElementwiseLayer {

    /** The functions, each named as its PyTorch class. */
    public enum Function {
        SIGMOID("Sigmoid"), SWISH("Swish"), IDENTITY("Identity");

        private final String torchClass;

        Function(String torchClass) {
            this.torchClass = torchClass;
        }
    }

    private final Function function;

    public Activation(Function function) {
        this.function = Objects.requireNonNull(function, "function");
    }

    public static Activation sigmoid() {
        return new Activation(Function.SIGMOID);
    }

    public static Activation swish() {
        return new Activation(Function.SWISH);
    }

    public static Activation identity() {
        return new Activation(Function.IDENTITY);
    }

    @Override
    public String kind() {
        return function.torchClass;
    }

    @Override
    public List<Op> lower(StateDict weights, String path) {
        return function == Function.IDENTITY ? List.of() : List.of(new Op.Elementwise(function));
    }

    @Override
    public String toString() {
        return kind() + "()";
    }
}
