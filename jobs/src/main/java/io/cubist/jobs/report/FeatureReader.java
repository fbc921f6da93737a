package io.cubist.jobs.report;

import io.cubist.pipeline.clip.ClipFeature;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.kernels.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads an extract output directory (DESIGN.md's contract: the clip Parquet dataset, {@code _errors},
 * {@code _manifest.json}) into a {@link ReportInput}, on any Hadoop file system the session can reach. Only the
 * per-video counts and the chosen clips come to the driver, so a large dataset costs one aggregation, not a collect.
 */
public final class FeatureReader {

    /** The clip rows' schema, as the extract job writes it. */
    public static final StructType CLIP_SCHEMA = new StructType()
            .add("video", DataTypes.StringType)
            .add("clip", DataTypes.IntegerType)
            .add("start_sec", DataTypes.DoubleType)
            .add("end_sec", DataTypes.DoubleType)
            .add("model", DataTypes.StringType)
            .add("feature", DataTypes.createArrayType(DataTypes.FloatType));

    /** The {@code _errors} rows' schema. */
    public static final StructType ERROR_SCHEMA = new StructType()
            .add("video", DataTypes.StringType)
            .add("stage", DataTypes.StringType)
            .add("error", DataTypes.StringType)
            .add("message", DataTypes.StringType);

    /** The largest manifest read; a run manifest is a few kilobytes. */
    private static final long MAX_MANIFEST_BYTES = 4L << 20;

    /**
     * @param maxClips  most clips plotted (timeline and PCA); whole videos are chosen until it is reached
     * @param maxErrors most {@code _errors} rows listed (all are counted)
     * @param model     the model to plot, or null for the one with most rows
     */
    public record Options(int maxClips, int maxErrors, String model) {
        public Options {
            if (maxClips < 1) {
                throw new IllegalArgumentException("--max-clips must be >= 1, got " + maxClips);
            }
            if (maxErrors < 0) {
                throw new IllegalArgumentException("--max-errors must be >= 0, got " + maxErrors);
            }
        }

        public static Options defaults() {
            return new Options(2000, 500, null);
        }
    }

    private FeatureReader() {
    }

    public static ReportInput read(SparkSession spark, String dir, Options opt) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path root = new Path(dir);
        FileSystem fs = root.getFileSystem(conf);
        if (!fs.getFileStatus(root).isDirectory()) { // getFileStatus throws FileNotFoundException when absent
            throw new IllegalArgumentException(dir + " is not a directory (expected the output of cubist extract)");
        }
        // one row per clip: with several views, the center one (the single view's feature)
        Dataset<Row> withViews = spark.read().schema(CLIP_SCHEMA.add("view", DataTypes.IntegerType)).parquet(dir);
        Row maxView = withViews.agg(functions.max("view")).first();
        int center = maxView.isNullAt(0) ? 0 : ClipTransform.centerView(maxView.getInt(0) + 1);
        Dataset<Row> all = withViews.where(functions.col("view").isNull().or(functions.col("view").equalTo(center)));

        Map<String, Long> models = new LinkedHashMap<>();
        for (Row r : all.groupBy("model").count().orderBy(functions.desc("count"), functions.asc("model"))
                .collectAsList()) {
            models.put(r.isNullAt(0) ? "(none)" : r.getString(0), r.getLong(1));
        }
        String model = opt.model();
        if (model == null) {
            model = models.isEmpty() ? "" : models.keySet().iterator().next();
        } else if (!models.containsKey(model)) {
            throw new IllegalArgumentException("model '" + model + "' has no rows in " + dir + "; it holds "
                    + (models.isEmpty() ? "no clips" : String.join(", ", models.keySet())));
        }
        Map<String, Long> others = new LinkedHashMap<>(models);
        others.remove(model);
        long total = models.getOrDefault(model, 0L);

        Dataset<Row> ofModel = model.equals("(none)") ? all.filter(functions.col("model").isNull())
                : all.filter(functions.col("model").equalTo(model));
        List<VideoCount> videos = new ArrayList<>();
        for (Row r : ofModel.groupBy("video").count().collectAsList()) {
            videos.add(new VideoCount(r.isNullAt(0) ? "" : r.getString(0), r.getLong(1)));
        }
        videos.sort(Comparator.comparingLong(VideoCount::hash).thenComparing(VideoCount::video));

