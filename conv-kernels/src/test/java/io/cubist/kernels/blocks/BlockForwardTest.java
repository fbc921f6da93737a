package io.cubist.kernels.blocks;

import static io.cubist.kernels.blocks.Composed.add;
import static io.cubist.kernels.blocks.Composed.conv;
import static io.cubist.kernels.blocks.Composed.relu;
import static io.cubist.kernels.blocks.Composed.sub;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Every block's forward pass against its definition written out by hand with reference convolutions. */
class BlockForwardTest {

    private static final Backend BACKEND = new ReferenceBackend();

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double err = expected.maxAbsDiff(actual);
        double bound = tol * Math.max(1, expected.maxAbs());
        assertTrue(err <= bound, () -> what + ": max |diff| = " + err + " > " + bound);
    }

    @ParameterizedTest
    @CsvSource({"2, 6, 3, 6, 1, IDENTITY, true", "2, 6, 3, 8, 2, PROJECTION, true", "3, 4, 2, 4, 1, IDENTITY, false",
            "3, 4, 2, 6, 2, PROJECTION, true", "3, 4, 2, 5, 1, NONE, true"})
    void bottleneck(int dims, int in, int mid, int out, int stride, Shortcut shortcut, boolean r) {
        Bottleneck b = Bottleneck.random(new Bottleneck.Config(dims, in, mid, out, 3, stride, shortcut, true, r), 3);
        Tensor x = Tensor.random(5, dims == 2 ? new int[] {2, in, 7, 6} : new int[] {2, in, 5, 6, 4});
        Tensor main = conv(b, "conv3", relu(conv(b, "conv2", relu(conv(b, "conv1", x), r)), r));
        Tensor y = switch (shortcut) {
            case NONE -> main;
            case IDENTITY -> add(main, x);
            case PROJECTION -> add(main, conv(b, "downsample", x));
        };
        assertClose(relu(y, r), b.forward(BACKEND, x), 1e-6, b.name());
    }

    @ParameterizedTest
    @CsvSource({"2, 1, 1, true", "2, 2, 2, false", "3, 1, 2, true", "3, 3, 1, true", "1, 2, 2, true"})
    void depthwiseSeparable(int dims, int multiplier, int stride, boolean r) {
        DepthwiseSeparable b = DepthwiseSeparable.random(new DepthwiseSeparable.Config(dims, 3, multiplier, 5, 3,
                stride, true, r), 4);
        int[] shape = switch (dims) {
            case 1 -> new int[] {2, 3, 9};
            case 2 -> new int[] {2, 3, 7, 8};
            default -> new int[] {2, 3, 4, 5, 6};
        };
        Tensor x = Tensor.random(6, shape);
        assertEquals(3, b.layer("depthwise").spec().groups());
        assertEquals(3 * multiplier, b.layer("depthwise").spec().outChannels());
        assertClose(conv(b, "pointwise", relu(conv(b, "depthwise", x), r)), b.forward(BACKEND, x), 1e-6, b.name());
    }

    @ParameterizedTest
    @CsvSource({"2, 1, true", "2, 2, false", "3, 1, true", "3, 2, true"})
    void spatiallySeparable(int dims, int stride, boolean r) {
        SpatiallySeparable b = SpatiallySeparable.random(new SpatiallySeparable.Config(dims, 3, 4, 5, 3, stride, 1,
                true, r), 5);
        Tensor x = Tensor.random(7, dims == 2 ? new int[] {2, 3, 7, 8} : new int[] {2, 3, 5, 6, 7});
        Tensor y = dims == 2 ? conv(b, "conv_w", relu(conv(b, "conv_h", x), r))
                : conv(b, "conv_w", relu(conv(b, "conv_h", relu(conv(b, "conv_d", x), r)), r));
        assertClose(y, b.forward(BACKEND, x), 1e-6, b.name());
    }

    @Test
    void rankOneKernelEqualsItsTwoStepFactorization2d() {
        int c = 3;
        int o = 4;
        int k = 3;
        Tensor u = Tensor.random(1, 1, c, k, 1);
        Tensor v = Tensor.random(2, o, 1, 1, k);
        Tensor full = Tensor.zeros(o, c, k, k);
        // w[o, c, i, j] = v[o, j] * u[c, i]: the outer product of a vertical and a horizontal filter.
        for (int a = 0; a < o; a++) {
            for (int b = 0; b < c; b++) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        full.data()[((a * c + b) * k + i) * k + j] = v.data()[a * k + j] * u.data()[b * k + i];
                    }
                }
            }
        }
        SpatiallySeparable sep = new SpatiallySeparable(new SpatiallySeparable.Config(2, c, 1, o, k, 2, 1, false,
                false), LayerWeights.of(Map.of("conv_h.weight", u, "conv_w.weight", v)));
        Tensor x = Tensor.random(3, 2, c, 9, 8);
        Tensor expected = new ReferenceConv(ConvSpec.builder(2, c, o, k).stride(2).padding(1).bias(false).build(),
                full, null).forward(x);
        assertClose(expected, sep.forward(BACKEND, x), 1e-5, "rank-1 2D");
    }

    @Test
    void rankOneKernelEqualsItsThreeStepFactorization3d() {
        int c = 2;
        int o = 3;
        int k = 3;
        Tensor u = Tensor.random(1, 1, c, k, 1, 1);
        Tensor v = Tensor.random(2, 1, 1, 1, k, 1);
        Tensor t = Tensor.random(3, o, 1, 1, 1, k);
        Tensor full = Tensor.zeros(o, c, k, k, k);
        for (int a = 0; a < o; a++) {
            for (int b = 0; b < c; b++) {
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        for (int l = 0; l < k; l++) {
                            full.data()[(((a * c + b) * k + i) * k + j) * k + l] =
                                    u.data()[b * k + i] * v.data()[j] * t.data()[a * k + l];
                        }
                    }
                }
            }
        }
        SpatiallySeparable sep = new SpatiallySeparable(new SpatiallySeparable.Config(3, c, 1, o, k, 1, 1, false,
                false), LayerWeights.of(Map.of("conv_d.weight", u, "conv_h.weight", v, "conv_w.weight", t)));
        Tensor x = Tensor.random(4, 2, c, 5, 6, 7);
        Tensor expected = new ReferenceConv(ConvSpec.builder(3, c, o, k).padding(1).bias(false).build(), full, null)
                .forward(x);
        assertClose(expected, sep.forward(BACKEND, x), 1e-5, "rank-1 3D");
    }

    @ParameterizedTest
    @CsvSource({"1, 1, true", "2, 1, true", "2, 0, false", "1, 2, true"})
    void r2plus1d(int stride, int padding, boolean r) {
        R2Plus1D b = R2Plus1D.random(new R2Plus1D.Config(3, R2Plus1D.midChannels(3, 5, 3, 3), 5, 3, 3, stride,
                padding, true, r), 6);
        assertEquals(new Dims3(1, stride, stride), b.layer("spatial").spec().stride());
        assertEquals(new Dims3(0, padding, padding), b.layer("spatial").spec().padBefore());
        assertEquals(new Dims3(stride, 1, 1), b.layer("temporal").spec().stride());
        assertEquals(new Dims3(padding, 0, 0), b.layer("temporal").spec().padBefore());
        Tensor x = Tensor.random(8, 2, 3, 5, 7, 6);
        assertClose(conv(b, "temporal", relu(conv(b, "spatial", x), r)), b.forward(BACKEND, x), 1e-6, b.name());
        // Same output grid as the t x d x d conv it replaces.
        ConvSpec full = ConvSpec.builder(3, 3, 5, 3).stride(stride).padding(padding).build();
        assertEquals(full.outputSize(new Dims3(5, 7, 6)), b.outputSize(new Dims3(5, 7, 6)));
    }

    @ParameterizedTest
    @EnumSource(P3D.Variant.class)
    void p3dFollowsItsDefinition(P3D.Variant variant) {
        for (Shortcut sc : Shortcut.values()) {
            int out = sc == Shortcut.IDENTITY ? 4 : 6;
            Dims3 stride = sc == Shortcut.PROJECTION ? new Dims3(1, 2, 2) : Dims3.of(1);
            P3D b = P3D.random(new P3D.Config(variant, 4, 3, out, stride, sc, true, true), 7);
            Tensor x = Tensor.random(9, 2, 4, 4, 5, 6);
            Tensor h = relu(conv(b, "conv1", x));
            Tensor z = switch (variant) {
                case A -> relu(conv(b, "conv3", relu(conv(b, "conv2", h))));
                case B -> add(relu(conv(b, "conv2", h)), relu(conv(b, "conv3", h)));
                case C -> {
                    Tensor s = relu(conv(b, "conv2", h));
                    yield add(s, relu(conv(b, "conv3", s)));
                }
            };
            Tensor main = conv(b, "conv4", z);
            Tensor y = switch (sc) {
                case NONE -> main;
                case IDENTITY -> add(main, x);
                case PROJECTION -> add(main, conv(b, "downsample", x));
            };
            assertClose(relu(y), b.forward(BACKEND, x), 1e-6, b.name() + " " + sc);
        }
    }

    @Test
    void p3dVariantsDifferAsDefined() {
        // Linear blocks with the same weights (same names and shapes, same seed): the variants differ by exactly the
        // terms their definitions differ by.
        P3D[] v = new P3D[3];
        for (P3D.Variant variant : P3D.Variant.values()) {
            v[variant.ordinal()] = P3D.random(new P3D.Config(variant, 4, 3, 5, Dims3.of(1), Shortcut.NONE, false,
                    false), 8);
        }
        P3D a = v[0];
        Tensor x = Tensor.random(10, 2, 4, 4, 5, 6);
        Tensor ya = a.forward(BACKEND, x);
        Tensor yb = v[1].forward(BACKEND, x);
        Tensor yc = v[2].forward(BACKEND, x);
        Tensor h = conv(a, "conv1", x);
        Tensor s = conv(a, "conv2", h);
        // C - A = conv4(S(h));  B - A = conv4(S(h) + T(h) - T(S(h)))
        assertClose(conv(a, "conv4", s), sub(yc, ya), 1e-5, "C - A");
        assertClose(conv(a, "conv4", sub(add(s, conv(a, "conv3", h)), conv(a, "conv3", s))), sub(yb, ya), 1e-5,
                "B - A");
        assertTrue(ya.maxAbsDiff(yb) > 1e-2 && ya.maxAbsDiff(yc) > 1e-2 && yb.maxAbsDiff(yc) > 1e-2,
                "the three variants must compute different functions");
    }

    @ParameterizedTest
    @CsvSource({"IP, 4, 1, true", "IP, 6, 2, true", "IR, 4, 1, true", "IR, 6, 2, false"})
    void channelSeparated(ChannelSeparated.Variant variant, int out, int stride, boolean r) {
        ChannelSeparated b = ChannelSeparated.random(new ChannelSeparated.Config(variant, 4, 3, out, 3,
                Dims3.of(stride), Shortcut.forShapes(4, out, Dims3.of(stride)), true, r), 9);
        Tensor x = Tensor.random(11, 2, 4, 5, 6, 5);
        Tensor h = relu(conv(b, "conv1", x), r);
        if (variant == ChannelSeparated.Variant.IP) {
            h = conv(b, "conv2_pointwise", h);
        }
        Tensor main = conv(b, "conv3", relu(conv(b, "conv2_depthwise", h), r));
        Tensor y = out == 4 ? add(main, x) : add(main, conv(b, "downsample", x));
        assertClose(relu(y, r), b.forward(BACKEND, x), 1e-6, b.name());
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> everyBackend() {
        return Backends.available().stream().filter(b -> !b.name().equals(ReferenceBackend.NAME))
                .flatMap(b -> BlockArithmeticTest.smallBlocks().map(a -> org.junit.jupiter.params.provider.Arguments
                        .of(b.name(), a.get()[0], a.get()[1])));
    }

    /** The same blocks on every other backend that can run here, against the reference backend. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyBackend")
    void everyBackendAgreesWithTheReference(String backend, ConvBlock block, Dims3 in) {
        Tensor x = Tensor.random(15, BlockArithmeticTest.inputShape(block, 2, in));
        assertClose(block.forward(BACKEND, x), block.forward(Backends.select(backend), x), 1e-4,
                backend + " " + block.name());
    }

    @Test
    void convSequenceAndPreparedReuse() {
        ConvSequence s = ConvSequence.random(12, true, ConvSpec.builder(3, 2, 4, 3).padding(1).build(),
                ConvSpec.builder(3, 4, 3, 1, 3, 3).stride(1, 2, 2).build());
        Tensor x1 = Tensor.random(13, 1, 2, 4, 6, 6);
        Tensor x2 = Tensor.random(14, 1, 2, 4, 6, 6);
        PreparedBlock p = s.prepare(BACKEND);
        assertEquals(s, p.block());
        for (Tensor x : new Tensor[] {x1, x2, x1}) {
            assertClose(conv(s, "1", relu(conv(s, "0", x))), p.forward(x), 1e-6, s.name());
        }
    }
}
