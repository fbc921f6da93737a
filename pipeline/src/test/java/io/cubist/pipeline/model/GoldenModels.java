package io.cubist.pipeline.model;

import io.cubist.kernels.io.Json;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.weights.StateDict;
import io.cubist.pipeline.weights.StateDictLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The model golden cases under {@code src/test/resources/golden-models} (written by
 * {@code tools/gen_model_golden.py}): per case a description, a {@code state_dict}, clips, and what PyTorch computed
 * from them in float64.
 */
public final class GoldenModels {

    /** Relative L2 error every backend is held to on the CI-sized models. */
    public static final double TOLERANCE = 1e-4;

    public record Case(String name, Map<String, Object> spec, Path weights, Path clips, Path expected) {

        public StateDict readWeights() {
            return StateDictLoader.load(weights);
        }

        public Tensor readClips() {
            return SafeTensors.read(clips).get("clips");
        }

        public TensorFile readExpected() {
            return SafeTensors.read(expected);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private GoldenModels() {
    }

    public static Path directory() {
        URL url = GoldenModels.class.getResource("/golden-models/index.json");
        if (url == null) {
            throw new IllegalStateException("golden-models/index.json is not on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static List<Case> all() {
        Path dir = directory();
        try {
            List<Object> names = (List<Object>) Json.parseObject(Files.readString(dir.resolve("index.json")))
                    .get("cases");
            return names.stream().map(n -> get((String) n)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Case get(String name) {
        Path dir = directory();
        try {
            return new Case(name, Json.parseObject(Files.readString(dir.resolve(name + ".json"))),
                    dir.resolve(name + ".weights.safetensors"), dir.resolve(name + ".clips.safetensors"),
                    dir.resolve(name + ".expected.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ||actual - expected|| / ||expected||}. */
    public static double relativeL2(double[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new IllegalArgumentException("lengths differ: " + expected.length + " vs " + actual.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }

    public static double maxAbs(double[] expected, float[] actual) {
        double m = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(m, d);
        }
        return m;
    }
}
