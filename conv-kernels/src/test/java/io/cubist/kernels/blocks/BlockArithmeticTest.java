package io.cubist.kernels.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Parameter counts, MACs and receptive fields of blocks against the numbers the literature states. */
class BlockArithmeticTest {

    private static ConvSpec conv(int dims, int in, int out, int... k) {
        return ConvSpec.builder(dims, in, out, k).padding(k[0] / 2).bias(false).build();
    }

    @Test
    void inceptionReductionWeights() {
        // Szegedy et al. 2015 (GoogLeNet), sec. 4: a 1x1 reduction to 16 before the 5x5 cuts 204,800 to 16,896.
        assertEquals(204_800, ConvSequence.random(1, true, conv(2, 256, 32, 5)).parameterCount());
        ConvSequence reduced = ConvSequence.random(1, true, conv(2, 256, 16, 1), conv(2, 16, 32, 5));
        assertEquals(16_896, reduced.parameterCount());
        assertEquals(4096, reduced.layer("0").parameterCount());
        assertEquals(12_800, reduced.layer("1").parameterCount());
    }

    @Test
    void resnetBottleneckWeights() {
        assertEquals(589_824, ConvSequence.random(1, true, conv(2, 256, 256, 3)).parameterCount());
        Bottleneck b = Bottleneck.random(Bottleneck.Config.of(2, 256, 64, 256, 1), 1);
        assertEquals(Shortcut.IDENTITY, b.config().shortcut());
        assertEquals(69_632, b.parameterCount());
        assertEquals(List.of(16_384L, 36_864L, 16_384L),
                b.layers().stream().map(ConvLayer::parameterCount).toList());
        Bottleneck projected = Bottleneck.random(Bottleneck.Config.of(2, 256, 64, 256, 2), 1);
        assertEquals(Shortcut.PROJECTION, projected.config().shortcut());
        assertEquals(69_632 + 65_536, projected.parameterCount());
        Bottleneck biased = Bottleneck.random(new Bottleneck.Config(2, 256, 64, 256, 3, 1, Shortcut.IDENTITY,
                true, true), 1);
        assertEquals(69_632 + 64 + 64 + 256, biased.parameterCount());
    }

    @Test
    void depthwiseSeparableWeights() {
        assertEquals(3_456, conv(2, 3, 128, 3).weightCount());
        DepthwiseSeparable d2 = DepthwiseSeparable.random(DepthwiseSeparable.Config.of(2, 3, 128), 1);
        assertEquals(27, d2.layer("depthwise").parameterCount());
        assertEquals(384, d2.layer("pointwise").parameterCount());
        assertEquals(411, d2.parameterCount());

        assertEquals(10_368, conv(3, 3, 128, 3).weightCount());
        DepthwiseSeparable d3 = DepthwiseSeparable.random(DepthwiseSeparable.Config.of(3, 3, 128), 1);
        assertEquals(81, d3.layer("depthwise").parameterCount());
        assertEquals(465, d3.parameterCount());

        // Channel multiplier m: in*m*k^2 + in*m*out.
        DepthwiseSeparable m = DepthwiseSeparable.random(new DepthwiseSeparable.Config(2, 3, 4, 128, 3, 1, false,
                true), 1);
        assertEquals(3 * 4 * 9 + 12 * 128, m.parameterCount());
    }

    @Test
    void spatiallySeparableWeights() {
        SpatiallySeparable s2 = SpatiallySeparable.random(SpatiallySeparable.Config.of(2, 64, 64, 7), 1);
        assertEquals(2 * 7 * 64 * 64, s2.parameterCount());
        SpatiallySeparable s3 = SpatiallySeparable.random(SpatiallySeparable.Config.of(3, 16, 32, 3), 1);
        assertEquals(3 * 16 * 32 + 3 * 32 * 32 + 3 * 32 * 32, s3.parameterCount());
        assertEquals(List.of("conv_d", "conv_h", "conv_w"), s3.layers().stream().map(ConvLayer::name).toList());
        assertEquals(new Dims3(3, 1, 1), s3.layer("conv_d").spec().kernel());
        assertEquals(new Dims3(1, 1, 3), s3.layer("conv_w").spec().kernel());
    }

