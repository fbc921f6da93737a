package io.cubist.pipeline.clip;

import io.cubist.kernels.io.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a clip dataset holds, kept in each Arrow IPC file's schema metadata (keys {@code cubist.*}): the preset (model
 * name), the clips' layout (shape, storage, mean and std), and how they were sampled.
 */
public record ClipDatasetInfo(String preset, ClipLayout layout, SamplerSettings sampler) {

    public static final String FORMAT_VERSION = "1";

    public ClipDatasetInfo {
        if (preset == null || preset.isBlank()) {
            throw new IllegalArgumentException("a clip dataset needs the preset (model) name");
        }
        if (layout.frames() != sampler.clipLength()) {
            throw new IllegalArgumentException("layout has " + layout.frames() + " frames but the sampler cuts "
                    + sampler.clipLength());
        }
    }

    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cubist.format_version", FORMAT_VERSION);
        m.put("cubist.preset", preset);
        m.put("cubist.clip_shape", Json.write(layout.clipShape()));
        m.put("cubist.storage", layout.storage().name().toLowerCase(java.util.Locale.ROOT));
        m.put("cubist.mean", Json.write(layout.mean()));
        m.put("cubist.std", Json.write(layout.std()));
        m.put("cubist.fps", Double.toString(sampler.fps()));
        m.put("cubist.frame_step", Integer.toString(sampler.frameStep()));
        m.put("cubist.clip_stride", Integer.toString(sampler.clipStride()));
        m.put("cubist.tail", sampler.tail().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        return m;
    }

    /** Reads the metadata {@link #toMetadata()} wrote; a missing or malformed key is an error naming it. */
    public static ClipDatasetInfo fromMetadata(Map<String, String> m, String source) {
        try {
            String version = need(m, "cubist.format_version");
            if (!version.equals(FORMAT_VERSION)) {
                throw new IllegalArgumentException("format version " + version + " is not " + FORMAT_VERSION);
            }
            double[] shape = numbers(need(m, "cubist.clip_shape"), 4);
            if (shape[0] != 3) {
                throw new IllegalArgumentException("clip_shape must start with 3 channels");
            }
            ClipLayout layout = new ClipLayout((int) shape[1], (int) shape[2], (int) shape[3],
                    ClipLayout.Storage.parse(need(m, "cubist.storage")), numbers(need(m, "cubist.mean"), 3),
                    numbers(need(m, "cubist.std"), 3));
            SamplerSettings s = new SamplerSettings(layout.frames(), Integer.parseInt(need(m, "cubist.frame_step")),
                    Integer.parseInt(need(m, "cubist.clip_stride")), TailPolicy.parse(need(m, "cubist.tail")),
                    Double.parseDouble(need(m, "cubist.fps")));
            return new ClipDatasetInfo(need(m, "cubist.preset"), layout, s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": not a Cubist clip dataset: " + e.getMessage(), e);
        }
    }

    private static String need(Map<String, String> m, String key) {
        String v = m == null ? null : m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("schema metadata has no '" + key + "'");
        }
        return v;
    }

    private static double[] numbers(String json, int n) {
        if (!(Json.parse(json) instanceof List<?> l) || l.size() != n) {
            throw new IllegalArgumentException("expected " + n + " numbers, got " + json);
        }
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            if (!(l.get(i) instanceof Number x)) {
                throw new IllegalArgumentException("expected numbers, got " + json);
            }
            r[i] = x.doubleValue();
        }
        return r;
    }
}
