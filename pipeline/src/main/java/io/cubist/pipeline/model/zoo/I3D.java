package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.AvgPool3d;
import io.cubist.pipeline.model.Concat;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PooledConv3d;
import io.cubist.pipeline.model.SamePadded;
import io.cubist.pipeline.model.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Inception-v1 I3D of Carreira &amp; Zisserman (2017, "Quo Vadis, Action Recognition?"), RGB stream, in the
 * layout of the widely used PyTorch port ({@code InceptionI3d}), so its converted checkpoints load unchanged: keys
 * {@code Conv3d_1a_7x7.conv3d.weight}, {@code Conv3d_1a_7x7.bn.running_mean}, {@code Mixed_3b.b0.conv3d.weight},
 * {@code Mixed_3b.b1a...}, {@code Mixed_3b.b1b...}, ..., {@code logits.conv3d.weight}/{@code .bias}.
 * <pre>
 * Conv3d_1a_7x7  Unit3D 3→64 7×7×7 stride 2;  MaxPool3d_2a_3x3 (1,3,3)/(1,2,2)
 * Conv3d_2b_1x1  Unit3D 64→64;  Conv3d_2c_3x3 Unit3D 64→192 3×3×3;  MaxPool3d_3a_3x3 (1,3,3)/(1,2,2)
 * Mixed_3b, Mixed_3c;  MaxPool3d_4a_3x3 (3,3,3)/(2,2,2);  Mixed_4b .. Mixed_4f;  MaxPool3d_5a_2x2 (2,2,2)/(2,2,2)
 * Mixed_5b, Mixed_5c (1024 channels);  avg_pool AvgPool3d (2,7,7) stride 1;  logits Unit3D 1024→400 1×1×1 + bias
 * </pre>
 * Every {@code Unit3D} is a bias-free convolution with TensorFlow's "SAME" padding computed from the input's size
 * ({@link SamePadded}), {@code BatchNorm3d(eps=1e-3)} and ReLU; an Inception block concatenates {@code b0} (1×1×1),
 * {@code b1a}→{@code b1b} (1×1×1 then 3×3×3), {@code b2a}→{@code b2b} and {@code b3a}→{@code b3b} (a "SAME" 3×3×3
 * max pool, then 1×1×1).
 *
 * <p>Features ({@code [N, 1024]}) are what video_features' i3d gives: the {@code avg_pool}ed {@code Mixed_5c} map
 * averaged over the time it leaves. The logits are the port's per-time logits averaged over time (its 1×1×1
 * classifier commutes with that mean), before any softmax. Clips are 224×224 RGB scaled to [-1, 1].
 *
 * @param channelDivisor 1 for the published model; a CI variant divides every channel count (floor, at least 1)
 * @param avgpoolKernel  (2, 7, 7); smaller for small CI clips
 */
public record I3D(String name, int channelDivisor, Dims3 avgpoolKernel, int numClasses) implements Architecture {

    public static final Dims3 AVGPOOL = new Dims3(2, 7, 7);
    public static final double BN_EPS = 1e-3;
    public I3D {
        Objects.requireNonNull(avgpoolKernel, "avgpoolKernel");
        if (channelDivisor < 1 || numClasses < 1) {
            throw new IllegalArgumentException(name + ": the channel divisor and classes must be >= 1");
        }
    }

    /** {@code i3d}: the published widths, 400 Kinetics classes. */
    public static I3D kinetics() {
        return new I3D("i3d", 1, AVGPOOL, VideoResNet.NUM_CLASSES);
    }

    public I3D withChannelDivisor(int div) {
        return new I3D(name, div, avgpoolKernel, numClasses);
    }

    public I3D withAvgpoolKernel(Dims3 k) {
        return new I3D(name, channelDivisor, k, numClasses);
    }

    @Override
    public I3D withClasses(int k) {
        return new I3D(name, channelDivisor, avgpoolKernel, k);
    }