    static Stream<Arguments> r2plus1d18() {
        // torchvision r2plus1d_18: (in, out) of every (2+1)D conv size and the midplanes its state_dict has.
        return Stream.of(Arguments.of(64, 64, 144), Arguments.of(64, 128, 230), Arguments.of(128, 128, 288),
                Arguments.of(128, 256, 460), Arguments.of(256, 256, 576), Arguments.of(256, 512, 921),
                Arguments.of(512, 512, 1152));
    }

    @ParameterizedTest
    @MethodSource("r2plus1d18")
    void r2plus1dMidChannelsMatchTheFullConv(int in, int out, int mid) {
        assertEquals(mid, R2Plus1D.midChannels(in, out, 3, 3));
        R2Plus1D b = R2Plus1D.random(R2Plus1D.Config.of(in, out, 1), 1);
        long full = ConvSpec.builder(3, in, out, 3).bias(false).build().weightCount();
        long sep = b.parameterCount();
        assertEquals((long) mid * (9L * in + 3L * out), sep);
        // M = floor(full / (d^2 in + t out)), so the (2+1)D count is below the full one by less than one M step.
        assertTrue(sep <= full && full - sep < 9L * in + 3L * out, () -> sep + " vs full " + full);
        assertTrue(full - sep <= 0.002 * full, () -> sep + " vs full " + full);
        if (in == out) {
            assertEquals(full, sep);
        }
    }

    @Test
    void p3dAndCsnWeights() {
        long p3d = 256 * 64 + 9 * 64 * 64 + 3 * 64 * 64 + 64 * 256;
        for (P3D.Variant v : P3D.Variant.values()) {
            assertEquals(p3d, P3D.random(P3D.Config.of(v, 256, 64, 256, Dims3.of(1)), 1).parameterCount());
        }
        // A transition block: 128 -> 256 with stride (1,2,2) gets a projection shortcut.
        assertEquals(128 * 64 + 12 * 64 * 64 + 64 * 256 + 128 * 256,
                P3D.random(P3D.Config.of(P3D.Variant.B, 128, 64, 256, new Dims3(1, 2, 2)), 1).parameterCount());
        ChannelSeparated ip = ChannelSeparated.random(ChannelSeparated.Config.of(ChannelSeparated.Variant.IP, 256,
                64, 256, Dims3.of(1)), 1);
        ChannelSeparated ir = ChannelSeparated.random(ChannelSeparated.Config.of(ChannelSeparated.Variant.IR, 256,
                64, 256, Dims3.of(1)), 1);
        assertEquals(16_384 + 4_096 + 1_728 + 16_384, ip.parameterCount());
        assertEquals(16_384 + 1_728 + 16_384, ir.parameterCount());
        assertEquals(64, ir.layer("conv2_depthwise").spec().groups());
    }

    @Test
    void bottleneckMacsAtResnetSize() {
        // conv2_x of ResNet-50 at 56x56: every weight is used once per output position.
        Bottleneck b = Bottleneck.random(Bottleneck.Config.of(2, 256, 64, 256, 1), 1);
        assertEquals(69_632L * 56 * 56, b.macs(1, new Dims3(1, 56, 56)));
        assertEquals(8 * 69_632L * 56 * 56, b.macs(8, new Dims3(1, 56, 56)));
    }

