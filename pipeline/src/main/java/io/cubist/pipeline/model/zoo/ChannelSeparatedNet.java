package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.BatchNorm3d;
import io.cubist.pipeline.model.Bottleneck;
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
 * An interaction-reduced channel-separated network (ir-CSN, Tran et al. 2019, "Video Classification with
 * Channel-Separated Convolutional Networks") of ResNet-50 depth, {@code ir_csn_50}. It is built as VMZ builds its
 * {@code ir_csn_152}: torchvision's {@code VideoResNet} with torchvision's {@code Bottleneck} whose 3×3×3
 * convolution is depthwise, and a stem with a max pool; so the keys are torchvision's ({@code stem.0.weight},
 * {@code layer2.0.conv2.0.weight}, {@code layer2.0.downsample.1.running_var}, {@code fc.bias}).
 * <pre>
 * stem    Conv3d 3→64 (3,7,7) stride (1,2,2) padding (1,3,3) + BN + ReLU + MaxPool3d (1,3,3)/(1,2,2) padding (0,1,1)
 * layer1..layer4  [3, 4, 6, 3] CSN bottlenecks, planes 64/128/256/512, output 4·planes:
 *         conv1 1×1×1 → planes + BN + ReLU;  conv2 depthwise 3×3×3 (groups = planes), stride s + BN + ReLU;
 *         conv3 1×1×1 → 4·planes + BN;  relu(conv3 + shortcut), the shortcut a 1×1×1 conv stride s + BN where the
 *         shape changes; s = (2,2,2) in the first block of layer2..layer4, else 1
 * avgpool AdaptiveAvgPool3d(1) → fc 2048 → 400
 * </pre>
 * Batch norm uses {@code eps=1e-3} (Caffe2's, as VMZ sets it). The PyTorch definition is
 * {@code tools/video_models.py}'s {@code ir_csn_50}; it has no published checkpoint, and exists to run and check
 * the channel-separated (depthwise) path end to end.
 *
 * @param widths the four stages' planes (64, 128, 256, 512; smaller for CI-sized variants)
 * @param layers blocks per stage (3, 4, 6, 3)
 */
public record ChannelSeparatedNet(String name, int[] widths, int[] layers, int numClasses) implements Architecture {

    public static final int[] WIDTHS = VideoResNet.WIDTHS;
    public static final int[] LAYERS_50 = {3, 4, 6, 3};
    public static final double BN_EPS = 1e-3;

    public ChannelSeparatedNet {
        widths = widths.clone();
        layers = layers.clone();
        if (widths.length != 4 || layers.length != 4) {
            throw new IllegalArgumentException(name + ": 4 stages; got " + widths.length + " widths and "
                    + layers.length + " block counts");
        }
        if (Arrays.stream(widths).anyMatch(w -> w < 1) || Arrays.stream(layers).anyMatch(l -> l < 1)) {
            throw new IllegalArgumentException(name + ": widths and block counts must be >= 1, got "
                    + Arrays.toString(widths) + " and " + Arrays.toString(layers));
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException(name + ": num_classes must be >= 1, got " + numClasses);
        }
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    /** {@code ir_csn_50}: ResNet-50 depth, 400 classes. */
    public static ChannelSeparatedNet irCsn50() {
        return new ChannelSeparatedNet("ir_csn_50", WIDTHS, LAYERS_50, VideoResNet.NUM_CLASSES);
    }

    @Override
    public ChannelSeparatedNet withWidths(int... w) {
        if (w.length != 4) {
            throw new IllegalArgumentException(name + ": widths are 4 stage widths, got " + Arrays.toString(w));
        }
        return new ChannelSeparatedNet(name, w, layers, numClasses);
    }

    public ChannelSeparatedNet withLayers(int... l) {
        return new ChannelSeparatedNet(name, widths, l, numClasses);
    }

    @Override
    public ChannelSeparatedNet withClasses(int k) {
        return new ChannelSeparatedNet(name, widths, layers, k);
    }

    @Override
    public String classifierWeightKey() {
        return "fc.weight";
    }

    @Override
    public boolean published() {
        return Arrays.equals(widths, WIDTHS) && Arrays.equals(layers, LAYERS_50);
    }

    @Override
    public int featureDim() {
        return widths[3] * Bottleneck.EXPANSION;
    }

    /** 32×224×224: the clips ir-CSN is trained and evaluated on (VMZ's "32frms"). */
    @Override
    public int[] defaultInput() {
        return new int[] {1, 3, 32, 224, 224};
    }

    @Override
    public Network build() {
        List<Module.Child> parts = new ArrayList<>();
        parts.add(new Module.Child("stem", Sequential.of(
                conv(3, widths[0], new int[] {3, 7, 7}, new int[] {1, 2, 2}, new int[] {1, 3, 3}, 1),
                bn(widths[0]), new ReLU(),
                MaxPool3d.of(new Dims3(1, 3, 3), new Dims3(1, 2, 2), new Dims3(0, 1, 1)))));
        int inplanes = widths[0];
        for (int i = 0; i < 4; i++) {
            int stride = i == 0 ? 1 : 2;
            List<Module> blocks = new ArrayList<>();
            for (int j = 0; j < layers[i]; j++) {
                blocks.add(block(inplanes, widths[i], j == 0 ? stride : 1));
                inplanes = widths[i] * Bottleneck.EXPANSION;
            }
            parts.add(new Module.Child("layer" + (i + 1), Sequential.of(blocks.toArray(Module[]::new))));
        }
        parts.add(new Module.Child("avgpool", new AdaptiveAvgPool3d(Dims3.of(1))));
        parts.add(new Module.Child("flatten", new Flatten()));
        return new Network(name, Sequential.named(parts), "fc", new Linear(featureDim(), numClasses));
    }

    // torchvision's Bottleneck with the depthwise builder; _make_layer's downsample where the shape changes
    private static Module block(int inplanes, int planes, int stride) {
        int out = planes * Bottleneck.EXPANSION;
        int[] one = {1, 1, 1};
        int[] zero = {0, 0, 0};
        int[] s = {stride, stride, stride};
        Module downsample = null;
        if (stride != 1 || inplanes != out) {
            downsample = Sequential.of(conv(inplanes, out, one, s, zero, 1), bn(out));
        }
        return new Bottleneck(
                Sequential.of(conv(inplanes, planes, one, one, zero, 1), bn(planes), new ReLU()),
                Sequential.of(conv(planes, planes, new int[] {3, 3, 3}, s, one, planes), bn(planes), new ReLU()),
                Sequential.of(conv(planes, out, one, one, zero, 1), bn(out)),
                downsample);
    }

    private static Conv3d conv(int in, int out, int[] kernel, int[] stride, int[] padding, int groups) {
        return new Conv3d(ConvSpec.builder(3, in, out, kernel).stride(stride).padding(padding).groups(groups)
                .bias(false).build());
    }

    private static BatchNorm3d bn(int channels) {
        return new BatchNorm3d(channels, BN_EPS, true);
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (widths " + Arrays.toString(widths) + ", layers "
                + Arrays.toString(layers) + ")");
    }
}
