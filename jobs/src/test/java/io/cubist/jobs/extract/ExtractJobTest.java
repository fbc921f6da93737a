package io.cubist.jobs.extract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.RandomWeights;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.video.SyntheticVideos;
import io.cubist.pipeline.weights.StateDict;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extract job in local mode on videos written by the test (mixed codecs and containers) and broken files: one row
 * per clip for every decodable video, one {@code _errors} row per broken one, the modes, segment splitting, and the
 * manifest.
 */
class ExtractJobTest {
    static final int[] WIDTHS = {4, 8, 8, 16};
    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path videos;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("extract-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        videos = dir.resolve("videos");
        Files.createDirectories(videos.resolve("nested"));
        // 3 s at 10 fps; sampled at 8 fps with 4-frame clips: 24 frames, 6 clips each
        SyntheticVideos.write(videos.resolve("a.avi"), SyntheticVideos.Codec.MPEG4_AVI, 64, 48, 10, 30);
        SyntheticVideos.write(videos.resolve("nested/b.mkv"), SyntheticVideos.Codec.FFV1_MKV, 48, 64, 10, 30);
        // an MPEG-TS stream whose clock starts at 3 s (plus the muxer's delay): clips count from its first frame
        double[] pts = new double[30];
        for (int i = 0; i < pts.length; i++) {
            pts[i] = 3 + i / 10.0;
        }
        SyntheticVideos.write(videos.resolve("late.ts"), new SyntheticVideos.Codec("mpegts", "mpeg2video",
                org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P, false), 64, 48, 10, pts);
        // too short for one 4-frame clip at 8 fps
        SyntheticVideos.write(videos.resolve("short.avi"), SyntheticVideos.Codec.MPEG4_AVI, 64, 48, 10, 3);
        Files.write(videos.resolve("empty.mp4"), new byte[0]);
        byte[] junk = new byte[20_000];
        new Random(1).nextBytes(junk);
        Files.write(videos.resolve("junk.webm"), junk);
        Files.writeString(videos.resolve("notes.txt"), "not a video, not listed from a directory");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    static ExtractOptions options(List<String> inputs, Path out, ExtractOptions.Mode mode, double segmentSeconds,
                                  String weights) {
        return new ExtractOptions(inputs, List.of(), null, out.toString(), "r3d_18", weights, WIDTHS, "cpu", 3, 8, 4, 1, 0,
                io.cubist.pipeline.clip.TailPolicy.DROP, segmentSeconds, 60, 0, mode, 2);
    }

    static ExtractJob.Result run(ExtractOptions o, StringBuilder console) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            ExtractJob.Result r = ExtractJob.run(spark, o, ps, 1);
            console.append(buf.toString(StandardCharsets.UTF_8));
            return r;
        }
    }

    static Map<String, float[]> rows(Path out) {
        Map<String, float[]> m = new TreeMap<>();
        for (Row r : spark.read().parquet(out.toString()).collectAsList()) {
            String key = r.getString(r.fieldIndex("video")) + "#" + r.getInt(r.fieldIndex("clip"));
            List<Float> f = r.getList(r.fieldIndex("feature"));
            float[] v = new float[f.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = f.get(i);
            }
            float[] prev = m.put(key, v);
            assertTrue(prev == null, "duplicate row " + key);
        }
        return m;
    }

    @Test
    void mixedVideosGiveRowsAndBrokenOnesGiveOneErrorRowEach() throws Exception {
        Path out = dir.resolve("out-mixed");
        StringBuilder console = new StringBuilder();
        ExtractJob.Result r = run(options(List.of(videos.toString()), out, ExtractOptions.Mode.ERROR_IF_EXISTS, 300,
                null), console);
        assertEquals(6, r.videosListed(), console.toString());
        assertEquals(3, r.videosFailed(), console.toString());
        assertEquals(18, r.clips(), console.toString());

        List<Row> all = spark.read().parquet(out.toString()).orderBy("video", "clip").collectAsList();
        assertEquals(18, all.size());
        assertEquals(List.of("video", "clip", "start_sec", "end_sec", "model", "feature"),
                List.of(spark.read().parquet(out.toString()).columns()));
        Row first = all.get(0);
        assertTrue(first.getString(0).startsWith("file:/") && first.getString(0).endsWith("/videos/a.avi"),
                first.getString(0));
        assertEquals(0, first.getInt(1));
        assertEquals(0.0, first.getDouble(2), 1e-9);
        assertEquals(0.5, first.getDouble(3), 1e-9); // 4 frames at 8 fps
        assertEquals("r3d_18@4-8-8-16", first.getString(4));
        assertEquals(16, first.getList(5).size());
        Row last = all.get(5);
        assertEquals(5, last.getInt(1));
        assertEquals(2.5, last.getDouble(2), 1e-9);
        List<Row> late = all.stream().filter(x -> x.getString(0).endsWith("/late.ts")).toList();
        assertEquals(6, late.size());
        assertEquals(0, late.get(0).getInt(1));
        assertEquals(0.0, late.get(0).getDouble(2), 1e-9, "times count from the video's first frame");

        Map<String, Row> errors = new HashMap<>();
        for (Row e : spark.read().parquet(out.resolve("_errors").toString()).collectAsList()) {
            errors.put(Path.of(java.net.URI.create(e.getString(0))).getFileName().toString(), e);
        }
        assertEquals(Set.of("empty.mp4", "junk.webm", "short.avi"), errors.keySet());
        assertEquals("no_clips", errors.get("short.avi").getString(2));
        for (Row e : errors.values()) {
            assertFalse(e.getString(1).isBlank());
            assertFalse(e.getString(3).isBlank(), e.toString());
        }
        String manifest = Files.readString(out.resolve("_manifest.json"));
        assertTrue(manifest.contains("\"videos_failed\":3") && manifest.contains("\"clips\":18")
                && manifest.contains("\"backend\":\"cpu\""), manifest);
        assertTrue(console.toString().contains("cubist extract: segments"), console.toString());
        assertEquals(0, ExecutorAllocators.allocated(), "Arrow memory left after the run");

        // the same output again is refused; skip-existing adds nothing
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> run(options(
                List.of(videos.toString()), out, ExtractOptions.Mode.ERROR_IF_EXISTS, 300, null), console));
        assertTrue(refused.getMessage().contains("--mode"), refused.getMessage());
        Map<String, float[]> before = rows(out);
        ExtractJob.Result again = run(options(List.of(videos.toString()), out, ExtractOptions.Mode.SKIP_EXISTING,
                300, null), console);
        assertEquals(6, again.videosSkipped());
        assertEquals(0, again.videosProcessed());
        assertEquals(0, again.clips());
        assertEquals(before.keySet(), rows(out).keySet());
        assertEquals(3, spark.read().parquet(out.resolve("_errors").toString()).count());

        // a new video: only it is processed
        Path c = videos.resolve("c.avi");
        SyntheticVideos.write(c, SyntheticVideos.Codec.MPEG4_AVI, 64, 48, 10, 20);
        try {
            ExtractJob.Result more = run(options(List.of(videos.toString()), out, ExtractOptions.Mode.SKIP_EXISTING,
                    300, null), console);
            assertEquals(6, more.videosSkipped());
            assertEquals(1, more.videosProcessed());
            assertEquals(4, more.clips()); // 2 s: 16 frames at 8 fps
            assertEquals(22, rows(out).size());
        } finally {
            Files.delete(c);
        }
    }

    @Test
    void aReRunIntoAnotherFeatureSpaceIsRefusedAndTransientErrorsCanBeRetried() throws Exception {
        Path a = videos.resolve("a.avi");
        Path later = dir.resolve("arrives-later.avi");
        Path out = dir.resolve("out-identity");
        Path list = dir.resolve("identity.csv");
        Files.writeString(list, "video\n" + a + "\n" + later + "\n");
        StringBuilder console = new StringBuilder();
        ExtractOptions o = options(List.of(a.toString()), out, ExtractOptions.Mode.ERROR_IF_EXISTS, 300, null);
        ExtractOptions first = new ExtractOptions(List.of(), List.of(list.toString()), null, o.output(), o.model(),
                null, o.widths(), o.backend(), o.batchSize(), o.frameRate(), o.clipLength(), o.frameStep(),
                o.clipStride(), o.tail(), o.segmentSeconds(), o.decodeTimeout(), 0, o.mode(), 2);
        ExtractJob.Result r = run(first, console);
        assertEquals(1, r.videosFailed(), console.toString());
        Row missing = spark.read().parquet(out.resolve("_errors").toString()).collectAsList().get(0);
        assertEquals("input", missing.getString(1), missing.toString());
        assertTrue(missing.getString(3).contains("arrives-later.avi"), missing.toString());
        // the identity is in the manifest and in the Parquet footers
        String manifest = Files.readString(out.resolve("_manifest.json"));
        assertTrue(manifest.contains("\"identity\":{\"model\":\"r3d_18@4-8-8-16\",\"weights\":\"random (seed"),
                manifest);
        String meta = spark.read().parquet(out.toString()).schema().apply("feature").metadata()
                .getString(DatasetIdentity.METADATA_KEY);
        assertTrue(meta.contains("\"sampling\":\"8 fps, 4 frames, step 1, stride 4, tail drop\""), meta);

        // another frame rate into the same output: refused, naming the difference
        ExtractOptions otherRate = new ExtractOptions(List.of(), List.of(list.toString()), null, o.output(),
                o.model(), null, o.widths(), o.backend(), o.batchSize(), 10, o.clipLength(), o.frameStep(),
                o.clipStride(), o.tail(), o.segmentSeconds(), o.decodeTimeout(), 0, ExtractOptions.Mode.SKIP_EXISTING,
                2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(otherRate, console));
        assertTrue(e.getMessage().contains("sampling 8 fps, 4 frames, step 1, stride 4, tail drop there, 10 fps")
                && e.getMessage().contains("another --output"), e.getMessage());

        // the missing video arrives: skip-existing keeps its error; --retry-errors tries it again
        Files.copy(a, later);
        try {
            ExtractOptions skip = new ExtractOptions(List.of(), List.of(list.toString()), null, o.output(),
                    o.model(), null, o.widths(), o.backend(), o.batchSize(), o.frameRate(), o.clipLength(),
                    o.frameStep(), o.clipStride(), o.tail(), o.segmentSeconds(), o.decodeTimeout(), 0,
                    ExtractOptions.Mode.SKIP_EXISTING, 2);
            assertEquals(0, run(skip, console).videosProcessed());
            ExtractOptions retry = new ExtractOptions(skip.inputs(), skip.manifests(), null, skip.output(),
                    skip.model(), null, skip.widths(), skip.backend(), skip.batchSize(), skip.frameRate(),
                    skip.clipLength(), skip.frameStep(), skip.clipStride(), skip.tail(), skip.segmentSeconds(),
                    skip.decodeTimeout(), 0, skip.mode(), 2, true);
            ExtractJob.Result again = run(retry, console);
            assertEquals(1, again.videosProcessed(), console.toString());
            assertEquals(0, again.videosFailed(), console.toString());
            assertTrue(console.toString().contains("1 failed before and retried"), console.toString());
            assertEquals(12, rows(out).size());
            assertEquals(0, spark.read().parquet(out.resolve("_errors").toString()).count());
        } finally {
            Files.delete(later);
        }
        assertThrows(IllegalArgumentException.class, () -> new ExtractOptions(List.of("x"), List.of(), null, "o",
                "r3d_18", null, null, null, 1, 0, 0, 1, 0, io.cubist.pipeline.clip.TailPolicy.DROP, 300, 60, 0,
                ExtractOptions.Mode.OVERWRITE, 0, true));
    }

    /** {@code o} with three views, into {@code out}. */
    static ExtractOptions threeViews(ExtractOptions o, Path out, ExtractOptions.Mode mode) {
        return withViews(o, out, mode, 3, FeatureOutputs.NONE);
    }

    /** {@code o} with {@code views} views and {@code outputs}, into {@code out}. */
    static ExtractOptions withViews(ExtractOptions o, Path out, ExtractOptions.Mode mode, int views,
                                    FeatureOutputs outputs) {
        return new ExtractOptions(o.inputs(), List.of(), null, out.toString(), o.model(), null, o.widths(), o.backend(),
                o.batchSize(), o.frameRate(), o.clipLength(), o.frameStep(), o.clipStride(), o.tail(),
                o.segmentSeconds(), o.decodeTimeout(), 0, mode, 2, false, views, outputs);
    }

    /**
     * A grouped model split over two OpenCL devices (pocl's two, {@code POCL_DEVICES="pthread pthread"}) writes the
     * same rows as the cpu engine alone, and the manifest records the plan and what crossed per clip.
     */
    @Test
    void aTaskSplitOverTwoDevicesWritesTheSameRows() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.cubist.kernels.device.Devices.openCl().size() >= 2,
                "two OpenCL devices (POCL_DEVICES=\"pthread pthread\")");
        int[] widths = {4, 4, 8, 8};
        List<String> in = List.of(videos.resolve("a.avi").toString());
        ExtractOptions one = new ExtractOptions(in, List.of(), null, dir.resolve("csn-cpu").toString(), "ir_csn_50",
                null, widths, "cpu", 3, 8, 4, 1, 0, io.cubist.pipeline.clip.TailPolicy.DROP, 300, 60, 0,
                ExtractOptions.Mode.OVERWRITE, 2, false, 1, FeatureOutputs.NONE);
        ExtractOptions two = new ExtractOptions(in, List.of(), null, dir.resolve("csn-two").toString(), "ir_csn_50",
                null, widths, "opencl", 3, 8, 4, 1, 0, io.cubist.pipeline.clip.TailPolicy.DROP, 300, 60, 0,
                ExtractOptions.Mode.OVERWRITE, 2, false, 1, FeatureOutputs.NONE, List.of("opencl:0", "opencl:1"),
                Map.of());
        StringBuilder console = new StringBuilder();
        run(one, console);
        run(two, console);
        Map<String, float[]> want = rows(dir.resolve("csn-cpu"));
        Map<String, float[]> got = rows(dir.resolve("csn-two"));
        assertEquals(want.keySet(), got.keySet());
        assertFalse(want.isEmpty());
        for (String k : want.keySet()) {
            float[] a = want.get(k);
            float[] b = got.get(k);
            double max = 0;
            double err = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs(a[i]));
                err = Math.max(err, Math.abs(a[i] - b[i]));
            }
            assertTrue(err <= 1e-5 * Math.max(1, max), k + ": max difference " + err + " from the cpu engine");
        }
        Map<String, Object> manifest = io.cubist.kernels.io.Json.parseObject(
                Files.readString(dir.resolve("csn-two").resolve("_manifest.json")));
        String engines = manifest.get("engines").toString();
        assertTrue(engines.contains("opencl:0") && engines.contains("opencl:1") && engines.contains("groups"),
                engines);
        @SuppressWarnings("unchecked")
        Map<String, Object> device = (Map<String, Object>) manifest.get("device");
        assertTrue(device != null && (Double) device.get("bytes_to_device_per_clip") > 0
                && (Double) device.get("launches_per_clip") > 0, String.valueOf(device));
    }

    /**
     * Ten views with two more layers and the top classes: a column per layer ({@code feature_avgpool} is r3d's
     * feature itself), {@code top_k} from the softmax of the logits, and the center view (4) the single view's.
     */
    @Test
    void tenViewsLayersAndTopClassesAddColumns() throws Exception {
        Path a = videos.resolve("a.avi");
        Path one = dir.resolve("out-ten-1");
        Path ten = dir.resolve("out-ten-10");
        StringBuilder console = new StringBuilder();
        ExtractOptions o = options(List.of(a.toString()), one, ExtractOptions.Mode.OVERWRITE, 300, null);
        run(o, console);
        FeatureOutputs outputs = new FeatureOutputs(List.of("avgpool", "layer2.0.conv1"), "avg", 3);
        ExtractJob.Result r = run(withViews(o, ten, ExtractOptions.Mode.OVERWRITE, 10, outputs), console);
        assertEquals(60, r.clips(), console.toString());
        Dataset<Row> df = spark.read().parquet(ten.toString());
        assertEquals(List.of("video", "clip", "view", "start_sec", "end_sec", "model", "feature", "feature_avgpool",
                "feature_layer2_0_conv1", "top_k"), List.of(df.columns()));
        org.apache.spark.sql.types.Metadata meta = df.schema().apply("feature_layer2_0_conv1").metadata();
        assertArrayEquals(new long[] {8}, meta.getLongArray(FeatureOutputs.SHAPE_KEY));
        List<String> kinetics = io.cubist.pipeline.model.zoo.ClassLabels.forClasses(400).topK(
                new io.cubist.kernels.tensor.Tensor(new float[400], 1, 400), 400).get(0).stream()
                .map(io.cubist.pipeline.model.zoo.ClassLabels.Prediction::label).toList();
        Map<String, float[]> single = rows(one);
        int centers = 0;
        for (Row row : df.collectAsList()) {
            List<Float> f = row.getList(6);
            assertEquals(f, row.getList(7), "feature_avgpool is r3d's feature");
            assertEquals(8, row.getList(8).size());
            List<Row> top = row.getList(9);
            assertEquals(3, top.size());
            for (int i = 0; i < 3; i++) {
                assertTrue(kinetics.contains(top.get(i).getString(0)), top.get(i).toString());
                assertTrue(i == 0 || top.get(i).getDouble(1) <= top.get(i - 1).getDouble(1), top.toString());
            }
            if (row.getInt(2) == 4) {
                float[] want = single.get(row.getString(0) + "#" + row.getInt(1));
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], f.get(i), 1e-6f * Math.max(1, Math.abs(want[i])));
                }
                centers++;
            }
        }
        assertEquals(6, centers);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> withViews(o, ten,
                ExtractOptions.Mode.OVERWRITE, 1, new FeatureOutputs(List.of("layer9"), "avg", 0)));
        assertTrue(e.getMessage().contains("has no layer 'layer9'; the closest: layer1, layer2"), e.getMessage());
    }

    @Test
    void threeViewsAddAViewColumnAndCannotMixWithOne() throws Exception {
        Path a = videos.resolve("a.avi");
        Path one = dir.resolve("out-view1");
        Path three = dir.resolve("out-view3");
        StringBuilder console = new StringBuilder();
        ExtractOptions o = options(List.of(a.toString()), one, ExtractOptions.Mode.OVERWRITE, 300, null);
        run(o, console);
        ExtractJob.Result r = run(threeViews(o, three, ExtractOptions.Mode.OVERWRITE), console);
        assertEquals(18, r.clips(), console.toString());
        List<Row> rows = spark.read().parquet(three.toString()).collectAsList();
        assertEquals(List.of("video", "clip", "view", "start_sec", "end_sec", "model", "feature"),
                List.of(spark.read().parquet(three.toString()).columns()));
        Map<String, float[]> single = rows(one);
        int centers = 0;
        for (Row row : rows) {
            if (row.getInt(2) == 1) { // the center view is the single view's feature
                List<Float> f = row.getList(6);
                float[] want = single.get(row.getString(0) + "#" + row.getInt(1));
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], f.get(i), 1e-6f * Math.max(1, Math.abs(want[i])));
                }
                centers++;
            }
        }
        assertEquals(6, centers);
        // three views into a one-view output: another feature space
        ExtractOptions into = threeViews(o, one, ExtractOptions.Mode.SKIP_EXISTING);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(into, console));
        assertTrue(e.getMessage().contains("tail drop, 3 views in this run"), e.getMessage());
    }

    @Test
    void segmentsOfAnySizeGiveTheSameRowsAsOnePass() throws Exception {
        Path a = videos.resolve("a.avi");
        Path one = dir.resolve("out-one");
        Path split = dir.resolve("out-split");
        StringBuilder console = new StringBuilder();
        run(options(List.of(a.toString()), one, ExtractOptions.Mode.OVERWRITE, 300, null), console);
        // the split run lists its video through a CSV manifest
        Path manifest = dir.resolve("videos.csv");
        Files.writeString(manifest, "video,label\n" + a + ",walking\n");
        ExtractOptions o = options(List.of(a.toString()), split, ExtractOptions.Mode.OVERWRITE, 0.7, null);
        ExtractJob.Result r = run(new ExtractOptions(List.of(), List.of(manifest.toString()), null, o.output(),
                o.model(), null, o.widths(), o.backend(), o.batchSize(), o.frameRate(), o.clipLength(),
                o.frameStep(), o.clipStride(), o.tail(), o.segmentSeconds(), o.decodeTimeout(), 0, o.mode(), 2),
                console);
        assertEquals(1, r.videosListed(), console.toString());
        assertEquals(5, r.segments(), console.toString());
        Map<String, float[]> x = rows(one);
        Map<String, float[]> y = rows(split);
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) {
            float[] p = x.get(k);
            float[] q = y.get(k);
            for (int i = 0; i < p.length; i++) {
                assertEquals(p[i], q[i], 1e-5 * Math.max(1, Math.abs(p[i])), k + " [" + i + "]");
            }
        }
    }

    @Test
    void preparedClipsGiveTheSameRowsAsDecoding() throws Exception {
        Path a = videos.resolve("a.avi");
        String uri = a.toUri().toString();
        Path clipsDir = dir.resolve("clips");
        Files.createDirectories(clipsDir);
        io.cubist.pipeline.model.zoo.ModelPreset preset = io.cubist.pipeline.model.zoo.ModelPreset.forModel("r3d_18");
        io.cubist.pipeline.clip.ClipTransform transform = io.cubist.pipeline.clip.ClipTransform.of(preset);
        io.cubist.pipeline.clip.SamplerSettings sampler = io.cubist.pipeline.clip.SamplerSettings.of(4, 1, 8);
        io.cubist.pipeline.clip.ClipLayout layout = io.cubist.pipeline.clip.ClipLayout.of(transform, 4,
                io.cubist.pipeline.clip.ClipLayout.Storage.UINT8);
        try (org.apache.arrow.memory.RootAllocator root = new org.apache.arrow.memory.RootAllocator()) {
            try (io.cubist.pipeline.clip.ClipDatasetWriter w = io.cubist.pipeline.clip.ClipDatasetWriter.create(
                    clipsDir.resolve("part-0.arrow"), root, new io.cubist.pipeline.clip.ClipDatasetInfo("r3d_18",
                            layout, sampler));
                 io.cubist.pipeline.clip.ClipBatch batch = new io.cubist.pipeline.clip.ClipBatch(root, "b", layout, 4);
                 io.cubist.pipeline.video.VideoReader reader = io.cubist.pipeline.video.VideoReader.open(a.toString())) {
                new io.cubist.pipeline.clip.ClipSampler(sampler).sample(reader, clip -> {
                    batch.add(uri, clip, transform);
                    if (batch.isFull()) {
                        try {
                            w.write(batch);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        batch.clear();
                    }
                });
                if (!batch.isEmpty()) {
                    w.write(batch);
                }
            }
            assertEquals(0, root.getAllocatedMemory());
        }
        Path fromVideo = dir.resolve("out-video");
        Path fromClips = dir.resolve("out-clips");
        StringBuilder console = new StringBuilder();
        run(options(List.of(a.toString()), fromVideo, ExtractOptions.Mode.OVERWRITE, 300, null), console);
        ExtractOptions o = options(List.of(a.toString()), fromClips, ExtractOptions.Mode.OVERWRITE, 300, null);
        ExtractOptions clipsOptions = new ExtractOptions(List.of(), List.of(), clipsDir.toString(), o.output(),
                o.model(), null, o.widths(), o.backend(), o.batchSize(), o.frameRate(), o.clipLength(),
                o.frameStep(), o.clipStride(), o.tail(), o.segmentSeconds(), o.decodeTimeout(), 0, o.mode(), 2);
        ExtractJob.Result r = run(clipsOptions, console);
        assertEquals(6, r.clips(), console.toString());
        Map<String, float[]> x = rows(fromVideo);
        Map<String, float[]> y = rows(fromClips);
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) {
            for (int i = 0; i < x.get(k).length; i++) {
                assertEquals(x.get(k)[i], y.get(k)[i], 1e-5 * Math.max(1, Math.abs(x.get(k)[i])), k);
            }
        }
        assertEquals(0, ExecutorAllocators.allocated(), "Arrow memory left after the run");
        // skip-existing: the videos already in the output are dropped row by row
        ExtractOptions again = new ExtractOptions(List.of(), List.of(), clipsDir.toString(), o.output(), o.model(),
                null, o.widths(), o.backend(), o.batchSize(), o.frameRate(), o.clipLength(), o.frameStep(),
                o.clipStride(), o.tail(), o.segmentSeconds(), o.decodeTimeout(), 0,
                ExtractOptions.Mode.SKIP_EXISTING, 2);
        assertEquals(0, run(again, console).clips());
        assertEquals(6, rows(fromClips).size());
    }

    @Test
    void aVideoThatHangsIsAbandonedAfterTheTimeoutAndRecorded() throws Exception {
        // a named pipe nobody writes to: opening it blocks forever, as a stalled network file would
        Path fifo = dir.resolve("stalled.mkv");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo is not available");
        Path out = dir.resolve("out-stalled");
        ExtractOptions o = options(List.of(fifo.toString(), videos.resolve("a.avi").toString()), out,
                ExtractOptions.Mode.OVERWRITE, 300, null);
        ExtractOptions quick = new ExtractOptions(o.inputs(), List.of(), null, o.output(), o.model(), null,
                o.widths(), o.backend(), o.batchSize(), o.frameRate(), o.clipLength(), o.frameStep(), o.clipStride(),
                o.tail(), o.segmentSeconds(), 8, 0, o.mode(), 2);
        io.cubist.pipeline.video.VideoReader.probe(videos.resolve("a.avi").toString()); // FFmpeg's natives loaded
        StringBuilder console = new StringBuilder();
        long t0 = System.nanoTime();
        try {
            ExtractJob.Result r = run(quick, console);
            double secs = (System.nanoTime() - t0) / 1e9;
            assertEquals(1, r.videosFailed(), console.toString());
            assertEquals(6, r.clips(), "the other video is processed");
            List<Row> errors = spark.read().parquet(out.resolve("_errors").toString()).collectAsList();
            assertEquals(1, errors.size());
            assertTrue(errors.get(0).getString(0).endsWith("/stalled.mkv"), errors.get(0).toString());
            assertEquals("timeout", errors.get(0).getString(2), errors.get(0).toString());
            assertTrue(secs < 120, "took " + secs + " s");
        } finally {
            // let the abandoned open() return, so its thread ends (read-write: opening never blocks on Linux)
            try (java.io.RandomAccessFile w = new java.io.RandomAccessFile(fifo.toFile(), "rw")) {
                w.write(new byte[16]);
            }
        }
    }

    @Test
    void aWeightFileThatDoesNotFitFailsTheRunBeforeAnyOutput() throws Exception {
        StateDict random = RandomWeights.torchvisionInit(ModelZoo.network("r3d_18", WIDTHS).stateDict(), 5);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (StateDict.Entry e : random.entries()) {
            tensors.put(e.key(), e.tensor());
        }
        tensors.remove("fc.bias");
        tensors.put("layer1.0.conv1.0.weight", new Tensor(new float[8 * 8 * 27 * 2], 8, 8, 3, 3, 6));
        Path weights = dir.resolve("wrong.safetensors");
        SafeTensors.write(weights, tensors, Map.of());
        Path out = dir.resolve("out-wrong-weights");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(options(
                List.of(videos.resolve("a.avi").toString()), out, ExtractOptions.Mode.OVERWRITE, 300,
                weights.toString()), new StringBuilder()));
        assertTrue(e.getMessage().contains("layer1.0.conv1.0.weight") && e.getMessage().contains("fc.bias"),
                e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void nonFiniteFeaturesAreErrorsNotRows() throws Exception {
        StateDict random = RandomWeights.torchvisionInit(ModelZoo.network("r3d_18", WIDTHS).stateDict(), 5);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (StateDict.Entry e : random.entries()) {
            tensors.put(e.key(), e.tensor());
        }
        Tensor w = tensors.get("layer1.0.conv1.0.weight");
        float[] d = w.data().clone();
        d[0] = Float.NaN;
        tensors.put("layer1.0.conv1.0.weight", new Tensor(d, w.shape()));
        Path weights = dir.resolve("nan.safetensors");
        SafeTensors.write(weights, tensors, Map.of());
        Path out = dir.resolve("out-nan");
        StringBuilder console = new StringBuilder();
        ExtractJob.Result r = run(options(List.of(videos.resolve("a.avi").toString()), out,
                ExtractOptions.Mode.OVERWRITE, 300, weights.toString()), console);
        assertEquals(0, r.clips(), console.toString());
        List<Row> errors = spark.read().parquet(out.resolve("_errors").toString()).collectAsList();
        assertEquals(1, errors.size());
        assertEquals("model", errors.get(0).getString(1));
        assertTrue(errors.get(0).getString(3).contains("NaN"), errors.get(0).toString());
        assertEquals(0, spark.read().parquet(out.toString()).count());
        Set<String> stages = new TreeSet<>();
        errors.forEach(e -> stages.add(e.getString(1)));
        assertEquals(Set.of("model"), stages);
    }
}