    @Override
    public String classifierWeightKey() {
        return "logits.conv3d.weight";
    }

    @Override
    public boolean published() {
        return channelDivisor == 1 && avgpoolKernel.equals(AVGPOOL);
    }

    /** 64×224×224: video_features' stack of 64 frames at the port's 224 crop. */
    @Override
    public int[] defaultInput() {
        return new int[] {1, 3, 64, 224, 224};
    }

    private int c(int channels) {
        return InceptionV1.channels(channels, channelDivisor);
    }

    @Override
    public int featureDim() {
        return InceptionV1.featureDim(channelDivisor);
    }

    @Override
    public Network build() {
        List<Module.Child> f = new ArrayList<>();
        f.add(new Module.Child("Conv3d_1a_7x7", unit(3, c(64), 7, 2)));
        f.add(new Module.Child("MaxPool3d_2a_3x3", SamePadded.maxPool(new Dims3(1, 3, 3), new Dims3(1, 2, 2))));
        f.add(new Module.Child("Conv3d_2b_1x1", unit(c(64), c(64), 1, 1)));
        f.add(new Module.Child("Conv3d_2c_3x3", unit(c(64), c(192), 3, 1)));
        f.add(new Module.Child("MaxPool3d_3a_3x3", SamePadded.maxPool(new Dims3(1, 3, 3), new Dims3(1, 2, 2))));
        int planes = mixed(f, c(192), "Mixed_3", InceptionV1.MIXED_3);
        f.add(new Module.Child("MaxPool3d_4a_3x3", SamePadded.maxPool(Dims3.of(3), Dims3.of(2))));
        planes = mixed(f, planes, "Mixed_4", InceptionV1.MIXED_4);
        f.add(new Module.Child("MaxPool3d_5a_2x2", SamePadded.maxPool(Dims3.of(2), Dims3.of(2))));
        planes = mixed(f, planes, "Mixed_5", InceptionV1.MIXED_5);
        f.add(new Module.Child("avg_pool", AvgPool3d.of(avgpoolKernel, Dims3.of(1), Dims3.of(0))));
        f.add(new Module.Child("mean", new AdaptiveAvgPool3d(Dims3.of(1))));
        f.add(new Module.Child("flatten", new Flatten()));
        Module logits = Sequential.named(List.of(new Module.Child("conv3d", new PooledConv3d(planes, numClasses))));
        return new Network(name, Sequential.named(f), "logits", logits);
    }

    private int mixed(List<Module.Child> f, int planes, String prefix, int[][] blocks) {
        for (int i = 0; i < blocks.length; i++) {
            int[] b = blocks[i];
            int b0 = c(b[0]);
            int b1a = c(b[1]);
            int b1b = c(b[2]);
            int b2a = c(b[3]);
            int b2b = c(b[4]);
            int b3b = c(b[5]);
            f.add(new Module.Child(prefix + (char) ('b' + i), Concat.flat("InceptionModule", List.of(
                    List.of(new Module.Child("b0", unit(planes, b0, 1, 1))),
                    List.of(new Module.Child("b1a", unit(planes, b1a, 1, 1)),
                            new Module.Child("b1b", unit(b1a, b1b, 3, 1))),
                    List.of(new Module.Child("b2a", unit(planes, b2a, 1, 1)),
                            new Module.Child("b2b", unit(b2a, b2b, 3, 1))),
                    List.of(new Module.Child("b3a", SamePadded.maxPool(Dims3.of(3), Dims3.of(1))),
                            new Module.Child("b3b", unit(planes, b3b, 1, 1)))))));
            planes = b0 + b1b + b2b + b3b;
        }
        return planes;
    }

    private static SamePadded unit(int in, int out, int k, int stride) {
        return SamePadded.unit3d(ConvSpec.builder(3, in, out, k, k, k).stride(stride, stride, stride).bias(false)
                .build(), true, BN_EPS, true);
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (channels / " + channelDivisor + ", avg_pool " + avgpoolKernel + ")");
    }
}
