package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.BasicBlock;
import io.cubist.pipeline.model.BatchNorm3d;
import io.cubist.pipeline.model.Blocks;
import io.cubist.pipeline.model.Bottleneck;
import io.cubist.pipeline.model.Conv3d;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.Linear;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.ReLU;
import io.cubist.pipeline.model.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * torchvision 0.14's {@code VideoResNet} ({@code torchvision/models/video/resnet.py}) as a validated description:
 * {@code stem -> layer1..layer4 -> avgpool (AdaptiveAvgPool3d(1)) -> flatten -> fc}, built from the same modules in the
 * same order, so the {@code state_dict} keys are torchvision's ({@code stem.0.weight},
 * {@code layer1.0.conv1.0.0.weight} for a (2+1)D convolution, {@code layer2.0.downsample.0.weight}, {@code fc.bias}).
 *
 * <p>{@code widths} are the four stages' {@code planes} (torchvision: 64, 128, 256, 512; the stem gives
 * {@code widths[0]} channels); smaller widths give CI-sized variants with the same structure. {@code stemMid} is the
 * R(2+1)D stem's intermediate width (torchvision: 45). Features are {@code [N, widths[3] * expansion]}.
 *
 * @param layers blocks per stage (torchvision's 18-layer models: 2, 2, 2, 2)
 * @param convs  the convolution builder of each stage
 */
public record VideoResNet(String name, Block block, List<ConvBuilder> convs, int[] layers, Stem stem, int[] widths,
                          int stemMid, int numClasses) implements Architecture {

    /** torchvision's stage widths. */
    public static final int[] WIDTHS = {64, 128, 256, 512};
    /** torchvision's R(2+1)D stem width. */
    public static final int STEM_MID = 45;
    /** Kinetics-400. */
    public static final int NUM_CLASSES = 400;

    /** The residual block of every stage. */
    public enum Block {
        BASIC(1), BOTTLENECK(Bottleneck.EXPANSION);

        private final int expansion;

        Block(int expansion) {
            this.expansion = expansion;
        }

        public int expansion() {
            return expansion;
        }
    }

    /** {@code BasicStem} (3×7×7 convolution) or {@code R2Plus1dStem} (1×7×7 then 3×1×1). */
    public enum Stem { BASIC, R2PLUS1D }

    /** torchvision's {@code conv_makers}: how a block's spatio-temporal convolution is built. */
    public enum ConvBuilder {
        /** {@code Conv3DSimple}: one 3×3×3 {@code Conv3d}, stride {@code (s, s, s)}. */
        SIMPLE,
        /** {@code Conv3DNoTemporal}: one 1×3×3 {@code Conv3d}, stride {@code (1, s, s)}. */
        NO_TEMPORAL,
        /**
         * {@code Conv2Plus1D}: {@code Sequential(Conv3d 1×3×3 -> midplanes, stride (1, s, s); BatchNorm3d; ReLU;
         * Conv3d 3×1×1, stride (s, 1, 1))}.
         */
        TWO_PLUS_ONE;

        Module build(int in, int out, int mid, int stride) {
            return switch (this) {
                case SIMPLE -> conv(in, out, new int[] {3, 3, 3}, new int[] {stride, stride, stride},
                        new int[] {1, 1, 1});
                case NO_TEMPORAL -> conv(in, out, new int[] {1, 3, 3}, new int[] {1, stride, stride},
                        new int[] {0, 1, 1});
                case TWO_PLUS_ONE -> Sequential.of(
                        conv(in, mid, new int[] {1, 3, 3}, new int[] {1, stride, stride}, new int[] {0, 1, 1}),
                        new BatchNorm3d(mid), new ReLU(),
                        conv(mid, out, new int[] {3, 1, 1}, new int[] {stride, 1, 1}, new int[] {1, 0, 0}));
            };
        }

        /** {@code get_downsample_stride}. */
        int[] downsampleStride(int stride) {
            return this == NO_TEMPORAL ? new int[] {1, stride, stride} : new int[] {stride, stride, stride};
        }
    }

    public VideoResNet {
        convs = List.copyOf(convs);
        layers = layers.clone();
        widths = widths.clone();
        if (convs.size() != 4 || layers.length != 4 || widths.length != 4) {
            throw new IllegalArgumentException(name + ": a VideoResNet has 4 stages; got " + convs.size()
                    + " conv builders, " + layers.length + " block counts and " + widths.length + " widths");
        }
        for (int i = 0; i < 4; i++) {
            if (layers[i] < 1) {
                throw new IllegalArgumentException(name + ": every stage needs >= 1 block, got "
                        + Arrays.toString(layers));
            }
            if (widths[i] < 1) {
                throw new IllegalArgumentException(name + ": widths must be >= 1, got " + Arrays.toString(widths));
            }
        }
        if (stemMid < 1) {
            throw new IllegalArgumentException(name + ": the stem width must be >= 1, got " + stemMid);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException(name + ": num_classes must be >= 1, got " + numClasses);
        }
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    /** {@code torchvision.models.video.r3d_18}: 3×3×3 convolutions everywhere. */
    public static VideoResNet r3d18() {
        return new VideoResNet("r3d_18", Block.BASIC, List.of(ConvBuilder.SIMPLE, ConvBuilder.SIMPLE,
                ConvBuilder.SIMPLE, ConvBuilder.SIMPLE), new int[] {2, 2, 2, 2}, Stem.BASIC, WIDTHS, STEM_MID,
                NUM_CLASSES);
    }

    /** {@code torchvision.models.video.mc3_18}: 3×3×3 in layer1, 1×3×3 (no temporal extent) after. */
    public static VideoResNet mc318() {
        return new VideoResNet("mc3_18", Block.BASIC, List.of(ConvBuilder.SIMPLE, ConvBuilder.NO_TEMPORAL,
                ConvBuilder.NO_TEMPORAL, ConvBuilder.NO_TEMPORAL), new int[] {2, 2, 2, 2}, Stem.BASIC, WIDTHS,
                STEM_MID, NUM_CLASSES);
    }

    /** {@code torchvision.models.video.r2plus1d_18}: (2+1)D convolutions and the R(2+1)D stem. */
    public static VideoResNet r2plus1d18() {
        return new VideoResNet("r2plus1d_18", Block.BASIC, List.of(ConvBuilder.TWO_PLUS_ONE,
                ConvBuilder.TWO_PLUS_ONE, ConvBuilder.TWO_PLUS_ONE, ConvBuilder.TWO_PLUS_ONE), new int[] {2, 2, 2, 2},
                Stem.R2PLUS1D, WIDTHS, STEM_MID, NUM_CLASSES);
    }

    /**
     * The same structure with other stage widths (a CI-sized variant); the R(2+1)D stem width scales with
     * {@code widths[0]}: {@code max(1, round(45 * widths[0] / 64))}, 45 at torchvision's widths.
     */
    public VideoResNet withWidths(int... w) {
        if (w.length != 4) {
            throw new IllegalArgumentException(name + ": widths are 4 stage widths, got " + Arrays.toString(w));
        }
        int mid = w[0] == WIDTHS[0] ? STEM_MID : Math.max(1, (int) Math.round(STEM_MID * w[0] / (double) WIDTHS[0]));
        return new VideoResNet(name, block, convs, layers, stem, w, mid, numClasses);
    }

    public VideoResNet withLayers(int... l) {
        return new VideoResNet(name, block, convs, l, stem, widths, stemMid, numClasses);
    }

    public VideoResNet withBlock(Block b) {
        return new VideoResNet(name, b, convs, layers, stem, widths, stemMid, numClasses);
    }

    public VideoResNet withClasses(int k) {
        return new VideoResNet(name, block, convs, layers, stem, widths, stemMid, k);
    }

    @Override
    public String classifierWeightKey() {
        return "fc.weight";
    }

    /** Whether the widths are torchvision's. */
    public boolean published() {
        return Arrays.equals(widths, WIDTHS) && stemMid == STEM_MID;
    }

    /** The feature dimension: {@code widths[3] * expansion}. */
    public int featureDim() {
        return widths[3] * block.expansion();
    }

    public Network build() {
        List<Module.Child> parts = new ArrayList<>();
        parts.add(new Module.Child("stem", buildStem()));
        int inplanes = widths[0];
        for (int i = 0; i < 4; i++) {
            int stride = i == 0 ? 1 : 2;
            int planes = widths[i];
            List<Module> blocks = new ArrayList<>();
            for (int j = 0; j < layers[i]; j++) {
                blocks.add(buildBlock(inplanes, planes, convs.get(i), j == 0 ? stride : 1));
                inplanes = planes * block.expansion();
            }
            parts.add(new Module.Child("layer" + (i + 1), Sequential.of(blocks.toArray(Module[]::new))));
        }
        parts.add(new Module.Child("avgpool", new AdaptiveAvgPool3d(Dims3.of(1))));
        parts.add(new Module.Child("flatten", new Flatten()));
        return new Network(name, Sequential.named(parts), "fc", new Linear(featureDim(), numClasses));
    }

    private Module buildStem() {
        return switch (stem) {
            case BASIC -> Sequential.of(
                    conv(3, widths[0], new int[] {3, 7, 7}, new int[] {1, 2, 2}, new int[] {1, 3, 3}),
                    new BatchNorm3d(widths[0]), new ReLU());
            case R2PLUS1D -> Sequential.of(
                    conv(3, stemMid, new int[] {1, 7, 7}, new int[] {1, 2, 2}, new int[] {0, 3, 3}),
                    new BatchNorm3d(stemMid), new ReLU(),
                    conv(stemMid, widths[0], new int[] {3, 1, 1}, new int[] {1, 1, 1}, new int[] {1, 0, 0}),
                    new BatchNorm3d(widths[0]), new ReLU());
        };
    }

    // _make_layer's first block: a downsample when the stride or the width changes.
    private Module buildBlock(int inplanes, int planes, ConvBuilder conv, int stride) {
        Module downsample = null;
        int out = planes * block.expansion();
        if (stride != 1 || inplanes != out) {
            downsample = Sequential.of(new Conv3d(ConvSpec.builder(3, inplanes, out, 1)
                    .stride(conv.downsampleStride(stride)).bias(false).build()), new BatchNorm3d(out));
        }
        // torchvision's midplanes: the (2+1)D rule of the paper
        int mid = Blocks.R2Plus1D.midChannels(inplanes, planes, 3, 3);
        return switch (block) {
            case BASIC -> new BasicBlock(
                    Sequential.of(conv.build(inplanes, planes, mid, stride), new BatchNorm3d(planes), new ReLU()),
                    Sequential.of(conv.build(planes, planes, mid, 1), new BatchNorm3d(planes)),
                    downsample);
            case BOTTLENECK -> new Bottleneck(
                    Sequential.of(conv(inplanes, planes, new int[] {1, 1, 1}, new int[] {1, 1, 1},
                            new int[] {0, 0, 0}), new BatchNorm3d(planes), new ReLU()),
                    Sequential.of(conv.build(planes, planes, mid, stride), new BatchNorm3d(planes), new ReLU()),
                    Sequential.of(conv(planes, out, new int[] {1, 1, 1}, new int[] {1, 1, 1}, new int[] {0, 0, 0}),
                            new BatchNorm3d(out)),
                    downsample);
        };
    }

    private static Conv3d conv(int in, int out, int[] kernel, int[] stride, int[] padding) {
        return new Conv3d(ConvSpec.builder(3, in, out, kernel).stride(stride).padding(padding).bias(false).build());
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (widths " + Arrays.toString(widths) + ")");
    }
}
