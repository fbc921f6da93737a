package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.AvgPool3d;
import io.cubist.pipeline.model.BatchNorm3d;
import io.cubist.pipeline.model.Conv3d;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.Linear;
import io.cubist.pipeline.model.MaxPool3d;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PathwayNet;
import io.cubist.pipeline.model.ReLU;
import io.cubist.pipeline.model.ResBlock;
import io.cubist.pipeline.model.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SlowFast (Feichtenhofer et al. 2019, "SlowFast Networks for Video Recognition") as PyTorchVideo's
 * {@code slowfast_r50} builds it ({@code create_slowfast}, 8×8: α = 4, β = 1/8, fusion kernel 7×1×1 stride 4 in
 * time), with its module names, so its {@code SLOWFAST_8x8_R50.pyth} loads unchanged
 * ({@code blocks.0.multipathway_blocks.0.conv.weight}, {@code blocks.0.multipathway_fusion.conv_fast_to_slow.weight},
 * {@code blocks.2.multipathway_blocks.1.res_blocks.0.branch2.conv_a.weight}, {@code blocks.6.proj.weight}).
 * <pre>
 * input     the fast clip [N, 3, 32, H, W]; the slow pathway takes frames linspace(0, 31, 8) of it
 * blocks.0  stems: Conv3d 3→64 (1,7,7) / 3→8 (5,7,7), stride (1,2,2), BN, ReLU, MaxPool (1,3,3)/(1,2,2);
 *           fusion: Conv3d 8→16 (7,1,1) stride (4,1,1) + BN + ReLU on the fast output, concatenated to the slow
 * blocks.1-4  ResNet-50 stages [3, 4, 6, 3] of bottlenecks per pathway (slow 256/512/1024/2048 wide, its conv_a
 *           temporal only from res4; fast 32..256 wide, conv_a 3×1×1 throughout), each but the last fused
 * blocks.5  AvgPool3d (8,7,7) slow / (32,7,7) fast, stride 1; concatenated: 2304 channels
 * blocks.6  proj Linear(2304, 400)
 * </pre>
 * Features ({@code [N, 2304]}) are the concatenated pooled pathways averaged over the positions the pools leave (one
 * at 32×224×224): the input of {@code proj}. The logits are {@code proj} of them (the head has no activation).
 *
 * @param stemWidth  the slow stem's width (64); the fast pathway is {@code 1/beta} narrower
 * @param depths     bottlenecks per stage ([3, 4, 6, 3] for R50; [1, 1, 1, 1] is PyTorchVideo's depth 18)
 * @param clipLength fast frames per clip the head's pools are sized for (32)
 * @param cropSize   crop side the head's pools are sized for (224)
 */
public record SlowFast(String name, int stemWidth, int[] depths, int clipLength, int cropSize, int numClasses)
        implements Architecture {

    public static final int ALPHA = 4;
    public static final int BETA_INV = 8;
    public static final int FUSION_RATIO = 2;
    public static final int FUSION_KERNEL = 7;
    public static final int[] DEPTHS_50 = {3, 4, 6, 3};

    public SlowFast {
        depths = depths.clone();
        if (depths.length != 4 || Arrays.stream(depths).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException(name + ": 4 stages of >= 1 block, got " + Arrays.toString(depths));
        }
        if (stemWidth < BETA_INV || stemWidth % BETA_INV != 0) {
            throw new IllegalArgumentException(name + ": the stem width must be a multiple of " + BETA_INV + ", got "
                    + stemWidth);
        }
        if (clipLength < ALPHA || cropSize < 32 || numClasses < 1) {
            throw new IllegalArgumentException(name + ": clip >= " + ALPHA + " frames, crop >= 32, classes >= 1");
        }
    }

    @Override
    public int[] depths() {
        return depths.clone();
    }

    public static SlowFast r50() {
        return new SlowFast("slowfast_r50", 64, DEPTHS_50, 32, 224, VideoResNet.NUM_CLASSES);
    }

    /** A reduced variant (CI-sized golden tests). */
    public SlowFast withSize(int stem, int[] d, int clip, int crop) {
        return new SlowFast(name, stem, d, clip, crop, numClasses);
    }

    @Override
    public SlowFast withClasses(int k) {
        return new SlowFast(name, stemWidth, depths, clipLength, cropSize, k);
    }

    @Override
    public String classifierWeightKey() {
        return "blocks.6.proj.weight";
    }

    @Override
    public boolean published() {
        return stemWidth == 64 && Arrays.equals(depths, DEPTHS_50) && clipLength == 32 && cropSize == 224;
    }

    @Override
    public int featureDim() {
        int last = stemWidth * 4 << 3; // stage 4's slow output: 4 * stem * 2^3
        return last + last / BETA_INV;
    }

    /** The fast clip the head's pools are sized for: {@code [1, 3, 32, 224, 224]}. */
    @Override
    public int[] defaultInput() {
        return new int[] {1, 3, clipLength, cropSize, cropSize};
    }

    @Override
    public Network build() {
        List<PathwayNet.Stage> stages = new ArrayList<>();
        int slowStem = stemWidth;
        int fastStem = stemWidth / BETA_INV;
        stages.add(new PathwayNet.Stage(List.of(stem(slowStem, 1), stem(fastStem, 5)), fusion(fastStem)));
        int dimIn = stemWidth;
        int dimOut = dimIn * 4;
        for (int i = 0; i < 4; i++) {
            int slowIn = dimIn + dimIn * FUSION_RATIO / BETA_INV;
            int fastIn = dimIn / BETA_INV;
            int spatial = i == 0 ? 1 : 2;
            Module slow = stage(depths[i], slowIn, dimOut / 4, dimOut, i < 2 ? 1 : 3, spatial);
            Module fast = stage(depths[i], fastIn, dimOut / 4 / BETA_INV, dimOut / BETA_INV, 3, spatial);
            stages.add(new PathwayNet.Stage(List.of(slow, fast), i < 3 ? fusion(dimOut / BETA_INV) : null));
            dimIn = dimOut;
            dimOut *= 2;
        }
        int side = (cropSize + 31) / 32;
        List<Module> pools = List.of(
                AvgPool3d.of(new Dims3(clipLength / ALPHA, side, side), Dims3.of(1), Dims3.of(0)),
                AvgPool3d.of(new Dims3(clipLength, side, side), Dims3.of(1), Dims3.of(0)));
        Module backbone = Sequential.named(List.of(
                new Module.Child("blocks", new PathwayNet(ALPHA, stages, pools)),
                new Module.Child("output_pool", new AdaptiveAvgPool3d(Dims3.of(1))),
                new Module.Child("flatten", new Flatten())));
        return new Network(name, backbone, "blocks." + (stages.size() + 1) + ".proj",
                new Linear(featureDim(), numClasses));
    }

    /** PyTorchVideo's {@code create_res_basic_stem}: conv (t,7,7) stride (1,2,2), BN, ReLU, max pool. */
    private static Module stem(int out, int t) {
        return Sequential.named(List.of(
                new Module.Child("conv", conv(3, out, new int[] {t, 7, 7}, new int[] {1, 2, 2})),
                new Module.Child("norm", new BatchNorm3d(out)),
                new Module.Child("activation", new ReLU()),
                new Module.Child("pool", MaxPool3d.of(new Dims3(1, 3, 3), new Dims3(1, 2, 2), new Dims3(0, 1, 1)))));
    }

    /** {@code FuseFastToSlow}: Conv3d c→2c (7,1,1) stride (4,1,1), BN, ReLU. */
    private static Module fusion(int fastChannels) {
        return Sequential.named(List.of(
                new Module.Child("conv_fast_to_slow", conv(fastChannels, fastChannels * FUSION_RATIO,
                        new int[] {FUSION_KERNEL, 1, 1}, new int[] {ALPHA, 1, 1})),
                new Module.Child("norm", new BatchNorm3d(fastChannels * FUSION_RATIO)),
                new Module.Child("activation", new ReLU())));
    }

    /** {@code create_res_stage} of {@code create_bottleneck_block}s; conv_a is {@code ta}×1×1. */
    private static Module stage(int depth, int dimIn, int inner, int dimOut, int ta, int spatial) {
        List<Module> blocks = new ArrayList<>();
        for (int j = 0; j < depth; j++) {
            int in = j == 0 ? dimIn : dimOut;
            int s = j == 0 ? spatial : 1;
            int[] one = {1, 1, 1};
            Module branch2 = Sequential.named(List.of(
                    new Module.Child("conv_a", conv(in, inner, new int[] {ta, 1, 1}, one)),
                    new Module.Child("norm_a", new BatchNorm3d(inner)),
                    new Module.Child("act_a", new ReLU()),
                    new Module.Child("conv_b", conv(inner, inner, new int[] {1, 3, 3}, new int[] {1, s, s})),
                    new Module.Child("norm_b", new BatchNorm3d(inner)),
                    new Module.Child("act_b", new ReLU()),
                    new Module.Child("conv_c", conv(inner, dimOut, one, one)),
                    new Module.Child("norm_c", new BatchNorm3d(dimOut))));
            boolean projected = in != dimOut || s > 1;
            blocks.add(new ResBlock(projected ? conv(in, dimOut, one, new int[] {1, s, s}) : null,
                    projected ? new BatchNorm3d(dimOut) : null, branch2));
        }
        return Sequential.named(List.of(new Module.Child("res_blocks", Sequential.of(blocks.toArray(Module[]::new)))));
    }

    /** A bias-free convolution padded by half its kernel on each side. */
    private static Conv3d conv(int in, int out, int[] kernel, int[] stride) {
        return new Conv3d(ConvSpec.builder(3, in, out, kernel).stride(stride)
                .padding(kernel[0] / 2, kernel[1] / 2, kernel[2] / 2).bias(false).build());
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (stem " + stemWidth + ", depths " + Arrays.toString(depths) + ", clip "
                + clipLength + "x" + cropSize + ")");
    }
}
