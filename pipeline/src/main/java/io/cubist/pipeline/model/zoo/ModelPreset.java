package io.cubist.pipeline.model.zoo;

import io.cubist.kernels.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a model's clips are prepared, as the weights were trained ({@code conf/models/NAME.json}). For torchvision's
 * video ResNets this is {@code VideoClassification(crop_size=(112, 112), resize_size=(128, 171))}: frames sampled at
 * {@code frame_rate}, {@code clip_length} per clip, each resized to {@code resize} (height, width; bilinear), center
 * cropped to {@code crop}, scaled to [0, 1] and normalized per RGB channel with {@code mean} and {@code std}, then laid
 * out {@code [3, T, H, W]}.
 *
 * @param weights    the checkpoint the preprocessing belongs to (informational)
 * @param featureDim the length of the feature vector
 * @param numClasses the classifier's classes
 */
public record ModelPreset(String model, String weights, int resizeHeight, int resizeWidth, int cropHeight,
                          int cropWidth, String interpolation, double[] mean, double[] std, int clipLength,
                          double frameRate, int featureDim, int numClasses) {

    private static final Set<String> KEYS = Set.of("model", "weights", "resize", "crop", "interpolation", "mean",
            "std", "clip_length", "frame_rate", "feature_dim", "num_classes");

    public ModelPreset {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must be a name, got '" + model + "'");
        }
        if (resizeHeight < 1 || resizeWidth < 1) {
            throw new IllegalArgumentException(model + ": resize must be >= 1 pixels, got " + resizeHeight + "x"
                    + resizeWidth);
        }
        if (cropHeight < 1 || cropWidth < 1 || cropHeight > resizeHeight || cropWidth > resizeWidth) {
            throw new IllegalArgumentException(model + ": crop must be >= 1 and fit in the resized frame "
                    + resizeHeight + "x" + resizeWidth + ", got " + cropHeight + "x" + cropWidth);
        }
        if (!List.of("bilinear", "nearest", "bicubic").contains(interpolation)) {
            throw new IllegalArgumentException(model + ": interpolation must be bilinear, nearest or bicubic, got '"
                    + interpolation + "'");
        }
        if (mean == null || std == null || mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException(model + ": mean and std must have 3 values (R, G, B)");
        }
        mean = mean.clone();
        std = std.clone();
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException(model + ": std must be > 0, got " + Arrays.toString(std));
            }
        }
        if (clipLength < 1) {
            throw new IllegalArgumentException(model + ": clip_length must be >= 1, got " + clipLength);
        }
        if (!(frameRate > 0)) {
            throw new IllegalArgumentException(model + ": frame_rate must be > 0, got " + frameRate);
        }
        if (featureDim < 1 || numClasses < 1) {
            throw new IllegalArgumentException(model + ": feature_dim and num_classes must be >= 1");
        }
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] std() {
        return std.clone();
    }

    /** The preset of a model from the class path ({@code models/NAME.json}; {@code bin/cubist} puts conf/ there). */
    public static ModelPreset forModel(String name) {
        String res = "models/" + name + ".json";
        try (InputStream in = ModelPreset.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) {
                throw new IllegalArgumentException("no preset for model '" + name + "': " + res
                        + " is not on the class path (conf/models/ in the source tree)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), res);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + res + ": " + e, e);
        }
    }

    public static ModelPreset read(Path path) {
        try {
            return parse(Files.readString(path), path.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e, e);
        }
    }

    /** Parses a preset; unknown keys and wrong types are errors naming {@code source} and the key. */
    public static ModelPreset parse(String json, String source) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(source + ": unknown key '" + k + "'; allowed: "
                        + KEYS.stream().sorted().toList());
            }
        }
        try {
            int[] resize = ints(m, "resize", 2);
            int[] crop = ints(m, "crop", 2);
            return new ModelPreset(string(m, "model"), m.containsKey("weights") ? string(m, "weights") : "",
                    resize[0], resize[1], crop[0], crop[1], string(m, "interpolation"), doubles(m, "mean", 3),
                    doubles(m, "std", 3), ints(m, "clip_length", 1)[0], doubles(m, "frame_rate", 1)[0],
                    ints(m, "feature_dim", 1)[0], ints(m, "num_classes", 1)[0]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static Object need(Map<String, Object> m, String key) {
        if (!m.containsKey(key)) {
            throw new IllegalArgumentException("'" + key + "' is required");
        }
        return m.get(key);
    }

    private static String string(Map<String, Object> m, String key) {
        if (!(need(m, key) instanceof String s)) {
            throw new IllegalArgumentException("'" + key + "' must be a string, got " + Json.typeName(m.get(key)));
        }
        return s;
    }

    private static List<?> list(Map<String, Object> m, String key, int n) {
        Object v = need(m, key);
        List<?> l = v instanceof List<?> x ? x : List.of(v);
        if (l.size() != n) {
            throw new IllegalArgumentException("'" + key + "' must have " + n + " value" + (n == 1 ? "" : "s")
                    + ", got " + Json.write(v));
        }
        return l;
    }

    private static int[] ints(Map<String, Object> m, String key, int n) {
        List<?> l = list(m, key, n);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            if (!(l.get(i) instanceof Long x) || x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("'" + key + "' must hold integers, got " + Json.write(m.get(key)));
            }
            r[i] = (int) (long) x;
        }
        return r;
    }

    private static double[] doubles(Map<String, Object> m, String key, int n) {
        List<?> l = list(m, key, n);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            if (!(l.get(i) instanceof Number x)) {
                throw new IllegalArgumentException("'" + key + "' must hold numbers, got " + Json.write(m.get(key)));
            }
            r[i] = x.doubleValue();
        }
        return r;
    }
}
