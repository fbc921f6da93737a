package io.cubist.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.Cubist;
import io.cubist.pipeline.video.SyntheticVideos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML stage: lazy, the extract job's rows, failures by handleInvalid, vectors for Spark ML, save/load. */
class VideoFeatureExtractorTest {
    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path videos;
    static Dataset<Row> input;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("ml-test").config("spark.ui.enabled", "false")
                .getOrCreate();
        videos = dir.resolve("videos");
        Files.createDirectories(videos);
        // 3 s at 10 fps and 2.5 s: 6 and 5 clips of 4 frames at 8 fps
        SyntheticVideos.write(videos.resolve("a.avi"), SyntheticVideos.Codec.MPEG4_AVI, 64, 48, 10, 30);
        SyntheticVideos.write(videos.resolve("b c.mkv"), SyntheticVideos.Codec.FFV1_MKV, 48, 64, 10, 25);
        Files.write(videos.resolve("junk.webm"), new byte[] {1, 2, 3, 4, 5});
        StructType schema = new StructType().add("path", DataTypes.StringType).add("label", DataTypes.StringType);
        input = spark.createDataFrame(List.of(RowFactory.create(videos.resolve("a.avi").toString(), "walk"),
                RowFactory.create(videos.resolve("b c.mkv").toString(), "run"),
                RowFactory.create(videos.resolve("junk.webm").toString(), "broken"),
                RowFactory.create(videos.resolve("later.avi").toString(), "written after transform")), schema);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static VideoFeatureExtractor small() {
        return new VideoFeatureExtractor().setInputCol("path").setModel("r3d_18").setWidths(4, 8, 8, 16).setFps(8)
                .setClipLength(4).setBatchSize(3).setBackend("cpu").setThreads(2).setSegmentSeconds(1.0);
    }

    /** A video's file name, from a path or a (percent-escaped) file URI. */
    static String name(String video) {
        return (video.startsWith("file:") ? Path.of(java.net.URI.create(video)) : Path.of(video)).getFileName()
                .toString();
    }

