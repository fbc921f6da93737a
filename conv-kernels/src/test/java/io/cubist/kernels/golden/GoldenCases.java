package io.cubist.kernels.golden;

import io.cubist.kernels.io.Json;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The PyTorch golden cases under {@code src/test/resources/golden} (written by {@code tools/gen_golden.py}): per
 * case a {@code cubist op} spec, its input tensors, and the float64 output PyTorch computed from them.
 */
public final class GoldenCases {

    /** One case: the spec text, the inputs, and PyTorch's float64 output. */
    public record Case(String name, String spec, Path inputs, Path expected) {

        public Map<String, Tensor> readInputs() {
            return SafeTensors.read(inputs).getAll();
        }

        public int[] expectedShape() {
            return SafeTensors.read(expected).shape("output");
        }

        public double[] expectedValues() {
            return SafeTensors.read(expected).getDoubles("output");
        }

        public String op() {
            return (String) Json.parseObject(spec).get("op");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** {@code 2e-4 * max(1, max|expected|)}: the tolerance every backend is held to. */
    public static double tolerance(double[] expected) {
        double m = 0;
        for (double v : expected) {
            m = Math.max(m, Math.abs(v));
        }
        return 2e-4 * Math.max(1, m);
    }

    /** Largest |actual - expected|; NaN anywhere counts as infinite unless both are NaN. */
    public static double maxError(double[] expected, float[] actual) {
        double m = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) {
                continue;
            }
            if (Double.isInfinite(e) && e == a) {
                continue;
            }
            double d = Math.abs(a - e);
            m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(m, d);
        }
        return m;
    }

    public static Path directory() {
        URL url = GoldenCases.class.getResource("/golden/index.json");
        if (url == null) {
            throw new IllegalStateException("golden/index.json is not on the test class path");
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
            Map<String, Object> index = Json.parseObject(Files.readString(dir.resolve("index.json")));
            List<Object> names = (List<Object>) index.get("cases");
            return names.stream().map(n -> {
                String name = (String) n;
                try {
                    return new Case(name, Files.readString(dir.resolve(name + ".json")),
                            dir.resolve(name + ".safetensors"), dir.resolve(name + ".expected.safetensors"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private GoldenCases() {
    }
}
