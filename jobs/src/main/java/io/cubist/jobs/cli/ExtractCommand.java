package io.cubist.jobs.cli;

import io.cubist.jobs.extract.ExtractJob;
import io.cubist.jobs.extract.ExtractOptions;
import io.cubist.jobs.extract.FeatureOutputs;
import io.cubist.kernels.backend.Backends;
import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cubist extract}: the main job, on the Spark session {@code spark-submit} configured or, from the launcher, in
 * local mode ({@code --master} to change).
 */
public final class ExtractCommand implements Command {

    @Override
    public String name() {
        return "extract";
    }

    @Override
    public String summary() {
        return "the main job: videos -> clips -> features in Parquet, on Spark (local mode by default)";
    }

    @Override
    public Set<String> switches() {
        return Set.of("retry-errors");
    }

    @Override
    public Set<String> valued() {
        return new LinkedHashSet<>(List.of("input", "manifest", "clips", "output", "model", "weights", "widths", "backend",
                "batch-size", "fps", "clip-length", "frame-step", "clip-stride", "tail", "segment-seconds",
                "decode-timeout", "partitions", "mode", "threads", "master", "task-cpus", "conf",
                "progress-interval", "views", "packages", "exclude-packages", "repositories", "jars", "layer", "pool",
                "top-k", "devices", "engine-option"));
    }

    @Override
    public String usage() {
        return """
                usage: cubist extract --input PATH... --output DIR [--model NAME] [--weights FILE] [flags]
                       spark-submit --class io.cubist.jobs.ExtractFeatures cubist-jobs-VERSION-all.jar (same flags)

                Writes DIR: a Parquet dataset, one row per clip (video, clip, start_sec, end_sec, model, feature);
                DIR/_errors: one row per video that could not be processed (video, stage, error, message);
                DIR/_manifest.json: settings, versions, backend, counts and timings of the run.

                inputs (any Hadoop FileSystem path: file:, hdfs:, s3a: ...; each flag may repeat)
                  --input PATH        a video file, a directory (searched recursively for video files) or a glob
                  --manifest FILE     a CSV (with a header) or Parquet file whose 'video' column lists videos
                  --clips DIR         clips prepared by cubist prepare (Arrow IPC files), read instead of decoding
                model
                  --model NAME        %s (default r2plus1d_18)
                  --weights FILE      torchvision state_dict as safetensors or .pth (default: seeded random
                                      weights, whose features mean nothing)
                  --widths A,B,C,D    stage widths of a reduced variant (for tests)
                  --backend NAME      %s (default: the best available)
                  --batch-size N      clips per forward pass (default 4)
                  --views 1|3|10      test-time views per clip: the center crop (default); 3: also the start and
                                      end crops along the longer side (a view column: 0 start, 1 center, 2 end);
                                      10: torchvision's ten_crop (0-4 top-left, top-right, bottom-left,
                                      bottom-right, center; 5-9 the same of the mirrored frame)
                  --layer NAME,...    also these modules' outputs by state_dict prefix (layer3, blocks.4, Mixed_4f),
                                      a column each: feature_layer3, feature_blocks_4 (cubist summary --model
                                      NAME --layers lists the names)
                  --pool avg|none     --layer columns averaged over time and space (default), or the whole map
                                      flattened (its shape in the column's metadata, cubist.shape)
                  --top-k K           a top_k column: the K most likely classes of each clip with their
                                      probabilities (Kinetics-400's names for 400 classes; needs the classifier)
                  --threads N         kernel threads per executor (default: its cores)
                  --devices LIST      the devices each task runs on: opencl:0,opencl:1 | cpu | all (default: the
                                      engine's best, or the GPUs Spark gave the task: all of them); with several,
                                      grouped layers are split across them, other models split each batch
                  --engine-option K=V an engine setting (repeatable): winograd=true|f4|f2|false, pack=true|false
                clips (defaults from the model's preset, conf/models/NAME.json)
                  --fps F             frames per second clips are sampled at, by timestamps
                  --clip-length T     frames per clip
                  --frame-step S      take every S-th sampled frame (default 1)
                  --clip-stride N     sampled frames between clip starts (default T*S: back to back)
                  --tail drop|pad-last|back-pad  frames after the last whole clip: dropped (default, as torchvision),
                                      a clip padded with the last frame, or a last clip ending at the last frame
                work
                  --segment-seconds S split videos into segments of S seconds, one unit of work each (default 300)
                  --decode-timeout S  abandon a video whose decoder produces no frame for S seconds (default 120)
                  --partitions N      Spark partitions (default: 3 per task slot)
                  --mode M            error-if-exists (default), overwrite, or skip-existing (process only videos
                                      not already in DIR or DIR/_errors, and append); a DIR holding another
                                      model, weights, preprocessing or sampling is refused
                  --retry-errors      with skip-existing: try again the videos whose _errors row is transient
                                      (a timeout, or stage input: the storage failed) and replace those rows
                spark (launcher only; spark-submit's own flags apply otherwise)
                  --master URL        local[*] (default), local[N], spark://HOST:PORT ...
                  --task-cpus N       cores per task (default: all of an executor's, one clip batch at a time)
                  --conf K=V          any Spark setting (repeatable): spark.hadoop.* reach every read, e.g.
                                      spark.hadoop.fs.s3a.access.key=... or spark.hadoop.fs.s3a.endpoint=...
                  --packages G:A:V,...  Maven packages for the driver and executors, as spark-submit takes them
                                      (S3: org.apache.hadoop:hadoop-aws:<Spark's Hadoop version>)
                  --exclude-packages G:A,...  leave these out of --packages' dependencies
                  --repositories URL,...  extra Maven repositories for --packages
                  --jars A.jar,...    jars for the driver and executors
                  --progress-interval S  seconds between progress lines (default 10)""".formatted(
                String.join(", ", ModelZoo.names()), String.join("|", Backends.names()));
    }

