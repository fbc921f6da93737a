package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.clip.ClipSampler;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.SampledClip;
import io.cubist.pipeline.clip.SamplerSettings;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.SyntheticVideos;
import io.cubist.pipeline.video.VideoReader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/cubist extract} as a user runs it, {@code spark-submit} with the {@code -all} jar, and the job's features
 * against {@code cubist embed} on the same clips.
 */
class ExtractEndToEndTest {
    static final List<String> SMALL = List.of("--model", "r3d_18", "--widths", "4,8,8,16", "--fps", "8",
            "--clip-length", "4", "--master", "local[2]", "--progress-interval", "1");
    @TempDir
    static Path dir;
    static Path videos;
    static SparkSession spark;

    record Run(int code, String stdout, String stderr) {
    }

    @BeforeAll
    static void videos() throws Exception {
        videos = dir.resolve("videos");
        Files.createDirectories(videos);
        SyntheticVideos.write(videos.resolve("one.avi"), SyntheticVideos.Codec.MPEG4_AVI, 80, 60, 12, 36);
        SyntheticVideos.write(videos.resolve("two.mkv"), SyntheticVideos.Codec.FFV1_MKV, 60, 80, 10, 25);
        Files.write(videos.resolve("broken.mp4"), "this is not an mp4".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
            spark = null; // ClusterTest reads its output through features() after this class has run
        }
    }

    static SparkSession spark() {
        // ClusterTest reads through this session too, possibly after this class's @AfterAll stopped it
        if (spark == null || spark.sparkContext().isStopped()) {
            spark = SparkSession.builder().master("local[1]").appName("read").config("spark.ui.enabled", "false")
                    .getOrCreate();
        }
        return spark;
    }

