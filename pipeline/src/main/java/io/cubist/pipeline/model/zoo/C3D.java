package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.Conv3d;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.Linear;
import io.cubist.pipeline.model.MaxPool3d;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.ReLU;
import io.cubist.pipeline.model.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * C3D (Tran et al. 2015, "Learning Spatiotemporal Features with 3D Convolutional Networks") laid out as the common
 * PyTorch port of the Sports-1M weights, so its checkpoints load with no renaming: keys {@code conv1, conv2, conv3a,
 * conv3b, conv4a, conv4b, conv5a, conv5b, fc6, fc7, fc8} ({@code .weight}, {@code .bias}).
 * <pre>
 * conv1  3→64      pool1 (1,2,2)/(1,2,2)
 * conv2  64→128    pool2 2/2
 * conv3a 128→256, conv3b 256→256    pool3 2/2
 * conv4a 256→512, conv4b 512→512    pool4 2/2
 * conv5a 512→512, conv5b 512→512    pool5 2/2, padding (0,1,1)
 * flatten → fc6 8192→4096 → ReLU → fc7 4096→4096 → ReLU → fc8 4096→487 (Sports-1M)
 * </pre>
 * Every convolution is 3×3×3, padding 1, with bias, followed by ReLU. Clips are 16×112×112, so pool5 gives
 * {@code 512 × 1×4×4 = 8192} fc6 inputs ({@code fc6Grid} is that 1×4×4; other clip sizes need a checkpoint trained
 * for them). Dropout (p=0.5 after fc6 and fc7 in training) is the identity at inference and not listed.
 *
 * <p>Features ({@code [N, 4096]}) are fc7's output after its ReLU: the input of the classifier fc8, as for every
 * other zoo model (DESIGN.md's {@code embed} contract). The paper's video descriptor is fc6's activations (and
 * extractors built on this port often stop at fc6); fc7 was chosen so that {@code logits = fc8(features)} holds
 * as for the other models.
 *
 * <p>Reduced variants change {@code channels} (the widths of conv1, conv2, conv3*, conv4*, conv5*), {@code hidden}
 * (fc6/fc7 width) and {@code fc6Grid} (pool5's output for smaller clips).
 */
public record C3D(String name, int[] channels, int hidden, Dims3 fc6Grid, int numClasses) implements Architecture {

    /** The widths of conv1, conv2, conv3a/b, conv4a/b, conv5a/b. */
    public static final int[] CHANNELS = {64, 128, 256, 512, 512};
    public static final int HIDDEN = 4096;
    /** pool5's output for 16×112×112 clips. */
    public static final Dims3 FC6_GRID = new Dims3(1, 4, 4);
    /** Sports-1M. */
    public static final int NUM_CLASSES = 487;

    public C3D {
        channels = channels.clone();
        if (channels.length != 5 || Arrays.stream(channels).anyMatch(c -> c < 1)) {
            throw new IllegalArgumentException(name + ": channels are 5 widths >= 1 (conv1, conv2, conv3, conv4,"
                    + " conv5), got " + Arrays.toString(channels));
        }
        if (hidden < 1 || numClasses < 1) {
            throw new IllegalArgumentException(name + ": hidden and num_classes must be >= 1, got " + hidden + " and "
                    + numClasses);
        }
        for (int a = 0; a < 3; a++) {
            if (fc6Grid.get(a) < 1) {
                throw new IllegalArgumentException(name + ": the fc6 grid must be >= 1, got " + fc6Grid);
            }
        }
    }

    @Override
    public int[] channels() {
        return channels.clone();
    }

    /** The Sports-1M C3D. */
    public static C3D sports1m() {
        return new C3D("c3d", CHANNELS, HIDDEN, FC6_GRID, NUM_CLASSES);
    }

    public C3D withChannels(int[] c, int hiddenWidth) {
        return new C3D(name, c, hiddenWidth, fc6Grid, numClasses);
    }

    public C3D withFc6Grid(Dims3 grid) {
        return new C3D(name, channels, hidden, grid, numClasses);
    }

    @Override
    public C3D withClasses(int k) {
        return new C3D(name, channels, hidden, fc6Grid, k);
    }

    @Override
    public String classifierWeightKey() {
        return "fc8.weight";
    }

    @Override
    public boolean published() {
        return Arrays.equals(channels, CHANNELS) && hidden == HIDDEN && fc6Grid.equals(FC6_GRID);
    }

    @Override
    public int featureDim() {
        return hidden;
    }

    /** fc6's inputs: {@code channels[4] * prod(fc6Grid)}, 8192 for the published model. */
    public int fc6Inputs() {
        return Math.multiplyExact(channels[4], fc6Grid.d() * fc6Grid.h() * fc6Grid.w());
    }

    @Override
    public Network build() {
        List<Module.Child> parts = new ArrayList<>();
        int[] c = channels;
        conv(parts, "1", 3, c[0]);
        parts.add(new Module.Child("pool1", MaxPool3d.of(new Dims3(1, 2, 2), new Dims3(1, 2, 2), Dims3.of(0))));
        conv(parts, "2", c[0], c[1]);
        parts.add(new Module.Child("pool2", MaxPool3d.of(Dims3.of(2), Dims3.of(2), Dims3.of(0))));
        conv(parts, "3a", c[1], c[2]);
        conv(parts, "3b", c[2], c[2]);
        parts.add(new Module.Child("pool3", MaxPool3d.of(Dims3.of(2), Dims3.of(2), Dims3.of(0))));
        conv(parts, "4a", c[2], c[3]);
        conv(parts, "4b", c[3], c[3]);
        parts.add(new Module.Child("pool4", MaxPool3d.of(Dims3.of(2), Dims3.of(2), Dims3.of(0))));
        conv(parts, "5a", c[3], c[4]);
        conv(parts, "5b", c[4], c[4]);
        parts.add(new Module.Child("pool5", MaxPool3d.of(Dims3.of(2), Dims3.of(2), new Dims3(0, 1, 1))));
        parts.add(new Module.Child("flatten", new Flatten())); // the port's h.view(-1, 8192)
        parts.add(new Module.Child("fc6", new Linear(fc6Inputs(), hidden)));
        parts.add(new Module.Child("relu6", new ReLU()));
        parts.add(new Module.Child("fc7", new Linear(hidden, hidden)));
        parts.add(new Module.Child("relu7", new ReLU()));
        return new Network(name, Sequential.named(parts), "fc8", new Linear(hidden, numClasses));
    }

    /** {@code convN}: 3×3×3, padding 1, bias; then its ReLU (the port's one shared {@code relu}, listed per use). */
    private static void conv(List<Module.Child> parts, String n, int in, int out) {
        parts.add(new Module.Child("conv" + n, new Conv3d(ConvSpec.builder(3, in, out, 3, 3, 3).padding(1, 1, 1)
                .bias(true).build())));
        parts.add(new Module.Child("relu" + n, new ReLU()));
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (channels " + Arrays.toString(channels) + ", hidden " + hidden
                + ", fc6 grid " + fc6Grid + ")");
    }
}