    /** Flags spark-submit itself takes: given to the launcher, the run goes through spark-submit's code. */
    static final Set<String> SUBMIT_FLAGS = Set.of("packages", "exclude-packages", "repositories", "jars");
    /** Set in a run that went through spark-submit's code, so that it does not go through it again. */
    static final String SUBMITTED = "cubist.submitted";

    @Override
    public int run(Flags flags) throws Exception {
        if (SUBMIT_FLAGS.stream().anyMatch(flags::has)) {
            return submit(flags);
        }
        ExtractOptions options = options(flags);
        double interval = positiveDouble(flags, "progress-interval", 10);
        SparkSession spark = session(flags);
        try {
            ExtractJob.Result r = ExtractJob.run(spark, options, System.err, interval);
            return r.videosProcessed() > 0 && r.videosFailed() == r.videosProcessed() ? 3 : 0;
        } finally {
            spark.stop();
        }
    }

    /**
     * The run with {@code --packages}/{@code --jars}: through Spark's own {@code SparkSubmit} in this JVM (client
     * mode), which resolves the packages (Ivy, cached in {@code ~/.ivy2}), puts them and the jars on the driver's class
     * path and ships them to the executors, then calls {@code ExtractFeatures} with the other flags.
     */
    private static int submit(Flags f) throws Exception {
        if (Boolean.getBoolean(SUBMITTED) || new SparkConf().contains("spark.master")) {
            throw new UsageException("extract: --" + SUBMIT_FLAGS.stream().filter(f::has).findFirst().orElseThrow()
                    + " belongs to spark-submit itself when the job runs under spark-submit (give it before the jar)");
        }
        options(f); // bad flags are refused here, before any package is fetched
        List<String> args = new ArrayList<>(List.of("--master", f.get("master", "local[*]")));
        for (String name : List.of("packages", "exclude-packages", "repositories", "jars")) {
            if (f.has(name)) {
                args.add("--" + name);
                args.add(String.join(",", f.all(name)));
            }
        }
        args.addAll(List.of("--class", io.cubist.jobs.ExtractFeatures.class.getName(), "spark-internal"));
        args.addAll(f.toArgs(SUBMIT_FLAGS));
        System.setProperty(SUBMITTED, "true");
        org.apache.spark.deploy.SparkSubmit.main(args.toArray(new String[0]));
        return 0; // ExtractFeatures exits with its code when it is not 0
    }

