package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.GoldenModels;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reduced-width video ResNets (torchvision's blocks and keys, widths 4..16) against PyTorch's float64 features and
 * logits, on every backend that can run here: relative L2 error at most {@value GoldenModels#TOLERANCE}.
 */
class ModelGoldenTest {

    static Stream<Arguments> cases() {
        return GoldenModels.all().stream().filter(c -> !c.name().equals("layers"))
                .flatMap(c -> Backends.available().stream().map(b -> Arguments.of(c, b.name())));
    }

    static VideoResNet describe(GoldenModels.Case c) {
        Map<String, Object> s = c.spec();
        VideoResNet d = ModelZoo.describe((String) s.get("model"))
                .withBlock("bottleneck".equals(s.get("block")) ? VideoResNet.Block.BOTTLENECK : VideoResNet.Block.BASIC)
                .withLayers(ints(s.get("layers")))
                .withWidths(ints(s.get("widths")))
                .withClasses(((Long) s.get("num_classes")).intValue());
        assertEquals(((Long) s.get("stem_mid")).intValue(), d.stemMid(), c + ": stem width");
        return d;
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Long) v).intValue()).toArray();
    }

    static Backend backend(String name) {
        return Backends.select(name);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void featuresAndLogitsMatchPyTorch(GoldenModels.Case c, String backendName) {
        Model model = describe(c).build().load(c.readWeights(), c.weights().getFileName().toString());
        assertTrue(model.hasClassifier());
        PreparedModel.Output out = model.prepare(backend(backendName)).forward(c.readClips());
        TensorFile want = c.readExpected();
        check(c + " on " + backendName + " features", want, "features", out.features());
        check(c + " on " + backendName + " logits", want, "logits", out.logits());
    }

    /** The zoo's own entry point: classes taken from fc.weight; without fc.* keys, features only. */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void zooCreateWithAndWithoutClassifier(GoldenModels.Case c, String backendName) {
        if (!"basic".equals(c.spec().get("block"))) {
            return; // the zoo's names are the 18-layer basic-block models
        }
        Weights w = c.readWeights();
        String name = (String) c.spec().get("model");
        int[] widths = ints(c.spec().get("widths"));
        Model model = ModelZoo.create(name, widths, w, c.weights().toString());
        TensorFile want = c.readExpected();
        PreparedModel.Output out = model.prepare(backend(backendName)).forward(c.readClips());
        check(c + " via ModelZoo", want, "logits", out.logits());

        Map<String, Tensor> noFc = new LinkedHashMap<>();
        for (String k : w.keys()) {
            if (!k.startsWith("fc.")) {
                noFc.put(k, w.get(k));
            }
        }
        Model backbone = ModelZoo.create(name, widths, Weights.of(noFc), "no fc");
        assertFalse(backbone.hasClassifier());
        PreparedModel.Output f = backbone.prepare(backend(backendName)).forward(c.readClips());
        assertNull(f.logits());
        check(c + " features only", want, "features", f.features());
    }

    static void check(String what, TensorFile want, String key, Tensor got) {
        assertArrayEquals(want.shape(key), got.shape(), what + " shape");
        double[] e = want.getDoubles(key);
        double rel = GoldenModels.relativeL2(e, got.data());
        double max = GoldenModels.maxAbs(e, got.data());
        assertTrue(rel <= GoldenModels.TOLERANCE, what + ": relative L2 error " + rel + " > " + GoldenModels.TOLERANCE
                + " (max abs error " + max + ")");
    }
}
