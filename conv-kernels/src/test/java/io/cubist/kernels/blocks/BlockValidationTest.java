package io.cubist.kernels.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad configurations and weights are rejected with messages naming what is wrong. */
class BlockValidationTest {

    private static final ReferenceBackend REFERENCE = new ReferenceBackend();

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void weightsFromTensorsAreCheckedByKey() {
        Bottleneck.Config c = Bottleneck.Config.of(2, 4, 2, 4, 1);
        Bottleneck random = Bottleneck.random(c, 1);
        Map<String, Tensor> sd = new HashMap<>();
        random.layers().forEach(l -> sd.put(l.name() + ".weight", l.weight()));
        Bottleneck loaded = new Bottleneck(c, LayerWeights.of(sd));
        Tensor x = Tensor.random(2, 1, 4, 5, 5);
        assertEquals(0, random.forward(REFERENCE, x).maxAbsDiff(loaded.forward(REFERENCE, x)));

        sd.remove("conv2.weight");
        assertTrue(message(() -> new Bottleneck(c, LayerWeights.of(sd)))
                .contains("'conv2.weight' of shape [2, 2, 3, 3]"));
        sd.put("conv2.weight", Tensor.zeros(2, 2, 3));
        assertTrue(message(() -> new Bottleneck(c, LayerWeights.of(sd))).contains("conv2.weight must have shape"));
        sd.put("conv2.weight", Tensor.zeros(2, 2, 3, 3));
        String noBias = message(() -> new Bottleneck(new Bottleneck.Config(2, 4, 2, 4, 3, 1, Shortcut.IDENTITY,
                true, true), LayerWeights.of(sd)));
        assertTrue(noBias.contains("'conv1.bias'"), noBias);
    }

    @Test
    void randomWeightsAreSeededPerLayer() {
        Bottleneck a = Bottleneck.random(Bottleneck.Config.of(2, 4, 2, 4, 1), 7);
        Bottleneck b = Bottleneck.random(Bottleneck.Config.of(2, 4, 2, 4, 1), 7);
        Bottleneck c = Bottleneck.random(Bottleneck.Config.of(2, 4, 2, 4, 1), 8);
        assertEquals(0, a.layer("conv2").weight().maxAbsDiff(b.layer("conv2").weight()));
        assertTrue(a.layer("conv2").weight().maxAbsDiff(c.layer("conv2").weight()) > 0);
        // PyTorch's default bound 1/sqrt(fan_in): fan_in of conv2 is 2*3*3.
        assertTrue(a.layer("conv2").weight().maxAbs() <= 1 / Math.sqrt(18));
    }

    @Test
    void badConfigurations() {
        assertTrue(message(() -> Bottleneck.random(new Bottleneck.Config(2, 4, 2, 8, 3, 1, Shortcut.IDENTITY, false,
                true), 1)).contains("use PROJECTION"));
        assertTrue(message(() -> Bottleneck.random(new Bottleneck.Config(2, 4, 2, 4, 3, 2, Shortcut.IDENTITY, false,
                true), 1)).contains("stride 1"));
        assertTrue(message(() -> new Bottleneck.Config(2, 4, 2, 4, 2, 1, Shortcut.NONE, false, true))
                .contains("odd"));
        assertTrue(message(() -> new DepthwiseSeparable.Config(2, 4, 0, 4, 3, 1, false, true)).contains("multiplier"));
        assertTrue(message(() -> new SpatiallySeparable.Config(1, 4, 4, 4, 3, 1, 1, false, true))
                .contains("2 or 3"));
        assertTrue(message(() -> ConvSequence.random(1, true, ConvSpec.builder(2, 4, 3, 3).build(),
                ConvSpec.builder(2, 4, 3, 3).build())).contains("is fed 3 channels"));
        assertTrue(message(() -> new ConvSequence("empty", true, List.of())).contains("at least one"));
        assertTrue(message(() -> ConvSequence.random(1, true, ConvSpec.builder(2, 4, 3, 3).build(),
                ConvSpec.builder(3, 3, 3, 3).build())).contains("conv3d in a 2D block"));
        assertTrue(message(() -> Bottleneck.random(Bottleneck.Config.of(2, 4, 2, 4, 1), 1).layer("conv9"))
                .contains("[conv1, conv2, conv3]"));
        assertTrue(message(() -> P3D.random(P3D.Config.of(P3D.Variant.A, 4, 2, 4, Dims3.of(1)), 1)
                .forward(REFERENCE, Tensor.zeros(1, 3, 2, 2, 2)))
                .contains("P3D-A(4, 2, 4, stride=(1, 1, 1)): expected an input [N, 4"));
    }
}
