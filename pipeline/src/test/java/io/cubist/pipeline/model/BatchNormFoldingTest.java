package io.cubist.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.model.zoo.VideoResNet;
import io.cubist.pipeline.weights.StateDict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Batch norm folded into convolutions, ReLU and residual fusion: the fused model computes what the unfused does. */
class BatchNormFoldingTest {
    final Backend ref = new ReferenceBackend();

    static Tensor t(float... v) {
        return new Tensor(v, v.length);
    }

    @Test
    void foldsByHand() {
        // 1x1x1 conv, 1 in -> 2 out channels, no bias: y_o = w_o x
        ConvSpec spec = ConvSpec.builder(3, 1, 2, 1).bias(false).build();
        Op.Conv conv = new Op.Conv("c.weight", spec, new Tensor(new float[] {2f, -3f}, 2, 1, 1, 1, 1), null, false);
        // gamma (1, 2), beta (0.5, -1), mean (1, -2), var (3, 0) with eps 1: s = (0.5, 2)
        Op.BatchNorm bn = new Op.BatchNorm("bn", t(1f, -2f), t(3f, 0f), t(1f, 2f), t(0.5f, -1f), 1.0);
        Op.Conv f = BatchNormFolding.fold(conv, bn);
        assertTrue(f.spec().bias());
        assertArrayEquals(new float[] {1f, -6f}, f.weight().data()); // w * s
        assertArrayEquals(new float[] {0f, 3f}, f.bias().data());    // (0 - mean) * s + beta
        assertArrayEquals(new float[] {2f, -3f}, conv.weight().data(), "the original weights are not touched");
    }

    @Test
    void affineFalseAndMismatchedChannels() {
        ConvSpec spec = ConvSpec.builder(3, 1, 1, 1).build();
        Op.Conv conv = new Op.Conv("c.weight", spec, new Tensor(new float[] {4f}, 1, 1, 1, 1, 1), t(1f), false);
        Op.Conv f = BatchNormFolding.fold(conv, new Op.BatchNorm("bn", t(3f), t(3f), null, null, 1.0));
        assertEquals(2f, f.weight().data()[0]);
        assertEquals(-1f, f.bias().data()[0]); // (1 - 3) / 2
        assertThrows(IllegalArgumentException.class,
                () -> BatchNormFolding.fold(conv, new Op.BatchNorm("bn", t(0f, 0f), t(1f, 1f), null, null, 1e-5)));
    }

    /** Folded into grouped, transposed, reflect-padded and flipped convolutions alike. */
    @Test
    void foldedEqualsConvThenBatchNorm() {
        List<ConvSpec> specs = List.of(
                ConvSpec.builder(3, 4, 6, 3, 1, 3).padding(1, 0, 1).groups(2).build(),
                ConvSpec.builder(3, 4, 6, 2, 3, 3).stride(2).padding(0, 1, 1).groups(2).transposed(true).build(),
                ConvSpec.builder(3, 4, 6, 3).padding(1).paddingMode(PaddingMode.REFLECT).flip(true).bias(false)
                        .build());
        SplittableRandom r = new SplittableRandom(7);
        for (ConvSpec spec : specs) {
            Tensor w = Tensor.random(r.nextLong(), spec.weightShape());
            Tensor b = spec.bias() ? Tensor.random(r.nextLong(), spec.outChannels()) : null;
            Op.Conv conv = new Op.Conv("c.weight", spec, w, b, false);
            Op.BatchNorm bn = randomBn(r, spec.outChannels());
            Tensor x = Tensor.random(r.nextLong(), 2, 4, 4, 5, 6);
            Tensor unfused = bn.prepare(ref).forward(conv.prepare(ref).forward(x));
            Tensor fused = BatchNormFolding.fold(conv, bn).prepare(ref).forward(x);
            assertTrue(fused.maxAbsDiff(unfused) <= 1e-5 * Math.max(1, unfused.maxAbs()), spec + ": "
                    + fused.maxAbsDiff(unfused));
        }
    }

    static Op.BatchNorm randomBn(SplittableRandom r, int c) {
        float[] mean = new float[c];
        float[] var = new float[c];
        float[] g = new float[c];
        float[] beta = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = (float) (r.nextDouble() - 0.5);
            var[i] = (float) (0.5 + 1.5 * r.nextDouble());
            g[i] = (float) (0.5 + r.nextDouble());
            beta[i] = (float) (r.nextDouble() - 0.5);
        }
        return new Op.BatchNorm("bn", t(mean), t(var), t(g), t(beta), 1e-5);
    }

    /**
     * A whole reduced r2plus1d with random batch-norm statistics: the prepared (folded, fused) network equals the
     * lowered ops run one by one (batch norm, ReLU and residual additions as separate steps).
     */
    @Test
    void fusedNetworkEqualsUnfused() {
        for (VideoResNet d : List.of(VideoResNet.r2plus1d18(), VideoResNet.mc318().withBlock(
                VideoResNet.Block.BOTTLENECK))) {
            Network net = d.withWidths(4, 4, 8, 8).withLayers(1, 2, 1, 1).withClasses(3).build();
            Map<String, Tensor> w = new LinkedHashMap<>();
            SplittableRandom r = new SplittableRandom(11);
            for (StateEntry e : net.stateDict()) {
                Tensor v = Tensor.random(r.nextLong(), e.shape());
                if (e.role() == StateEntry.Role.BN_RUNNING_VAR) {
                    for (int i = 0; i < v.numel(); i++) {
                        v.data()[i] = 1.25f + 0.75f * v.data()[i];
                    }
                }
                w.put(e.key(), v);
            }
            StateDict weights = StateDict.of(w, "random");
            Tensor x = Tensor.random(5, 1, 3, 4, 16, 16);
            List<Op> lowered = net.backbone().lower(weights, "");
            Tensor unfused = Op.prepare(lowered, ref).forward(x);
            Tensor fused = net.load(weights).prepare(ref).forward(x).features();
            assertTrue(fused.maxAbsDiff(unfused) <= 1e-5 * Math.max(1, unfused.maxAbs()), d.name() + ": "
                    + fused.maxAbsDiff(unfused));
            long bnLeft = Fusion.fuse(lowered).stream().filter(o -> o instanceof Op.BatchNorm).count();
            assertEquals(0, bnLeft, "every batch norm of a video ResNet follows a convolution");
        }
    }

    @Test
    void randomWeightsFollowTorchvisionInit() {
        Network net = ModelZoo.network("r3d_18", new int[] {4, 8, 8, 16});
        StateDict w = RandomWeights.torchvisionInit(net.stateDict(), 1);
        assertEquals(1f, w.get("stem.1.weight").data()[0]);
        assertEquals(0f, w.get("stem.1.running_mean").data()[0]);
        assertEquals(1f, w.get("stem.1.running_var").data()[0]);
        assertEquals(0f, w.get("fc.bias").data()[0]);
        float[] conv = w.get("layer1.0.conv1.0.weight").data();
        double ss = 0;
        for (float v : conv) {
            ss += v * v;
        }
        double std = Math.sqrt(ss / conv.length);
        double want = Math.sqrt(2.0 / (4 * 27)); // fan_out = out * k
        assertEquals(want, std, want * 0.25);
        assertArrayEquals(w.get("stem.0.weight").data(),
                RandomWeights.torchvisionInit(net.stateDict(), 1).get("stem.0.weight").data(), "seeded");
    }
}
