package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.io.Json;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Dims3;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.GoldenModels;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.Network;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.StateEntry;
import io.cubist.pipeline.weights.StateDict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The zoo's other families at CI size against PyTorch's float64 features and logits (tools/gen_model_golden.py,
 * index key {@code families}; the PyTorch definitions are tools/video_models.py): s3d with every channel count
 * divided by 16, c3d with widths 4..16, ir_csn_50 at full depth with widths 4..8, alexnet3d (groups=2 layers) with
 * widths 8..24, X3D (every block kind) with a stem 8 wide and depth factor 1, I3D with every channel count divided by
 * 16 on odd clip sizes (asymmetric "SAME" padding). Every backend that can run here,
 * relative L2 error at most {@value GoldenModels#TOLERANCE}.
 */
class FamilyGoldenTest {

    @SuppressWarnings("unchecked")
    static List<GoldenModels.Case> families() {
        try {
            Map<String, Object> index = Json.parseObject(Files.readString(GoldenModels.directory().resolve(
                    "index.json")));
            return ((List<Object>) index.get("families")).stream().map(n -> GoldenModels.get((String) n)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> cases() {
        return families().stream().flatMap(c -> Backends.available().stream().map(b -> Arguments.of(c, b.name())));
    }

    /** The reduced variant a case describes, built with each family's own variant parameters. */
    static Architecture describe(GoldenModels.Case c) {
        Map<String, Object> s = c.spec();
        int classes = ((Long) s.get("num_classes")).intValue();
        String model = (String) s.get("model");
        return switch (model) {
            case "s3d" -> S3D.torchvision().withChannelDivisor(((Long) s.get("div")).intValue())
                    .withAvgpoolKernel(dims(s.get("avgpool_kernel"))).withClasses(classes);
            case "c3d" -> C3D.sports1m().withChannels(ModelGoldenTest.ints(s.get("channels")),
                    ((Long) s.get("hidden")).intValue()).withFc6Grid(dims(s.get("fc6_grid"))).withClasses(classes);
            case "ir_csn_50" -> ChannelSeparatedNet.irCsn50().withWidths(ModelGoldenTest.ints(s.get("widths")))
                    .withClasses(classes);
            case "alexnet3d" -> new AlexNet3D("alexnet3d", ModelGoldenTest.ints(s.get("channels")),
                    ((Long) s.get("hidden")).intValue(), dims(s.get("pool_grid")), AlexNet3D.GROUPS, classes);
            case "x3d_xs", "x3d_s", "x3d_m", "x3d_l" -> ((X3D) ModelZoo.describe(model)).withSize(
                    ((Long) s.get("clip_length")).intValue(), ((Long) s.get("crop_size")).intValue(),
                    ((Number) s.get("width_factor")).doubleValue(), ((Number) s.get("depth_factor")).doubleValue(),
                    ((Long) s.get("stem_dim_in")).intValue(), ((Long) s.get("head_dim_out")).intValue())
                    .withClasses(classes);
            case "i3d" -> I3D.kinetics().withChannelDivisor(((Long) s.get("div")).intValue())
                    .withAvgpoolKernel(dims(s.get("avgpool_kernel"))).withClasses(classes);
            case "slowfast_r50" -> SlowFast.r50().withSize(((Long) s.get("stem_width")).intValue(),
                    ((Long) s.get("depth")) == 18 ? new int[] {1, 1, 1, 1} : SlowFast.DEPTHS_50,
                    ((Long) s.get("clip_length")).intValue(), ((Long) s.get("crop_size")).intValue())
                    .withClasses(classes);
            default -> throw new IllegalArgumentException(c + ": no family '" + model + "'");
        };
    }

    static Dims3 dims(Object list) {
        int[] v = ModelGoldenTest.ints(list);
        return new Dims3(v[0], v[1], v[2]);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void featuresAndLogitsMatchPyTorch(GoldenModels.Case c, String backendName) {
        StateDict w = c.readWeights();
        Network net = describe(c).build();
        // the PyTorch model's state_dict, key for key and in its order
        assertEquals(w.keys(), net.stateDict().stream().map(StateEntry::key).toList(), c + " keys");
        Model model = net.load(w);
        assertTrue(model.hasClassifier());
        PreparedModel.Output out = model.prepare(Backends.select(backendName)).forward(c.readClips());
        TensorFile want = c.readExpected();
        ModelGoldenTest.check(c + " on " + backendName + " features", want, "features", out.features());
        ModelGoldenTest.check(c + " on " + backendName + " logits", want, "logits", out.logits());
    }

    /** Without the classifier's keys the same weights give the same features and no logits. */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void withoutTheClassifierFeaturesOnly(GoldenModels.Case c, String backendName) {
        Architecture arch = describe(c);
        String head = arch.build().headName() + ".";
        StateDict w = c.readWeights();
        Map<String, Tensor> noHead = new LinkedHashMap<>();
        for (String k : w.keys()) {
            if (!k.startsWith(head)) {
                noHead.put(k, w.get(k));
            }
        }
        assertTrue(noHead.size() < w.size(), c + ": no " + head + "* keys");
        Model backbone = arch.build().load(StateDict.of(noHead, "no classifier"));
        assertFalse(backbone.hasClassifier());
        PreparedModel.Output f = backbone.prepare(Backends.select(backendName)).forward(c.readClips());
        assertNull(f.logits());
        ModelGoldenTest.check(c + " features only", c.readExpected(), "features", f.features());
    }

    static Stream<Arguments> csnCases() {
        return cases().filter(a -> "ir_csn_50".equals(((GoldenModels.Case) a.get()[0]).spec().get("model")));
    }

    /**
     * The zoo's own entry point, as {@code cubist embed --model ir_csn_50 --widths ...} uses it: the classes come from
     * the checkpoint's {@code fc.weight}. (s3d and c3d variants are not stage widths; ZooFamiliesTest checks that
     * their classes come from {@code classifier.1.weight} and {@code fc8.weight}.)
     */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("csnCases")
    void zooCreateTakesTheClassesFromTheCheckpoint(GoldenModels.Case c, String backendName) {
        Model model = ModelZoo.create("ir_csn_50", ModelGoldenTest.ints(c.spec().get("widths")), c.readWeights());
        PreparedModel.Output out = model.prepare(Backends.select(backendName)).forward(c.readClips());
        assertArrayEquals(new int[] {c.readClips().dim(0), 10}, out.logits().shape());
        ModelGoldenTest.check(c + " via ModelZoo", c.readExpected(), "logits", out.logits());
    }
}
