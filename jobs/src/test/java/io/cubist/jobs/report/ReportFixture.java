package io.cubist.jobs.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * An extract output directory written with Spark as the extract job writes it, with features that have structure:
 * each video is a run of scenes, each scene a direction in feature space plus a little noise, so neighbouring clips
 * of one scene are similar and a cut is a drop. One video's path carries HTML that would run if it were not escaped.
 */
final class ReportFixture {
    static final int DIM = 24;
    /** A video path that executes script (sets data-pwned on the page) if any part of the page fails to escape it. */
    static final String HOSTILE = "s3://bucket/<img src=x onerror=\"document.documentElement.setAttribute("
            + "'data-pwned','1')\"><script>document.documentElement.setAttribute('data-pwned','2')</script>.mp4";
    /** Videos and their scenes (one scene index per clip). */
    static final String[][] VIDEOS = {{"file:/data/beach.mp4", "0,0,0,0,1,1,1,1,1,0,0"},
        {"file:/data/city night.webm", "2,2,2,3,3,3,3,2,2,2,2,2,2,2"},
        {HOSTILE, "4,4,4,4,4,4"},
        {"hdfs://nn/videos/zebra.avi", "1,1,5,5,5,5,5,5"}};
    static final int CLIPS = 11 + 14 + 6 + 8;
    static final String ERROR_VIDEO = "file:/data/<b>broken</b>.mp4";

    private ReportFixture() {
    }

    /** Writes the clip dataset, {@code _errors} (two rows) and {@code _manifest.json} under {@code dir}. */
    static void write(SparkSession spark, Path dir, boolean withErrors, boolean withManifest) throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        double[][] scenes = new double[6][DIM];
        for (double[] s : scenes) {
            for (int j = 0; j < DIM; j++) {
                s[j] = Math.abs(r.nextGaussian()); // non-negative, as features after a ReLU are
            }
        }
        List<Row> rows = new ArrayList<>();
        for (String[] v : VIDEOS) {
            String[] sc = v[1].split(",");
            for (int c = 0; c < sc.length; c++) {
                double[] base = scenes[Integer.parseInt(sc[c])];
                List<Float> f = new ArrayList<>(DIM);
                for (int j = 0; j < DIM; j++) {
                    f.add((float) (base[j] + 0.08 * Math.abs(r.nextGaussian())));
                }
                // clips of 16 frames at 15 fps every 0.8 s: they overlap
                rows.add(RowFactory.create(v[0], c, c * 0.8, c * 0.8 + 16 / 15.0, "r3d_18", f));
            }
        }
        spark.createDataFrame(rows, FeatureReader.CLIP_SCHEMA).repartition(3)
                .write().mode("overwrite").parquet(dir.toString());
        if (withErrors) {
            List<Row> errs = List.of(
                    RowFactory.create(ERROR_VIDEO, "decode", "FFmpegFrameGrabber.Exception",
                            "avformat_open_input() error -1094995529: <script>alert(1)</script> invalid data"),
                    RowFactory.create("file:/data/silent.m4a", "probe", "NoVideoStream", "no video stream"));
            StructType schema = FeatureReader.ERROR_SCHEMA;
            spark.createDataFrame(errs, schema).write().mode("overwrite")
                    .parquet(dir.resolve("_errors").toString());
        }
        if (withManifest) {
            Files.writeString(dir.resolve("_manifest.json"), """
                    {"settings": {"model": "r3d_18", "clip_len": 16, "fps": 15, "note": "</script><b>x</b>"},
                     "versions": {"cubist": "0.1.0-SNAPSHOT", "spark": "4.2.0"},
                     "backend": "cpu",
                     "counts": {"videos": 6, "videos_ok": 4, "videos_failed": 2, "clips": 39},
                     "timings": {"wall_sec": 12.5, "clips_per_sec": 3.12}}
                    """, StandardCharsets.UTF_8);
        }
    }
}
