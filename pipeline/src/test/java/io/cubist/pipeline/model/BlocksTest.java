package io.cubist.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.Blocks.Block;
import io.cubist.pipeline.model.Blocks.Bottleneck;
import io.cubist.pipeline.model.Blocks.ChannelSeparated;
import io.cubist.pipeline.model.Blocks.ConvChain;
import io.cubist.pipeline.model.Blocks.DepthwiseSeparable;
import io.cubist.pipeline.model.Blocks.P3D;
import io.cubist.pipeline.model.Blocks.R2Plus1D;
import io.cubist.pipeline.model.Blocks.Shortcut;
import io.cubist.pipeline.model.Blocks.SpatiallySeparable;
import io.cubist.pipeline.weights.StateDict;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The literature's blocks ({@link Blocks}) as modules: parameters, MACs and receptive fields against the numbers the
 * papers state and against an instrumented forward pass and impulse responses; every block's forward pass against its
 * definition written out by hand with reference convolutions; every backend against the reference; bad
 * configurations named.
 */
class BlocksTest {

    private static final Backend REFERENCE = new ReferenceBackend();

    /** Every tensor of the module's state uniform in [-1, 1) (biases too), seeded. */
    static StateDict random(Module m, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        long s = seed;
        for (StateEntry e : m.stateDict()) {
            w.put(e.key(), Tensor.random(s++, e.shape()));
        }
        return StateDict.of(w, "random (seed " + seed + ")");
    }

    static Tensor forward(Backend b, Module m, StateDict w, Tensor x) {
        return m.prepare(b, w).forward(x);
    }

    /** The convolution at {@code path} of {@code root}. */
    static ConvSpec spec(Module root, String path) {
        Module m = root;
        for (String part : path.split("\\.")) {
            Module at = m;
            m = at.children().stream().filter(c -> c.name().equals(part)).findFirst()
                    .orElseThrow(() -> new AssertionError(path + ": no child " + part + " in " + at)).module();
        }
        return ((Conv3d) m).spec();
    }

    /** The layer at {@code path} applied by hand: a reference convolution with its weights. */
    static Tensor conv(Module root, StateDict w, String path, Tensor x) {
        ConvSpec s = spec(root, path);
        return new ReferenceConv(s, w.get(path + ".weight"), s.bias() ? w.get(path + ".bias") : null).forward(x);
    }

