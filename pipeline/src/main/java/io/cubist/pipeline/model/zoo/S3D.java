package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.AvgPool3d;
import io.cubist.pipeline.model.BatchNorm3d;
import io.cubist.pipeline.model.Concat;
import io.cubist.pipeline.model.Conv3d;
import io.cubist.pipeline.model.Dropout;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.MaxPool3d;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PooledConv3d;
import io.cubist.pipeline.model.ReLU;
import io.cubist.pipeline.model.Sequential;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision 0.14's {@code S3D} ({@code torchvision/models/video/s3d.py}) as a validated description, built from the
 * same modules in the same order so the {@code state_dict} keys are torchvision's:
 * <pre>
 * features  Sequential(
 *   0  TemporalSeparableConv(3, 64, k=7, s=2, p=3)   1×7×7 conv stride (1,2,2) + BN + ReLU, then 7×1×1 stride (2,1,1)
 *   1  MaxPool3d((1,3,3), stride (1,2,2), padding (0,1,1))
 *   2  Conv3dNormActivation(64, 64, 1×1×1)
 *   3  TemporalSeparableConv(64, 192, k=3, s=1, p=1)
 *   4  MaxPool3d((1,3,3), stride (1,2,2), padding (0,1,1))
 *   5, 6  SepInceptionBlock3D (Mixed_3b, 3c)
 *   7  MaxPool3d((3,3,3), stride 2, padding 1)
 *   8..12  SepInceptionBlock3D (Mixed_4b..4f)
 *   13 MaxPool3d((2,2,2), stride 2)
 *   14, 15  SepInceptionBlock3D (Mixed_5b, 5c) -> 1024 channels
 * avgpool   AvgPool3d((2,7,7), stride 1)
 * classifier  Sequential(Dropout(0.2), Conv3d(1024, 400, 1×1×1, bias))    then torch.mean over (T, H, W)
 * </pre>
 * Every convolution but the classifier's has no bias and is followed by {@code BatchNorm3d(eps=1e-3)} and ReLU
 * ({@code Conv3dNormActivation}: keys {@code N.0.weight}, {@code N.1.running_mean}, ...). A
 * {@code SepInceptionBlock3D} concatenates four branches ({@link Concat}): {@code branch0} a 1×1×1 conv;
 * {@code branch1}, {@code branch2} a 1×1×1 conv then a TemporalSeparableConv (3×3 spatial, 3 temporal);
 * {@code branch3} a 3×3×3 max pool (stride 1, padding 1) then a 1×1×1 conv.
 *
 * <p>Features ({@code [N, 1024]}) are the mean over time and space of the average-pooled map, the classifier
 * convolution's input; logits are that convolution applied to them ({@link PooledConv3d}), equal to torchvision's
 * output (the 1×1×1 convolution commutes with the mean). At 16×224×224 the pooled map is 1×1×1.
 *
 * <p>A reduced variant divides every channel count by {@code channelDivisor} (floor, at least 1; a block's input
 * width is the sum of the previous block's branches, as in torchvision) and may use a smaller
 * {@code avgpoolKernel} so that small clips fit; {@code tools/video_models.py} builds the same variants in PyTorch.
 */
public record S3D(String name, int channelDivisor, Dims3 avgpoolKernel, int numClasses) implements Architecture {

    /** torchvision's average pool kernel (time, height, width): 2×7×7, stride 1. */
    public static final Dims3 AVGPOOL = new Dims3(2, 7, 7);
    /** torchvision's {@code norm_layer}: {@code BatchNorm3d(eps=0.001, momentum=0.001)}. */
    public static final double BN_EPS = 1e-3;
    /** torchvision's classifier dropout. */
    public static final double DROPOUT = 0.2;


    public S3D {
        if (channelDivisor < 1) {
            throw new IllegalArgumentException(name + ": the channel divisor must be >= 1, got " + channelDivisor);
        }
        for (int a = 0; a < 3; a++) {
            if (avgpoolKernel.get(a) < 1) {
                throw new IllegalArgumentException(name + ": the avgpool kernel must be >= 1, got " + avgpoolKernel);
            }
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException(name + ": num_classes must be >= 1, got " + numClasses);
        }
    }

    /** {@code torchvision.models.video.s3d}: 400 classes. */
    public static S3D torchvision() {
        return new S3D("s3d", 1, AVGPOOL, VideoResNet.NUM_CLASSES);
    }

    public S3D withChannelDivisor(int div) {
        return new S3D(name, div, avgpoolKernel, numClasses);
    }

    public S3D withAvgpoolKernel(Dims3 kernel) {
        return new S3D(name, channelDivisor, kernel, numClasses);
    }

    @Override
    public S3D withClasses(int k) {
        return new S3D(name, channelDivisor, avgpoolKernel, k);
    }

    @Override
    public String classifierWeightKey() {
        return "classifier.1.weight";
    }

    @Override
    public boolean published() {
        return channelDivisor == 1 && avgpoolKernel.equals(AVGPOOL);
    }

    /** 16×224×224: torchvision's 224 crop, the shortest clip (14 frames is its minimum) with a 2×7×7 pooled map. */
    @Override
    public int[] defaultInput() {
        return new int[] {1, 3, 16, 224, 224};
    }

    /** A torchvision channel count in this variant. */
    private int c(int channels) {
        return InceptionV1.channels(channels, channelDivisor);
    }

    /** The output width of the last block: 1024 for torchvision's. */
    @Override
    public int featureDim() {
        return InceptionV1.featureDim(channelDivisor);
    }

    @Override
    public Network build() {
        List<Module> f = new ArrayList<>();
        f.add(temporalSeparable(3, c(64), 7, 2, 3));
        f.add(MaxPool3d.of(new Dims3(1, 3, 3), new Dims3(1, 2, 2), new Dims3(0, 1, 1)));
        f.add(convNormAct(c(64), c(64), new int[] {1, 1, 1}, new int[] {1, 1, 1}, new int[] {0, 0, 0}));
        f.add(temporalSeparable(c(64), c(192), 3, 1, 1));
        f.add(MaxPool3d.of(new Dims3(1, 3, 3), new Dims3(1, 2, 2), new Dims3(0, 1, 1)));
        int planes = c(192);
        planes = inceptions(f, planes, InceptionV1.MIXED_3);
        f.add(MaxPool3d.of(Dims3.of(3), Dims3.of(2), Dims3.of(1)));
        planes = inceptions(f, planes, InceptionV1.MIXED_4);
        f.add(MaxPool3d.of(Dims3.of(2), Dims3.of(2), Dims3.of(0)));
        planes = inceptions(f, planes, InceptionV1.MIXED_5);
        Module backbone = Sequential.named(List.of(
                new Module.Child("features", Sequential.of(f.toArray(Module[]::new))),
                new Module.Child("avgpool", AvgPool3d.of(avgpoolKernel, Dims3.of(1), Dims3.of(0))),
                // torch.mean(x, dim=(2, 3, 4)), taken before the classifier: a global average pool
                new Module.Child("mean", new AdaptiveAvgPool3d(Dims3.of(1))),
                new Module.Child("flatten", new Flatten())));
        Module classifier = Sequential.of(new Dropout(DROPOUT), new PooledConv3d(planes, numClasses));
        return new Network(name, backbone, "classifier", classifier);
    }

    private int inceptions(List<Module> f, int planes, int[][] blocks) {
        for (int[] b : blocks) {
            int b0 = c(b[0]);
            int b1m = c(b[1]);
            int b1 = c(b[2]);
            int b2m = c(b[3]);
            int b2 = c(b[4]);
            int b3 = c(b[5]);
            int[] one = {1, 1, 1};
            int[] zero = {0, 0, 0};
            f.add(new Concat("SepInceptionBlock3D", List.of(
                    new Module.Child("branch0", convNormAct(planes, b0, one, one, zero)),
                    new Module.Child("branch1", Sequential.of(convNormAct(planes, b1m, one, one, zero),
                            temporalSeparable(b1m, b1, 3, 1, 1))),
                    new Module.Child("branch2", Sequential.of(convNormAct(planes, b2m, one, one, zero),
                            temporalSeparable(b2m, b2, 3, 1, 1))),
                    new Module.Child("branch3", Sequential.of(MaxPool3d.of(Dims3.of(3), Dims3.of(1), Dims3.of(1)),
                            convNormAct(planes, b3, one, one, zero))))));
            planes = b0 + b1 + b2 + b3;
        }
        return planes;
    }

    /** {@code TemporalSeparableConv}: a 1×k×k conv, stride (1,s,s), then k×1×1, stride (s,1,1); each + BN + ReLU. */
    private static Module temporalSeparable(int in, int out, int k, int s, int p) {
        return Sequential.of(
                convNormAct(in, out, new int[] {1, k, k}, new int[] {1, s, s}, new int[] {0, p, p}),
                convNormAct(out, out, new int[] {k, 1, 1}, new int[] {s, 1, 1}, new int[] {p, 0, 0}));
    }

    /** {@code Conv3dNormActivation}: {@code Sequential(Conv3d(bias=False), BatchNorm3d(eps=1e-3), ReLU)}. */
    private static Module convNormAct(int in, int out, int[] kernel, int[] stride, int[] padding) {
        return Sequential.of(
                new Conv3d(ConvSpec.builder(3, in, out, kernel).stride(stride).padding(padding).bias(false).build()),
                new BatchNorm3d(out, BN_EPS, true), new ReLU());
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (channels / " + channelDivisor + ", avgpool " + avgpoolKernel + ")");
    }
}
