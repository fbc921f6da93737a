package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.Cubist;
import io.cubist.kernels.io.Json;
import io.cubist.pipeline.video.SyntheticVideos;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What the remote-storage tests share: the videos they upload (two real ones and a broken file), the small model
 * they run, and the comparison of an output's rows with a local run's, clip by clip.
 */
final class RemoteVideos {

    /** one.avi: 3 s at 12 fps (6 clips of 4 frames at 8 fps); two.mkv: 2.5 s at 10 fps (5 clips). */
    static final List<String> NAMES = List.of("one.avi", "two.mkv", "broken.mp4");
    static final int CLIPS = 11;

    private RemoteVideos() {
    }

    static Path write(Path dir) throws Exception {
        Path videos = dir.resolve("videos");
        Files.createDirectories(videos);
        SyntheticVideos.write(videos.resolve("one.avi"), SyntheticVideos.Codec.MPEG4_AVI, 80, 60, 12, 36);
        SyntheticVideos.write(videos.resolve("two.mkv"), SyntheticVideos.Codec.FFV1_MKV, 60, 80, 10, 25);
        Files.write(videos.resolve("broken.mp4"), "this is not an mp4".getBytes(StandardCharsets.UTF_8));
        return videos;
    }

    /**
     * The job's options: r3d_18 at reduced widths, 4-frame clips at 8 fps, 1 s segments (3 per video); {@code input}
     * may be null (a manifest added later).
     */
    static Cubist.Options options(String input, String output) {
        Cubist.Options o = Cubist.options();
        if (input != null) {
            o.input(input);
        }
        return o.output(output).model("r3d_18").widths(4, 8, 8, 16).fps(8)
                .clipLength(4).batchSize(2).backend("cpu").threads(1).segmentSeconds(1.0).decodeTimeout(60);
    }

    /** Rows by "file name#clip": start, end and feature. */
    static Map<String, Row> rows(SparkSession spark, String output) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : Cubist.features(spark, output).collectAsList()) {
            String v = r.getString(0);
            String key = v.substring(v.lastIndexOf('/') + 1) + "#" + r.getInt(1);
            assertTrue(m.put(key, r) == null, "duplicate row " + key);
        }
        return m;
    }

    /** The same clips with the same times, and features within 1e-6 (relative to max(1, |x|)). */
    static void assertSameRows(Map<String, Row> expected, Map<String, Row> got, String what) {
        assertEquals(expected.keySet(), got.keySet(), what);
        double worst = 0;
        for (Map.Entry<String, Row> e : expected.entrySet()) {
            Row a = e.getValue();
            Row b = got.get(e.getKey());
            assertEquals(a.getDouble(2), b.getDouble(2), 1e-9, e.getKey());
            assertEquals(a.getDouble(3), b.getDouble(3), 1e-9, e.getKey());
            List<Float> fa = a.getList(5);
            List<Float> fb = b.getList(5);
            assertEquals(fa.size(), fb.size());
            for (int i = 0; i < fa.size(); i++) {
                worst = Math.max(worst, Math.abs(fa.get(i) - fb.get(i)) / Math.max(1, Math.abs(fa.get(i))));
            }
        }
        System.out.println(what + ": " + got.size() + " rows, features within " + worst + " of the reference run's");
        assertTrue(worst <= 1e-6, what + ": features differ by " + worst);
    }

    /** The output's {@code _manifest.json}, read through its FileSystem. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> manifest(String output, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(output, "_manifest.json");
        FileSystem fs = p.getFileSystem(conf);
        try (InputStream in = fs.open(p)) {
            return (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
