package io.cubist.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.extract.ExtractJob;
import io.cubist.jobs.extract.ExtractOptions;
import io.cubist.jobs.report.FeatureMath;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notebook API on local Spark: the options builder, the SQL function, nearest clips, the similarity timeline and
 * PCA on small synthetic features (checked against {@link FeatureMath}), and one real extract of a sample video.
 */
class CubistTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static SparkSession spark;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("cubist-api-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Two videos with 6 and 4 clips of 8-dimensional features, seeded; a zero vector at b#3. */
    static Dataset<Row> synthetic(String model) {
        SplittableRandom rnd = new SplittableRandom(7);
        List<Row> rows = new ArrayList<>();
        for (String v : List.of("file:/data/a/walk.mp4", "file:/data/b/run.mp4")) {
            int n = v.contains("walk") ? 6 : 4;
            for (int c = 0; c < n; c++) {
                float[] f = new float[8];
                for (int i = 0; i < f.length; i++) {
                    f[i] = v.contains("run") && c == 3 ? 0f : (float) (rnd.nextDouble() - 0.3);
                }
                rows.add(RowFactory.create(v, c, c * 0.5, c * 0.5 + 0.5, model, boxed(f)));
            }
        }
        return spark.createDataFrame(rows, ExtractJob.SCHEMA);
    }

    static List<Float> boxed(float[] f) {
        List<Float> l = new ArrayList<>();
        for (float v : f) {
            l.add(v);
        }
        return l;
    }

    static float[] feature(Row r) {
        List<Object> l = r.getList(r.fieldIndex("feature"));
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) l.get(i)).floatValue();
        }
        return f;
    }

    static Map<String, float[]> byKey(Dataset<Row> features) {
        Map<String, float[]> m = new TreeMap<>();
        for (Row r : features.collectAsList()) {
            m.put(r.getString(0) + "#" + r.getInt(1), feature(r));
        }
        return m;
    }

    @Test
    void optionsHaveTheCommandLinesDefaults() {
        ExtractOptions o = Cubist.options().input("v1", "v2").output("/tmp/x").build();
        assertEquals(List.of("v1", "v2"), o.inputs());
        assertEquals("r2plus1d_18", o.model());
        assertNull(o.weights());
        assertNull(o.widths());
        assertNull(o.backend());
        assertEquals(4, o.batchSize());
        assertEquals(0.0, o.frameRate()); // the preset's
        assertEquals(0, o.clipLength());
        assertEquals(1, o.frameStep());
        assertEquals(0, o.clipStride());
        assertEquals(io.cubist.pipeline.clip.TailPolicy.DROP, o.tail());
        assertEquals(300.0, o.segmentSeconds());
        assertEquals(120.0, o.decodeTimeout());
        assertEquals(0, o.partitions());
        assertEquals(ExtractOptions.Mode.ERROR_IF_EXISTS, o.mode());
        assertEquals(0, o.kernelThreads());

        ExtractOptions small = Cubist.options().input("v").output("o").model("r3d_18").widths(4, 8, 8, 16).fps(8)
                .clipLength(4).batchSize(2).backend("reference").mode("overwrite").tail("pad-last").threads(1)
                .build();
        assertEquals("r3d_18@4-8-8-16", small.modelLabel());
        assertEquals(8.0, small.frameRate());
        assertEquals(4, small.clipLength());
        assertEquals(2, small.batchSize());
        assertEquals("reference", small.backend());
        assertEquals(ExtractOptions.Mode.OVERWRITE, small.mode());
        assertEquals(io.cubist.pipeline.clip.TailPolicy.PAD_LAST, small.tail());
        assertEquals(1, small.kernelThreads());

        // the engine request: devices and options reach the executors' settings; a wrong option fails here
        ExtractOptions two = Cubist.options().input("v").output("o").devices("opencl:0, opencl:1")
                .engineOption("winograd", "f2").build();
        assertEquals(List.of("opencl:0", "opencl:1"), two.work().devices());
        assertEquals(java.util.Map.of("winograd", "f2"), two.work().engineOptions());
        assertEquals(List.of("opencl:0", "opencl:1"), two.work().engine().devices());
        IllegalArgumentException option = assertThrows(IllegalArgumentException.class,
                () -> Cubist.options().engineOption("winograd", "f3"));
        assertTrue(option.getMessage().contains("winograd must be one of true, f4, f2, false"), option.getMessage());
        io.cubist.ml.VideoFeatureExtractor stage = new io.cubist.ml.VideoFeatureExtractor().setDevices("all")
                .setEngineOptions("pack=false, winograd=false");
        assertEquals(List.of("all"), stage.settings().devices());
        assertEquals(java.util.Map.of("pack", "false", "winograd", "false"), stage.settings().engineOptions());

        String tmp = Cubist.options().input("v").build().output();
        assertTrue(tmp.startsWith(System.getProperty("java.io.tmpdir")) && tmp.contains("cubist-features-"), tmp);

        IllegalArgumentException model = assertThrows(IllegalArgumentException.class,
                () -> Cubist.options().model("resnet50"));
        assertTrue(model.getMessage().contains("r2plus1d_18") && model.getMessage().contains("resnet50"),
                model.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().backend("cuda"));
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().mode("replace"));
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().fps(0));
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().widths(4, 0, 8, 16));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Cubist.options().output("o").build());
        assertTrue(none.getMessage().contains("no input"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().input("v").tail("wrap").build());

        // other layers, the top classes and ten views: the same options the command line's --layer, --pool,
        // --top-k and --views give, and the columns they add
        ExtractOptions more = Cubist.options().input("v").output("o").model("x3d_s").layers("none", "blocks.4",
                "blocks.2.res_blocks.0").topK(5).views(10).build();
        assertEquals(List.of("blocks.4", "blocks.2.res_blocks.0"), more.outputs().layers());
        assertEquals(io.cubist.pipeline.model.LayerPool.NONE, more.outputs().layerPool());
        assertEquals(5, more.outputs().topK());
        assertEquals(10, more.views());
        org.apache.spark.sql.types.StructType schema = io.cubist.jobs.extract.ExtractJob.schema(more);
        assertEquals(List.of("video", "clip", "view", "start_sec", "end_sec", "model", "feature", "feature_blocks_4",
                "feature_blocks_2_res_blocks_0", "top_k"), List.of(schema.fieldNames()));
        // x3d_s at 13x160x160: blocks.4's map is 192 x 13 x 5 x 5
        assertEquals(List.of(192L, 13L, 5L, 5L), java.util.Arrays.stream(schema.apply("feature_blocks_4").metadata()
                .getLongArray("cubist.shape")).boxed().toList());
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> Cubist.options().input("v").model("i3d").layers("avg", "Mixed_4g").build());
        assertTrue(layer.getMessage().contains("i3d has no layer 'Mixed_4g'; the closest: Mixed_4b"),
                layer.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().input("v").layers("max", "layer3")
                .build());
        assertThrows(IllegalArgumentException.class, () -> Cubist.options().topK(0));
    }

    @Test
    void cosineSqlFunctionMatchesFeatureMath() {
        Cubist.registerFunctions(spark);
        Row r = spark.sql("SELECT"
                + " cubist_cosine(array(1f, 0f), array(0f, 2f)),"
                + " cubist_cosine(array(1f, 2f), array(2f, 4f)),"
                + " cubist_cosine(array(1f, 2f), array(-1f, -2f)),"
                + " cubist_cosine(array(0f, 0f), array(1f, 2f)),"
                + " cubist_cosine(CAST(NULL AS array<float>), array(1f, 2f)),"
                + " cubist_cosine(array(3f, 1f, 2f), array(1f, 5f, -1f))").first();
        assertEquals(0.0, r.getDouble(0), 1e-12);
        assertEquals(1.0, r.getDouble(1), 1e-12);
        assertEquals(-1.0, r.getDouble(2), 1e-12);
        assertTrue(r.isNullAt(3), "all zeros: undefined");
        assertTrue(r.isNullAt(4));
        assertEquals(FeatureMath.cosine(new float[] {3, 1, 2}, new float[] {1, 5, -1}), r.getDouble(5), 1e-15);
        Exception lengths = assertThrows(Exception.class,
                () -> spark.sql("SELECT cubist_cosine(array(1f), array(1f, 2f))").collect());
        assertTrue(String.valueOf(rootCause(lengths).getMessage()).contains("different lengths"),
                rootCause(lengths).toString());
    }

    static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    @Test
    void nearestRanksByCosineLikeFeatureMathAndMatchesTheSqlQuery() {
        Dataset<Row> f = synthetic("m");
        Map<String, float[]> all = byKey(f);
        String qKey = "file:/data/a/walk.mp4#2";
        List<String> keys = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        all.forEach((k, v) -> {
            if (!k.equals(qKey)) {
                keys.add(k);
                rows.add(v);
            }
        });
        List<FeatureMath.Neighbor> expected = FeatureMath.nearest(all.get(qKey), rows, 4);

        List<Row> got = Cubist.nearest(f, "walk.mp4", 2, 4).collectAsList();
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) {
            Row r = got.get(i);
            assertEquals(keys.get(expected.get(i).index()), r.getString(0) + "#" + r.getInt(1));
            assertEquals(expected.get(i).similarity(), r.getDouble(r.fieldIndex("similarity")), 1e-12);
        }
        // every other clip but the zero vector (undefined similarity) when k is large; never the query itself
        List<Row> everything = Cubist.nearest(f, "file:/data/a/walk.mp4", 2, 100).collectAsList();
        assertEquals(all.size() - 2, everything.size());
        for (Row r : everything) {
            double s = r.getDouble(r.fieldIndex("similarity"));
            assertTrue(s >= -1 && s <= 1, Double.toString(s));
        }

        Cubist.registerFunctions(spark);
        f.createOrReplaceTempView("clips");
        List<Row> sql = spark.sql("SELECT c.video, c.clip, cubist_cosine(c.feature, q.feature) AS similarity"
                + " FROM clips c, (SELECT feature FROM clips WHERE video = 'file:/data/a/walk.mp4' AND clip = 2) q"
                + " WHERE NOT (c.video = 'file:/data/a/walk.mp4' AND c.clip = 2)"
                + " ORDER BY similarity DESC, c.video, c.clip LIMIT 4").collectAsList();
        for (int i = 0; i < 4; i++) {
            assertEquals(got.get(i).getString(0), sql.get(i).getString(0));
            assertEquals(got.get(i).getInt(1), sql.get(i).getInt(1));
            assertEquals(got.get(i).getDouble(6), sql.get(i).getDouble(2), 1e-15);
        }

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Cubist.nearest(f, "walk.mp4", 42, 3));
        assertTrue(missing.getMessage().contains("no clip 42"), missing.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Cubist.nearest(f, "swim.mp4", 0, 3));
        assertTrue(unknown.getMessage().contains("run.mp4"), unknown.getMessage()); // lists the videos
        Dataset<Row> twoModels = f.union(synthetic("other"));
        IllegalArgumentException models = assertThrows(IllegalArgumentException.class,
                () -> Cubist.nearest(twoModels, "walk.mp4", 0, 3));
        assertTrue(models.getMessage().contains("one model"), models.getMessage());
        // with one model chosen, only its rows are candidates
        assertEquals(4, Cubist.nearest(twoModels.where("model = 'other'"), "walk.mp4", 0, 4).count());
    }

    @Test
    void videoNamesResolveByPathSuffixOnlyWhenUnique() {
        Dataset<Row> f = synthetic("m").union(spark.createDataFrame(List.of(RowFactory.create(
                "file:/data/c/walk.mp4", 0, 0.0, 0.5, "m", boxed(new float[8]))), ExtractJob.SCHEMA));
        assertEquals("file:/data/b/run.mp4", Cubist.resolveVideo(f, "run.mp4"));
        assertEquals("file:/data/b/run.mp4", Cubist.resolveVideo(f, "b/run.mp4"));
        assertEquals("file:/data/a/walk.mp4", Cubist.resolveVideo(f, "a/walk.mp4"));
        IllegalArgumentException several = assertThrows(IllegalArgumentException.class,
                () -> Cubist.resolveVideo(f, "walk.mp4"));
        assertTrue(several.getMessage().contains("several"), several.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cubist.resolveVideo(f, "un.mp4"));
    }

    @Test
    void timelineIsTheCosineToThePreviousClip() {
        Dataset<Row> f = synthetic("m");
        Map<String, float[]> all = byKey(f);
        List<Row> t = Cubist.similarityTimeline(f, "walk.mp4").collectAsList();
        assertEquals(6, t.size());
        assertTrue(t.get(0).isNullAt(t.get(0).fieldIndex("similarity")));
        for (int c = 1; c < 6; c++) {
            Row r = t.get(c);
            assertEquals(c, r.getInt(1));
            assertEquals(FeatureMath.cosine(all.get("file:/data/a/walk.mp4#" + c),
                    all.get("file:/data/a/walk.mp4#" + (c - 1))), r.getDouble(r.fieldIndex("similarity")), 1e-12);
        }
        List<Row> every = Cubist.similarityTimeline(f).collectAsList();
        assertEquals(10, every.size());
        assertTrue(every.get(9).isNullAt(5), "run#3 is a zero vector: " + every.get(9));
        assertEquals("file:/data/b/run.mp4", every.get(9).getString(0));
    }

    @Test
    void pcaGivesFeatureMathsScoresWithTheExplainedVariance() {
        Dataset<Row> f = synthetic("m");
        List<Row> ordered = f.orderBy("video", "clip").collectAsList();
        List<float[]> rows = new ArrayList<>();
        ordered.forEach(r -> rows.add(feature(r)));
        FeatureMath.Pca expected = FeatureMath.pca(rows, 3);

        Dataset<Row> p = Cubist.pca(f, 3);
        assertArrayEquals(new String[] {"video", "clip", "start_sec", "end_sec", "x", "y", "pc"}, p.columns());
        List<Row> got = p.collectAsList();
        assertEquals(rows.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            Row r = got.get(i);
            assertEquals(ordered.get(i).getString(0), r.getString(0));
            assertEquals(ordered.get(i).getInt(1), r.getInt(1));
            assertEquals(expected.scores()[i][0], r.getDouble(4), 1e-12);
            assertEquals(expected.scores()[i][1], r.getDouble(5), 1e-12);
            assertEquals(expected.scores()[i][2], r.<Double>getList(6).get(2), 1e-12);
        }
        assertEquals(expected.explained(0), Cubist.explainedVariance(p, "x"), 1e-15);
        assertEquals(expected.explained(1), Cubist.explainedVariance(p, "y"), 1e-15);
        assertTrue(Cubist.explainedVariance(p, "x") >= Cubist.explainedVariance(p, "y"));
        assertThrows(IllegalArgumentException.class, () -> Cubist.explainedVariance(p, "video"));
        assertThrows(IllegalArgumentException.class, () -> Cubist.pca(f, 1));
        IllegalArgumentException models = assertThrows(IllegalArgumentException.class,
                () -> Cubist.pca(f.union(synthetic("other")), 2));
        assertTrue(models.getMessage().contains("several models"), models.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cubist.pca(f.limit(0), 2));
    }

    @Test
    void extractsASampleVideoAndReadsItBack() throws Exception {
        Path out = dir.resolve("features");
        String video = ROOT.resolve("samples/videos/vtest-vp9.webm").toString();
        Cubist.Options options = Cubist.options().input(video).output(out.toString()).model("r3d_18")
                .widths(4, 8, 8, 16).fps(8).clipLength(4).threads(2);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Dataset<Row> f;
        try (PrintStream ps = new PrintStream(console, true, StandardCharsets.UTF_8)) {
            f = Cubist.extract(spark, options, ps);
        }
        String log = console.toString(StandardCharsets.UTF_8);
        assertEquals(ExtractJob.SCHEMA.fieldNames().length, f.columns().length);
        assertArrayEquals(ExtractJob.SCHEMA.fieldNames(), f.columns());
        List<Row> rows = f.orderBy("clip").collectAsList();
        assertEquals(24, rows.size(), log); // 12 s at 8 fps in 4-frame clips
        for (int c = 0; c < rows.size(); c++) {
            Row r = rows.get(c);
            assertTrue(r.getString(0).endsWith("/samples/videos/vtest-vp9.webm"), r.getString(0));
            assertEquals(c, r.getInt(1));
            assertEquals(c * 0.5, r.getDouble(2), 1e-9);
            assertEquals("r3d_18@4-8-8-16", r.getString(4));
            assertEquals(16, r.getList(5).size());
        }
        assertEquals(0, Cubist.errors(spark, out.toString()).count());
        // the same output again: refused by default, replaced with mode("overwrite")
        assertThrows(IllegalStateException.class, () -> Cubist.extract(spark, options, new PrintStream(
                new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));

        List<Row> near = Cubist.nearest(f, "vtest-vp9.webm", 5, 3).collectAsList();
        assertEquals(3, near.size());
        double last = 1;
        for (Row r : near) {
            double s = r.getDouble(r.fieldIndex("similarity"));
            assertTrue(s >= -1 && s <= last, near.toString());
            last = s;
        }
        assertEquals(23, Cubist.similarityTimeline(f, "vtest-vp9.webm").where("similarity IS NOT NULL").count());
        assertEquals(24, Cubist.pca(f, 2).count());
    }

    @Test
    void errorsOfABrokenVideoAreReadBack() throws Exception {
        Path videos = dir.resolve("broken");
        java.nio.file.Files.createDirectories(videos);
        java.nio.file.Files.write(videos.resolve("empty.mp4"), new byte[0]);
        Path out = dir.resolve("broken-out");
        assertEquals(0, Cubist.errors(spark, out.toString()).count()); // no output yet: no errors
        Dataset<Row> f = Cubist.extract(spark, Cubist.options().input(videos.toString()).output(out.toString())
                .model("r3d_18").widths(4, 8, 8, 16).fps(8).clipLength(4), new PrintStream(
                new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, f.count());
        List<Row> errors = Cubist.errors(spark, out.toString()).collectAsList();
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).getString(0).endsWith("/empty.mp4"), errors.toString());
        assertTrue(!errors.get(0).getString(1).isBlank() && !errors.get(0).getString(3).isBlank(), errors.toString());
    }
}