    static Tensor relu(Tensor x, boolean on) {
        if (!on) {
            return x;
        }
        float[] y = x.data().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.max(y[i], 0f);
        }
        return new Tensor(y, x.shape());
    }

    static Tensor relu(Tensor x) {
        return relu(x, true);
    }

    static Tensor add(Tensor a, Tensor b) {
        assertEquals(Arrays.toString(a.shape()), Arrays.toString(b.shape()));
        float[] y = new float[a.numel()];
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data()[i] + b.data()[i];
        }
        return new Tensor(y, a.shape());
    }

    static Tensor sub(Tensor a, Tensor b) {
        float[] y = new float[a.numel()];
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data()[i] - b.data()[i];
        }
        return new Tensor(y, a.shape());
    }

    static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what);
        double err = expected.maxAbsDiff(actual);
        double bound = tol * Math.max(1, expected.maxAbs());
        assertTrue(err <= bound, () -> what + ": max |diff| = " + err + " > " + bound);
    }

    private static ConvSpec conv(int dims, int in, int out, int... k) {
        return ConvSpec.builder(dims, in, out, k).padding(k[0] / 2).bias(false).build();
    }

    private static long params(Block b) {
        return b.build().parameterCount();
    }

    /** The parameters of the convolution at {@code path}. */
    private static long params(Block b, String path) {
        return spec(b.build(), path).parameterCount();
    }

    // ------------------------------------------------------------------------------------------------ arithmetic

    @Test
    void inceptionReductionWeights() {
        // Szegedy et al. 2015 (GoogLeNet), sec. 4: a 1x1 reduction to 16 before the 5x5 cuts 204,800 to 16,896.
        assertEquals(204_800, params(ConvChain.of(true, conv(2, 256, 32, 5))));
        ConvChain reduced = ConvChain.of(true, conv(2, 256, 16, 1), conv(2, 16, 32, 5));
        assertEquals(16_896, params(reduced));
        assertEquals(4096, params(reduced, "0"));
        assertEquals(12_800, params(reduced, "1"));
    }

    @Test
    void resnetBottleneckWeights() {
        assertEquals(589_824, params(ConvChain.of(true, conv(2, 256, 256, 3))));
        Bottleneck b = Bottleneck.of(2, 256, 64, 256, 1);
        assertEquals(Shortcut.IDENTITY, b.shortcut());
        assertEquals(69_632, params(b));
        assertEquals(List.of(16_384L, 36_864L, 16_384L),
                Stream.of("conv1", "conv2", "conv3").map(n -> params(b, n)).toList());
        Bottleneck projected = Bottleneck.of(2, 256, 64, 256, 2);
        assertEquals(Shortcut.PROJECTION, projected.shortcut());
        assertEquals(69_632 + 65_536, params(projected));
        assertEquals(69_632 + 64 + 64 + 256, params(new Bottleneck(2, 256, 64, 256, 3, 1, Shortcut.IDENTITY, true,
                true)));
    }

    @Test
    void depthwiseSeparableWeights() {
        assertEquals(3_456, conv(2, 3, 128, 3).weightCount());
        DepthwiseSeparable d2 = DepthwiseSeparable.of(2, 3, 128);
        assertEquals(27, params(d2, "depthwise"));
        assertEquals(384, params(d2, "pointwise"));
        assertEquals(411, params(d2));
        assertEquals(10_368, conv(3, 3, 128, 3).weightCount());
        DepthwiseSeparable d3 = DepthwiseSeparable.of(3, 3, 128);
        assertEquals(81, params(d3, "depthwise"));
        assertEquals(465, params(d3));
        // channel multiplier m: in*m*k^2 + in*m*out
        assertEquals(3 * 4 * 9 + 12 * 128, params(new DepthwiseSeparable(2, 3, 4, 128, 3, 1, false, true)));
    }

    @Test
    void spatiallySeparableWeights() {
        assertEquals(2 * 7 * 64 * 64, params(SpatiallySeparable.of(2, 64, 64, 7)));
        SpatiallySeparable s3 = new SpatiallySeparable(3, 16, 32, 32, 3, 1, 1, false, true);
        assertEquals(3 * 16 * 32 + 3 * 32 * 32 + 3 * 32 * 32, params(s3));
        assertEquals(new Dims3(3, 1, 1), spec(s3.build(), "conv_d").kernel());
        assertEquals(new Dims3(1, 1, 3), spec(s3.build(), "conv_w").kernel());
    }

    static Stream<Arguments> r2plus1d18() {
        // torchvision r2plus1d_18: (in, out) of every (2+1)D conv size and the midplanes its state_dict has
        return Stream.of(Arguments.of(64, 64, 144), Arguments.of(64, 128, 230), Arguments.of(128, 128, 288),
                Arguments.of(128, 256, 460), Arguments.of(256, 256, 576), Arguments.of(256, 512, 921),
                Arguments.of(512, 512, 1152));
    }

    @ParameterizedTest
    @MethodSource("r2plus1d18")
    void r2plus1dMidChannelsMatchTheFullConv(int in, int out, int mid) {
        assertEquals(mid, R2Plus1D.midChannels(in, out, 3, 3));
        long full = ConvSpec.builder(3, in, out, 3).bias(false).build().weightCount();
        long sep = params(R2Plus1D.of(in, out, 1));
        assertEquals((long) mid * (9L * in + 3L * out), sep);
        // M = floor(full / (d^2 in + t out)): the (2+1)D count is below the full one by less than one M step
        assertTrue(sep <= full && full - sep < 9L * in + 3L * out, () -> sep + " vs full " + full);
        if (in == out) {
            assertEquals(full, sep);
        }
    }

    @Test
    void p3dAndCsnWeights() {
        long p3d = 256 * 64 + 9 * 64 * 64 + 3 * 64 * 64 + 64 * 256;
        for (P3D.Variant v : P3D.Variant.values()) {
            assertEquals(p3d, params(P3D.of(v, 256, 64, 256, Dims3.of(1))), v.name());
        }
        // a transition block 128 -> 256 with stride (1,2,2) gets a projection shortcut
        assertEquals(128 * 64 + 12 * 64 * 64 + 64 * 256 + 128 * 256,
                params(P3D.of(P3D.Variant.B, 128, 64, 256, new Dims3(1, 2, 2))));
        ChannelSeparated ip = ChannelSeparated.of(ChannelSeparated.Variant.IP, 256, 64, 256, Dims3.of(1));
        ChannelSeparated ir = ChannelSeparated.of(ChannelSeparated.Variant.IR, 256, 64, 256, Dims3.of(1));
        assertEquals(16_384 + 4_096 + 1_728 + 16_384, params(ip));
        assertEquals(16_384 + 1_728 + 16_384, params(ir));
        assertEquals(64, spec(ir.build(), "conv2_depthwise").groups());
    }

    @Test
    void bottleneckMacsAtResnetSize() {
        // conv2_x of ResNet-50 at 56x56: every weight is used once per output position
        Module b = Bottleneck.of(2, 256, 64, 256, 1).build();
        assertEquals(69_632L * 56 * 56, b.macs(new int[] {1, 256, 56, 56}));
        assertEquals(8 * 69_632L * 56 * 56, b.macs(new int[] {8, 256, 56, 56}));
    }

    /** The blocks and the spatial input size they are exercised at. */
    static Stream<Arguments> smallBlocks() {
        return Stream.of(
                Arguments.of(ConvChain.of(true, ConvSpec.builder(2, 3, 4, 3).stride(2).padding(1).build(),
                        ConvSpec.builder(2, 4, 5, 3).padding(1).build()), new int[] {9, 8}),
                Arguments.of(Bottleneck.of(2, 6, 3, 8, 2), new int[] {7, 6}),
                Arguments.of(Bottleneck.of(3, 4, 2, 4, 1), new int[] {5, 5, 4}),
                Arguments.of(new Bottleneck(1, 4, 2, 5, 3, 2, Shortcut.PROJECTION, true, true), new int[] {9}),
                Arguments.of(new DepthwiseSeparable(3, 3, 2, 5, 3, 2, true, true), new int[] {5, 6, 7}),
                Arguments.of(new SpatiallySeparable(3, 2, 3, 4, 3, 2, 1, false, true), new int[] {5, 6, 7}),
                Arguments.of(R2Plus1D.of(4, 6, 2), new int[] {4, 6, 5}),
                Arguments.of(P3D.of(P3D.Variant.A, 4, 2, 6, new Dims3(1, 2, 2)), new int[] {3, 5, 6}),
                Arguments.of(P3D.of(P3D.Variant.B, 4, 2, 4, Dims3.of(1)), new int[] {3, 5, 6}),
                Arguments.of(P3D.of(P3D.Variant.C, 4, 2, 4, Dims3.of(2)), new int[] {3, 5, 6}),
                Arguments.of(ChannelSeparated.of(ChannelSeparated.Variant.IP, 4, 3, 8, new Dims3(2, 2, 2)),
                        new int[] {4, 5, 6}),
                Arguments.of(ChannelSeparated.of(ChannelSeparated.Variant.IR, 4, 3, 4, Dims3.of(1)),
                        new int[] {4, 5, 6}));
    }

    static int[] inputShape(Module m, int batch, int channels, int[] spatial) {
        int[] s = new int[spatial.length + 2];
        s[0] = batch;
        s[1] = channels;
        System.arraycopy(spatial, 0, s, 2, spatial.length);
        return s;
    }

    @ParameterizedTest
    @MethodSource("smallBlocks")
    void macsAndShapesMatchAnInstrumentedForwardPass(Block block, int[] spatial) {
        Module m = block.build();
        int[] shape = inputShape(m, 2, block.inChannels(), spatial);
        CountingBackend counting = new CountingBackend(REFERENCE);
        Tensor y = forward(counting, m, random(m, 3), Tensor.random(11, shape));
        assertEquals(counting.macs, m.macs(shape), block.name());
        assertEquals(Arrays.toString(m.outputShape(shape)), Arrays.toString(y.shape()), block.name());
    }

    @Test
    void stackedConvReceptiveFields() {
        Module two = ConvChain.of(true, conv(2, 1, 1, 3), conv(2, 1, 1, 3)).build();
        assertEquals(new Dims3(1, 5, 5), two.receptiveField(new int[] {1, 1, 9, 9}).size());
        Module strided = ConvChain.of(true, ConvSpec.builder(2, 1, 1, 3).stride(2).padding(1).build(),
                conv(2, 1, 1, 3)).build();
        assertEquals(new Dims3(1, 7, 7), strided.receptiveField(new int[] {1, 1, 9, 9}).size());
        assertEquals(new Dims3(1, 2, 2), strided.receptiveField(new int[] {1, 1, 9, 9}).jump());
        Module three = ConvChain.of(true, conv(3, 1, 1, 3), conv(3, 1, 1, 3), conv(3, 1, 1, 3)).build();
        assertEquals(Dims3.of(7), three.receptiveField(new int[] {1, 1, 9, 9, 9}).size());
    }

    @Test
    void factorizedBlocksSeeTheBoxOfTheConvTheyReplace() {
        int[] in = {1, 4, 7, 7, 7};
        assertEquals(Dims3.of(3), R2Plus1D.of(4, 4, 1).build().receptiveField(in).size());
        for (P3D.Variant v : P3D.Variant.values()) {
            assertEquals(Dims3.of(3), P3D.of(v, 4, 2, 4, Dims3.of(1)).build().receptiveField(in).size(), v.name());
        }
        assertEquals(new Dims3(1, 7, 7), SpatiallySeparable.of(2, 2, 2, 7).build()
                .receptiveField(new int[] {1, 2, 15, 15}).size());
        // CSN strides in its depthwise conv: the window stays 3, the jump doubles
        Module ir = ChannelSeparated.of(ChannelSeparated.Variant.IR, 4, 2, 8, new Dims3(1, 2, 2)).build();
        assertEquals(Dims3.of(3), ir.receptiveField(in).size());
        assertEquals(new Dims3(1, 2, 2), ir.receptiveField(in).jump());
        // P3D strides in its first 1x1x1 conv: S and T then step 2 input positions per tap
        assertEquals(new Dims3(3, 5, 5), P3D.of(P3D.Variant.A, 4, 2, 8, new Dims3(1, 2, 2)).build()
                .receptiveField(in).size());
    }

    /**
     * Measures the receptive field: with weights 1, no biases and a positive input, ReLUs pass everything, so an
     * output depends on an input element exactly when an impulse there reaches it.
     */
    @ParameterizedTest
    @MethodSource("smallBlocks")
    void receptiveFieldMatchesImpulseResponses(Block block, int[] ignored) {
        Module m = block.build();
        int dims = ignored.length;
        int[] spatial = dims == 3 ? new int[] {7, 7, 7} : dims == 2 ? new int[] {15, 15} : new int[] {15};
        int[] shape = inputShape(m, 1, block.inChannels(), spatial);
        Map<String, Tensor> ones = new LinkedHashMap<>();
        for (StateEntry e : m.stateDict()) {
            Tensor t = Tensor.zeros(e.shape());
            if (e.role() == StateEntry.Role.CONV_WEIGHT) {
                Arrays.fill(t.data(), 1f);
            }
            ones.put(e.key(), t);
        }
        PreparedModule p = m.prepare(REFERENCE, StateDict.of(ones, "ones"));
        int[] out = m.outputShape(shape);
        Dims3 o = Shapes.spatialAny(out);
        Dims3 in = Shapes.spatialAny(shape);
        int[] centre = {o.d() / 2, o.h() / 2, o.w() / 2};
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
        int[] hi = {-1, -1, -1};
        for (int d = 0; d < in.d(); d++) {
            for (int h = 0; h < in.h(); h++) {
                for (int w = 0; w < in.w(); w++) {
                    Tensor x = Tensor.zeros(shape);
                    x.data()[(d * in.h() + h) * in.w() + w] = 1;
                    Tensor y = p.forward(x);
                    if (y.data()[(centre[0] * o.h() + centre[1]) * o.w() + centre[2]] != 0) {
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
        assertEquals(m.receptiveField(shape).size(), measured, block.name());
    }

    // ------------------------------------------------------------------------------------------- forward passes

    @ParameterizedTest
    @CsvSource({"2, 6, 3, 6, 1, IDENTITY, true", "2, 6, 3, 8, 2, PROJECTION, true", "3, 4, 2, 4, 1, IDENTITY, false",
        "3, 4, 2, 6, 2, PROJECTION, true", "3, 4, 2, 5, 1, NONE, true", "1, 4, 2, 4, 1, IDENTITY, true"})
    void bottleneck(int dims, int in, int mid, int out, int stride, Shortcut shortcut, boolean r) {
        Bottleneck b = new Bottleneck(dims, in, mid, out, 3, stride, shortcut, true, r);
        Module m = b.build();
        StateDict w = random(m, 3);
        Tensor x = Tensor.random(5, switch (dims) {
            case 1 -> new int[] {2, in, 9};
            case 2 -> new int[] {2, in, 7, 6};
            default -> new int[] {2, in, 5, 6, 4};
        });
        Tensor main = conv(m, w, "conv3", relu(conv(m, w, "conv2", relu(conv(m, w, "conv1", x), r)), r));
        Tensor y = switch (shortcut) {
            case NONE -> main;
            case IDENTITY -> add(main, x);
            case PROJECTION -> add(main, conv(m, w, "downsample", x));
        };
        assertClose(relu(y, r), forward(REFERENCE, m, w, x), 1e-6, b.name());
    }

    @ParameterizedTest
    @CsvSource({"2, 1, 1, true", "2, 2, 2, false", "3, 1, 2, true", "3, 3, 1, true", "1, 2, 2, true"})
    void depthwiseSeparable(int dims, int multiplier, int stride, boolean r) {
        DepthwiseSeparable b = new DepthwiseSeparable(dims, 3, multiplier, 5, 3, stride, true, r);
        Module m = b.build();
        StateDict w = random(m, 4);
        Tensor x = Tensor.random(6, switch (dims) {
            case 1 -> new int[] {2, 3, 9};
            case 2 -> new int[] {2, 3, 7, 8};
            default -> new int[] {2, 3, 4, 5, 6};
        });
        assertEquals(3, spec(m, "depthwise").groups());
        assertEquals(3 * multiplier, spec(m, "depthwise").outChannels());
        assertClose(conv(m, w, "pointwise", relu(conv(m, w, "depthwise", x), r)), forward(REFERENCE, m, w, x), 1e-6,
                b.name());
    }

    @ParameterizedTest
    @CsvSource({"2, 1, true", "2, 2, false", "3, 1, true", "3, 2, true"})
    void spatiallySeparable(int dims, int stride, boolean r) {
        SpatiallySeparable b = new SpatiallySeparable(dims, 3, 4, 5, 3, stride, 1, true, r);
        Module m = b.build();
        StateDict w = random(m, 5);
        Tensor x = Tensor.random(7, dims == 2 ? new int[] {2, 3, 7, 8} : new int[] {2, 3, 5, 6, 7});
        Tensor y = dims == 2 ? conv(m, w, "conv_w", relu(conv(m, w, "conv_h", x), r))
                : conv(m, w, "conv_w", relu(conv(m, w, "conv_h", relu(conv(m, w, "conv_d", x), r)), r));
        assertClose(y, forward(REFERENCE, m, w, x), 1e-6, b.name());
    }

    @Test
    void rankOneKernelEqualsItsThreeStepFactorization() {
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
        Module sep = new SpatiallySeparable(3, c, 1, o, k, 1, 1, false, false).build();
        StateDict w = StateDict.of(Map.of("conv_d.weight", u, "conv_h.weight", v, "conv_w.weight", t), "rank 1");
        Tensor x = Tensor.random(4, 2, c, 5, 6, 7);
        Tensor expected = new ReferenceConv(ConvSpec.builder(3, c, o, k).padding(1).bias(false).build(), full, null)
                .forward(x);
        assertClose(expected, forward(REFERENCE, sep, w, x), 1e-5, "rank-1 3D");
    }

    @ParameterizedTest
    @CsvSource({"1, 1, true", "2, 1, true", "2, 0, false", "1, 2, true"})
    void r2plus1d(int stride, int padding, boolean r) {
        R2Plus1D b = new R2Plus1D(3, R2Plus1D.midChannels(3, 5, 3, 3), 5, 3, 3, stride, padding, true, r);
        Module m = b.build();
        StateDict w = random(m, 6);
        assertEquals(new Dims3(1, stride, stride), spec(m, "spatial").stride());
        assertEquals(new Dims3(0, padding, padding), spec(m, "spatial").padBefore());
        assertEquals(new Dims3(stride, 1, 1), spec(m, "temporal").stride());
        Tensor x = Tensor.random(8, 2, 3, 5, 7, 6);
        assertClose(conv(m, w, "temporal", relu(conv(m, w, "spatial", x), r)), forward(REFERENCE, m, w, x), 1e-6,
                b.name());
        // the same output grid as the t x d x d conv it replaces
        ConvSpec full = ConvSpec.builder(3, 3, 5, 3).stride(stride).padding(padding).build();
        assertEquals(full.outputSize(new Dims3(5, 7, 6)), Shapes.spatial(m.outputShape(new int[] {1, 3, 5, 7, 6})));
    }

    @ParameterizedTest
    @EnumSource(P3D.Variant.class)
    void p3dFollowsItsDefinition(P3D.Variant variant) {
        for (Shortcut sc : Shortcut.values()) {
            int out = sc == Shortcut.IDENTITY ? 4 : 6;
            Dims3 stride = sc == Shortcut.PROJECTION ? new Dims3(1, 2, 2) : Dims3.of(1);
            P3D b = new P3D(variant, 4, 3, out, stride, sc, true, true);
            Module m = b.build();
            StateDict w = random(m, 7);
            String s = switch (variant) {
                case A, C -> "conv2";
                case B -> "st.conv2";
            };
            String t = switch (variant) {
                case A -> "conv3";
                case B -> "st.conv3";
                case C -> "t.conv3";
            };
            Tensor x = Tensor.random(9, 2, 4, 4, 5, 6);
            Tensor h = relu(conv(m, w, "conv1", x));
            Tensor z = switch (variant) {
                case A -> relu(conv(m, w, t, relu(conv(m, w, s, h))));
                case B -> add(relu(conv(m, w, s, h)), relu(conv(m, w, t, h)));
                case C -> {
                    Tensor u = relu(conv(m, w, s, h));
                    yield add(u, relu(conv(m, w, t, u)));
                }
            };
            Tensor main = conv(m, w, "conv4", z);
            Tensor y = switch (sc) {
                case NONE -> main;
                case IDENTITY -> add(main, x);
                case PROJECTION -> add(main, conv(m, w, "downsample", x));
            };
            assertClose(relu(y), forward(REFERENCE, m, w, x), 1e-6, b.name() + " " + sc);
        }
    }

    @Test
    void p3dVariantsDifferAsDefined() {
        // linear blocks with the same weights: the variants differ by exactly the terms their definitions differ by
        Module a = new P3D(P3D.Variant.A, 4, 3, 5, Dims3.of(1), Shortcut.NONE, false, false).build();
        StateDict wa = random(a, 8);
        Map<String, Tensor> forB = new LinkedHashMap<>();
        Map<String, Tensor> forC = new LinkedHashMap<>();
        for (String k : wa.keys()) {
            forB.put(k.startsWith("conv2") || k.startsWith("conv3") ? "st." + k : k, wa.get(k));
            forC.put(k.startsWith("conv3") ? "t." + k : k, wa.get(k));
        }
        Module b = new P3D(P3D.Variant.B, 4, 3, 5, Dims3.of(1), Shortcut.NONE, false, false).build();
        Module c = new P3D(P3D.Variant.C, 4, 3, 5, Dims3.of(1), Shortcut.NONE, false, false).build();
        Tensor x = Tensor.random(10, 2, 4, 4, 5, 6);
        Tensor ya = forward(REFERENCE, a, wa, x);
        Tensor yb = forward(REFERENCE, b, StateDict.of(forB, "B"), x);
        Tensor yc = forward(REFERENCE, c, StateDict.of(forC, "C"), x);
        Tensor h = conv(a, wa, "conv1", x);
        Tensor s = conv(a, wa, "conv2", h);
        // C - A = conv4(S(h));  B - A = conv4(S(h) + T(h) - T(S(h)))
        assertClose(conv(a, wa, "conv4", s), sub(yc, ya), 1e-5, "C - A");
        assertClose(conv(a, wa, "conv4", sub(add(s, conv(a, wa, "conv3", h)), conv(a, wa, "conv3", s))), sub(yb, ya),
                1e-5, "B - A");
        assertTrue(ya.maxAbsDiff(yb) > 1e-2 && ya.maxAbsDiff(yc) > 1e-2 && yb.maxAbsDiff(yc) > 1e-2,
                "the three variants must compute different functions");
    }

    @ParameterizedTest
    @CsvSource({"IP, 4, 1, true", "IP, 6, 2, true", "IR, 4, 1, true", "IR, 6, 2, false"})
    void channelSeparated(ChannelSeparated.Variant variant, int out, int stride, boolean r) {
        ChannelSeparated b = new ChannelSeparated(variant, 4, 3, out, 3, Dims3.of(stride),
                Shortcut.forShapes(4, out, Dims3.of(stride)), true, r);
        Module m = b.build();
        StateDict w = random(m, 9);
        Tensor x = Tensor.random(11, 2, 4, 5, 6, 5);
        Tensor h = relu(conv(m, w, "conv1", x), r);
        if (variant == ChannelSeparated.Variant.IP) {
            h = conv(m, w, "conv2_pointwise", h);
        }
        Tensor main = conv(m, w, "conv3", relu(conv(m, w, "conv2_depthwise", h), r));
        Tensor y = out == 4 ? add(main, x) : add(main, conv(m, w, "downsample", x));
        assertClose(relu(y, r), forward(REFERENCE, m, w, x), 1e-6, b.name());
    }

    static Stream<Arguments> everyBackend() {
        return Backends.available().stream().filter(b -> !b.name().equals(ReferenceBackend.NAME))
                .flatMap(b -> smallBlocks().map(a -> Arguments.of(b.name(), a.get()[0], a.get()[1])));
    }

    /** The same blocks on every other backend that can run here, against the reference backend. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyBackend")
    void everyBackendAgreesWithTheReference(String backend, Block block, int[] spatial) {
        Module m = block.build();
        StateDict w = random(m, 12);
        Tensor x = Tensor.random(15, inputShape(m, 2, block.inChannels(), spatial));
        assertClose(forward(REFERENCE, m, w, x), forward(Backends.select(backend), m, w, x), 1e-4,
                backend + " " + block.name());
    }

    // ----------------------------------------------------------------------------------------------- validation

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void badConfigurationsAndWeightsAreNamed() {
        assertTrue(message(() -> new Bottleneck(2, 4, 2, 8, 3, 1, Shortcut.IDENTITY, false, true))
                .contains("use PROJECTION"));
        assertTrue(message(() -> new Bottleneck(2, 4, 2, 4, 3, 2, Shortcut.IDENTITY, false, true))
                .contains("stride 1"));
        assertTrue(message(() -> new Bottleneck(2, 4, 2, 4, 2, 1, Shortcut.NONE, false, true)).contains("odd"));
        assertTrue(message(() -> new DepthwiseSeparable(2, 4, 0, 4, 3, 1, false, true)).contains("multiplier"));
        assertTrue(message(() -> new SpatiallySeparable(1, 4, 4, 4, 3, 1, 1, false, true)).contains("2 or 3"));
        assertTrue(message(() -> ConvChain.of(true, ConvSpec.builder(2, 4, 3, 3).build(),
                ConvSpec.builder(2, 4, 3, 3).build())).contains("is fed 3 channels"));
        assertTrue(message(() -> new ConvChain(true, List.of())).contains("at least one"));
        assertTrue(message(() -> ConvChain.of(true, ConvSpec.builder(2, 4, 3, 3).build(),
                ConvSpec.builder(3, 3, 3, 3).build())).contains("conv3d in a 2D chain"));
        assertTrue(message(() -> P3D.of(P3D.Variant.A, 4, 2, 4, Dims3.of(1)).build()
                .outputShape(new int[] {1, 3, 2, 2, 2})).contains("expects 4 input channels"));
        // weights are read by key and shape
        Module b = Bottleneck.of(2, 4, 2, 4, 1).build();
        Map<String, Tensor> sd = new LinkedHashMap<>();
        random(b, 1).keys().forEach(k -> sd.put(k, Tensor.zeros(b.stateDict().stream()
                .filter(e -> e.key().equals(k)).findFirst().orElseThrow().shape())));
        sd.put("conv2.weight", Tensor.zeros(2, 2, 3));
        Exception e = assertThrows(RuntimeException.class, () -> b.prepare(REFERENCE, StateDict.of(sd, "w")));
        assertTrue(e.getMessage().contains("'conv2.weight' has shape [2, 2, 3] but the layer needs [2, 2, 3, 3]"),
                e.getMessage());
    }

    /** Each block's summary rows: its layers by name with their parameters, and the totals of the block. */
    @Test
    void summaryRowsCarryTheArithmetic() {
        Module p = P3D.of(P3D.Variant.B, 128, 64, 256, new Dims3(1, 2, 2)).build();
        List<SummaryRow> rows = new java.util.ArrayList<>();
        p.summarize("p3d", new int[] {1, 128, 8, 28, 28}, io.cubist.kernels.conv.ReceptiveField.IDENTITY, rows);
        List<String> names = rows.stream().map(SummaryRow::name).toList();
        assertTrue(names.containsAll(List.of("p3d.conv1", "p3d.st.conv2", "p3d.st.conv3", "p3d.conv4",
                "p3d.downsample")), names.toString());
        assertEquals(p.parameterCount(), rows.stream().mapToLong(SummaryRow::parameters).sum());
        assertEquals(p.macs(new int[] {1, 128, 8, 28, 28}), rows.stream().mapToLong(SummaryRow::macs).sum());
    }
}
