package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.pipeline.video.SyntheticVideos;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real Spark standalone cluster (Master, Worker and executors in their own JVMs on 127.0.0.1): the same
 * rows as local mode, and an executor killed in the middle of the run still leaves exactly one row per clip.
 */
class ClusterTest {

    @Test
    void killingAnExecutorMidRunStillGivesExactlyOneRowPerClip(@TempDir Path dir) throws Exception {
        Path videos = dir.resolve("videos");
        Files.createDirectories(videos);
        for (int i = 0; i < 4; i++) {
            SyntheticVideos.write(videos.resolve("v" + i + ".avi"), SyntheticVideos.Codec.MPEG4_AVI, 96, 72, 10, 60);
        }
        List<String> common = List.of("--input", videos.toString(), "--model", "r3d_18", "--widths",
                "8,16,16,32", "--fps", "8", "--clip-length", "4", "--segment-seconds", "2", "--batch-size", "2",
                "--progress-interval", "1");

        // the reference: local mode
        Path local = dir.resolve("local");
        List<String> lc = ExtractEndToEndTest.cubist("extract", "--output", local.toString(), "--master", "local[2]");
        lc.addAll(common);
        ExtractEndToEndTest.Run lr = ExtractEndToEndTest.run(lc, Map.of(), 300);
        assertEquals(0, lr.code(), lr.stderr());

        try (SparkStandaloneCluster cluster = new SparkStandaloneCluster(dir.resolve("cluster"), 2, "3g")) {
            Path out = dir.resolve("cluster-out");
            List<String> cmd = ExtractEndToEndTest.cubist("extract", "--output", out.toString(), "--master",
                    cluster.masterUrl(), "--task-cpus", "1", "--threads", "1", "--conf",
                    "spark.executor.extraClassPath=" + cluster.classPath, "--conf", "spark.executor.cores=1",
                    "--conf", "spark.executor.memory=1g", "--conf", "spark.task.maxFailures=8", "--conf",
                    "spark.executor.heartbeatInterval=1s");
            cmd.addAll(common);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            cluster.environment(pb);
            pb.environment().put("CUBIST_NO_BUILD", "1");
            File err = dir.resolve("driver.err").toFile();
            pb.redirectError(err);
            pb.redirectOutput(dir.resolve("driver.out").toFile());
            Process driver = pb.start();

            // wait until some but not all segments are done, then kill one executor JVM
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            boolean killed = false;
            while (driver.isAlive() && System.nanoTime() < deadline && !killed) {
                String log = Files.readString(err.toPath());
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("segments (\\d+)/(\\d+), clips (\\d+)")
                        .matcher(log);
                int done = -1;
                int total = 0;
                int clips = 0;
                while (m.find()) {
                    done = Integer.parseInt(m.group(1));
                    total = Integer.parseInt(m.group(2));
                    clips = Integer.parseInt(m.group(3));
                }
                List<ProcessHandle> executors = SparkStandaloneCluster.executors();
                // work has begun (clips reported by heartbeats, or segments done) and segments are still to do
                if ((clips >= 1 || done >= 1) && done < total - 1 && !executors.isEmpty()) {
                    executors.get(0).destroyForcibly();
                    killed = true;
                }
                Thread.sleep(200);
            }
            assertTrue(driver.waitFor(300, TimeUnit.SECONDS), "driver did not finish");
            String log = Files.readString(err.toPath());
            assertEquals(0, driver.exitValue(), ExtractEndToEndTest.tail(log) + cluster.logs());
            assertTrue(killed, "the run ended before an executor could be killed: " + ExtractEndToEndTest.tail(log));

            var want = ExtractEndToEndTest.features(local);
            var got = ExtractEndToEndTest.features(out); // fails on a duplicate row
            assertEquals(want.keySet(), got.keySet());
            assertEquals(4 * 12, got.size());
            double worst = 0;
            for (String k : want.keySet()) {
                float[] a = want.get(k);
                float[] b = got.get(k);
                for (int i = 0; i < a.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
                }
            }
            assertTrue(worst <= 1e-5, "cluster and local features differ by " + worst);
            String manifest = Files.readString(out.resolve("_manifest.json"));
            assertTrue(manifest.contains("\"master\":\"" + cluster.masterUrl() + "\""), manifest);
            assertTrue(manifest.contains("on executor 0") || manifest.contains("on executor 1"), manifest);
            List<String> kept = new ArrayList<>(List.of(log.split("\n")));
            System.out.println("cluster run with one executor killed: " + got.size() + " rows; driver log tail: "
                    + kept.subList(Math.max(0, kept.size() - 3), kept.size()));
        }
    }
}
