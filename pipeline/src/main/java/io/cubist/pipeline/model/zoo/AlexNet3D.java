package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.Conv3d;
import io.cubist.pipeline.model.Dropout;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.Linear;
import io.cubist.pipeline.model.MaxPool3d;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.ReLU;
import io.cubist.pipeline.model.Sequential;
import java.util.Arrays;
import java.util.List;

/**
 * AlexNet (Krizhevsky et al. 2012) in 3D, with the original's two-GPU grouping: conv2, conv4 and conv5 have
 * {@code groups = 2} (each half of the kernels sees only the half of the maps computed on its own GPU) and conv3 is
 * the one layer that reads every map. It is the zoo's model for splitting grouped layers across devices
 * ({@link io.cubist.kernels.device.DevicePlan}): the two groups of conv4 and conv5 stay where conv4's input half
 * lies, and devices exchange maps only at conv3. Laid out as torchvision's {@code AlexNet} (keys
 * {@code features.0, .3, .6, .8, .10}, {@code classifier.1, .4, .6}); defined in PyTorch in
 * {@code tools/video_models.py}.
 * <pre>
 * features.0  Conv3d(3, 96, (3,11,11), stride (1,4,4), padding (1,2,2)), ReLU, MaxPool3d((1,3,3), (1,2,2))
 * features.3  Conv3d(96, 256, (3,5,5), padding (1,2,2), groups 2), ReLU, MaxPool3d((2,3,3), (2,2,2))
 * features.6  Conv3d(256, 384, 3, padding 1), ReLU
 * features.8  Conv3d(384, 384, 3, padding 1, groups 2), ReLU
 * features.10 Conv3d(384, 256, 3, padding 1, groups 2), ReLU, MaxPool3d((2,3,3), (2,2,2))
 * avgpool     AdaptiveAvgPool3d((1,2,2))  (2×2 is what 112×112 clips leave; torchvision's 2D AlexNet pools to 6×6)
 * classifier  Dropout, Linear(1024, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Linear(4096, 400)
 * </pre>
 * Features ({@code [N, 4096]}) are the output of {@code classifier.5} (the ReLU after the second hidden layer): the
 * input of the last linear layer. There are no published weights; the widths are AlexNet's.
 */
public record AlexNet3D(String name, int[] channels, int hidden, Dims3 poolGrid, int groups, int numClasses)
        implements Architecture {

    public static final int[] CHANNELS = {96, 256, 384, 384, 256};
    public static final int HIDDEN = 4096;
    public static final Dims3 POOL_GRID = new Dims3(1, 2, 2);
    public static final int GROUPS = 2;
    /** Kinetics-400, so the classifier has the shape of the other zoo models'. */
    public static final int NUM_CLASSES = 400;

    public AlexNet3D {
        channels = channels.clone();
        if (channels.length != 5 || Arrays.stream(channels).anyMatch(c -> c < 1)) {
            throw new IllegalArgumentException(name + ": channels are 5 widths >= 1, got "
                    + Arrays.toString(channels));
        }
        if (groups < 1 || channels[0] % groups != 0 || channels[1] % groups != 0 || channels[2] % groups != 0
                || channels[3] % groups != 0 || channels[4] % groups != 0) {
            throw new IllegalArgumentException(name + ": every width must be divisible by groups (" + groups
                    + "), got " + Arrays.toString(channels));
        }
        if (hidden < 1 || numClasses < 1) {
            throw new IllegalArgumentException(name + ": hidden and num_classes must be >= 1, got " + hidden + " and "
                    + numClasses);
        }
        for (int a = 0; a < 3; a++) {
            if (poolGrid.get(a) < 1) {
                throw new IllegalArgumentException(name + ": the pooling grid must be >= 1, got " + poolGrid);
            }
        }
    }

    @Override
    public int[] channels() {
        return channels.clone();
    }

    /** AlexNet's widths in 3D. */
    public static AlexNet3D alexnet3d() {
        return new AlexNet3D("alexnet3d", CHANNELS, HIDDEN, POOL_GRID, GROUPS, NUM_CLASSES);
    }

    public AlexNet3D withChannels(int[] c, int hiddenWidth) {
        return new AlexNet3D(name, c, hiddenWidth, poolGrid, groups, numClasses);
    }

    @Override
    public AlexNet3D withClasses(int k) {
        return new AlexNet3D(name, channels, hidden, poolGrid, groups, k);
    }

    @Override
    public String classifierWeightKey() {
        return "classifier.6.weight";
    }

    @Override
    public boolean published() {
        return Arrays.equals(channels, CHANNELS) && hidden == HIDDEN && poolGrid.equals(POOL_GRID)
                && groups == GROUPS;
    }

    @Override
    public int featureDim() {
        return hidden;
    }

    @Override
    public Network build() {
        int[] c = channels;
        Module features = Sequential.of(
                conv(3, c[0], new Dims3(3, 11, 11), new Dims3(1, 4, 4), new Dims3(1, 2, 2), 1),
                new ReLU(),
                MaxPool3d.of(new Dims3(1, 3, 3), new Dims3(1, 2, 2), Dims3.of(0)),
                conv(c[0], c[1], new Dims3(3, 5, 5), Dims3.of(1), new Dims3(1, 2, 2), groups),
                new ReLU(),
                MaxPool3d.of(new Dims3(2, 3, 3), Dims3.of(2), Dims3.of(0)),
                conv(c[1], c[2], Dims3.of(3), Dims3.of(1), Dims3.of(1), 1),
                new ReLU(),
                conv(c[2], c[3], Dims3.of(3), Dims3.of(1), Dims3.of(1), groups),
                new ReLU(),
                conv(c[3], c[4], Dims3.of(3), Dims3.of(1), Dims3.of(1), groups),
                new ReLU(),
                MaxPool3d.of(new Dims3(2, 3, 3), Dims3.of(2), Dims3.of(0)));
        int fcIn = Math.multiplyExact(c[4], (int) poolGrid.product());
        Module classifier = Sequential.of(new Dropout(0.5), new Linear(fcIn, hidden), new ReLU(), new Dropout(0.5),
                new Linear(hidden, hidden), new ReLU());
        Module backbone = Sequential.named(List.of(
                new Module.Child("features", features),
                new Module.Child("avgpool", new AdaptiveAvgPool3d(poolGrid)),
                new Module.Child("flatten", new Flatten()),
                new Module.Child("classifier", classifier)));
        return new Network(name, backbone, "classifier.6", new Linear(hidden, numClasses));
    }

    private static Conv3d conv(int in, int out, Dims3 k, Dims3 s, Dims3 p, int groups) {
        return new Conv3d(ConvSpec.builder(3, in, out, k.d(), k.h(), k.w()).stride(s.d(), s.h(), s.w())
                .padding(p.d(), p.h(), p.w()).groups(groups).bias(true).build());
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (channels " + Arrays.toString(channels) + ", hidden " + hidden
                + ", grid " + poolGrid + ", groups " + groups + ")");
    }
}
