package io.cubist.jobs;

import io.cubist.jobs.extract.ExtractJob;
import io.cubist.jobs.extract.ExtractOptions;
import io.cubist.jobs.extract.ExtractRows;
import io.cubist.jobs.extract.SegmentSettings;
import io.cubist.jobs.report.FeatureMath;
import io.cubist.kernels.backend.Backends;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;

/**
 * Cubist from a notebook (Zeppelin, spark-shell) or any Spark program: run the extract job on the session at hand and
 * explore its features with Spark SQL.
 *
 * <pre>{@code
 * val features = Cubist.extract(spark, Cubist.options().input("samples/videos").model("r3d_18"))
 * Cubist.nearest(features, "vtest.mp4", 10, 5).show()
 * Cubist.registerFunctions(spark)   // SQL: cubist_cosine(a, b)
 * }</pre>
 *
 * <p>A video may be named by its full URI (the {@code video} column) or, when that is unique, by the end of its path
 * ({@code "vtest.mp4"}, {@code "videos/vtest.mp4"}). Methods that compare features ({@link #nearest},
 * {@link #pca}, {@link #similarityTimeline}) need the features of one model: filter on {@code model} first when a
 * dataset holds several. {@link #pca} brings the rows to the driver; the others run as Spark jobs.
 */
public final class Cubist {

    /** The SQL name of {@link #cosineUdf()}. */
    public static final String COSINE_FUNCTION = "cubist_cosine";

    /** Most rows {@link #pca} collects to the driver; sample a larger dataset first. */
    public static final int MAX_PCA_ROWS = 200_000;

    private Cubist() {
    }

    /** A builder of extract options with the command line's defaults. */
    public static Options options() {
        return new Options();
    }

    /**
     * Runs the extract job on {@code spark} (progress lines on {@code System.err}) and returns the clip rows of the
     * output directory in {@link ExtractJob#SCHEMA}: with {@code mode("skip-existing")} that is the rows of earlier
     * runs as well. Videos that failed are in {@link #errors}.
     */
    public static Dataset<Row> extract(SparkSession spark, Options options) throws IOException {
        return extract(spark, options, System.err);
    }

    /** {@link #extract(SparkSession, Options)} with the progress lines on {@code console}. */
    public static Dataset<Row> extract(SparkSession spark, Options options, PrintStream console)
            throws IOException {
        if (options.output == null && !ExtractJob.isLocal(spark.sparkContext().master())) {
            throw new IllegalArgumentException("give .output(DIR) on a cluster (master " + spark.sparkContext()
                    .master() + "): without it features go to a local temporary directory the executors do not"
                    + " share");
        }
        ExtractOptions o = options.build();
        ExtractJob.run(spark, o, console, 10);
        return spark.read().schema(ExtractJob.schema(o)).parquet(o.output());
    }

    /**
     * The clip rows of the videos in the {@code video} column of {@code videos} (paths or URIs on any Hadoop
     * FileSystem), lazily: {@code videos}' own columns, then {@code clip}, {@code start_sec}, {@code end_sec},
     * {@code model}, {@code feature}. The options' model and sampling apply (inputs, output and mode do not);
     * videos that cannot be processed are left out: {@link io.cubist.ml.VideoFeatureExtractor} with
     * {@code handleInvalid("keep")} shows why.
     */
    public static Dataset<Row> extract(SparkSession spark, Dataset<Row> videos, Options options) {
        return ExtractRows.of(spark, videos, "video", options.work(), false, ExtractRows.Invalid.SKIP, "error",
                options.partitions);
    }

    /** The clip rows of an extract output directory, in {@link ExtractJob#SCHEMA}. */
    public static Dataset<Row> features(SparkSession spark, String output) {
        return spark.read().schema(ExtractJob.SCHEMA).parquet(output);
    }