    static Stream<Arguments> smallBlocks() {
        return Stream.of(
                Arguments.of(ConvSequence.random(2, true, ConvSpec.builder(2, 3, 4, 3).stride(2).padding(1).build(),
                        ConvSpec.builder(2, 4, 5, 3).padding(1).groups(1).build()), new Dims3(1, 9, 8)),
                Arguments.of(Bottleneck.random(Bottleneck.Config.of(2, 6, 3, 8, 2), 2), new Dims3(1, 7, 6)),
                Arguments.of(Bottleneck.random(Bottleneck.Config.of(3, 4, 2, 4, 1), 2), new Dims3(3, 5, 4)),
                Arguments.of(DepthwiseSeparable.random(new DepthwiseSeparable.Config(3, 3, 2, 5, 3, 2, true, true),
                        3), new Dims3(5, 6, 7)),
                Arguments.of(SpatiallySeparable.random(new SpatiallySeparable.Config(3, 2, 3, 4, 3, 2, 1, false,
                        true), 4), new Dims3(5, 6, 7)),
                Arguments.of(R2Plus1D.random(R2Plus1D.Config.of(4, 6, 2), 5), new Dims3(4, 6, 5)),
                Arguments.of(P3D.random(P3D.Config.of(P3D.Variant.A, 4, 2, 6, new Dims3(1, 2, 2)), 6),
                        new Dims3(3, 5, 6)),
                Arguments.of(P3D.random(P3D.Config.of(P3D.Variant.B, 4, 2, 4, Dims3.of(1)), 6), new Dims3(3, 5, 6)),
                Arguments.of(P3D.random(P3D.Config.of(P3D.Variant.C, 4, 2, 4, Dims3.of(2)), 6), new Dims3(3, 5, 6)),
                Arguments.of(ChannelSeparated.random(ChannelSeparated.Config.of(ChannelSeparated.Variant.IP, 4, 3, 8,
                        new Dims3(2, 2, 2)), 7), new Dims3(4, 5, 6)),
                Arguments.of(ChannelSeparated.random(ChannelSeparated.Config.of(ChannelSeparated.Variant.IR, 4, 3, 4,
                        Dims3.of(1)), 7), new Dims3(4, 5, 6)));
    }

