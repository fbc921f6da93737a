package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.Activation;
import io.cubist.pipeline.model.AdaptiveAvgPool3d;
import io.cubist.pipeline.model.AvgPool3d;
import io.cubist.pipeline.model.BatchNorm3d;
import io.cubist.pipeline.model.Conv3d;
import io.cubist.pipeline.model.Flatten;
import io.cubist.pipeline.model.Linear;
import io.cubist.pipeline.model.Module;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.ReLU;
import io.cubist.pipeline.model.ResBlock;
import io.cubist.pipeline.model.Sequential;
import io.cubist.pipeline.model.SqueezeExcitation;
import java.util.ArrayList;
import java.util.List;

/**
 * X3D (Feichtenhofer 2020, "X3D: Expanding Architectures for Efficient Video Recognition") as PyTorchVideo's
 * {@code create_x3d} builds it, with its module names, so PyTorchVideo's {@code .pyth} checkpoints load unchanged
 * ({@code blocks.0.conv.conv_t.weight}, {@code blocks.1.res_blocks.0.branch2.conv_b.weight},
 * {@code blocks.2.res_blocks.0.branch2.norm_b.1.block.0.weight}, {@code blocks.5.pool.post_conv.weight},
 * {@code blocks.5.proj.weight}).
 * <pre>
 * blocks.0  stem: conv_t 1×3×3 stride (1,2,2) 3→24, conv_xy depthwise 5×1×1, BN, ReLU
 * blocks.1-4  stages of ResBlocks, widths 24/48/96/192 (round_width(12·2^i, width_factor)), depths
 *           ceil([1, 2, 5, 3]·depth_factor); each: conv_a 1×1×1 → 2.25·width + BN + ReLU; conv_b depthwise 3×3×3,
 *           stride (1,2,2) in a stage's first block; norm_b = Sequential(BN, SE in every other block from the first,
 *           reduced to round_width(inner, 1/16)); Swish; conv_c 1×1×1 + BN; shortcut 1×1×1 conv (+ BN when the width
 *           changes) in a stage's first block; ReLU after the sum
 * blocks.5  head: pool = pre_conv 1×1×1 → inner + BN + ReLU, AvgPool3d(T, ceil(crop/32)²) stride 1,
 *           post_conv 1×1×1 → 2048 + ReLU;  proj Linear(2048, 400)
 * </pre>
 * The features are the 2048-d output of {@code post_conv}'s ReLU averaged over the positions the pool leaves (one
 * at the clip size the model was built for): the input of {@code proj}. The logits are {@code proj} of them, before
 * PyTorchVideo's softmax. The head's pool kernel is fixed by the clip length and crop the model is built for, as
 * PyTorchVideo fixes it: a smaller clip is refused.
 *
 * @param clipLength   frames per clip the head's pool is sized for (X3D-XS 4, S 13, M 16, L 16)
 * @param cropSize     crop side the head's pool is sized for (160, 160, 224, 312)
 * @param widthFactor  2.0 for every published size
 * @param depthFactor  2.2 (XS, S, M) or 5.0 (L)
 * @param stemDimIn    12 (the stem's width before the width factor)
 * @param bottleneckFactor 2.25 (the inner width of a block per output width)
 * @param headDimOut   2048 (the feature length)
 */
