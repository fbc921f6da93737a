package io.cubist.pipeline.model.zoo;

import io.cubist.pipeline.model.Network;

/**
 * A zoo model's architecture as a validated description (a record per family: {@link VideoResNet}, {@link S3D},
 * {@link C3D}, {@link ChannelSeparatedNet}) that {@link #build builds} the {@link Network} with the PyTorch model's
 * {@code state_dict} keys. Reduced variants for tests are made with each family's own {@code with...} methods.
 */
public interface Architecture {

    /** The zoo name ({@code r3d_18}, {@code s3d}, ...). */
    String name();

    /** The length of the feature vector ({@code cubist embed}'s {@code features}). */
    int featureDim();

    /** The classifier's classes. */
    int numClasses();

    /** The same architecture with a classifier for {@code k} classes. */
    Architecture withClasses(int k);

    /**
     * The key of the classifier's weight, whose first dimension is the number of classes: how {@link ModelZoo#create}
     * reads the classes from a checkpoint ({@code fc.weight}, {@code classifier.1.weight}, {@code fc8.weight}).
     */
    String classifierWeightKey();

    /** Whether this is the published architecture (not a reduced variant). */
    boolean published();

    /**
     * The same architecture with four stage widths (the {@code --widths} of {@code cubist embed} and
     * {@code summary}); families without four stages say so.
     *
     * @throws IllegalArgumentException when the family has no stage widths
     */
    default Architecture withWidths(int... widths) {
        throw new IllegalArgumentException(name() + " has no four stage widths to change (--widths applies to the"
                + " ResNet-shaped models: r3d_18, mc3_18, r2plus1d_18, ir_csn_50)");
    }

    /**
     * The clip batch {@code [1, 3, T, H, W]} the model is usually described at ({@code cubist summary}'s default):
     * 16×112×112, torchvision's for its video ResNets.
     */
    default int[] defaultInput() {
        return new int[] {1, 3, 16, 112, 112};
    }

    Network build();
}
