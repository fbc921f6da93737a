package io.cubist.jobs.extract;

import io.cubist.kernels.io.Json;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What makes an output one feature space: the model, its weights (by SHA-256, or the seed of random ones), the
 * preprocessing and the sampling. Recorded in the run manifest and in the Parquet files' metadata (the
 * {@code feature} column's {@value #METADATA_KEY}); a {@code --mode skip-existing} run whose identity differs is
 * refused, so two feature spaces never mix in one output. The Cubist version is recorded beside it but not compared:
 * the same model, weights and preprocessing give the same features in every version.
 *
 * @param preprocessing resize, crop, interpolation, mean and std, as one line
 * @param sampling      frame rate, clip length, frame step, clip stride and tail policy, as one line
 */
public record DatasetIdentity(String model, String weights, String preprocessing, String sampling) {

    public static final String METADATA_KEY = "cubist.identity";

    /** The identity of a run with these (resolved) options; reads the weight file once to hash it. */
    static DatasetIdentity of(ExtractOptions o, ModelPreset p, Configuration conf) throws IOException {
        String weights = o.weights() == null ? "random (seed " + ModelZoo.RANDOM_SEED + ")"
                : "sha256:" + sha256(new Path(o.weights()), conf);
        String pre = String.format(Locale.ROOT, "resize %dx%d %s, crop %dx%d, mean %s, std %s", p.resizeHeight(),
                p.resizeWidth(), p.interpolation(), p.cropHeight(), p.cropWidth(), Arrays.toString(p.mean()),
                Arrays.toString(p.std()));
        String sampling = String.format(Locale.ROOT, "%s fps, %d frames, step %d, stride %d, tail %s",
                trim(o.frameRate()), o.clipLength(), o.frameStep(), o.clipStride(), o.tail().flag())
                + (o.views() > 1 ? ", " + o.views() + " views" : "");
        FeatureOutputs out = o.outputs();
        String model = o.modelLabel() + (out.layers().isEmpty() ? "" : ", layers " + String.join(",", out.layers())
                + " (" + out.pool() + ")") + (out.topK() > 0 ? ", top " + out.topK() : "");
        return new DatasetIdentity(model, weights, pre, sampling);
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("weights", weights);
        m.put("preprocessing", preprocessing);
        m.put("sampling", sampling);
        return m;
    }

    String toJson() {
        return Json.write(toMap());
    }

    /** The identity in a manifest's or a Parquet file's record of it; null when it has none. */
    static DatasetIdentity fromMap(Object o) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("model") instanceof String)) {
            return null;
        }
        return new DatasetIdentity((String) m.get("model"), String.valueOf(m.get("weights")),
                String.valueOf(m.get("preprocessing")), String.valueOf(m.get("sampling")));
    }

    /** What differs from {@code other}, one phrase each ("model r3d_18 here, r2plus1d_18 there"); empty if none. */
    List<String> differences(DatasetIdentity other) {
        List<String> d = new ArrayList<>();
        diff(d, "model", model, other.model);
        diff(d, "weights", weights, other.weights);
        diff(d, "preprocessing", preprocessing, other.preprocessing);
        diff(d, "sampling", sampling, other.sampling);
        return d;
    }

    private static void diff(List<String> d, String what, String mine, String theirs) {
        if (!Objects.equals(mine, theirs)) {
            d.add(what + " " + theirs + " there, " + mine + " in this run");
        }
    }

    /** The identity an existing output records: its manifest's, else its Parquet metadata's; null when none. */
    static DatasetIdentity recorded(FileSystem fs, Path out, org.apache.spark.sql.SparkSession spark)
            throws IOException {
        Path manifest = new Path(out, ExtractJob.MANIFEST);
        if (fs.exists(manifest)) {
            try (InputStream in = fs.open(manifest)) {
                Object m = Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                DatasetIdentity id = m instanceof Map<?, ?> map ? fromMap(map.get("identity")) : null;
                if (id != null) {
                    return id;
                }
            }
        }
        try {
            org.apache.spark.sql.types.Metadata meta = spark.read().parquet(out.toString()).schema()
                    .apply("feature").metadata();
            return meta.contains(METADATA_KEY) ? fromMap(Json.parse(meta.getString(METADATA_KEY))) : null;
        } catch (RuntimeException e) {
            return null; // no Parquet files yet (only _errors), or not ours: nothing recorded
        }
    }

    private static String sha256(Path p, Configuration conf) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
