package io.cubist.kernels.rewrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceConv;
import io.cubist.kernels.backend.reference.ReferenceShuffle;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Property tests of the space-to-depth identity on random shapes (fixed seeds), both directions, 2D and 3D. */
class SpaceToDepthTest {

    /** One random configuration: the conv over the unshuffled map, its block factor and the map's size. */
    private record Case(int seed, ConvSpec spec, int r, int[] spatial) {
        @Override
        public String toString() {
            return "seed " + seed + ": " + spec + " r=" + r + " unshuffled size " + java.util.Arrays.toString(spatial);
        }
    }

    private static Case randomCase(int seed, int dims) {
        SplittableRandom rnd = new SplittableRandom(seed);
        // Mostly r >= 2; every tenth case r = 1, where the rewrite must be the identity.
        int r = seed % 10 == 0 ? 1 : dims == 2 ? 2 + rnd.nextInt(2) : 2;
        int groups = 1 + rnd.nextInt(2);
        int block = dims == 2 ? r * r : r * r * r;
        int in = groups * (1 + rnd.nextInt(2)) * block;
        int out = groups * (1 + rnd.nextInt(dims == 2 ? 3 : 2));
        int mode = rnd.nextInt(5); // 0: 'same' (stride 1; even kernels pad one more after), 1: 'valid'
        int[] k = new int[dims];
        int[] s = new int[dims];
        int[] p = new int[dims];
        int[] size = new int[dims];
        for (int a = 0; a < dims; a++) {
            k[a] = 1 + rnd.nextInt(3);
            s[a] = mode == 0 ? 1 : 1 + rnd.nextInt(2);
            p[a] = mode >= 2 ? rnd.nextInt(k[a] + 1) : 0;
            int padTotal = mode == 0 ? k[a] - 1 : 2 * p[a];
            size[a] = Math.max(1, k[a] - padTotal) + rnd.nextInt(dims == 2 ? 4 : 3);
        }
        ConvSpec.Builder b = ConvSpec.builder(dims, in, out, k).groups(groups).bias(rnd.nextBoolean()).stride(s);
        switch (mode) {
            case 0 -> b.paddingSame();
            case 1 -> b.paddingValid();
            default -> b.padding(p);
        }
        return new Case(seed, b.build(), r, size);
    }

    static Stream<Case> cases2d() {
        return IntStream.range(0, 50).mapToObj(i -> randomCase(1000 + i, 2));
    }

    static Stream<Case> cases3d() {
        return IntStream.range(0, 50).mapToObj(i -> randomCase(2000 + i, 3));
    }

    private static int[] withBatchAndChannels(int n, int c, int[] spatial) {
        int[] s = new int[spatial.length + 2];
        s[0] = n;
        s[1] = c;
        System.arraycopy(spatial, 0, s, 2, spatial.length);
        return s;
    }

    private static void assertSameOutput(Tensor expected, Tensor actual, Case c) {
        assertArrayEquals(expected.shape(), actual.shape(), c::toString);
        double err = expected.maxAbsDiff(actual);
        double bound = 1e-4 * Math.max(1, expected.maxAbs());
        assertTrue(err <= bound, () -> c + ": max |diff| = " + err + " > " + bound);
    }

    @ParameterizedTest
    @MethodSource({"cases2d", "cases3d"})
    void convOverUnshuffledMapEqualsRewrittenConvOverShuffledMap(Case c) {
        ConvSpec spec = c.spec();
        int dims = spec.spatialDims();
        Tensor w = Tensor.random(c.seed() + 1, spec.weightShape());
        Tensor bias = spec.bias() ? Tensor.random(c.seed() + 2, spec.outChannels()) : null;
        Tensor unshuffled = Tensor.random(c.seed() + 3, withBatchAndChannels(2, spec.inChannels(), c.spatial()));

        SpaceToDepth.Rewrite rw = SpaceToDepth.rewrite(spec, w, c.r());
        assertEquals(spec.inChannels() / (dims == 2 ? c.r() * c.r() : c.r() * c.r() * c.r()), rw.spec().inChannels());
        Tensor expected = new ReferenceConv(spec, w, bias).forward(unshuffled);
        Tensor actual = new ReferenceConv(rw.spec(), rw.weight(), bias)
                .forward(ReferenceShuffle.pixelShuffle(unshuffled, c.r(), dims));
        assertSameOutput(expected, actual, c);
    }

    @ParameterizedTest
    @MethodSource({"cases2d", "cases3d"})
    void stridedConvOverFullMapEqualsReversedConvOverUnshuffledMap(Case c) {
        // The full-resolution conv built directly: kernel rK, stride rS, padding rP (before and after), C channels.
        ConvSpec base = c.spec();
        int dims = base.spatialDims();
        int r = c.r();
        int block = dims == 2 ? r * r : r * r * r;
        ConvSpec full = new ConvSpec(dims, base.inChannels() / block, base.outChannels(), times(base.kernel(), r, dims),
                times(base.stride(), r, dims), ConvSpec.PaddingKind.EXPLICIT, times(base.padBefore(), r, dims),
                times(base.padAfter(), r, dims), base.dilation(), base.groups(), base.bias(), PaddingMode.ZEROS,
                base.outputPadding(), false, false);
        Tensor w = Tensor.random(c.seed() + 4, full.weightShape());
        Tensor bias = full.bias() ? Tensor.random(c.seed() + 5, full.outChannels()) : null;
        Tensor x = Tensor.random(c.seed() + 6, withBatchAndChannels(1, full.inChannels(), times(c.spatial(), r)));

        SpaceToDepth.Rewrite rv = SpaceToDepth.reverse(full, w, r);
        Tensor expected = new ReferenceConv(full, w, bias).forward(x);
        Tensor actual = new ReferenceConv(rv.spec(), rv.weight(), bias)
                .forward(ReferenceShuffle.pixelUnshuffle(x, r, dims));
        assertSameOutput(expected, actual, c);
    }