    /**
     * The {@code _errors} rows of an extract output directory ({@code video, stage, error, message}): one per video
     * that could not be processed; empty when there is none.
     */
    public static Dataset<Row> errors(SparkSession spark, String output) {
        String[] files = ExtractJob.errorFiles(new Path(output), spark.sparkContext().hadoopConfiguration());
        if (files.length == 0) {
            return spark.createDataFrame(List.of(), ExtractJob.ERROR_SCHEMA);
        }
        return spark.read().schema(ExtractJob.ERROR_SCHEMA).parquet(files);
    }

    /**
     * Registers Cubist's SQL functions on the session:
     * <ul>
     * <li>{@code cubist_cosine(a array<float>, b array<float>) → double}: the cosine similarity of two features, in
     * [-1, 1]; NULL when either is null, all zeros or holds a NaN (the angle is undefined); an error when
     * their lengths differ.</li>
     * </ul>
     * The nearest clips to a clip, in SQL (features in a view {@code clips}):
     * <pre>
     * SELECT c.video, c.clip, cubist_cosine(c.feature, q.feature) AS similarity
     * FROM clips c, (SELECT feature FROM clips WHERE video = '…' AND clip = 10) q
     * ORDER BY similarity DESC LIMIT 5
     * </pre>
     */
    public static void registerFunctions(SparkSession spark) {
        spark.udf().register(COSINE_FUNCTION, cosineUdf());
    }

    /** {@code cubist_cosine} as a function on columns: {@code cosineUdf().apply(col("a"), col("b"))}. */
    public static UserDefinedFunction cosineUdf() {
        return functions.udf((UDF2<scala.collection.Seq<Float>, scala.collection.Seq<Float>, Double>) (a, b) ->
                a == null || b == null ? null : definedOrNull(FeatureMath.cosine(floats(a), floats(b))),
                DataTypes.DoubleType).withName(COSINE_FUNCTION);
    }

    /** SQL's "no value" for an undefined angle: NULL sorts last under ORDER BY ... DESC, where NaN sorts first. */
    private static Double definedOrNull(double cosine) {
        return Double.isNaN(cosine) ? null : cosine;
    }

    /** The cosine similarity of two feature columns, as a column. */
    public static Column cosine(Column a, Column b) {
        return cosineUdf().apply(a, b);
    }