    static Run run(List<String> cmd, Map<String, String> env, int timeoutSec) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CUBIST_NO_BUILD", "1");
        pb.environment().putAll(env);
        File out = Files.createTempFile("cubist-test", ".out").toFile();
        File err = Files.createTempFile("cubist-test", ".err").toFile();
        out.deleteOnExit();
        err.deleteOnExit();
        pb.redirectOutput(out);
        pb.redirectError(err);
        Process p = pb.start();
        if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish in " + timeoutSec + " s: "
                    + Files.readString(err.toPath()));
        }
        return new Run(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
    }

    static List<String> cubist(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(OpCommandTest.ROOT.resolve("bin/cubist").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Map<String, float[]> features(Path out) {
        Map<String, float[]> m = new TreeMap<>();
        for (Row r : spark().read().parquet(out.toString()).collectAsList()) {
            List<Float> f = r.getList(r.fieldIndex("feature"));
            float[] v = new float[f.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = f.get(i);
            }
            String key = r.getString(r.fieldIndex("video")) + "#" + r.getInt(r.fieldIndex("clip"));
            assertTrue(m.put(key, v) == null, "duplicate row " + key);
        }
        return m;
    }

    @Test
    void extractThroughTheLauncherMatchesEmbedOnTheSameClips() throws Exception {
        Path out = dir.resolve("features");
        List<String> cmd = cubist("extract", "--input", videos.toString(), "--output", out.toString());
        cmd.addAll(SMALL);
        Run r = run(cmd, Map.of(), 300);
        assertEquals(0, r.code(), r.stderr());
        assertTrue(r.stderr().contains("3 videos listed") && r.stderr().contains("(1 failed"), r.stderr());
        Map<String, float[]> rows = features(out);
        // one.avi: 3 s -> 24 frames at 8 fps -> 6 clips; two.mkv: 2.5 s -> 20 frames -> 5 clips
        assertEquals(11, rows.size(), rows.keySet().toString());
        assertEquals(1, spark().read().parquet(out.resolve("_errors").toString()).count());

        // the report of this very output: every video and the error are on the page
        Path html = dir.resolve("report.html");
        Run rep = run(cubist("report", "--features", out.toString(), "--out", html.toString()), Map.of(), 180);
        assertEquals(0, rep.code(), rep.stderr());
        String page = Files.readString(html);
        assertTrue(page.contains("one.avi") && page.contains("two.mkv") && page.contains("broken.mp4"),
                "the report names both videos and the broken file");
        assertTrue((rep.stdout() + rep.stderr()).contains("11 of 11 clips"), rep.stdout() + rep.stderr());

        // the same clips, cut and transformed by the pipeline, through cubist embed
        Path one = videos.resolve("one.avi");
        ModelPreset preset = ModelPreset.forModel("r3d_18");
        ClipTransform transform = ClipTransform.of(preset);
        List<float[]> clips = new ArrayList<>();
        try (VideoReader reader = VideoReader.open(one.toString())) {
            new ClipSampler(SamplerSettings.of(4, 1, 8)).sample(reader.fromStart(), (SampledClip c) ->
                    clips.add(transform.apply(c.frames())));
        }
        int per = clips.get(0).length;
        float[] all = new float[clips.size() * per];
        for (int i = 0; i < clips.size(); i++) {
            System.arraycopy(clips.get(i), 0, all, i * per, per);
        }
        Path clipsFile = dir.resolve("one.clips.safetensors");
        SafeTensors.write(clipsFile, Map.of("clips", new Tensor(all, clips.size(), 3, 4, transform.height(),
                transform.width())), Map.of());
        Path embedded = dir.resolve("one.features.safetensors");
        Run e = run(cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--clips", clipsFile.toString(),
                "--out", embedded.toString(), "--batch-size", "2"), Map.of(), 120);
        assertEquals(0, e.code(), e.stderr());
        Tensor f = SafeTensors.read(embedded).get("features");
        String uri = one.toUri().toString();
        double worst = 0;
        for (int k = 0; k < clips.size(); k++) {
            float[] got = rows.get(uri + "#" + k);
            assertTrue(got != null, "no row for clip " + k + " of " + uri + " in " + rows.keySet());
            for (int i = 0; i < got.length; i++) {
                float want = f.data()[k * got.length + i];
                worst = Math.max(worst, Math.abs(want - got[i]) / Math.max(1, Math.abs(want)));
            }
        }
        System.out.println("extract vs embed on " + clips.size() + " clips: max relative error " + worst);
        assertTrue(worst <= 1e-5, "extract and embed differ by " + worst);
    }

    @Test
    void sparkSubmitRunsTheAllJar() throws Exception {
        Path jar = OpCommandTest.ROOT.resolve("jobs/target/cubist-jobs-0.1.0-SNAPSHOT-all.jar");
        assumeTrue(Files.isRegularFile(jar), "the -all jar is built by `mvn package`/`mvn verify`");
        Path out = dir.resolve("submitted");
        // spark-submit is SparkSubmit on a Spark installation's class path: Spark and what it ships (Scala, Hadoop,
        // Arrow, Netty ...), without Cubist, JavaCV/FFmpeg or Aparapi, which must come from the -all jar
        List<String> sparkJars = new ArrayList<>();
        for (String f : List.of("launcher-spark.classpath", "launcher.classpath")) {
            for (String j : Files.readString(OpCommandTest.ROOT.resolve("jobs/target/" + f)).trim().split(":")) {
                if (!j.contains("/org/bytedeco/") && !j.contains("/com/aparapi/") && !j.contains("/org/apache/bcel/")) {
                    sparkJars.add(j);
                }
            }
        }
        String sparkCp = String.join(":", sparkJars);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(SparkStandaloneCluster.jvmFlags());
        cmd.add("-Dlog4j2.configurationFile=" + OpCommandTest.ROOT.resolve("conf/log4j2.properties"));
        cmd.addAll(List.of("-cp", sparkCp, "org.apache.spark.deploy.SparkSubmit", "--master", "local[2]",
                "--class", "io.cubist.jobs.ExtractFeatures", jar.toString(), "--input",
                videos.resolve("two.mkv").toString(), "--output", out.toString(), "--model", "r3d_18", "--widths",
                "4,8,8,16", "--fps", "8", "--clip-length", "4"));
        Run r = run(cmd, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), 300);
        assertEquals(0, r.code(), r.stdout() + r.stderr());
        assertEquals(5, features(out).size(), r.stderr());
        String manifest = Files.readString(out.resolve("_manifest.json"));
        assertTrue(manifest.contains("\"master\":\"local[2]\""), manifest);
    }

    @Test
    void badFlagsAndABusyOutputAreClearErrors() throws Exception {
        Run bad = run(cubist("extract", "--input", videos.toString(), "--output", dir.resolve("x").toString(),
                "--mode", "replace"), Map.of(), 60);
        assertEquals(2, bad.code());
        assertTrue(bad.stderr().contains("--mode must be error-if-exists, overwrite or skip-existing, got 'replace'"),
                bad.stderr());
        Run missing = run(cubist("extract", "--input", dir.resolve("nope/*.mp4").toString(), "--output",
                dir.resolve("y").toString(), "--master", "local[1]"), Map.of(), 120);
        assertEquals(1, missing.code());
        assertTrue(missing.stderr().contains("the pattern matched nothing"), missing.stderr());

        Path busy = dir.resolve("busy");
        Files.writeString(dir.resolve(".busy.cubist-lock"), "host=elsewhere pid=1 since=earlier");
        List<String> cmd = cubist("extract", "--input", videos.toString(), "--output", busy.toString());
        cmd.addAll(SMALL);
        Run refused = run(cmd, Map.of(), 120);
        assertEquals(1, refused.code());
        assertTrue(refused.stderr().contains("is in use by another run (host=elsewhere pid=1 since=earlier)"),
                refused.stderr());
    }

    static String tail(String s) throws IOException {
        return s.substring(Math.max(0, s.length() - 4000));
    }
}
