package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.Cubist;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/cubist extract} against a real S3 endpoint on 127.0.0.1 ({@link S3Server}), as a user runs it: S3A
 * added the Spark way ({@code --packages org.apache.hadoop:hadoop-aws} resolved by spark-submit's own code, the AWS
 * SDK modules as {@code --jars}), path-style access, and the credentials given only as
 * {@code --conf spark.hadoop.fs.s3a.*}. Videos are read from S3 and Parquet, {@code _errors} and the manifest written
 * back to it; the rows equal a local run's. A wrong key is one clear line naming the bucket.
 */
class S3ExtractTest {
    @TempDir
    static Path dir;
    static S3Server s3;
    static SparkSession spark;
    static Map<String, Row> local;

    @BeforeAll
    static void start() throws Exception {
        Path videos = RemoteVideos.write(dir);
        s3 = S3Server.start(dir.resolve("s3"), "videos");
        Configuration conf = new Configuration();
        s3.s3a(S3Server.SECRET).forEach(conf::set);
        try (FileSystem fs = FileSystem.newInstance(java.net.URI.create("s3a://videos/"), conf)) {
            for (String name : RemoteVideos.NAMES) {
                fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(videos.resolve(name).toUri()),
                        new org.apache.hadoop.fs.Path("s3a://videos/in/" + name));
            }
        }
        SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("s3-test")
                .config("spark.ui.enabled", "false");
        s3.s3a(S3Server.SECRET).forEach((k, v) -> b.config("spark.hadoop." + k, v));
        spark = b.getOrCreate();
        // this JVM reads the results too; a session another test class left running ignores the builder's settings
        s3.s3a(S3Server.SECRET).forEach(spark.sparkContext().hadoopConfiguration()::set);
        Cubist.extract(spark, RemoteVideos.options(videos.toString(), dir.resolve("local").toString()));
        local = RemoteVideos.rows(spark, dir.resolve("local").toString());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    /** bin/cubist extract with S3A as a user adds it, the S3 settings as --conf only, and {@code args}. */
    static ExtractEndToEndTest.Run extract(String secret, String... args) throws Exception {
        List<String> jars = new ArrayList<>();
        for (String j : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (j.contains("/software/amazon/awssdk/") || j.contains("/org/reactivestreams/")
                    || j.contains("/org/apache/httpcomponents/")) {
                jars.add(j);
            }
        }
        List<String> cmd = ExtractEndToEndTest.cubist("extract", "--model", "r3d_18", "--widths", "4,8,8,16",
                "--fps", "8", "--clip-length", "4", "--batch-size", "2", "--backend", "cpu", "--threads", "1",
                "--segment-seconds", "1", "--master", "local[2]",
                "--packages", "org.apache.hadoop:hadoop-aws:3.5.0",
                "--exclude-packages", "software.amazon.awssdk:bundle", "--jars", String.join(",", jars));
        s3.s3a(secret).forEach((k, v) -> cmd.addAll(List.of("--conf", "spark.hadoop." + k + "=" + v)));
        cmd.addAll(List.of(args));
        return ExtractEndToEndTest.run(cmd, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), 600);
    }

    @Test
    void extractReadsAndWritesS3WithCredentialsFromConfOnly() throws Exception {
        ExtractEndToEndTest.Run r = extract(S3Server.SECRET, "--input", "s3a://videos/in", "--output",
                "s3a://videos/features");
        assertEquals(0, r.code(), ExtractEndToEndTest.tail(r.stderr()) + "\ns3rver: " + s3.logTail());
        RemoteVideos.assertSameRows(local, RemoteVideos.rows(spark, "s3a://videos/features"), "S3");
        List<Row> errors = Cubist.errors(spark, "s3a://videos/features").collectAsList();
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("s3a://videos/in/broken.mp4", errors.get(0).getString(0));
        Map<String, Object> manifest = RemoteVideos.manifest("s3a://videos/features",
                spark.sparkContext().hadoopConfiguration());
        long bytes = ((Number) manifest.get("bytes_read")).longValue();
        System.out.println("S3: " + bytes + " bytes read in all");
        assertTrue(bytes > 0, manifest.toString());

        // skip-existing on S3 adds nothing
        r = extract(S3Server.SECRET, "--input", "s3a://videos/in", "--output", "s3a://videos/features", "--mode",
                "skip-existing");
        assertEquals(0, r.code(), ExtractEndToEndTest.tail(r.stderr()));
        assertEquals(RemoteVideos.CLIPS, Cubist.features(spark, "s3a://videos/features").count());
    }

    @Test
    void aWrongKeyIsOneClearLineNamingTheBucket() throws Exception {
        ExtractEndToEndTest.Run r = extract("not-the-secret", "--input", "s3a://videos/in", "--output",
                dir.resolve("never").toString());
        assertEquals(1, r.code(), ExtractEndToEndTest.tail(r.stderr()));
        String line = r.stderr().lines().filter(l -> l.startsWith("cubist extract:")).reduce((a, b) -> b)
                .orElse("");
        System.out.println("wrong key: " + line);
        assertTrue(line.contains("--input s3a://videos/in: access denied") && line.contains("403")
                && line.contains("spark.hadoop.fs.s3a.secret.key"), ExtractEndToEndTest.tail(r.stderr()));
        assertFalse(r.stderr().contains("\tat "), "no stack trace: " + ExtractEndToEndTest.tail(r.stderr()));
    }
}