    @ParameterizedTest
    @MethodSource("smallBlocks")
    void macsAndShapesMatchAnInstrumentedForwardPass(ConvBlock block, Dims3 in) {
        int batch = 2;
        int[] shape = inputShape(block, batch, in);
        CountingBackend counting = new CountingBackend(new ReferenceBackend());
        Tensor y = block.forward(counting, Tensor.random(11, shape));
        assertEquals(counting.macs, block.macs(batch, in), block.name());
        Dims3 out = block.outputSize(in);
        int[] expected = inputShape(block, batch, out);
        expected[1] = block.outChannels();
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(y.shape()), block.name());
    }

    @Test
    void stackedConvReceptiveFields() {
        ConvSequence two = ConvSequence.random(1, true, conv(2, 1, 1, 3), conv(2, 1, 1, 3));
        assertEquals(new Dims3(1, 5, 5), two.receptiveField().size());
        ConvSequence strided = ConvSequence.random(1, true,
                ConvSpec.builder(2, 1, 1, 3).stride(2).padding(1).build(), conv(2, 1, 1, 3));
        assertEquals(new Dims3(1, 7, 7), strided.receptiveField().size());
        assertEquals(new Dims3(1, 2, 2), strided.receptiveField().jump());
        ConvSequence three = ConvSequence.random(1, true, conv(3, 1, 1, 3), conv(3, 1, 1, 3), conv(3, 1, 1, 3));
        assertEquals(Dims3.of(7), three.receptiveField().size());
    }

    @Test
    void factorizedBlocksSeeTheBoxOfTheConvTheyReplace() {
        assertEquals(Dims3.of(3), R2Plus1D.random(R2Plus1D.Config.of(4, 4, 1), 1).receptiveField().size());
        for (P3D.Variant v : P3D.Variant.values()) {
            assertEquals(Dims3.of(3), P3D.random(P3D.Config.of(v, 4, 2, 4, Dims3.of(1)), 1).receptiveField().size(),
                    v.name());
        }
        assertEquals(new Dims3(1, 7, 7),
                SpatiallySeparable.random(SpatiallySeparable.Config.of(2, 2, 2, 7), 1).receptiveField().size());
        // CSN strides in its depthwise conv: the window stays 3, the jump doubles.
        ChannelSeparated ir = ChannelSeparated.random(ChannelSeparated.Config.of(ChannelSeparated.Variant.IR, 4, 2,
                8, new Dims3(1, 2, 2)), 1);
        assertEquals(Dims3.of(3), ir.receptiveField().size());
        assertEquals(new Dims3(1, 2, 2), ir.receptiveField().jump());
        // P3D strides in its first 1x1x1 conv: S and T then step 2 input positions per tap.
        P3D strided = P3D.random(P3D.Config.of(P3D.Variant.A, 4, 2, 8, new Dims3(1, 2, 2)), 1);
        assertEquals(new Dims3(3, 5, 5), strided.receptiveField().size());
    }

    /**
     * Measures the receptive field: with positive weights, no biases and a positive input, ReLUs pass everything,
     * so an output depends on an input element exactly when an impulse there reaches it.
     */
    @ParameterizedTest
    @MethodSource("smallBlocks")
    void receptiveFieldMatchesImpulseResponses(ConvBlock template) {
        ConvBlock block = withPositiveWeights(template);
        int dims = block.spatialDims();
        Dims3 in = dims == 3 ? Dims3.of(7) : new Dims3(1, 15, 15);
        Dims3 out = block.outputSize(in);
        int[] centre = {out.d() / 2, out.h() / 2, out.w() / 2};
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] hi = {-1, -1, -1};
        PreparedBlock p = block.prepare(new ReferenceBackend());
        int[] shape = inputShape(block, 1, in);
        for (int d = 0; d < in.d(); d++) {
            for (int h = 0; h < in.h(); h++) {
                for (int w = 0; w < in.w(); w++) {
                    Tensor x = Tensor.zeros(shape);
                    x.data()[(d * in.h() + h) * in.w() + w] = 1;
                    Tensor y = p.forward(x);
                    if (y.data()[(centre[0] * out.h() + centre[1]) * out.w() + centre[2]] != 0) {
                        int[] at = {d, h, w};
                        for (int a = 0; a < 3; a++) {
                            lo[a] = Math.min(lo[a], at[a]);
                            hi[a] = Math.max(hi[a], at[a]);
                        }
                    }
                }
            }
        }
        Dims3 measured = new Dims3(hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1);
        assertEquals(block.receptiveField().size(), measured, block.name());
    }

    private static ConvBlock withPositiveWeights(ConvBlock b) {
        LayerWeights ones = (name, spec) -> {
            Tensor w = Tensor.zeros(spec.weightShape());
            java.util.Arrays.fill(w.data(), 1f);
            return new ConvLayer(name, spec, w, spec.bias() ? Tensor.zeros(spec.outChannels()) : null);
        };
        if (b instanceof ConvSequence s) {
            return new ConvSequence(s.name(), true,
                    s.layers().stream().map(l -> ones.layer(l.name(), l.spec())).toList());
        }
        if (b instanceof Bottleneck x) {
            return new Bottleneck(x.config(), ones);
        }
        if (b instanceof DepthwiseSeparable x) {
            return new DepthwiseSeparable(x.config(), ones);
        }
        if (b instanceof SpatiallySeparable x) {
            return new SpatiallySeparable(x.config(), ones);
        }
        if (b instanceof R2Plus1D x) {
            return new R2Plus1D(x.config(), ones);
        }
        if (b instanceof P3D x) {
            return new P3D(x.config(), ones);
        }
        if (b instanceof ChannelSeparated x) {
            return new ChannelSeparated(x.config(), ones);
        }
        throw new AssertionError(b.name());
    }

    static int[] inputShape(ConvBlock block, int batch, Dims3 spatial) {
        int dims = block.spatialDims();
        int[] s = new int[dims + 2];
        s[0] = batch;
        s[1] = block.inChannels();
        System.arraycopy(spatial.toArray(dims), 0, s, 2, dims);
        return s;
    }
}