        // Whole videos in hash order while they fit: a sample that is stable from run to run and keeps each
        // plotted video's timeline complete.
        List<String> chosen = new ArrayList<>();
        long budget = opt.maxClips();
        for (VideoCount v : videos) {
            if (v.clips() <= budget) {
                chosen.add(v.video());
                budget -= v.clips();
            }
        }
        Dataset<Row> picked;
        String sampling = "";
        long chosenClips = opt.maxClips() - budget;
        if (chosen.isEmpty() && !videos.isEmpty()) {
            VideoCount first = videos.get(0);
            chosen.add(first.video());
            picked = ofModel.filter(functions.col("video").equalTo(first.video()))
                    .orderBy("clip").limit(opt.maxClips());
            sampling = "every video has more than " + opt.maxClips() + " clips: showing the first " + opt.maxClips()
                    + " clips of one video (of " + videos.size() + ", chosen by a hash of its path).";
        } else {
            Dataset<Row> names = spark.createDataset(chosen, Encoders.STRING()).toDF("video");
            picked = ofModel.join(functions.broadcast(names), "video");
            if (chosen.size() < videos.size()) {
                sampling = "showing " + chosenClips + " of " + total + " clips: " + chosen.size() + " of "
                        + videos.size() + " videos, chosen whole by a hash of their path until "
                        + opt.maxClips() + " clips (--max-clips) were reached.";
            }
        }
        List<Row> rows = picked.select("video", "clip", "start_sec", "end_sec", "model", "feature")
                .orderBy("video", "clip").collectAsList();
        List<ClipFeature> clips = new ArrayList<>(rows.size());
        List<float[]> features = new ArrayList<>(rows.size());
        for (Row r : rows) {
            features.add(feature(r));
        }
        int dim = commonLength(features);
        long unusable = 0;
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            float[] f = features.get(i);
            if (f == null || f.length != dim || dim == 0) {
                unusable++;
                continue;
            }
            clips.add(new ClipFeature(r.isNullAt(0) ? "" : r.getString(0), r.isNullAt(1) ? -1 : r.getInt(1),
                    r.isNullAt(2) ? Double.NaN : r.getDouble(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3), f));
        }

        Map<String, Long> perVideo = new LinkedHashMap<>();
        videos.stream().sorted(Comparator.comparing(VideoCount::video))
                .forEach(v -> perVideo.put(v.video(), v.clips()));

        List<ErrorRow> errors = new ArrayList<>();
        List<ReportInput.ErrorCount> errorCounts = new ArrayList<>();
        long totalErrors = 0;
        Path errDir = new Path(root, "_errors");
        // The files are named rather than the folder: Spark treats a path component starting with '_' as hidden.
        String[] errFiles = fs.exists(errDir) ? java.util.Arrays.stream(fs.listStatus(errDir))
                .filter(f -> f.isFile() && !f.getPath().getName().startsWith("_")
                        && !f.getPath().getName().startsWith("."))
                .map(f -> f.getPath().toString()).toArray(String[]::new) : new String[0];
        if (errFiles.length > 0) {
            Dataset<Row> err = spark.read().schema(ERROR_SCHEMA).parquet(errFiles);
            for (Row r : err.groupBy("stage", "error").count()
                    .orderBy(functions.desc("count"), functions.asc("stage"), functions.asc("error")).collectAsList()) {
                errorCounts.add(new ReportInput.ErrorCount(str(r, 0), str(r, 1), r.getLong(2)));
                totalErrors += r.getLong(2);
            }
            for (Row r : err.orderBy("video", "stage").limit(opt.maxErrors()).collectAsList()) {
                errors.add(new ErrorRow(str(r, 0), str(r, 1), str(r, 2), str(r, 3)));
            }
        }

        Map<String, Object> manifest = Map.of();
        String note = "";
        Path mf = new Path(root, "_manifest.json");
        if (!fs.exists(mf)) {
            note = "no _manifest.json in " + dir;
        } else if (fs.getFileStatus(mf).getLen() > MAX_MANIFEST_BYTES) {
            note = "_manifest.json is larger than " + MAX_MANIFEST_BYTES + " bytes; not read";
        } else {
            try (InputStream in = fs.open(mf)) {
                manifest = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                note = "_manifest.json is not a JSON object: " + e.getMessage();
            }
        }
        return new ReportInput(dir, model, others, clips, total, perVideo, unusable, sampling, errors, totalErrors,
                errorCounts, manifest, note);
    }

    private record VideoCount(String video, long clips) {
        long hash() {
            CRC32 c = new CRC32();
            c.update(video.getBytes(StandardCharsets.UTF_8));
            return c.getValue();
        }
    }

    /** The feature array of a row, or null when it is missing or holds a null or non-finite value. */
    private static float[] feature(Row r) {
        if (r.isNullAt(5)) {
            return null;
        }
        List<Object> list = r.getList(5);
        float[] f = new float[list.size()];
        for (int i = 0; i < f.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Float x) || !Float.isFinite(x)) {
                return null;
            }
            f[i] = x;
        }
        return f;
    }

    /** The most common length among the non-null features (ties: the longer); 0 when there is none. */
    private static int commonLength(List<float[]> features) {
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        for (float[] f : features) {
            if (f != null) {
                counts.merge(f.length, 1, Integer::sum);
            }
        }
        return counts.entrySet().stream()
                .max(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey).orElse(0);
    }

    private static String str(Row r, int i) {
        return r.isNullAt(i) ? "" : r.getString(i);
    }
}
