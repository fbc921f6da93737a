package io.cubist.jobs.extract;

import io.cubist.kernels.io.Json;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.model.zoo.ModelZoo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The main job: videos → clips → features in Parquet. The driver lists the inputs, drops those already done
 * ({@code --mode skip-existing}), probes every video's duration on the executors, splits long videos into segments and
 * balances the segments over the partitions; executors decode, sample, transform and run the model (one loaded model
 * per executor JVM) and return one row per clip. Rows are written with Spark's Parquet writer and its commit protocol,
 * so a retried or speculative task never duplicates or loses rows. Failed videos are rows of {@code DIR/_errors};
 * {@code DIR/_manifest.json} records the run (older runs stay in {@code DIR/_runs/}).
 */
public final class ExtractJob {

    /** The driver's log (Spark's SLF4J); the console lines a person watches are printed beside it. */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ExtractJob.class);

    /** The output contract of DESIGN.md (as written, the {@code feature} column carries the dataset's identity). */
    public static final StructType SCHEMA = new StructType()
            .add("video", DataTypes.StringType, false)
            .add("clip", DataTypes.IntegerType, false)
            .add("start_sec", DataTypes.DoubleType, false)
            .add("end_sec", DataTypes.DoubleType, false)
            .add("model", DataTypes.StringType, false)
            .add("feature", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    public static final StructType ERROR_SCHEMA = new StructType()
            .add("video", DataTypes.StringType, false)
            .add("stage", DataTypes.StringType, false)
            .add("error", DataTypes.StringType, false)
            .add("message", DataTypes.StringType, true);

    public static final String ERRORS = "_errors";
    public static final String MANIFEST = "_manifest.json";
    public static final String RUNS = "_runs";
    /** The manifest lists per-video figures up to this many videos. */
    static final int MAX_VIDEOS_LISTED = 10_000;

    /** What a run did: the counts of its manifest. */
    public record Result(int videosListed, int videosSkipped, int videosProcessed, int videosFailed, int segments,
                         long clips, double wallSec, Map<String, Object> manifest) {
    }

    private ExtractJob() {
    }

    public static Result run(SparkSession spark, ExtractOptions requested, PrintStream console,
                             double progressIntervalSec) throws IOException {
        long t0 = System.nanoTime();
        Instant started = Instant.now();
        SparkContext sc = spark.sparkContext();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        Configuration conf = sc.hadoopConfiguration();
        ModelZoo.describe(requested.model()); // an unknown model fails before any work
        ModelPreset preset = ModelPreset.forModel(requested.model());
        ExtractOptions o = requested.resolved(preset, executorCores(sc));
        if (o.weights() != null) {
            // shipped to every executor; and checked here first: a weight file that does not fit the model fails the
            // run naming the keys and shapes, before any output is touched (not as an _errors row per video, which a
            // later --mode skip-existing run would take as done)
            sc.addFile(o.weights());
            ExecutorModels.checkWeights(o);
        }

        Path out = new Path(o.output());
        FileSystem fs = out.getFileSystem(conf);
        out = fs.makeQualified(out);
        try (OutputLock lock = OutputLock.acquire(fs, out)) {
            boolean exists = hasContent(fs, out);
            if (exists && o.mode() == ExtractOptions.Mode.ERROR_IF_EXISTS) {
                throw new IllegalStateException("output " + out + " exists; choose --mode overwrite (replace it) or"
                        + " --mode skip-existing (add the videos not yet in it)");
            }
            if (exists && o.mode() == ExtractOptions.Mode.OVERWRITE) {
                fs.delete(out, true);
                exists = false;
            }

            DatasetIdentity identity = DatasetIdentity.of(o, preset, conf);
            if (exists && o.mode() == ExtractOptions.Mode.SKIP_EXISTING) {
                DatasetIdentity had = DatasetIdentity.recorded(fs, out, spark);
                List<String> diff = had == null ? List.of() : identity.differences(had);
                if (!diff.isEmpty()) {
                    throw new IllegalStateException("output " + out + " holds another feature space (" + String.join(
                            "; ", diff) + "): adding to it would mix the two; write to another --output, or replace"
                            + " it with --mode overwrite");
                }
            }

            boolean clipsMode = o.clips() != null;
            List<String> listed = clipsMode ? InputLister.clipFiles(conf, o.clips())
                    : InputLister.list(spark, o.inputs(), o.manifests());
            Set<String> done = exists ? existingVideos(spark, out) : Set.of();
            int retried = 0;
            if (o.retryErrors() && exists) {
                retried = dropTransientErrors(spark, out, done);
            }
            // prepared clips: whole files are the units; videos already done are dropped row by row
            List<String> todo = clipsMode ? listed : listed.stream().filter(v -> !done.contains(v)).toList();
            int skipped = listed.size() - todo.size();
            console.printf("cubist extract: %d %s listed%s; model %s%n", listed.size(),
                    clipsMode ? "clip file" + (listed.size() == 1 ? "" : "s") : "video" + (listed.size() == 1 ? ""
                    : "s"), (skipped > 0 ? ", " + skipped + " already in " + out : "") + (retried > 0 ? ", " + retried
                    + " failed before and retried" : ""), o.modelLabel());
            double tList = secs(t0);
            if (o.weights() == null) {
                console.println("cubist extract: WARNING: no --weights given: " + o.model() + " runs on random"
                        + " weights (seed " + ModelZoo.RANDOM_SEED + "); its features mean nothing. Pass --weights"
                        + " (tools/export_torchvision.py writes torchvision's).");
            }

            // every read on every executor goes through the job's Hadoop configuration (spark.hadoop.* included)
            org.apache.spark.broadcast.Broadcast<HadoopConf> hadoop = jsc.broadcast(new HadoopConf(conf));
            Map<String, Long> bytesPerVideo = new java.util.TreeMap<>();

            // probe: durations, on the executors
            List<ErrorRecord> errors = new ArrayList<>();
            List<Segment> segments = new ArrayList<>();
            long expectedClips = 0;
            if (clipsMode) {
                for (String f : todo) {
                    Path fp = new Path(f);
                    double mb = fp.getFileSystem(conf).getFileStatus(fp).getLen() / 1e6;
                    segments.add(new Segment(f, 0, 1, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                            Math.max(mb, 1e-3)));
                }
            } else if (!todo.isEmpty()) {
                int slices = Math.min(todo.size(), Math.max(1, sc.defaultParallelism() * 4));
                ExtractOptions shipped = o;
                List<Probe> probes = jsc.parallelize(todo, slices)
                        .map(v -> SegmentProcessor.probe(shipped, v, hadoop)).collect();
                for (Probe p : probes) {
                    bytesPerVideo.merge(p.video(), p.bytesRead(), Long::sum);
                    if (p.error() != null) {
                        errors.add(p.error());
                    } else {
                        segments.addAll(Segment.split(p.video(), p.durationSec(), o.segmentSeconds()));
                        expectedClips += p.expectedClips(o);
                    }
                }
            }
            double tProbe = secs(t0);

            LongAccumulator clips = sc.longAccumulator("cubist.clips");
            LongAccumulator segmentsDone = sc.longAccumulator("cubist.segments");
            DoubleAccumulator decodeSec = sc.doubleAccumulator("cubist.decode_sec");
            DoubleAccumulator computeSec = sc.doubleAccumulator("cubist.compute_sec");
            CollectionAccumulator<ErrorRecord> taskErrors = sc.collectionAccumulator("cubist.errors");
            CollectionAccumulator<String> engines = sc.collectionAccumulator("cubist.engines");
            CollectionAccumulator<String> warnings = sc.collectionAccumulator("cubist.warnings");
            CollectionAccumulator<ErrorRecord> noClips = sc.collectionAccumulator("cubist.no_clips");
            CollectionAccumulator<String> withClips = sc.collectionAccumulator("cubist.with_clips");
            CollectionAccumulator<SegmentProcessor.VideoBytes> bytesRead = sc.collectionAccumulator("cubist.bytes_read");
            LongAccumulator toDevice = sc.longAccumulator("cubist.bytes_to_device");
            LongAccumulator fromDevice = sc.longAccumulator("cubist.bytes_from_device");
            LongAccumulator launches = sc.longAccumulator("cubist.launches");
            SegmentProcessor.Stats stats = new SegmentProcessor.Stats(clips, segmentsDone, decodeSec, computeSec,
                    taskErrors, engines, warnings, noClips, withClips, bytesRead, toDevice, fromDevice, launches,
                    clipsMode && !done.isEmpty() ? jsc.broadcast(new HashSet<>(done)) : null, hadoop);

            int partitions = segments.isEmpty() ? 1 : Math.min(segments.size(),
                    o.partitions() > 0 ? o.partitions() : Math.max(1, sc.defaultParallelism() * 3));
            List<List<ExtractRows.Unit>> bins = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                bins.add(new ArrayList<>());
            }
            int[] bin = Segment.balance(segments, partitions);
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                bins.get(bin[i]).add(new ExtractRows.Unit(RowFactory.create(s.video()), s, null));
            }
            // the transformer's executor stage over the planned segments; failures go to the accumulators
            ExtractOptions shipped = o;
            JavaRDD<Row> rows = jsc.parallelize(bins, partitions).mapPartitions(it -> {
                List<ExtractRows.Unit> units = new ArrayList<>();
                it.forEachRemaining(units::addAll);
                return ExtractRows.rows(shipped, units.iterator(), hadoop, false, ExtractRows.Invalid.SKIP, stats);
            });
            Dataset<Row> df = spark.createDataFrame(rows, schema(identity, o));
            sc.setJobDescription("cubist extract: " + segments.size() + " segments of " + todo.size() + " videos");
            try (Progress progress = new Progress(sc, clips, segmentsDone, segments.size(), expectedClips, console,
                    progressIntervalSec)) {
                df.write().mode(SaveMode.Append).parquet(out.toString());
                progress.print();
            }
            double tExtract = secs(t0);

            errors.addAll(taskErrors.value());
            for (SegmentProcessor.VideoBytes b : bytesRead.value()) {
                bytesPerVideo.merge(b.video(), b.bytes(), Long::sum);
            }
            long bytesTotal = bytesPerVideo.values().stream().mapToLong(Long::longValue).sum();
            Set<String> someClips = new HashSet<>(withClips.value());
            for (ErrorRecord e : noClips.value()) {
                if (!someClips.contains(e.video())) {
                    errors.add(e);
                }
            }
            List<ErrorRecord> firstPerVideo = firstPerVideo(errors);
            List<Row> errorRows = new ArrayList<>();
            for (ErrorRecord e : firstPerVideo) {
                errorRows.add(RowFactory.create(e.video(), e.stage(), e.error(), e.message()));
            }
            spark.createDataFrame(errorRows, ERROR_SCHEMA).coalesce(1).write().mode(SaveMode.Append)
                    .parquet(new Path(out, ERRORS).toString());

            Set<String> failed = new HashSet<>();
            firstPerVideo.forEach(e -> failed.add(e.video()));
            double wall = secs(t0);
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("started", started.toString());
            manifest.put("finished", Instant.now().toString());
            manifest.put("identity", identity.toMap());
            manifest.put("settings", withMaster(o.describe(), sc));
            manifest.put("versions", versions(spark));
            Set<String> engineSet = new TreeSet<>(engines.value());
            manifest.put("backend", backendOf(engineSet));
            manifest.put("engines", new ArrayList<>(engineSet));
            if (launches.value() > 0) {
                // what crossed between the host and the devices per clip (a view counts as a clip)
                long clipRows = Math.max(1, clips.value());
                Map<String, Object> device = new LinkedHashMap<>();
                device.put("bytes_to_device_per_clip", toDevice.value() / (double) clipRows);
                device.put("bytes_from_device_per_clip", fromDevice.value() / (double) clipRows);
                device.put("launches_per_clip", launches.value() / (double) clipRows);
                manifest.put("device", device);
            }
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("videos", (long) listed.size());
            counts.put("videos_skipped", (long) skipped);
            counts.put("videos_processed", (long) todo.size());
            counts.put("videos_ok", (long) (todo.size() - failed.size()));
            counts.put("videos_failed", (long) failed.size());
            counts.put("segments", (long) segments.size());
            counts.put("partitions", (long) partitions);
            counts.put("clips", clips.value());
            manifest.put("counts", counts);
            // bytes read from the input FileSystem (probes and segments; retried tasks count again)
            manifest.put("bytes_read", bytesTotal);
            manifest.put("bytes_read_per_video", bytesPerVideo.size() <= MAX_VIDEOS_LISTED
                    ? new LinkedHashMap<String, Object>(bytesPerVideo) : "not listed: more than "
                    + MAX_VIDEOS_LISTED + " videos");
            Map<String, Object> timings = new LinkedHashMap<>();
            timings.put("wall_sec", wall);
            timings.put("list_sec", tList);
            timings.put("probe_sec", tProbe - tList);
            timings.put("extract_sec", tExtract - tProbe);
            timings.put("clips_per_sec", clips.value() / Math.max(tExtract - tProbe, 1e-9));
            timings.put("task_decode_sec", decodeSec.value());
            timings.put("task_compute_sec", computeSec.value());
            manifest.put("timings", timings);
            manifest.put("warnings", new ArrayList<>(new TreeSet<>(warnings.value())));
            writeManifest(fs, out, manifest, started);
            LOG.info("extract {}: {} clips from {} videos ({} failed, {} skipped), {} segments, {} bytes read, {} s",
                    out, clips.value(), todo.size() - failed.size(), failed.size(), skipped, segments.size(),
                    bytesTotal, String.format(java.util.Locale.ROOT, "%.1f", wall));

            console.printf("cubist extract: %d clip%s from %d video%s (%d failed, see %s) in %s -> %s%n",
                    clips.value(), clips.value() == 1 ? "" : "s", todo.size() - failed.size(),
                    todo.size() - failed.size() == 1 ? "" : "s", failed.size(), new Path(out, ERRORS),
                    Progress.duration(wall), out);
            return new Result(listed.size(), skipped, todo.size(), failed.size(), segments.size(), clips.value(),
                    wall, manifest);
        }
    }

    /**
     * {@link #schema(SegmentWork)} with the identity in the {@code feature} column's metadata (so in every Parquet
     * footer).
     */
    static StructType schema(DatasetIdentity identity, SegmentWork w) {
        org.apache.spark.sql.types.Metadata meta = new org.apache.spark.sql.types.MetadataBuilder()
                .putString(DatasetIdentity.METADATA_KEY, identity.toJson()).build();
        StructType s = new StructType();
        for (org.apache.spark.sql.types.StructField f : schema(w).fields()) {
            s = s.add(f.name().equals("feature") ? f.copy(f.name(), f.dataType(), f.nullable(), meta) : f);
        }
        return s;
    }

    /**
     * The rows' schema: {@link #SCHEMA}, with a {@code view} column after {@code clip} with more than one view and
     * the columns of {@link SegmentWork#outputs()} after {@code feature}: the transformer's schema over a
     * {@code video} column.
     */
    public static StructType schema(SegmentWork w) {
        return ExtractRows.schema(new StructType().add(SCHEMA.apply("video")), false, ExtractRows.Invalid.SKIP,
                null, w);
    }

    /**
     * {@code --retry-errors}: the videos whose {@code _errors} row is transient ({@code timeout}, or stage
     * {@code input}) and that have no rows are taken out of {@code done} and their rows out of {@code _errors} (this
     * run writes their new outcome). Returns how many.
     */
    static int dropTransientErrors(SparkSession spark, Path out, Set<String> done) {
        String[] files = errorFiles(out, spark.sparkContext().hadoopConfiguration());
        if (files.length == 0) {
            return 0;
        }
        Set<String> withRows = new HashSet<>();
        for (Row r : spark.read().schema(SCHEMA).parquet(out.toString()).select("video").distinct().collectAsList()) {
            withRows.add(r.getString(0));
        }
        List<Row> keep = new ArrayList<>();
        Set<String> retry = new TreeSet<>();
        for (Row r : spark.read().schema(ERROR_SCHEMA).parquet(files).collectAsList()) {
            boolean transientError = "timeout".equals(r.getString(2)) || "input".equals(r.getString(1));
            if (transientError && !withRows.contains(r.getString(0))) {
                retry.add(r.getString(0));
            } else {
                keep.add(r);
            }
        }
        if (retry.isEmpty()) {
            return 0;
        }
        keep.removeIf(r -> retry.contains(r.getString(0)));
        // rows collected above: the directory may be replaced (a crash here leaves those videos with no row at all,
        // which the next run processes again)
        spark.createDataFrame(keep, ERROR_SCHEMA).coalesce(1).write().mode(SaveMode.Overwrite)
                .parquet(new Path(out, ERRORS).toString());
        done.removeAll(retry);
        return retry.size();
    }

    /** Cores one executor gives its tasks' kernels: spark.executor.cores, or local mode's thread count. */
    static int executorCores(SparkContext sc) {
        if (sc.conf().contains("spark.executor.cores")) {
            return Math.max(1, sc.conf().getInt("spark.executor.cores", 1));
        }
        if (isLocal(sc.master())) {
            return Math.max(1, Math.min(sc.defaultParallelism(), Runtime.getRuntime().availableProcessors()));
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** local, local[N], local[*], local[N,F] (not local-cluster, whose executors are separate JVMs). */
    public static boolean isLocal(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /** A directory with anything in it, or a file. */
    static boolean hasContent(FileSystem fs, Path out) throws IOException {
        if (!fs.exists(out)) {
            return false;
        }
        FileStatus st = fs.getFileStatus(out);
        if (!st.isDirectory()) {
            throw new IllegalArgumentException("--output " + out + " is a file, not a directory");
        }
        return fs.listStatus(out).length > 0;
    }

    /** Videos with rows in the output or a row in its {@code _errors}. */
    static Set<String> existingVideos(SparkSession spark, Path out) {
        Set<String> done = new HashSet<>();
        for (Row r : spark.read().schema(SCHEMA).parquet(out.toString()).select("video").distinct()
                .collectAsList()) {
            done.add(r.getString(0));
        }
        String[] errorFiles = errorFiles(out, spark.sparkContext().hadoopConfiguration());
        if (errorFiles.length > 0) {
            for (Row r : spark.read().schema(ERROR_SCHEMA).parquet(errorFiles).select("video").distinct()
                    .collectAsList()) {
                done.add(r.getString(0));
            }
        }
        return done;
    }

    /**
     * The Parquet files of {@code DIR/_errors}, named one by one: Spark skips a directory whose name starts with
     * {@code _} when it is given as the path.
     */
    public static String[] errorFiles(Path out, Configuration conf) {
        try {
            Path dir = new Path(out, ERRORS);
            FileSystem fs = dir.getFileSystem(conf);
            if (!fs.exists(dir)) {
                return new String[0];
            }
            List<String> files = new ArrayList<>();
            for (FileStatus st : fs.listStatus(dir)) {
                String name = st.getPath().getName();
                if (st.isFile() && name.endsWith(".parquet") && !name.startsWith(".") && !name.startsWith("_")) {
                    files.add(st.getPath().toString());
                }
            }
            return files.toArray(new String[0]);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + out + "/" + ERRORS + ": " + e.getMessage(), e);
        }
    }

    /** One error per video: the one from its earliest segment (a video that cannot be opened fails in each). */
    static List<ErrorRecord> firstPerVideo(List<ErrorRecord> errors) {
        Map<String, ErrorRecord> first = new LinkedHashMap<>();
        errors.stream().sorted(Comparator.comparing(ErrorRecord::video).thenComparingInt(ErrorRecord::segment))
                .forEach(e -> first.putIfAbsent(e.video(), e));
        return new ArrayList<>(first.values());
    }

    private static Map<String, Object> withMaster(Map<String, Object> settings, SparkContext sc) {
        settings.put("master", sc.master());
        settings.put("app_id", sc.applicationId());
        settings.put("task_cpus", (long) sc.conf().getInt("spark.task.cpus", 1));
        return settings;
    }

    private static Object backendOf(Set<String> engines) {
        Set<String> names = new TreeSet<>();
        for (String e : engines) {
            int sp = e.indexOf(' ');
            names.add(sp > 0 ? e.substring(0, sp) : e);
        }
        return names.size() == 1 ? names.iterator().next() : new ArrayList<>(names);
    }

    private static Map<String, Object> versions(SparkSession spark) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("cubist", io.cubist.jobs.Version.current().cubist());
        v.put("spark", spark.version());
        v.put("scala", scala.util.Properties.versionNumberString());
        v.put("java", System.getProperty("java.version"));
        v.put("ffmpeg", SegmentProcessor.ffmpegVersion());
        return v;
    }

    private static void writeManifest(FileSystem fs, Path out, Map<String, Object> manifest, Instant started)
            throws IOException {
        byte[] json = (Json.write(manifest) + "\n").getBytes(StandardCharsets.UTF_8);
        fs.mkdirs(out);
        try (OutputStream s = fs.create(new Path(out, MANIFEST), true)) {
            s.write(json);
        }
        String stamp = started.toString().replace(':', '-');
        try (OutputStream s = fs.create(new Path(new Path(out, RUNS), "run-" + stamp + ".json"), true)) {
            s.write(json);
        }
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
