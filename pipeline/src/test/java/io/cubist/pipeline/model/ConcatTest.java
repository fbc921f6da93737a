package io.cubist.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parallel branches joined on the channels: shapes, keys, the forward pass and what a mismatch says. */
class ConcatTest {

    static final int[] IN = {2, 3, 4, 5, 6};

    static Concat block() {
        return new Concat("SepInceptionBlock3D", List.of(
                new Module.Child("branch0", Sequential.of(new Conv3d(ConvSpec.builder(3, 3, 2, 1, 1, 1).bias(false)
                        .build()), new BatchNorm3d(2, 1e-3, true), new ReLU())),
                new Module.Child("branch1", Sequential.of(MaxPool3d.of(Dims3.of(3), Dims3.of(1), Dims3.of(1))))));
    }

    @Test
    void shapesKeysAndCounts() {
        Concat c = block();
        assertArrayEquals(new int[] {2, 5, 4, 5, 6}, c.outputShape(IN));
        assertEquals(List.of("branch0.0.weight", "branch0.1.weight", "branch0.1.bias", "branch0.1.running_mean",
                "branch0.1.running_var", "branch0.1.num_batches_tracked"),
                c.stateDict().stream().map(StateEntry::key).toList());
        assertEquals(2L * 3 * 4 * 5 * 6 * 2, c.macs(IN)); // the 1×1×1 conv; pooling counts zero
        assertEquals(Dims3.of(3), c.receptiveField(IN).size()); // the pool's, the larger
        List<SummaryRow> rows = new java.util.ArrayList<>();
        c.summarize("features.5", IN, io.cubist.kernels.conv.ReceptiveField.IDENTITY, rows);
        assertEquals("features.5.branch0.0", rows.get(0).name());
        SummaryRow last = rows.get(rows.size() - 1);
        assertEquals("features.5", last.name());
        assertArrayEquals(new int[] {2, 5, 4, 5, 6}, last.outputShape());
    }

    @Test
    void forwardIsTheBranchesStackedPerSample() {
        Concat c = block();
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("branch0.0.weight", Tensor.random(1, 2, 3, 1, 1, 1));
        w.put("branch0.1.weight", Tensor.random(2, 2));
        w.put("branch0.1.bias", Tensor.random(3, 2));
        w.put("branch0.1.running_mean", Tensor.random(4, 2));
        Tensor var = Tensor.random(5, 2);
        for (int i = 0; i < 2; i++) {
            var.data()[i] = Math.abs(var.data()[i]) + 0.5f;
        }
        w.put("branch0.1.running_var", var);
        StateDict sd = StateDict.of(w, "test");
        Backend ref = new ReferenceBackend();
        Tensor x = Tensor.random(6, IN);
        Tensor y = c.prepare(ref, sd).forward(x);
        Tensor a = c.children().get(0).module().prepare(ref, sd.stripPrefix("branch0.")).forward(x);
        Tensor b = ref.maxPool3d(((MaxPool3d) ((Sequential) c.children().get(1).module()).children().get(0).module())
                .spec(), x);
        int perA = 2 * 4 * 5 * 6;
        int perB = 3 * 4 * 5 * 6;
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < perA; i++) {
                assertEquals(a.data()[n * perA + i], y.data()[n * (perA + perB) + i], "sample " + n + " branch0");
            }
            for (int i = 0; i < perB; i++) {
                assertEquals(b.data()[n * perB + i], y.data()[n * (perA + perB) + perA + i],
                        "sample " + n + " branch1");
            }
        }
    }

    @Test
    void branchesThatDisagreeOnTheGridAreNamed() {
        Concat c = new Concat("Mixed", List.of(
                new Module.Child("a", new ReLU()),
                new Module.Child("b", MaxPool3d.of(Dims3.of(2), Dims3.of(2), Dims3.of(0)))));
        assertEquals("Mixed: for input [2, 3, 4, 5, 6] branch 'b' gives [2, 3, 2, 2, 3] but 'a' gives"
                        + " [2, 3, 4, 5, 6]; only the channels may differ",
                assertThrows(IllegalArgumentException.class, () -> c.outputShape(IN)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Concat("Mixed", List.of(
                new Module.Child("a", new ReLU()), new Module.Child("a", new ReLU()))));
    }
}
