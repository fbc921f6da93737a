package io.cubist.pipeline.model;

import java.util.ArrayList;
import java.util.List;

/**
 * PyTorchVideo's {@code ResBlock}: {@code activation(branch2(x) + branch1_norm(branch1_conv(x)))}, the shortcut being
 * the identity when there is no {@code branch1_conv} (X3D's blocks; {@code branch_fusion} is the sum). Children in
 * PyTorchVideo's registration order: {@code branch1_conv}, {@code branch1_norm} (each only when present),
 * {@code branch2}, {@code activation} (a ReLU).
 *
 * <p>State: {@code branch1_conv.*}, {@code branch1_norm.*}, {@code branch2.*}.
 */
public final class ResBlock extends ResidualBlock {

    /**
     * @param branch1Conv the shortcut's convolution, or null (then {@code branch1Norm} must be null: the identity)
     * @param branch1Norm the shortcut's batch norm, or null
     * @param branch2     the main path
     */
    public ResBlock(Module branch1Conv, Module branch1Norm, Module branch2) {
        super(List.of(new Child("branch2", branch2)), shortcut(branch1Conv, branch1Norm), "activation",
                registration(branch1Conv, branch1Norm, branch2));
    }

    private static List<Child> shortcut(Module conv, Module norm) {
        if (conv == null && norm != null) {
            throw new IllegalArgumentException("ResBlock: branch1_norm without branch1_conv");
        }
        List<Child> s = new ArrayList<>();
        if (conv != null) {
            s.add(new Child("branch1_conv", conv));
        }
        if (norm != null) {
            s.add(new Child("branch1_norm", norm));
        }
        return s;
    }

    private static List<Child> registration(Module conv, Module norm, Module branch2) {
        List<Child> all = shortcut(conv, norm);
        all.add(new Child("branch2", branch2));
        all.add(new Child("activation", new ReLU()));
        return all;
    }

    @Override
    public String kind() {
        return "ResBlock";
    }
}
