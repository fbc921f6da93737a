package io.cubist.pipeline.model;

import java.util.List;

/**
 * torchvision's video {@code BasicBlock}: {@code relu(conv2(conv1(x)) + downsample(x))} where {@code conv1} is
 * {@code Sequential(conv, BatchNorm3d, ReLU)} and {@code conv2} is {@code Sequential(conv, BatchNorm3d)}, "conv" being
 * the network's convolution builder (a 3×3×3 {@code Conv3d}, a 1×3×3 one, or a (2+1)D pair). {@code [N, C, D, H, W]
 * -> [N, planes, D/s, H/s, W/s]} for stride {@code s} (the temporal stride depends on the builder).
 *
 * <p>State: {@code conv1.*}, {@code conv2.*} and, when present, {@code downsample.*}
 * ({@code Sequential(Conv3d 1×1×1, BatchNorm3d)}).
 */
public final class BasicBlock extends ResidualBlock {

    public BasicBlock(Module conv1, Module conv2, Module downsample) {
        super(List.of(new Child("conv1", conv1), new Child("conv2", conv2)), downsample);
    }

    @Override
    public String kind() {
        return "BasicBlock";
    }
}