    @Test
    void lazyRowsEqualTheExtractJobsAndKeepTheInputColumns() throws Exception {
        Dataset<Row> clips = small().transform(input); // nothing is read yet: later.avi does not exist
        Files.copy(videos.resolve("a.avi"), videos.resolve("later.avi"));
        Map<String, Row> got = new TreeMap<>();
        try {
            for (Row r : clips.collectAsList()) {
                assertTrue(got.put(name(r.getString(0)) + "#" + r.getInt(2), r) == null, "duplicate " + r);
            }
        } finally {
            Files.delete(videos.resolve("later.avi"));
        }
        assertEquals(List.of("path", "label", "clip", "start_sec", "end_sec", "model", "feature"),
                List.of(clips.columns()));
        assertEquals(17, got.size(), got.keySet().toString()); // 6 + 5 + 6: the broken file is left out
        assertEquals("walk", got.get("a.avi#0").getString(1));
        assertEquals("run", got.get("b c.mkv#4").getString(1));
        assertEquals("r3d_18@4-8-8-16", got.get("a.avi#0").getString(5));

        // the extract job's rows for the same videos, in one-segment passes: the same clips and features
        Path out = dir.resolve("job");
        Dataset<Row> job = Cubist.extract(spark, Cubist.options().input(videos.toString()).output(out.toString())
                .model("r3d_18").widths(4, 8, 8, 16).fps(8).clipLength(4).batchSize(2).backend("cpu").threads(2));
        int compared = 0;
        for (Row r : job.collectAsList()) {
            Row t = got.get(name(r.getString(0)) + "#" + r.getInt(1));
            assertTrue(t != null, "the transformer has no row for " + r);
            assertEquals(r.getDouble(2), t.getDouble(3), 1e-9);
            assertEquals(r.getDouble(3), t.getDouble(4), 1e-9);
            List<Float> a = r.getList(5);
            List<Float> b = t.getList(6);
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i), b.get(i), 1e-6 * Math.max(1, Math.abs(a.get(i))));
            }
            compared++;
        }
        assertEquals(11, compared);

        // the notebook API's DataFrame form: the 'video' column, the options' model and sampling
        Dataset<Row> viaApi = Cubist.extract(spark, input.withColumnRenamed("path", "video").filter("label = 'walk'"),
                Cubist.options().model("r3d_18").widths(4, 8, 8, 16).fps(8).clipLength(4).backend("cpu").threads(2));
        assertEquals(List.of("video", "label", "clip", "start_sec", "end_sec", "model", "feature"),
                List.of(viaApi.columns()));
        for (Row r : viaApi.collectAsList()) {
            List<Float> a = r.getList(6);
            List<Float> b = got.get("a.avi#" + r.getInt(2)).getList(6); // batch 4 here, 3 there: float rounding
            for (int i = 0; i < a.size(); i++) {
                assertEquals(b.get(i), a.get(i), 1e-6 * Math.max(1, Math.abs(b.get(i))));
            }
        }
    }

    @Test
    void threeViewsGiveAViewColumnAndTheCenterViewIsTheSingleView() {
        Dataset<Row> walk = input.filter("label = 'walk'");
        Dataset<Row> three = small().setViews(3).transform(walk);
        assertEquals(List.of("path", "label", "clip", "view", "start_sec", "end_sec", "model", "feature"),
                List.of(three.columns()));
        Map<String, List<Float>> single = new HashMap<>();
        for (Row r : small().transform(walk).collectAsList()) {
            single.put(Integer.toString(r.getInt(2)), r.getList(6));
        }
        List<Row> rows = three.collectAsList();
        assertEquals(18, rows.size());
        int centers = 0;
        for (Row r : rows) {
            assertTrue(r.getInt(3) >= 0 && r.getInt(3) <= 2, r.toString());
            if (r.getInt(3) == 1) { // start, center, end: the center crop is the single view's
                List<Float> a = single.get(Integer.toString(r.getInt(2)));
                List<Float> b = r.getList(7);
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(a.get(i), b.get(i), 1e-6 * Math.max(1, Math.abs(a.get(i))));
                }
                centers++;
            }
        }
        assertEquals(6, centers);
        assertThrows(IllegalArgumentException.class, () -> small().setViews(5));
    }

    /** setLayers and setTopK: a column per layer (vectors with featureType vector) and the top classes. */
    @Test
    void layersAndTopClassesAreColumns() {
        Dataset<Row> walk = input.filter("label = 'walk'");
        Dataset<Row> out = small().setFeatureType("vector").setLayers("avgpool", "layer4").setLayerPool("none")
                .setTopK(2).transform(walk);
        assertEquals(List.of("path", "label", "clip", "start_sec", "end_sec", "model", "feature", "feature_avgpool",
                "feature_layer4", "top_k"), List.of(out.columns()));
        // layer4's map of 4-frame 112x112 clips at widths 4..16: [16, 1, 7, 7]
        assertArrayEquals(new long[] {16, 1, 7, 7}, out.schema().apply("feature_layer4").metadata()
                .getLongArray("cubist.shape"));
        List<Row> rows = out.collectAsList();
        assertEquals(6, rows.size());
        for (Row r : rows) {
            org.apache.spark.ml.linalg.Vector f = r.getAs("feature");
            org.apache.spark.ml.linalg.Vector avg = r.getAs("feature_avgpool");
            assertArrayEquals(f.toArray(), avg.toArray(), 0.0);
            assertEquals(16 * 7 * 7, ((org.apache.spark.ml.linalg.Vector) r.getAs("feature_layer4")).size());
            assertEquals(2, r.getList(r.fieldIndex("top_k")).size());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small().setLayers("layer5").transformSchema(walk.schema()));
        assertTrue(e.getMessage().contains("r3d_18 has no layer 'layer5'"), e.getMessage());
    }

    @Test
    void failedVideosAreSkippedKeptWithTheirReasonOrFailTheJob() {
        Dataset<Row> keep = small().setHandleInvalid("keep").transform(input.filter("label != 'run'"));
        assertEquals("error", keep.columns()[keep.columns().length - 1]);
        Map<String, Row> errors = new HashMap<>();
        for (Row r : keep.filter("error is not null").collectAsList()) {
            errors.put(name(r.getString(0)), r.getStruct(r.fieldIndex("error")));
            assertTrue(r.isNullAt(r.fieldIndex("feature")) && r.isNullAt(r.fieldIndex("clip")));
        }
        assertEquals(2, errors.size(), errors.toString());
        assertEquals("open", errors.get("junk.webm").getString(0), errors.toString());
        assertEquals("input", errors.get("later.avi").getString(0), errors.toString());
        assertTrue(errors.get("later.avi").getString(2).contains("later.avi"), errors.toString());
        assertEquals(6, keep.filter("error is null").count());

        Exception e = assertThrows(Exception.class, () -> small().setHandleInvalid("error")
                .transform(input.filter("label = 'broken'")).collectAsList());
        assertTrue(String.valueOf(e.getMessage()).contains("junk.webm failed at open"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> small().setHandleInvalid("ignore"));
        IllegalArgumentException col = assertThrows(IllegalArgumentException.class,
                () -> small().setInputCol("video").transform(input));
        assertTrue(col.getMessage().contains("no column 'video'"), col.getMessage());
    }

    @Test
    void vectorsFeedSparkMlAndTheStageSavesInsideAPipeline() throws Exception {
        VideoFeatureExtractor fx = small().setFeatureType("vector").setSegmentSeconds(300);
        Dataset<Row> clips = fx.transform(input.filter("label = 'walk' or label = 'run'")).cache();
        KMeansModel km = new KMeans().setK(2).setSeed(1).setFeaturesCol("feature").fit(clips);
        assertEquals(2, km.clusterCenters().length);
        assertEquals(16, ((Vector) clips.first().getAs("feature")).size());

        Path saved = dir.resolve("pipeline");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {fx, new KMeans().setK(2).setSeed(1)
                .setFeaturesCol("feature")});
        PipelineModel model = pipeline.fit(input.filter("label = 'walk' or label = 'run'"));
        model.write().overwrite().save(saved.toString());
        PipelineModel loaded = PipelineModel.load(saved.toString());
        VideoFeatureExtractor back = (VideoFeatureExtractor) loaded.stages()[0];
        for (org.apache.spark.ml.param.Param<?> p : fx.params()) {
            assertTrue(java.util.Objects.deepEquals(fx.getOrDefault(p), back.getOrDefault(back.getParam(p.name()))),
                    p.name());
        }
        assertArrayEquals(new int[] {4, 8, 8, 16}, back.getOrDefault(back.widths()));
        List<Row> again = loaded.transform(input.filter("label = 'walk'")).select("clip", "prediction")
                .orderBy("clip").collectAsList();
        List<Row> before = model.transform(input.filter("label = 'walk'")).select("clip", "prediction")
                .orderBy("clip").collectAsList();
        assertEquals(before, again);
        assertEquals(6, again.size());
        clips.unpersist();
    }
}
