package io.cubist.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The layers outside the video ResNets against PyTorch: the {@code layers} golden case is {@code layers_case()} of
 * tools/gen_model_golden.py, rebuilt here layer for layer (transposed and grouped/dilated convolutions with batch
 * norm folded into them, a batch norm with no convolution before it, the pools, flatten, linear).
 */
class LayersGoldenTest {

    /** Mirrors {@code layers_case()} in tools/gen_model_golden.py. */
    static Sequential layersCase() {
        return Sequential.of(
                new ConvTranspose3d(ConvSpec.builder(3, 3, 8, 2, 3, 3).stride(1, 2, 2).padding(0, 1, 1)
                        .outputPadding(0, 1, 1).transposed(true).build()),
                new BatchNorm3d(8),
                new ReLU(),
                MaxPool3d.of(new Dims3(1, 3, 3), new Dims3(1, 2, 2), new Dims3(0, 1, 1)),
                new Conv3d(ConvSpec.builder(3, 8, 8, 3).padding(2).dilation(2).groups(2).build()),
                new BatchNorm3d(8, 1e-3, true),
                AvgPool3d.of(Dims3.of(2), Dims3.of(2), Dims3.of(0)),
                new BatchNorm3d(8),
                new ReLU(),
                new ConvTranspose3d(ConvSpec.builder(3, 8, 4, 2).stride(2).groups(2).bias(false).transposed(true)
                        .build()),
                new BatchNorm3d(4),
                new AdaptiveAvgPool3d(new Dims3(1, 2, 2)),
                new Flatten(),
                new Linear(16, 5));
    }

    static Stream<String> backends() {
        return Backends.available().stream().map(Backend::name);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesPyTorch(String backend) {
        GoldenModels.Case c = GoldenModels.get("layers");
        Sequential net = layersCase();
        StateDict w = c.readWeights();
        Map<String, int[]> expected = new LinkedHashMap<>();
        net.stateDict().forEach(e -> expected.put(e.key(), e.shape()));
        assertTrue(w.compare(expected).ok(), "state_dict keys and shapes: " + w.compare(expected));
        Tensor x = c.readClips();
        Tensor y = net.prepare(Backends.select(backend), w).forward(x);
        TensorFile want = c.readExpected();
        assertArrayEquals(want.shape("output"), y.shape());
        assertArrayEquals(want.shape("output"), net.outputShape(x.shape()));
        double rel = GoldenModels.relativeL2(want.getDoubles("output"), y.data());
        assertTrue(rel <= GoldenModels.TOLERANCE, "relative L2 error " + rel + " on " + backend);
    }

    @Test
    void foldingLeavesOnlyTheStandaloneBatchNorm() {
        GoldenModels.Case c = GoldenModels.get("layers");
        List<Op> ops = Fusion.fuse(layersCase().lower(c.readWeights(), ""));
        // convT+bn+relu, maxpool, conv+bn, avgpool, bn, relu, convT+bn, adaptive, flatten, linear
        assertEquals(List.of("Conv", "MaxPool", "Conv", "AvgPool", "BatchNorm", "Relu", "Conv", "AdaptiveAvgPool",
                "Flatten", "Linear"), ops.stream().map(o -> o.getClass().getSimpleName()).toList());
        assertTrue(((Op.Conv) ops.get(0)).relu());
        assertTrue(((Op.Conv) ops.get(6)).spec().bias(), "a folded conv gains a bias");
    }

    @Test
    void parametersAndMacsAsPyTorchCountsThem() {
        Sequential net = layersCase();
        // convT 3*8*18+8, bn 16, conv 8*4*27+8, bn 16, bn 16, convT 8*2*8, bn 8, linear 16*5+5
        long expected = (3 * 8 * 18 + 8) + 16 + (8 * 4 * 27 + 8) + 16 + 16 + 8 * 2 * 8 + 8 + (16 * 5 + 5);
        assertEquals(expected, net.parameterCount());
        int[] in = {2, 3, 4, 10, 10};
        assertArrayEquals(new int[] {2, 5}, net.outputShape(in));
        // convT: every input element times C_out/g * k; conv: every output element times C_in/g * k; linear
        long macs = (2L * 4 * 10 * 10) * 3 * 8 * 18 + (2L * 8 * 5 * 10 * 10) * 4 * 27 + (2L * 2 * 5 * 5) * 8 * 2 * 8
                + 2 * 16 * 5;
        assertEquals(macs, net.macs(in));
    }
}
