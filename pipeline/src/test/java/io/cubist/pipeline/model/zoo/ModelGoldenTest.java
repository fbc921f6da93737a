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
import io.cubist.pipeline.weights.StateDict;
import io.cubist.pipeline.weights.StateDictLoader;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** The cases that also have the state_dict as a .pth zip checkpoint. */
    static Stream<Arguments> pthCases() {
        return cases().filter(a -> Files.exists(pth((GoldenModels.Case) a.get()[0])));
    }

    static Path pth(GoldenModels.Case c) {
        return c.weights().resolveSibling(c.name() + ".weights.pth");
    }

    static VideoResNet describe(GoldenModels.Case c) {
        Map<String, Object> s = c.spec();
        VideoResNet d = ((VideoResNet) ModelZoo.describe((String) s.get("model")))
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
        Model model = describe(c).build().load(c.readWeights());
        assertTrue(model.hasClassifier());
        PreparedModel.Output out = model.prepare(backend(backendName)).forward(c.readClips());
        TensorFile want = c.readExpected();
        check(c + " on " + backendName + " features", want, "features", out.features());
        check(c + " on " + backendName + " logits", want, "logits", out.logits());
    }

    /** The zoo's own entry point: classes taken from fc.weight; without fc.* keys, features only. */
    static Stream<Arguments> basicBlockCases() {
        return cases().filter(a -> "basic".equals(((GoldenModels.Case) a.get()[0]).spec().get("block")));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("basicBlockCases")
    void zooCreateWithAndWithoutClassifier(GoldenModels.Case c, String backendName) {
        StateDict w = c.readWeights();
        String name = (String) c.spec().get("model");
        int[] widths = ints(c.spec().get("widths"));
        Model model = ModelZoo.create(name, widths, w);
        TensorFile want = c.readExpected();
        PreparedModel.Output out = model.prepare(backend(backendName)).forward(c.readClips());
        check(c + " via ModelZoo", want, "logits", out.logits());

        Map<String, Tensor> noFc = new LinkedHashMap<>();
        for (String k : w.keys()) {
            if (!k.startsWith("fc.")) {
                noFc.put(k, w.get(k));
            }
        }
        Model backbone = ModelZoo.create(name, widths, StateDict.of(noFc, "no fc"));
        assertFalse(backbone.hasClassifier());
        PreparedModel.Output f = backbone.prepare(backend(backendName)).forward(c.readClips());
        assertNull(f.logits());
        check(c + " features only", want, "features", f.features());
    }

    /** The same state_dict as torch.save writes it (.pth zip) loads to the same tensors and the same outputs. */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("pthCases")
    void pthCheckpointMatchesPyTorch(GoldenModels.Case c, String backendName) {
        StateDict fromPth = StateDictLoader.load(pth(c));
        StateDict fromSt = c.readWeights();
        assertEquals(fromSt.keys(), fromPth.keys());
        for (String k : fromSt.keys()) {
            assertArrayEquals(fromSt.get(k).data(), fromPth.get(k).data(), k);
        }
        Model model = describe(c).build().load(fromPth);
        PreparedModel.Output out = model.prepare(backend(backendName)).forward(c.readClips());
        check(c + " (.pth) features", c.readExpected(), "features", out.features());
        check(c + " (.pth) logits", c.readExpected(), "logits", out.logits());
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