    /**
     * The {@code k} clips most similar to clip {@code clip} of {@code video}, most similar first (ties by video and
     * clip): the rows of {@code features} (without the query clip itself) with a {@code similarity} column, cosine
     * similarity in [-1, 1]. Clips with an all-zero feature have no defined similarity and are left out.
     *
     * @throws IllegalArgumentException when the clip is not in {@code features}, or is there for several models
     */
    public static Dataset<Row> nearest(Dataset<Row> features, String video, int clip, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0, got " + k);
        }
        String uri = resolveVideo(features, video);
        List<Row> query = features.where(functions.col("video").equalTo(uri).and(functions.col("clip").equalTo(clip)))
                .select("model", "feature").collectAsList();
        if (query.isEmpty()) {
            throw new IllegalArgumentException("no clip " + clip + " of " + uri + " in the features");
        }
        if (query.size() > 1) {
            throw new IllegalArgumentException("clip " + clip + " of " + uri + " has " + query.size() + " rows ("
                    + "models " + query.stream().map(r -> r.getString(0)).distinct().toList() + "): filter the"
                    + " features on one model first");
        }
        String model = query.get(0).getString(0);
        float[] q = floats(query.get(0).getList(1));
        UserDefinedFunction sim = functions.udf((org.apache.spark.sql.api.java.UDF1<scala.collection.Seq<Float>,
                Double>) f -> f == null ? null : FeatureMath.cosine(q, floats(f)), DataTypes.DoubleType);
        Column self = functions.col("video").equalTo(uri).and(functions.col("clip").equalTo(clip));
        return features.where(functions.col("model").equalTo(model).and(functions.not(self)))
                .withColumn("similarity", sim.apply(functions.col("feature")))
                .where(functions.col("similarity").isNotNull().and(functions.not(functions.isnan(
                        functions.col("similarity")))))
                .orderBy(functions.col("similarity").desc(), functions.col("video"), functions.col("clip"))
                .limit(k);
    }

    /**
     * Each clip of {@code video} with the cosine similarity of its feature to the previous clip's ({@code video,
     * clip, start_sec, end_sec, model, similarity}, by clip; {@code similarity} is null for the first clip and
     * where either feature is all zeros). A low
     * value marks a change: a cut, a new scene, fast motion.
     */
    public static Dataset<Row> similarityTimeline(Dataset<Row> features, String video) {
        String uri = resolveVideo(features, video);
        return similarityTimeline(features.where(functions.col("video").equalTo(uri)));
    }

    /** {@link #similarityTimeline(Dataset, String)} for every video (and model) in {@code features}. */
    public static Dataset<Row> similarityTimeline(Dataset<Row> features) {
        WindowSpec byClip = Window.partitionBy("video", "model").orderBy("clip");
        Column previous = functions.lag(functions.col("feature"), 1).over(byClip);
        return features.select(functions.col("video"), functions.col("clip"), functions.col("start_sec"),
                        functions.col("end_sec"), functions.col("model"),
                        cosine(functions.col("feature"), previous).as("similarity"))
                .orderBy("video", "model", "clip");
    }

    /**
     * A projection of the features on their first {@code k} principal components ({@link FeatureMath#pca}), for
     * plotting: {@code video, clip, start_sec, end_sec, x, y, pc} with {@code x} and {@code y} the first two
     * coordinates and {@code pc} all {@code k}. The metadata of {@code x} and {@code y} (and of {@code pc}, as an
     * array) holds {@code explained_variance}: the share of the total variance each component explains.
     *
     * @throws IllegalArgumentException for k &lt; 2, no rows, several models, more than {@link #MAX_PCA_ROWS} rows,
     *                                  or a missing or non-finite feature
     */
    public static Dataset<Row> pca(Dataset<Row> features, int k) {
        if (k < 2) {
            throw new IllegalArgumentException("pca needs k >= 2 (x and y are the first two components), got " + k);
        }
        List<Row> rows = features.select("video", "clip", "start_sec", "end_sec", "model", "feature")
                .orderBy("video", "clip").limit(MAX_PCA_ROWS + 1).collectAsList();
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("pca of no rows");
        }
        if (rows.size() > MAX_PCA_ROWS) {
            throw new IllegalArgumentException("pca collects the features to the driver: more than " + MAX_PCA_ROWS
                    + " rows; sample them first (features.sample(fraction))");
        }
        List<String> models = rows.stream().map(r -> r.getString(4)).distinct().toList();
        if (models.size() > 1) {
            throw new IllegalArgumentException("pca of features from several models " + models + ": filter on one"
                    + " model first");
        }
        List<float[]> x = new ArrayList<>(rows.size());
        for (Row r : rows) {
            if (r.isNullAt(5)) {
                throw new IllegalArgumentException("clip " + r.getInt(1) + " of " + r.getString(0) + " has no"
                        + " feature");
            }
            float[] f = floats(r.getList(5));
            for (float v : f) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("clip " + r.getInt(1) + " of " + r.getString(0) + " has a"
                            + " non-finite feature value");
                }
            }
            x.add(f);
        }
        FeatureMath.Pca p = FeatureMath.pca(x, k);
        List<Row> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            double[] s = p.scores()[i];
            List<Double> pc = new ArrayList<>(k);
            for (double v : s) {
                pc.add(v);
            }
            out.add(RowFactory.create(r.getString(0), r.getInt(1), r.getDouble(2), r.getDouble(3), s[0], s[1], pc));
        }
        double[] explained = new double[k];
        for (int c = 0; c < k; c++) {
            explained[c] = p.explained(c);
        }
        StructType schema = new StructType()
                .add("video", DataTypes.StringType, false)
                .add("clip", DataTypes.IntegerType, false)
                .add("start_sec", DataTypes.DoubleType, false)
                .add("end_sec", DataTypes.DoubleType, false)
                .add("x", DataTypes.DoubleType, false, explained(explained[0]))
                .add("y", DataTypes.DoubleType, false, explained(explained[1]))
                .add("pc", DataTypes.createArrayType(DataTypes.DoubleType, false), false,
                        new MetadataBuilder().putDoubleArray("explained_variance", explained).build());
        return features.sparkSession().createDataFrame(out, schema);
    }

    /** The share of the variance the component in column {@code column} of a {@link #pca} result explains. */
    public static double explainedVariance(Dataset<Row> pca, String column) {
        Metadata m = pca.schema().apply(column).metadata();
        if (!m.contains("explained_variance")) {
            throw new IllegalArgumentException("column " + column + " is not a component of a Cubist.pca result");
        }
        return m.getDouble("explained_variance");
    }

    /**
     * The video URI {@code video} names in {@code features}: itself when it is a value of the {@code video} column,
     * else the one video whose path ends with {@code "/" + video}.
     *
     * @throws IllegalArgumentException when no video, or several, match
     */
    public static String resolveVideo(Dataset<Row> features, String video) {
        if (video == null || video.isBlank()) {
            throw new IllegalArgumentException("no video named");
        }
        Column exact = functions.col("video").equalTo(video);
        Column suffix = functions.col("video").endsWith(video.startsWith("/") ? video : "/" + video);
        List<String> found = features.where(exact.or(suffix)).select("video").distinct().orderBy("video").limit(11)
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        if (found.contains(video)) {
            return video;
        }
        if (found.size() == 1) {
            return found.get(0);
        }
        if (found.isEmpty()) {
            List<String> some = features.select("video").distinct().orderBy("video").limit(10)
                    .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
            throw new IllegalArgumentException("no video " + video + " in the features; videos: " + some
                    + (some.size() == 10 ? " ..." : ""));
        }
        throw new IllegalArgumentException("'" + video + "' names several videos: " + found.subList(0,
                Math.min(10, found.size())) + (found.size() > 10 ? " ..." : "") + "; give more of the path");
    }

    private static Metadata explained(double share) {
        return new MetadataBuilder().putDouble("explained_variance", share).build();
    }

    private static float[] floats(scala.collection.Seq<Float> s) {
        float[] f = new float[s.length()];
        for (int i = 0; i < f.length; i++) {
            Float v = s.apply(i);
            f[i] = v == null ? Float.NaN : v;
        }
        return f;
    }

    private static float[] floats(List<Object> l) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            Object v = l.get(i);
            f[i] = v == null ? Float.NaN : ((Number) v).floatValue();
        }
        return f;
    }

    /**
     * Extract settings as a fluent builder; every default is the command line's ({@code cubist extract --help}):
     * model r2plus1d_18, seeded random weights, the best backend, batch 4, the preset's frame rate and clip length,
     * frame step 1, back-to-back clips, tail "drop", 300 s segments, 120 s decode timeout, mode error-if-exists.
     * Without {@link #output} the features go to a new directory under {@code java.io.tmpdir} (local mode only).
     */
    public static final class Options {
        private final List<String> inputs = new ArrayList<>();
        private final List<String> manifests = new ArrayList<>();
        private String clips;
        private String output;
        private String model = ExtractOptions.DEFAULT_MODEL;
        private String weights;
        private int[] widths;
        private String backend;
        private int batchSize = ExtractOptions.DEFAULT_BATCH_SIZE;
        private double frameRate;
        private int clipLength;
        private int frameStep = 1;
        private int clipStride;
        private io.cubist.pipeline.clip.TailPolicy tail = ExtractOptions.DEFAULT_TAIL;
        private boolean retryErrors;
        private int views = 1;
        private List<String> layers = List.of();
        private String layerPool = "avg";
        private int topK;
        private double segmentSeconds = ExtractOptions.DEFAULT_SEGMENT_SECONDS;
        private double decodeTimeout = ExtractOptions.DEFAULT_DECODE_TIMEOUT;
        private int partitions;
        private ExtractOptions.Mode mode = ExtractOptions.Mode.ERROR_IF_EXISTS;
        private int threads;
        private List<String> devices = List.of();
        private java.util.Map<String, String> engineOptions = java.util.Map.of();

        private Options() {
        }

        /** Video files, directories (searched recursively) or globs, on any Hadoop file system; adds to earlier. */
        public Options input(String... paths) {
            inputs.addAll(Arrays.asList(paths));
            return this;
        }

        /** CSV (with a header) or Parquet files whose {@code video} column lists videos; adds to earlier. */
        public Options manifest(String... files) {
            manifests.addAll(Arrays.asList(files));
            return this;
        }

        /** A clip dataset written by {@code cubist prepare}, read instead of decoding videos. */
        public Options clips(String dir) {
            this.clips = dir;
            return this;
        }

        /** The output directory (a Parquet dataset). */
        public Options output(String dir) {
            this.output = dir;
            return this;
        }

        /** A model of the zoo. */
        public Options model(String name) {
            if (!ModelZoo.names().contains(name)) {
                throw new IllegalArgumentException("model must be one of " + String.join(", ", ModelZoo.names())
                        + ", got '" + name + "'");
            }
            this.model = name;
            return this;
        }

        /** A torchvision state dict as safetensors or {@code .pth}; without it the model has random weights. */
        public Options weights(String file) {
            this.weights = file;
            return this;
        }

        /** The stage widths of a reduced variant of the model (small and fast, for trying things out). */
        public Options widths(int... widths) {
            for (int w : widths) {
                if (w < 1) {
                    throw new IllegalArgumentException("widths must be >= 1, got " + Arrays.toString(widths));
                }
            }
            this.widths = widths.length == 0 ? null : widths.clone();
            return this;
        }

        /** A backend by name ({@code cpu}, {@code reference}, ...); an unavailable one is an error when run. */
        public Options backend(String name) {
            if (!Backends.names().contains(name)) {
                throw new IllegalArgumentException("backend must be one of " + String.join(", ", Backends.names())
                        + ", got '" + name + "'");
            }
            this.backend = name;
            return this;
        }

        /** Clips per forward pass. */
        public Options batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** Frames per second clips are sampled at (default: the model's preset). */
        public Options fps(double fps) {
            if (!(fps > 0) || Double.isInfinite(fps)) {
                throw new IllegalArgumentException("fps must be a number > 0, got " + fps);
            }
            this.frameRate = fps;
            return this;
        }

        /** Frames per clip (default: the model's preset). */
        public Options clipLength(int frames) {
            if (frames < 1) {
                throw new IllegalArgumentException("clip length must be >= 1, got " + frames);
            }
            this.clipLength = frames;
            return this;
        }

        /** Take every {@code step}-th sampled frame. */
        public Options frameStep(int step) {
            this.frameStep = step;
            return this;
        }

        /** Sampled frames between clip starts (default: back to back). */
        public Options clipStride(int frames) {
            if (frames < 1) {
                throw new IllegalArgumentException("clip stride must be >= 1, got " + frames);
            }
            this.clipStride = frames;
            return this;
        }

        /** What happens to the frames after the last whole clip: drop, pad-last or back-pad. */
        public Options tail(String tail) {
            this.tail = io.cubist.pipeline.clip.TailPolicy.parse(tail);
            return this;
        }

        /** Long videos are split into segments of this many seconds, one unit of work each. */
        public Options segmentSeconds(double seconds) {
            this.segmentSeconds = seconds;
            return this;
        }

        /** Seconds a decode may go without producing a frame before the video is abandoned. */
        public Options decodeTimeout(double seconds) {
            this.decodeTimeout = seconds;
            return this;
        }

        /** Spark partitions of the work (default: three per task slot). */
        public Options partitions(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("partitions must be >= 1, got " + n);
            }
            this.partitions = n;
            return this;
        }

        /** What to do when the output exists: error-if-exists, overwrite or skip-existing. */
        public Options mode(String mode) {
            this.mode = ExtractOptions.Mode.parse(mode);
            return this;
        }

        /**
         * With {@code mode("skip-existing")}: try again the videos whose {@code _errors} row is transient (a timeout,
         * or stage {@code input}) and replace those rows.
         */
        public Options retryErrors(boolean retry) {
            this.retryErrors = retry;
            return this;
        }

        /**
         * Test-time views per clip: 1 (the default), 3 (a {@code view} column: start, center, end crops) or 10
         * (torchvision's {@code ten_crop}: five crops, then the same of the mirrored frame).
         */
        public Options views(int n) {
            this.views = n;
            return this;
        }

        /** Kernel threads per executor (default: its cores). */
        public Options threads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + n);
            }
            this.threads = n;
            return this;
        }

        /**
         * The devices each task runs on, as {@code --devices} takes them: {@code "opencl:0,opencl:1"}, {@code "cpu"},
         * {@code "all"}. With several, a model's grouped layers are split across them as AlexNet split its two
         * GPUs, and a model without grouped layers splits each batch across them.
         */
        public Options devices(String list) {
            this.devices = io.cubist.kernels.backend.EngineRequest.parseDevices(list);
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("devices needs a device list: opencl:0,opencl:1, cpu or all");
            }
            return this;
        }

        /** An engine setting, as {@code --engine-option key=value} ({@code winograd}, {@code pack}). */
        public Options engineOption(String key, String value) {
            java.util.Map<String, String> o = new java.util.LinkedHashMap<>(engineOptions);
            o.put(key, value);
            this.engineOptions = o;
            io.cubist.kernels.backend.Backends.check(new io.cubist.kernels.backend.EngineRequest(backend, 0, List.of(),
                    engineOptions));
            return this;
        }

        /**
         * Also the outputs of these modules, one column each ({@code feature_layer3} for {@code layer3}; dots become
         * underscores): averaged over time and space ({@code "avg"}, the default) or the whole map flattened
         * ({@code "none"}, its shape in the column's metadata {@code cubist.shape}).
         */
        public Options layers(String pool, String... names) {
            this.layers = List.of(names);
            this.layerPool = pool;
            return this;
        }

        /** A {@code top_k} column: the {@code k} most likely classes of each clip with their probabilities. */
        public Options topK(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("top-k must be >= 1, got " + k);
            }
            this.topK = k;
            return this;
        }

        private io.cubist.jobs.extract.FeatureOutputs outputs() {
            return new io.cubist.jobs.extract.FeatureOutputs(layers, layerPool, topK);
        }

        /** The model and sampling of these options, as the executors get them. */
        public SegmentSettings work() {
            return new SegmentSettings(model, weights, widths, backend, threads, batchSize, frameRate, clipLength,
                    frameStep, clipStride, tail, decodeTimeout, segmentSeconds, clips, views, outputs(), devices,
                    engineOptions);
        }

        /**
         * The validated options. Without {@link #output} this names a new directory under {@code java.io.tmpdir}
         * (it is not created here).
         */
        public ExtractOptions build() {
            String out = output != null ? output : new File(System.getProperty("java.io.tmpdir"),
                    "cubist-features-" + UUID.randomUUID()).getAbsolutePath();
            return new ExtractOptions(inputs, manifests, clips, out, model, weights, widths, backend, batchSize,
                    frameRate, clipLength, frameStep, clipStride, tail, segmentSeconds, decodeTimeout, partitions,
                    mode, threads, retryErrors, views, outputs(), devices, engineOptions);
        }
    }
}
