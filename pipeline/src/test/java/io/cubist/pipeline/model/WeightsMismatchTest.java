package io.cubist.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.weights.KeyReport;
import io.cubist.pipeline.weights.StateDict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A checkpoint that does not fit is reported key by key, with both shapes, before anything runs. */
class WeightsMismatchTest {
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
                () -> net.load(StateDict.of(m, "ckpt.safetensors")));
        KeyReport r = e.report();
        assertEquals(List.of("layer1.0.conv1.0.weight"), List.copyOf(r.missing().keySet()));
        assertEquals(List.of("head.weight"), r.unexpected());
        assertEquals("layer2.0.conv1.0.weight", r.mismatched().get(0).key());
        assertArrayEquals(new int[] {8, 4, 3, 3, 3}, r.mismatched().get(0).expected());
        String msg = e.getMessage();
        assertTrue(msg.startsWith("the weights in ckpt.safetensors do not fit r3d_18: 1 missing, 1 unexpected,"
                + " 1 with the wrong shape"), msg);
        assertTrue(msg.contains("\n  missing     layer1.0.conv1.0.weight  expected [4, 4, 3, 3, 3]"), msg);
        assertTrue(msg.contains("\n  shape       layer2.0.conv1.0.weight  expected [8, 4, 3, 3, 3], got"
                + " [8, 4, 1, 3, 3]"), msg);
        assertTrue(msg.contains("\n  unexpected  head.weight  [2, 2]"), msg);
        assertTrue(msg.contains("\nhint: shapes differ"), msg);
    }

    @Test
    void longListsAreCut() {
        Network net = ModelZoo.network("mc3_18", WIDTHS);
        Map<String, Tensor> m = new LinkedHashMap<>();
        fitting(net).forEach((k, v) -> m.put("backbone." + k, v));
        WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                () -> net.load(StateDict.of(m, "wrapped.pth")));
        assertTrue(e.getMessage().contains("\n  ... and "), e.getMessage());
        assertEquals(WeightsMismatchException.MAX_LINES + 2, e.getMessage().lines().count());
    }

    @Test
    void dataParallelCheckpointsLoadThroughTheZoo() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        fitting(ModelZoo.network("r3d_18", WIDTHS)).forEach((k, v) -> m.put("module." + k, v));
        Model model = ModelZoo.create("r3d_18", WIDTHS, StateDict.of(m, "dp.pth"));
        assertTrue(model.hasClassifier());
    }

    @Test
    void classifierIsOptionalButNotHalfPresent() {
        Network net = ModelZoo.network("r2plus1d_18", WIDTHS);
        Map<String, Tensor> m = fitting(net);
        m.remove("fc.weight");
        m.remove("fc.bias");
        assertFalse(net.load(StateDict.of(m, "backbone")).hasClassifier());
        m.put("fc.weight", Tensor.zeros(400, 16));
        WeightsMismatchException e = assertThrows(WeightsMismatchException.class,
                () -> net.load(StateDict.of(m, "half")));
        assertEquals(List.of("fc.bias"), List.copyOf(e.report().missing().keySet()));
    }

    @Test
    void zooTakesTheClassCountFromTheCheckpoint() {
        Map<String, Tensor> m = fitting(ModelZoo.network("r3d_18", WIDTHS));
        m.put("fc.weight", Tensor.zeros(700, 16));
        m.put("fc.bias", Tensor.zeros(700));
        Model model = ModelZoo.create("r3d_18", WIDTHS, StateDict.of(m, "k700"));
        Tensor y = model.prepare(new ReferenceBackend()).forward(Tensor.zeros(1, 3, 1, 8, 8)).logits();
        assertEquals(700, y.dim(1));
    }
}