    static ExtractOptions options(Flags f) {
        List<String> inputs = f.all("input");
        List<String> manifests = f.all("manifest");
        String clips = f.get("clips", null);
        if (inputs.isEmpty() && manifests.isEmpty() && clips == null) {
            throw new UsageException("extract: --input PATH, --manifest FILE or --clips DIR is required (see cubist"
                    + " extract --help)");
        }
        if (clips != null && !(inputs.isEmpty() && manifests.isEmpty())) {
            throw new UsageException("extract: --clips reads prepared clips instead of videos; give it without"
                    + " --input or --manifest");
        }
        String model = f.get("model", ExtractOptions.DEFAULT_MODEL);
        if (!ModelZoo.names().contains(model)) {
            throw new UsageException("extract: --model must be one of " + String.join(", ", ModelZoo.names())
                    + ", got '" + model + "'");
        }
        String backend = f.get("backend", null);
        if (backend != null && !Backends.names().contains(backend)) {
            throw new UsageException("extract: --backend must be one of " + String.join(", ", Backends.names())
                    + ", got '" + backend + "'");
        }
        io.cubist.kernels.backend.EngineRequest engine = EngineFlags.request(f);
        if (localMaster(f)) {
            // the executors are this JVM: a device it does not have is refused now, not in every segment
            try {
                Backends.devices(engine);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new UsageException("extract: " + e.getMessage());
            }
        }
        ExtractOptions.Mode mode;
        try {
            mode = ExtractOptions.Mode.parse(f.get("mode", ExtractOptions.Mode.ERROR_IF_EXISTS.flag()));
        } catch (IllegalArgumentException e) {
            throw new UsageException("extract: " + e.getMessage());
        }
        TailPolicy tail;
        try {
            tail = TailPolicy.parse(f.get("tail", ExtractOptions.DEFAULT_TAIL.flag()));
        } catch (IllegalArgumentException e) {
            throw new UsageException("extract: --tail: " + e.getMessage());
        }
        try {
            // ExtractOptions checks the rest (tail policy, ...): what it refuses is a usage error here
            return new ExtractOptions(inputs, manifests, clips, f.required("output"), model, f.get("weights", null),
                    f.positiveInts("widths", 4, null), backend,
                    f.positiveInt("batch-size", ExtractOptions.DEFAULT_BATCH_SIZE), positiveDouble(f, "fps", 0),
                    f.has("clip-length") ? f.positiveInt("clip-length", 1) : 0, f.positiveInt("frame-step", 1),
                    f.has("clip-stride") ? f.positiveInt("clip-stride", 1) : 0,
                    tail,
                    positiveDouble(f, "segment-seconds", ExtractOptions.DEFAULT_SEGMENT_SECONDS),
                    positiveDouble(f, "decode-timeout", ExtractOptions.DEFAULT_DECODE_TIMEOUT),
                    f.has("partitions") ? f.positiveInt("partitions", 1) : 0, mode,
                    f.has("threads") ? f.positiveInt("threads", 1) : 0, f.has("retry-errors"),
                    f.positiveInt("views", 1), new FeatureOutputs(f.has("layer") ? List.of(f.get("layer", "")
                            .split(",")) : List.of(), f.get("pool", "avg"), f.has("top-k") ? f.positiveInt("top-k", 1)
                            : 0), engine.devices(), engine.options());
        } catch (IllegalArgumentException e) {
            throw new UsageException("extract: " + e.getMessage());
        }
    }

    private static double positiveDouble(Flags f, String name, double dflt) {
        String v = f.get(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (d > 0 && !Double.isInfinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new UsageException("extract: --" + name + " must be a number > 0, got '" + v + "'");
    }

    /** Whether the run's executors are this JVM: a local master, given or by default. */
    static boolean localMaster(Flags f) {
        String master = f.has("master") ? f.get("master", "") : new SparkConf().get("spark.master", "local[*]");
        return master.startsWith("local");
    }

    /**
     * The session: spark-submit's when it configured one ({@code spark.master} set), else a local one. The executors
     * get the JVM flags Cubist needs (Spark's and Arrow's opens, the Vector API module) unless already set.
     */
    static SparkSession session(Flags f) throws IOException {
        SparkConf conf = new SparkConf();
        if (f.has("master")) {
            conf.setMaster(f.get("master", null));
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        conf.setIfMissing("spark.app.name", "cubist-extract");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.sql.parquet.compression.codec", "snappy");
        String flagsLine = jvmFlags();
        if (!flagsLine.isEmpty()) {
            conf.setIfMissing("spark.executor.extraJavaOptions", flagsLine);
        }
        String master = conf.get("spark.master");
        if (f.has("task-cpus")) {
            conf.set("spark.task.cpus", Integer.toString(f.positiveInt("task-cpus", 1)));
        } else if (ExtractJob.isLocal(master) && !conf.contains("spark.task.cpus")) {
            conf.set("spark.task.cpus", Integer.toString(localThreads(master)));
        }
        for (String kv : f.all("conf")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("extract: --conf takes KEY=VALUE, got '" + kv + "'");
            }
            conf.set(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** The threads of local[N] / local[*] / local. */
    static int localThreads(String master) {
        int cores = Runtime.getRuntime().availableProcessors();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\*|\\d+)").matcher(master);
        if (m.lookingAt()) {
            return m.group(1).equals("*") ? cores : Math.max(1, Integer.parseInt(m.group(1)));
        }
        return master.equals("local") ? 1 : cores;
    }

    /** The launcher's JVM flags (jvm.options, filtered from the parent pom), for executors. */
    static String jvmFlags() throws IOException {
        try (InputStream in = ExtractCommand.class.getResourceAsStream("/io/cubist/jobs/jvm.options")) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}