public record X3D(String name, int clipLength, int cropSize, double widthFactor, double depthFactor, int stemDimIn,
                  double bottleneckFactor, int headDimOut, int numClasses) implements Architecture {

    public static final int[] STAGE_DEPTHS = {1, 2, 5, 3};
    public static final double SE_RATIO = 0.0625;
    public static final double BN_EPS = 1e-5;
    /** The stem's and the four stages' spatial strides multiplied: the head's pool is the crop divided by it. */
    public static final int SPATIAL_STRIDE = 32;

    public X3D {
        if (clipLength < 1 || cropSize < SPATIAL_STRIDE) {
            throw new IllegalArgumentException(name + ": the clip must have >= 1 frame and a crop >= "
                    + SPATIAL_STRIDE + ", got " + clipLength + " and " + cropSize);
        }
        if (!(widthFactor > 0) || !(depthFactor > 0) || !(bottleneckFactor > 0) || stemDimIn < 1 || headDimOut < 1
                || numClasses < 1) {
            throw new IllegalArgumentException(name + ": factors, widths and classes must be positive");
        }
    }

    private static X3D published(String name, int clip, int crop, double depth) {
        return new X3D(name, clip, crop, 2.0, depth, 12, 2.25, 2048, VideoResNet.NUM_CLASSES);
    }

    public static X3D xs() {
        return published("x3d_xs", 4, 160, 2.2);
    }

    public static X3D s() {
        return published("x3d_s", 13, 160, 2.2);
    }

    public static X3D m() {
        return published("x3d_m", 16, 224, 2.2);
    }

    public static X3D l() {
        return published("x3d_l", 16, 312, 5.0);
    }

    /** A reduced variant (CI-sized golden tests): other widths, depths and clip size, the same structure. */
    public X3D withSize(int clip, int crop, double width, double depth, int stemIn, int headOut) {
        return new X3D(name, clip, crop, width, depth, stemIn, bottleneckFactor, headOut, numClasses);
    }

    @Override
    public X3D withClasses(int k) {
        return new X3D(name, clipLength, cropSize, widthFactor, depthFactor, stemDimIn, bottleneckFactor, headDimOut,
                k);
    }

    @Override
    public String classifierWeightKey() {
        return "blocks.5.proj.weight";
    }

    @Override
    public boolean published() {
        return switch (name) {
            case "x3d_xs" -> this.equals(xs().withClasses(numClasses));
            case "x3d_s" -> this.equals(s().withClasses(numClasses));
            case "x3d_m" -> this.equals(m().withClasses(numClasses));
            case "x3d_l" -> this.equals(l().withClasses(numClasses));
            default -> false;
        };
    }

    @Override
    public int featureDim() {
        return headDimOut;
    }

    /** The clip the head's pool is sized for: {@code [1, 3, clipLength, cropSize, cropSize]}. */
    @Override
    public int[] defaultInput() {
        return new int[] {1, 3, clipLength, cropSize, cropSize};
    }

    /** PyTorchVideo's {@code round_width}: {@code width * multiplier} to a multiple of 8, at least 8. */
    static int roundWidth(double width, double multiplier) {
        int divisor = 8;
        double w = width * multiplier;
        int out = Math.max(divisor, (int) (w + divisor / 2.0) / divisor * divisor);
        if (out < 0.9 * w) {
            out += divisor;
        }
        return out;
    }

    /** PyTorchVideo's {@code round_repeats}: {@code ceil(repeats * multiplier)}. */
    static int roundRepeats(int repeats, double multiplier) {
        return (int) Math.ceil(multiplier * repeats);
    }

    /** The blocks per stage. */
    public int[] depths() {
        int[] d = new int[STAGE_DEPTHS.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = roundRepeats(STAGE_DEPTHS[i], depthFactor);
        }
        return d;
    }

    @Override
    public Network build() {
        List<Module> blocks = new ArrayList<>();
        int stemOut = roundWidth(stemDimIn, widthFactor);
        blocks.add(Sequential.named(List.of(
                new Module.Child("conv", Sequential.named(List.of(
                        new Module.Child("conv_t", conv(3, stemOut, new int[] {1, 3, 3}, new int[] {1, 2, 2}, 1)),
                        new Module.Child("conv_xy", conv(stemOut, stemOut, new int[] {5, 1, 1},
                                new int[] {1, 1, 1}, stemOut))))),
                new Module.Child("norm", bn(stemOut)),
                new Module.Child("activation", new ReLU()))));
        int dimIn = stemOut;
        int stageDim = stemDimIn;
        int dimInner = 0;
        int[] depths = depths();
        for (int i = 0; i < depths.length; i++) {
            if (i > 0) {
                stageDim = roundWidth(stageDim, 2.0);
            }
            int dimOut = roundWidth(stageDim, widthFactor);
            dimInner = (int) (bottleneckFactor * dimOut);
            List<Module> res = new ArrayList<>();
            for (int j = 0; j < depths[i]; j++) {
                res.add(block(j == 0 ? dimIn : dimOut, dimInner, dimOut, j == 0 ? 2 : 1, (j + 1) % 2 != 0));
            }
            blocks.add(Sequential.named(List.of(new Module.Child("res_blocks",
                    Sequential.of(res.toArray(Module[]::new))))));
            dimIn = dimOut;
        }
        int side = (cropSize + SPATIAL_STRIDE - 1) / SPATIAL_STRIDE;
        int[] one = {1, 1, 1};
        Module pool = Sequential.named(List.of(
                new Module.Child("pre_conv", conv(dimIn, dimInner, one, one, 1)),
                new Module.Child("pre_norm", bn(dimInner)),
                new Module.Child("pre_act", new ReLU()),
                new Module.Child("pool", AvgPool3d.of(new Dims3(clipLength, side, side), Dims3.of(1), Dims3.of(0))),
                new Module.Child("post_conv", conv(dimInner, headDimOut, one, one, 1)),
                new Module.Child("post_act", new ReLU())));
        blocks.add(Sequential.named(List.of(
                new Module.Child("pool", pool),
                // PyTorchVideo averages after proj (and its softmax); proj is affine per position, so the features
                // are the average of the pooled map, and proj of them the averaged logits
                new Module.Child("output_pool", new AdaptiveAvgPool3d(Dims3.of(1))),
                new Module.Child("flatten", new Flatten()))));
        Module backbone = Sequential.named(List.of(new Module.Child("blocks",
                Sequential.of(blocks.toArray(Module[]::new)))));
        return new Network(name, backbone, "blocks." + (blocks.size() - 1) + ".proj",
                new Linear(headDimOut, numClasses));
    }

    /** {@code create_x3d_res_block} with {@code create_x3d_bottleneck_block}. */
    private static Module block(int dimIn, int dimInner, int dimOut, int spatialStride, boolean se) {
        int[] one = {1, 1, 1};
        int[] stride = {1, spatialStride, spatialStride};
        Module branch2 = Sequential.named(List.of(
                new Module.Child("conv_a", conv(dimIn, dimInner, one, one, 1)),
                new Module.Child("norm_a", bn(dimInner)),
                new Module.Child("act_a", new ReLU()),
                new Module.Child("conv_b", conv(dimInner, dimInner, new int[] {3, 3, 3}, stride, dimInner)),
                new Module.Child("norm_b", Sequential.of(bn(dimInner),
                        se ? new SqueezeExcitation(dimInner, roundWidth(dimInner, SE_RATIO)) : Activation.identity())),
                new Module.Child("act_b", Activation.swish()),
                new Module.Child("conv_c", conv(dimInner, dimOut, one, one, 1)),
                new Module.Child("norm_c", bn(dimOut))));
        boolean projected = dimIn != dimOut || spatialStride > 1;
        return new ResBlock(projected ? conv(dimIn, dimOut, one, stride, 1) : null,
                dimIn != dimOut ? new BatchNorm3d(dimOut) : null, branch2);
    }

    /** A bias-free convolution padded by half its kernel on each side (PyTorchVideo's {@code size // 2}). */
    private static Conv3d conv(int in, int out, int[] kernel, int[] stride, int groups) {
        return new Conv3d(ConvSpec.builder(3, in, out, kernel).stride(stride)
                .padding(kernel[0] / 2, kernel[1] / 2, kernel[2] / 2).groups(groups).bias(false).build());
    }

    private static BatchNorm3d bn(int channels) {
        return new BatchNorm3d(channels, BN_EPS, true);
    }

    @Override
    public String toString() {
        return name + (published() ? "" : " (clip " + clipLength + "x" + cropSize + ", width " + widthFactor
                + ", depth " + depthFactor + ", stem " + stemDimIn + ", head " + headDimOut + ")");
    }
}
