package io.cubist.pipeline.model;

import java.util.List;

/**
 * torchvision's video {@code Bottleneck}: {@code relu(conv3(conv2(conv1(x))) + downsample(x))} with {@code conv1}
 * {@code Sequential(Conv3d 1×1×1 -> planes, BatchNorm3d, ReLU)}, {@code conv2} {@code Sequential(conv builder with
 * the stride, BatchNorm3d, ReLU)} and {@code conv3} {@code Sequential(Conv3d 1×1×1 -> 4·planes, BatchNorm3d)}.
 * {@code [N, C, D, H, W] -> [N, 4·planes, D/s, H/s, W/s]}.
 *
 * <p>State: {@code conv1.*}, {@code conv2.*}, {@code conv3.*} and, when present, {@code downsample.*}.
 */
public final class Bottleneck extends ResidualBlock {

    /** Output channels are {@code EXPANSION * planes}. */
    public static final int EXPANSION = 4;

    public Bottleneck(Module conv1, Module conv2, Module conv3, Module downsample) {
        super(List.of(new Child("conv1", conv1), new Child("conv2", conv2), new Child("conv3", conv3)), downsample);
    }

    @Override
    public String kind() {
        return "Bottleneck";
    }
}
