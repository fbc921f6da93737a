package io.cubist.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A checkpoint that does not fit is reported key by key, with both shapes, before anything runs. */
class WeightProblemTest {
    static final int[] WIDTHS = {4, 8, 8, 16};

    static Map<String, Tensor> fitting(Network net) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (StateEntry e : net.stateDict()) {
            m.put(e.key(), Tensor.zeros(e.shape()));
        }
        return m;
    }

    @Test
    void listsMissingUnexpectedAndMisshapenKeys() {
        Network net = ModelZoo.network("r3d_18", WIDTHS);
        Map<String, Tensor> m = fitting(net);
        m.remove("layer1.0.conv1.0.weight");
        m.remove("layer1.0.conv1.1.num_batches_tracked"); // optional: not a problem
        m.put("layer2.0.conv1.0.weight", Tensor.zeros(8, 4, 1, 3, 3));
        m.put("head.weight", Tensor.zeros(2, 2));
        WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                () -> net.load(Weights.of(m), "ckpt.safetensors"));
        assertEquals(List.of(
                new WeightProblem(WeightProblem.Kind.MISSING, "layer1.0.conv1.0.weight", new int[] {4, 4, 3, 3, 3},
                        null),
                new WeightProblem(WeightProblem.Kind.SHAPE, "layer2.0.conv1.0.weight", new int[] {8, 4, 3, 3, 3},
                        new int[] {8, 4, 1, 3, 3}),
                new WeightProblem(WeightProblem.Kind.UNEXPECTED, "head.weight", null, new int[] {2, 2})),
                e.problems());
        String msg = e.getMessage();
        assertTrue(msg.startsWith("the weights in ckpt.safetensors do not fit r3d_18: 1 missing, 1 unexpected,"
                + " 1 with the wrong shape"), msg);
        assertTrue(msg.contains("missing     layer1.0.conv1.0.weight  expected [4, 4, 3, 3, 3]"), msg);
        assertTrue(msg.contains("shape       layer2.0.conv1.0.weight  expected [8, 4, 3, 3, 3], got [8, 4, 1, 3, 3]"),
                msg);
        assertTrue(msg.contains("unexpected  head.weight  [2, 2]"), msg);
    }

    @Test
    void dataParallelPrefixGetsAHint() {
        Network net = ModelZoo.network("mc3_18", WIDTHS);
        Map<String, Tensor> m = new LinkedHashMap<>();
        fitting(net).forEach((k, v) -> m.put("module." + k, v));
        WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                () -> net.load(Weights.of(m), "dp.pth"));
        assertTrue(e.getMessage().contains("hint: every unexpected key starts with 'module.'"), e.getMessage());
        assertTrue(e.getMessage().contains("... and "), "long lists are cut: " + e.getMessage().length());
    }

    @Test
    void classifierIsOptionalButNotHalfPresent() {
        Network net = ModelZoo.network("r2plus1d_18", WIDTHS);
        Map<String, Tensor> m = fitting(net);
        m.remove("fc.weight");
        m.remove("fc.bias");
        assertFalse(net.load(Weights.of(m), "backbone").hasClassifier());
        m.put("fc.weight", Tensor.zeros(400, 16));
        WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                () -> net.load(Weights.of(m), "half"));
        assertEquals("fc.bias", e.problems().get(0).key());
    }

    @Test
    void zooTakesTheClassCountFromTheCheckpoint() {
        Map<String, Tensor> m = fitting(ModelZoo.network("r3d_18", WIDTHS));
        m.put("fc.weight", Tensor.zeros(700, 16));
        m.put("fc.bias", Tensor.zeros(700));
        Model model = ModelZoo.create("r3d_18", WIDTHS, Weights.of(m), "k700");
        Tensor y = model.prepare(new io.cubist.kernels.backend.reference.ReferenceBackend())
                .forward(Tensor.zeros(1, 3, 1, 8, 8)).logits();
        assertEquals(700, y.dim(1));
    }
}
