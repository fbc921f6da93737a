package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Dims3;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.StateEntry;
import io.cubist.pipeline.model.Summary;
import io.cubist.pipeline.model.SummaryRow;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Full-size architectures, no weights: parameter totals equal {@code sum(p.numel() for p in model.parameters())} of
 * torchvision 0.14 and MACs its published figures (conv and linear MACs at 1×3×16×112×112; counted in PyTorch with
 * forward hooks: r3d_18 40,696,553,472, mc3_18 43,342,635,008, r2plus1d_18 40,519,080,960).
 */
class ZooArithmeticTest {
    static final int[] INPUT = {1, 3, 16, 112, 112};

    @ParameterizedTest
    @CsvSource({
        "r3d_18,      33371472, 40696553472, 40.70, 62, 122",
        "mc3_18,      11695440, 43342635008, 43.34, 62, 122",
        "r2plus1d_18, 31505325, 40519080960, 40.52, 113, 224",
    })
    void totalsEqualTorchvision(String name, long params, long macs, String gmacs, int paramTensors, int stateKeys) {
        Network net = ModelZoo.network(name);
        Summary s = net.summary(INPUT);
        assertEquals(params, s.parameters(), name + " parameters");
        assertEquals(params, s.rows().stream().mapToLong(SummaryRow::parameters).sum(), name + " row parameters");
        assertEquals(macs, s.macs(), name + " MACs");
        assertEquals(macs, s.rows().stream().mapToLong(SummaryRow::macs).sum(), name + " row MACs");
        assertEquals(gmacs, String.format(Locale.ROOT, "%.2f", s.gmacs()));
        assertArrayEquals(new int[] {1, 512}, net.featureShape(INPUT));
        assertArrayEquals(new int[] {1, 400}, s.rows().get(s.rows().size() - 1).outputShape());
        // len(list(model.parameters())) and len(model.state_dict()) of torchvision's model
        assertEquals(paramTensors, net.stateDict().stream().filter(e -> e.role().parameter()).count(),
                name + " parameter tensors");
        assertEquals(stateKeys, net.stateDict().size(), name + " state_dict entries");
        // global pooling: the features see the whole clip (the theoretical field, counting padding, is larger)
        Dims3 rf = s.receptiveField().size();
        assertTrue(rf.d() >= 16 && rf.h() >= 112 && rf.w() >= 112, name + " receptive field " + rf);
    }

    @Test
    void keysAreTorchvisions() {
        List<String> r2 = ModelZoo.network("r2plus1d_18").stateDict().stream().map(StateEntry::key).toList();
        assertEquals("stem.0.weight", r2.get(0));
        assertTrue(r2.contains("stem.3.weight"));
        assertTrue(r2.contains("layer1.0.conv1.0.0.weight"));
        assertTrue(r2.contains("layer1.0.conv1.0.1.running_var"));
        assertTrue(r2.contains("layer1.0.conv1.0.3.weight"));
        assertTrue(r2.contains("layer2.0.downsample.0.weight"));
        assertTrue(r2.contains("layer4.1.conv2.1.num_batches_tracked"));
        assertEquals(List.of("fc.weight", "fc.bias"), r2.subList(r2.size() - 2, r2.size()));
        List<String> r3 = ModelZoo.network("r3d_18").stateDict().stream().map(StateEntry::key).toList();
        assertTrue(r3.contains("layer1.0.conv1.0.weight"));
        assertTrue(r3.contains("layer1.0.conv1.1.weight"));
        assertTrue(r3.contains("layer3.0.downsample.1.running_mean"));
    }

    @Test
    void unknownModelListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelZoo.network("r3d_50"));
        assertEquals("unknown model 'r3d_50'; known models: r3d_18, mc3_18, r2plus1d_18, s3d, c3d,"
                + " ir_csn_50, alexnet3d, x3d_xs, x3d_s, x3d_m, x3d_l, i3d, slowfast_r50", e.getMessage());
    }

    @Test
    void summaryTableHasOneRowPerLeafAndTotals() {
        Summary s = ModelZoo.network("r3d_18").summary(INPUT);
        SummaryRow stem = s.rows().get(0);
        assertEquals("stem.0", stem.name());
        assertEquals("Conv3d", stem.kind());
        assertArrayEquals(new int[] {1, 64, 16, 56, 56}, stem.outputShape());
        assertEquals(64 * 3 * 3 * 7 * 7, stem.parameters());
        assertEquals(new Dims3(3, 7, 7), stem.receptiveField().size());
        assertEquals(new Dims3(1, 2, 2), stem.receptiveField().jump());
        String table = s.format();
        assertTrue(table.contains("total parameters  33,371,472"), table);
        assertTrue(table.contains("(40.70 GMACs"), table);
        assertTrue(table.contains("layer4.1.relu"), table);
    }
}
