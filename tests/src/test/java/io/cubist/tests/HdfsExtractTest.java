package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.Cubist;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code extract} against a real HDFS: an in-process cluster (a NameNode and two DataNodes, Hadoop's own
 * {@code MiniDFSCluster}) that the videos are uploaded to. The job streams them from HDFS (nothing copied to local
 * disk), writes Parquet, {@code _errors} and the manifest back to HDFS, and its rows equal a local run's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HdfsExtractTest {
    @TempDir
    static Path dir;
    static MiniDFSCluster cluster;
    static FileSystem fs;
    static String root;
    static SparkSession spark;
    static Map<String, Row> local;
    static long[] sizes = new long[RemoteVideos.NAMES.size()];

    @BeforeAll
    static void start() throws Exception {
        Path videos = RemoteVideos.write(dir);
        Configuration conf = new Configuration();
        conf.setInt("dfs.replication", 2); // each block on both DataNodes: one may stop mid-run
        cluster = new MiniDFSCluster.Builder(conf, dir.resolve("hdfs").toFile()).numDataNodes(2).build();
        cluster.waitActive();
        fs = cluster.getFileSystem();
        root = fs.getUri().toString();
        fs.mkdirs(new org.apache.hadoop.fs.Path("/videos"));
        for (int i = 0; i < RemoteVideos.NAMES.size(); i++) {
            String name = RemoteVideos.NAMES.get(i);
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(videos.resolve(name).toUri()),
                    new org.apache.hadoop.fs.Path("/videos/" + name));
            sizes[i] = Files.size(videos.resolve(name));
        }
        spark = SparkSession.builder().master("local[2]").appName("hdfs-test").config("spark.ui.enabled", "false")
                // the output is written with the cluster's replication; with one DataNode stopped, go on with one
                .config("spark.hadoop.dfs.replication", "2")
                .config("spark.hadoop.dfs.client.block.write.replace-datanode-on-failure.enable", "false")
                .getOrCreate();
        // a session another test class left running ignores the builder's settings
        spark.sparkContext().hadoopConfiguration().set("dfs.replication", "2");
        spark.sparkContext().hadoopConfiguration().set("dfs.client.block.write.replace-datanode-on-failure.enable",
                "false");
        Cubist.extract(spark, RemoteVideos.options(videos.toString(), dir.resolve("local").toString()));
        local = RemoteVideos.rows(spark, dir.resolve("local").toString());
        assertEquals(RemoteVideos.CLIPS, local.size());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    @Test
    @Order(1)
    void rowsFromHdfsEqualALocalRunAndTheFilesAreReadNotCopied() throws Exception {
        String out = root + "/features";
        Cubist.extract(spark, RemoteVideos.options(root + "/videos", out));
        RemoteVideos.assertSameRows(local, RemoteVideos.rows(spark, out), "HDFS");
        List<Row> errors = Cubist.errors(spark, out).collectAsList();
        assertEquals(1, errors.size());
        assertEquals(root + "/videos/broken.mp4", errors.get(0).getString(0));
        assertEquals("open", errors.get(0).getString(1));

        Map<String, Object> manifest = RemoteVideos.manifest(out, spark.sparkContext().hadoopConfiguration());
        @SuppressWarnings("unchecked")
        Map<String, Object> perVideo = (Map<String, Object>) manifest.get("bytes_read_per_video");
        long total = 0;
        for (int i = 0; i < RemoteVideos.NAMES.size(); i++) {
            String name = RemoteVideos.NAMES.get(i);
            long read = ((Number) perVideo.get(root + "/videos/" + name)).longValue();
            total += read;
            System.out.printf("HDFS: %s: %d bytes read of %d (%.2fx) in a probe and up to 3 segments%n", name, read,
                    sizes[i], read / (double) sizes[i]);
            // a copy per segment and one for the probe would be 4x; each segment reads the container's header and
            // index, and from the keyframe before its start to its end (on files this small the fixed part weighs;
            // the long-video benchmark in the README gives the figures at scale)
            assertTrue(read > 0 && read < 4 * sizes[i], name + ": " + read + " bytes read of " + sizes[i]);
        }
        assertEquals(total, ((Number) manifest.get("bytes_read")).longValue());

        // a re-run that skips what is done adds nothing
        Cubist.extract(spark, RemoteVideos.options(root + "/videos", out).mode("skip-existing"));
        assertEquals(RemoteVideos.CLIPS, Cubist.features(spark, out).count());
        assertEquals(1, Cubist.errors(spark, out).count());
    }

    @Test
    @Order(2)
    void aVideoDeletedAfterListingIsAnInputErrorRow() throws Exception {
        // the manifest lists a video that is gone by the time the executors read it
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(dir.resolve("videos/two.mkv").toUri()),
                new org.apache.hadoop.fs.Path("/gone/three.mkv"));
        org.apache.hadoop.fs.Path list = new org.apache.hadoop.fs.Path("/lists/videos.csv");
        try (OutputStream o = fs.create(list)) {
            o.write(("video\n" + root + "/videos/two.mkv\n" + root + "/gone/three.mkv\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        fs.delete(new org.apache.hadoop.fs.Path("/gone/three.mkv"), false);
        String out = root + "/deleted";
        Cubist.extract(spark, RemoteVideos.options(null, out).manifest(root + list.toString()));
        assertEquals(5, Cubist.features(spark, out).count());
        List<Row> errors = Cubist.errors(spark, out).collectAsList();
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("input", errors.get(0).getString(1), errors.toString());
        assertTrue(errors.get(0).getString(3).contains("three.mkv"), errors.toString());
    }

    @Test
    @Order(3)
    void aDataNodeStoppedMidRunLosesAndDuplicatesNothing() throws Exception {
        String out = root + "/one-datanode";
        Throwable[] failed = {null};
        Thread job = new Thread(() -> {
            try {
                Cubist.extract(spark, RemoteVideos.options(root + "/videos", out));
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        job.start();
        // whenever the stop lands (before, during or after the reads), every block has a replica on the other node
        Thread.sleep(500);
        cluster.stopDataNode(0); // the last test: the cluster stays with one DataNode
        job.join();
        assertEquals(null, failed[0]);
        RemoteVideos.assertSameRows(local, RemoteVideos.rows(spark, out), "HDFS, one DataNode stopped");
        assertEquals(1, Cubist.errors(spark, out).count());
    }
}
