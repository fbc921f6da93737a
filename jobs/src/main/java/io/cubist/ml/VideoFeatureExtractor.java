package io.cubist.ml;

import io.cubist.jobs.extract.ExtractOptions;
import io.cubist.jobs.extract.ExtractRows;
import io.cubist.jobs.extract.FeatureOutputs;
import io.cubist.jobs.extract.SegmentSettings;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Clip features as a Spark ML stage: a DataFrame with a string column of video paths or URIs (any Hadoop
 * FileSystem) in; its rows again, one per clip, with {@code clip}, {@code start_sec}, {@code end_sec}, {@code model}
 * and {@code feature} added (as the extract job writes them). Lazy like any transformation, it scales over the
 * input's partitions, splits long videos into segments as {@code extract} does and runs the same executor code (the
 * model loaded once per executor JVM).
 *
 * <pre>{@code
 * VideoFeatureExtractor fx = new VideoFeatureExtractor().setInputCol("path").setModel("r3d_18")
 *     .setWeights("hdfs:///models/r3d_18.safetensors").setFeatureType("vector");
 * Dataset<Row> clips = fx.transform(videos);                  // path, label ..., clip, start_sec, ..., feature
 * new KMeans().setK(20).setFeaturesCol("feature").fit(clips);
 * }</pre>
 *
 * <p>A video that cannot be processed never fails the job by default: {@code handleInvalid} {@code skip} (the
 * default) leaves it out, {@code keep} gives it one row with null clip columns and the reason in
 * {@link #setErrorCol the error column} ({@code stage, error, message}, as in the job's {@code _errors}), and
 * {@code error} fails the task. Defaults are the command line's ({@code cubist extract --help}); frame rate and clip
 * length 0 mean the model's preset. Saved and loaded with its params ({@link #write()}, {@link #load}), also inside a
 * {@code Pipeline}.
 */
public final class VideoFeatureExtractor extends Transformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;

    private final Param<String> inputCol;
    private final Param<String> model;
    private final Param<String> weights;
    private final IntArrayParam widths;
    private final IntParam clipLength;
    private final DoubleParam fps;
    private final IntParam frameStep;
    private final IntParam clipStride;
    private final Param<String> tail;
    private final IntParam batchSize;
    private final IntParam views;
    private final StringArrayParam layers;
    private final Param<String> layerPool;
    private final IntParam topK;
    private final Param<String> backend;
    private final IntParam threads;
    private final Param<String> devices;
    private final Param<String> engineOptions;
    private final DoubleParam decodeTimeout;
    private final DoubleParam segmentSeconds;
    private final IntParam partitions;
    private final Param<String> featureType;
    private final Param<String> handleInvalid;
    private final Param<String> errorCol;

    public VideoFeatureExtractor() {
        this(Identifiable.randomUID("videoFeatureExtractor"));
    }

    public VideoFeatureExtractor(String uid) {
        this.uid = uid; // before the params, which are named after it
        this.inputCol = new Param<>(this, "inputCol", "the string column of video paths or URIs");
        this.model = new Param<>(this, "model", "a model of the zoo: " + ModelZoo.names());
        this.weights = new Param<>(this, "weights",
                "a checkpoint (safetensors or .pth) on any Hadoop FileSystem; empty: seeded random weights");
        this.widths = new IntArrayParam(this, "widths",
                "stage widths of a reduced variant (for tests); empty: the model's own");
        this.clipLength = new IntParam(this, "clipLength", "frames per clip; 0: the preset's",
                ParamValidators.gtEq(0));
        this.fps = new DoubleParam(this, "fps", "frames per second clips are sampled at; 0: the"
                + " preset's", ParamValidators.gtEq(0));
        this.frameStep = new IntParam(this, "frameStep", "take every S-th sampled frame",
                ParamValidators.gtEq(1));
        this.clipStride = new IntParam(this, "clipStride", "sampled frames between clip starts; 0:"
                + " clipLength x frameStep", ParamValidators.gtEq(0));
        this.tail = new Param<>(this, "tail", "frames after the last whole clip: drop, pad-last"
                + " or back-pad", ParamValidators.inArray(new String[] {"drop", "pad-last", "back-pad"}));
        this.views = new IntParam(this, "views", "test-time views per clip: 1 (the preset's center crop), 3"
                + " (start, center and end crops) or 10 (five crops and their mirror images); a view column tells"
                + " them apart", ParamValidators.inArray(ClipTransform.VIEW_COUNTS.stream().mapToInt(i -> i)
                .toArray()));
        this.layers = new StringArrayParam(this, "layers", "also these modules' outputs by state_dict prefix"
                + " (layer3, blocks.4, Mixed_4f), a column each: feature_layer3, feature_blocks_4");
        this.layerPool = new Param<>(this, "layerPool", "the layers' columns: avg (averaged over time and space)"
                + " or none (the whole map flattened; its shape in the column's metadata)", ParamValidators.inArray(
                new String[] {"avg", "none"}));
        this.topK = new IntParam(this, "topK", "a top_k column with the k most likely classes of each clip; 0:"
                + " none", ParamValidators.gtEq(0));
        this.batchSize = new IntParam(this, "batchSize", "clips per forward pass",
                ParamValidators.gtEq(1));
        this.backend = new Param<>(this, "backend", "reference, cpu or opencl; empty: the best"
                + " available");
        this.threads = new IntParam(this, "threads", "kernel threads per executor; 0: its cores",
                ParamValidators.gtEq(0));
        this.devices = new Param<>(this, "devices", "the devices each task runs on: opencl:0,opencl:1, cpu or"
                + " all; empty: the engine's best, or the GPUs Spark gave the task");
        this.engineOptions = new Param<>(this, "engineOptions", "engine settings, K=V comma-separated:"
                + " winograd=true|f4|f2|false, pack=true|false");
        this.decodeTimeout = new DoubleParam(this, "decodeTimeout", "seconds a decode may go"
                + " without a frame before the video is abandoned", ParamValidators.gt(0));
        this.segmentSeconds = new DoubleParam(this, "segmentSeconds", "long videos are split into"
                + " segments of this many seconds, one unit of work each", ParamValidators.gt(0));
        this.partitions = new IntParam(this, "partitions", "partitions the segments are spread over;"
                + " 0: three per task slot", ParamValidators.gtEq(0));
        this.featureType = new Param<>(this, "featureType", "array (array<float>) or vector (a"
                + " Spark ML vector, for KMeans, PCA, LSH)", ParamValidators.inArray(new String[] {"array", "vector"}));
        this.handleInvalid = new Param<>(this, "handleInvalid", "a video that cannot be"
                + " processed: skip (left out), keep (a row with its error) or error (the job fails)",
                ParamValidators.inArray(new String[] {"skip", "keep", "error"}));
        this.errorCol = new Param<>(this, "errorCol", "the column of the reason, with"
                + " handleInvalid keep");
        setDefault(inputCol, "video");
        setDefault(model, ExtractOptions.DEFAULT_MODEL);
        setDefault(weights, "");
        setDefault(widths, new int[0]);
        setDefault(clipLength, 0);
        setDefault(fps, 0.0);
        setDefault(frameStep, 1);
        setDefault(clipStride, 0);
        setDefault(tail, ExtractOptions.DEFAULT_TAIL.flag());
        setDefault(batchSize, ExtractOptions.DEFAULT_BATCH_SIZE);
        setDefault(views, 1);
        setDefault(layers, new String[0]);
        setDefault(layerPool, "avg");
        setDefault(topK, 0);
        setDefault(backend, "");
        setDefault(threads, 0);
        setDefault(devices, "");
        setDefault(engineOptions, "");
        setDefault(decodeTimeout, ExtractOptions.DEFAULT_DECODE_TIMEOUT);
        setDefault(segmentSeconds, ExtractOptions.DEFAULT_SEGMENT_SECONDS);
        setDefault(partitions, 0);
        setDefault(featureType, "array");
        setDefault(handleInvalid, "skip");
        setDefault(errorCol, "error");
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark ML finds a stage's params by its public methods that return them (Scala vals): one per param

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> model() {
        return model;
    }

    public Param<String> weights() {
        return weights;
    }

    public IntArrayParam widths() {
        return widths;
    }

    public IntParam clipLength() {
        return clipLength;
    }

    public DoubleParam fps() {
        return fps;
    }

    public IntParam frameStep() {
        return frameStep;
    }

    public IntParam clipStride() {
        return clipStride;
    }

    public Param<String> tail() {
        return tail;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam views() {
        return views;
    }

    public StringArrayParam layers() {
        return layers;
    }

    public Param<String> layerPool() {
        return layerPool;
    }

    public IntParam topK() {
        return topK;
    }

    public Param<String> backend() {
        return backend;
    }

    public IntParam threads() {
        return threads;
    }

    public Param<String> devices() {
        return devices;
    }

    public Param<String> engineOptions() {
        return engineOptions;
    }

    public DoubleParam decodeTimeout() {
        return decodeTimeout;
    }

    public DoubleParam segmentSeconds() {
        return segmentSeconds;
    }

    public IntParam partitions() {
        return partitions;
    }

    public Param<String> featureType() {
        return featureType;
    }

    public Param<String> handleInvalid() {
        return handleInvalid;
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public VideoFeatureExtractor setInputCol(String v) {
        return with(inputCol, v);
    }

    public VideoFeatureExtractor setModel(String v) {
        if (!ModelZoo.names().contains(v)) {
            throw new IllegalArgumentException("model must be one of " + ModelZoo.names() + ", got '" + v + "'");
        }
        return with(model, v);
    }

    public VideoFeatureExtractor setWeights(String v) {
        return with(weights, v == null ? "" : v);
    }

    public VideoFeatureExtractor setWidths(int... v) {
        return with(widths, v.clone());
    }

    public VideoFeatureExtractor setClipLength(int v) {
        return with(clipLength, (Object) v);
    }

    public VideoFeatureExtractor setFps(double v) {
        return with(fps, (Object) v);
    }

    public VideoFeatureExtractor setFrameStep(int v) {
        return with(frameStep, (Object) v);
    }

    public VideoFeatureExtractor setClipStride(int v) {
        return with(clipStride, (Object) v);
    }

    public VideoFeatureExtractor setTail(String v) {
        return with(tail, TailPolicy.parse(v).flag());
    }

    /**
     * 1 (the default), 3 (each clip also through the start and end crops) or 10 (five crops and their mirror images),
     * told apart by a {@code view} column.
     */
    public VideoFeatureExtractor setViews(int v) {
        return with(views, (Object) v);
    }

    /** Also these modules' outputs, a column each ({@code feature_layer3}; dots become underscores). */
    public VideoFeatureExtractor setLayers(String... v) {
        return with(layers, v);
    }

    /** {@code avg} (the default) or {@code none} for the {@link #setLayers layers'} columns. */
    public VideoFeatureExtractor setLayerPool(String v) {
        return with(layerPool, v);
    }

    /** A {@code top_k} column: the {@code k} most likely classes of each clip and their probabilities. */
    public VideoFeatureExtractor setTopK(int v) {
        return with(topK, (Object) v);
    }

    public VideoFeatureExtractor setBatchSize(int v) {
        return with(batchSize, (Object) v);
    }

    public VideoFeatureExtractor setBackend(String v) {
        return with(backend, v == null ? "" : v);
    }

    public VideoFeatureExtractor setThreads(int v) {
        return with(threads, (Object) v);
    }

    /**
     * The devices each task runs on ({@code "opencl:0,opencl:1"}, {@code "cpu"}, {@code "all"}); with several, grouped
     * layers are split across them and other models split each batch.
     */
    public VideoFeatureExtractor setDevices(String v) {
        return with(devices, v == null ? "" : v);
    }

    /** Engine settings as {@code K=V} pairs, comma-separated ({@code "winograd=f2,pack=false"}). */
    public VideoFeatureExtractor setEngineOptions(String v) {
        return with(engineOptions, v == null ? "" : v);
    }

    public VideoFeatureExtractor setDecodeTimeout(double seconds) {
        return with(decodeTimeout, (Object) seconds);
    }

    public VideoFeatureExtractor setSegmentSeconds(double seconds) {
        return with(segmentSeconds, (Object) seconds);
    }

    public VideoFeatureExtractor setPartitions(int v) {
        return with(partitions, (Object) v);
    }

    /** {@code array} ({@code array<float>}, the extract output's type) or {@code vector} (a Spark ML vector). */
    public VideoFeatureExtractor setFeatureType(String v) {
        return with(featureType, v);
    }

    public VideoFeatureExtractor setHandleInvalid(String v) {
        return with(handleInvalid, v);
    }

    public VideoFeatureExtractor setErrorCol(String v) {
        return with(errorCol, v);
    }

    private <T> VideoFeatureExtractor with(Param<T> p, T v) {
        set(p, v);
        return this;
    }

    /** The executor's settings these params give (validated: a bad combination fails here, naming it). */
    public SegmentSettings settings() {
        int[] w = $(widths);
        return new SegmentSettings($(model), $(weights).isEmpty() ? null : $(weights), w.length == 0 ? null : w,
                $(backend).isEmpty() ? null : $(backend), num(threads), num(batchSize), real(fps), num(clipLength),
                num(frameStep), num(clipStride), TailPolicy.parse($(tail)), real(decodeTimeout),
                real(segmentSeconds), null, num(views), new FeatureOutputs(List.of($(layers)), $(layerPool),
                num(topK)), EngineRequest.parseDevices($(devices)), engineOptionMap());
    }

    private java.util.Map<String, String> engineOptionMap() {
        EngineRequest r = EngineRequest.best();
        for (String kv : $(engineOptions).split(",")) {
            if (!kv.isBlank()) {
                r = r.withOption(kv.strip());
            }
        }
        return r.options();
    }

    // Scala's Int and Double params are Param<Object> from Java
    private int num(IntParam p) {
        return (Integer) $(p);
    }

    private double real(DoubleParam p) {
        return (Double) $(p);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        return ExtractRows.of(dataset.sparkSession(), dataset, $(inputCol), settings(), "vector".equals(
                $(featureType)), ExtractRows.Invalid.parse($(handleInvalid)), $(errorCol), num(partitions));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        settings(); // a bad combination of params fails before any work
        if (!Arrays.asList(schema.fieldNames()).contains($(inputCol))) {
            throw new IllegalArgumentException("no column '" + $(inputCol) + "' in " + Arrays.toString(
                    schema.fieldNames()) + "; setInputCol names the column of video paths");
        }
        return ExtractRows.schema(schema, "vector".equals($(featureType)), ExtractRows.Invalid.parse(
                $(handleInvalid)), $(errorCol), settings());
    }

    @Override
    public VideoFeatureExtractor copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads a saved stage ({@code MLReadable}: what {@code Pipeline.load} calls). */
    public static MLReader<VideoFeatureExtractor> read() {
        return new DefaultParamsReader<>();
    }

    public static VideoFeatureExtractor load(String path) {
        return read().load(path);
    }
}