    @ParameterizedTest
    @MethodSource({"cases2d", "cases3d"})
    void reverseUndoesRewrite(Case c) {
        ConvSpec spec = c.spec();
        Tensor w = Tensor.random(c.seed() + 7, spec.weightShape());
        SpaceToDepth.Rewrite rw = SpaceToDepth.rewrite(spec, w, c.r());
        SpaceToDepth.Rewrite back = SpaceToDepth.reverse(rw.spec(), rw.weight(), c.r());
        assertEquals(0, back.weight().maxAbsDiff(w), c::toString);
        ConvSpec expected = spec.paddingKind() != ConvSpec.PaddingKind.SAME ? spec
                : new ConvSpec(spec.spatialDims(), spec.inChannels(), spec.outChannels(), spec.kernel(), spec.stride(),
                        ConvSpec.PaddingKind.EXPLICIT, spec.padBefore(), spec.padAfter(), spec.dilation(),
                        spec.groups(), spec.bias(), spec.paddingMode(), spec.outputPadding(), false, false);
        assertEquals(expected, back.spec(), c::toString);
    }

    @Test
    void rewrittenShapesOfAStemConv() {
        // A 4x4 stride-1 conv over a 2x2 space-to-depth map of RGB (12 channels) is an 8x8 stride-2 conv over RGB.
        ConvSpec s2d = ConvSpec.builder(2, 12, 64, 4).padding(1).bias(false).build();
        SpaceToDepth.Rewrite rw = SpaceToDepth.rewrite(s2d, Tensor.zeros(s2d.weightShape()), 2);
        assertEquals(ConvSpec.builder(2, 3, 64, 8).stride(2).padding(2).bias(false).build(), rw.spec());
        assertArrayEquals(new int[] {64, 3, 8, 8}, rw.weight().shape());
        assertEquals(s2d.outputSize(new Dims3(1, 56, 56)), rw.spec().outputSize(new Dims3(1, 112, 112)));
        assertEquals(s2d.macs(1, new Dims3(1, 56, 56)), rw.spec().macs(1, new Dims3(1, 112, 112)));
    }

    private static String rejected(ConvSpec spec, int r, boolean reverse) {
        Tensor w = Tensor.zeros(spec.weightShape());
        return assertThrows(IllegalArgumentException.class,
                () -> {
                    if (reverse) {
                        SpaceToDepth.reverse(spec, w, r);
                    } else {
                        SpaceToDepth.rewrite(spec, w, r);
                    }
                }).getMessage();
    }

    @Test
    void specsWhereTheIdentityFailsAreRejected() {
        assertTrue(rejected(ConvSpec.builder(2, 8, 4, 3).dilation(2).build(), 2, false).contains("dilation"));
        assertTrue(rejected(ConvSpec.builder(2, 8, 4, 3).padding(1).paddingMode(PaddingMode.REFLECT).build(), 2,
                false).contains("padding_mode='reflect'"));
        assertTrue(rejected(ConvSpec.builder(3, 8, 4, 3).flip(true).build(), 2, false).contains("flip"));
        assertTrue(rejected(ConvSpec.builder(2, 8, 4, 3).transposed(true).build(), 2, false).contains("transposed"));
        assertTrue(rejected(ConvSpec.builder(1, 8, 4, 3).build(), 2, false).contains("2D"));
        assertTrue(rejected(ConvSpec.builder(2, 8, 4, 3).groups(4).build(), 2, false).contains("whole pixel blocks"));
        assertTrue(rejected(ConvSpec.builder(2, 6, 4, 3).build(), 2, false).contains("whole pixel blocks"));
        assertTrue(rejected(ConvSpec.builder(2, 8, 4, 3).build(), 0, false).contains(">= 1"));
        assertTrue(rejected(ConvSpec.builder(2, 2, 4, 3).stride(2).build(), 2, true).contains("kernel_size [3, 3]"));
        assertTrue(rejected(ConvSpec.builder(2, 2, 4, 4).build(), 2, true).contains("stride [1, 1]"));
        assertTrue(rejected(ConvSpec.builder(2, 2, 4, 4).stride(2).padding(1).build(), 2, true).contains("padding"));
        ConvSpec ok = ConvSpec.builder(2, 8, 4, 3).build();
        String wrong = assertThrows(IllegalArgumentException.class,
                () -> SpaceToDepth.rewrite(ok, Tensor.zeros(4, 8, 3), 2)).getMessage();
        assertTrue(wrong.contains("weight must have shape [4, 8, 3, 3]"), wrong);
    }

    /** {@code v * r} on the trailing {@code dims} axes; a 2D spec's leading entry stays. */
    private static Dims3 times(Dims3 v, int r, int dims) {
        return new Dims3(dims == 3 ? v.d() * r : v.d(), v.h() * r, v.w() * r);
    }

    private static int[] times(int[] v, int r) {
        int[] a = v.clone();
        for (int i = 0; i < a.length; i++) {
            a[i] *= r;
        }
        return a;
    }
}
