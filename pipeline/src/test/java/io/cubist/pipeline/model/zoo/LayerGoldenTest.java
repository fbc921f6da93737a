package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.GoldenModels;
import io.cubist.pipeline.model.LayerPool;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PreparedModel;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --layer}: intermediate outputs against PyTorch's (forward hooks on the float64 model,
 * tools/gen_model_golden.py's {@code LAYER_CASES}): whole stages, a batch norm inside a convolution's Sequential
 * (fusion must stop there), a shortcut, an X3D block's SE-gated norm and Swish, I3D Inception blocks and a "SAME"
 * max pool; on every backend, relative L2 error at most {@value GoldenModels#TOLERANCE}. The features and logits
 * stay what they are without taps.
 */
class LayerGoldenTest {

    static final List<String> CASES = List.of("r3d_18_w4-8-8-16", "x3d_s_reduced", "i3d_div16",
            "slowfast_d18_s16");

    static Network network(GoldenModels.Case c) {
        return c.spec().get("model").toString().startsWith("r") && c.spec().containsKey("block")
                ? ModelGoldenTest.describe(c).build() : FamilyGoldenTest.describe(c).build();
    }

    static Stream<Arguments> cases() {
        return CASES.stream().map(GoldenModels::get)
                .flatMap(c -> Backends.available().stream().map(b -> Arguments.of(c, b.name())));
    }

    static Path layers(GoldenModels.Case c) {
        return GoldenModels.directory().resolve(c.name() + ".layers.safetensors");
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void layersMatchPyTorch(GoldenModels.Case c, String backendName) {
        TensorFile want = SafeTensors.read(layers(c));
        List<String> names = want.names();
        Model model = network(c).load(c.readWeights());
        PreparedModel p = model.prepare(Backends.select(backendName), names, LayerPool.NONE);
        PreparedModel.Output out = p.forward(c.readClips());
        assertEquals(names, List.copyOf(out.layers().keySet()));
        for (String n : names) {
            Tensor got = out.layers().get(n);
            assertArrayEquals(want.shape(n), got.shape(), c + " " + n + " shape");
            assertArrayEquals(want.shape(n), model.network().layerShape(n, c.readClips().shape()), n + " layerShape");
            ModelGoldenTest.check(c + " on " + backendName + " layer " + n, want, n, got);
        }
        ModelGoldenTest.check(c + " features with taps", c.readExpected(), "features", out.features());
        ModelGoldenTest.check(c + " logits with taps", c.readExpected(), "logits", out.logits());

        // pooled: the mean over (T, H, W) of the same maps
        PreparedModel.Output avg = model.prepare(Backends.select(backendName), names, LayerPool.AVG)
                .forward(c.readClips());
        for (String n : names) {
            Tensor map = out.layers().get(n);
            Tensor pooled = avg.layers().get(n);
            assertArrayEquals(new int[] {map.dim(0), map.dim(1)}, pooled.shape());
            // the engine's own average pool: float sums, so relative to the values' size
            Tensor ref = LayerPool.AVG.apply(new io.cubist.kernels.backend.reference.ReferenceBackend(), map);
            assertArrayEquals(ref.data(), pooled.data(), 1e-5f * (float) Math.max(1, ref.maxAbs()), n);
        }
    }

    @Test
    void aWrongNameListsTheCloseOnes() {
        Network net = ModelZoo.network("r3d_18");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.checkLayers(List.of("layer5")));
        assertTrue(e.getMessage().startsWith("r3d_18 has no layer 'layer5'; the closest: layer1, layer2, layer3,"
                + " layer4"), e.getMessage());
        assertTrue(e.getMessage().contains("cubist summary --model r3d_18"), e.getMessage());
        List<String> names = net.layerNames();
        assertEquals("stem", names.get(0));
        assertTrue(names.containsAll(List.of("layer3", "layer3.1", "layer3.1.conv2", "layer3.0.downsample",
                "avgpool")), names.toString());
        assertTrue(ModelZoo.network("x3d_m").layerNames().contains("blocks.4"));
        assertTrue(ModelZoo.network("i3d").layerNames().containsAll(List.of("Mixed_4f", "Mixed_5c.b3b")));
    }
}
