package io.cubist.tests;

import io.cubist.jobs.Cubist;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;

/**
 * A benchmark, not a test ({@code tools/bench_remote_read.sh} runs it): how many bytes {@code extract} reads of a long
 * video split into segments, on a local disk, an in-process HDFS and an S3 endpoint (S3Proxy) on 127.0.0.1, against
 * the file's size. Prints one table; asserts nothing.
 *
 * <pre>java ... io.cubist.tests.RemoteReadBench VIDEO [SEGMENT_SECONDS]</pre>
 */
public final class RemoteReadBench {

    private RemoteReadBench() {
    }

    public static void main(String[] args) throws Exception {
        Path video = Path.of(args[0]).toAbsolutePath();
        double segmentSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 60;
        long size = Files.size(video);
        Path work = Files.createTempDirectory("cubist-remote-bench");
        List<String> lines = new ArrayList<>();
        Configuration hconf = new Configuration();
        MiniDFSCluster hdfs = new MiniDFSCluster.Builder(hconf, work.resolve("hdfs").toFile()).numDataNodes(2)
                .build();
        try (S3Server s3 = S3Server.start(work.resolve("s3"), "videos")) {
            hdfs.waitActive();
            String hdfsRoot = hdfs.getFileSystem().getUri().toString();
            hdfs.getFileSystem().copyFromLocalFile(new org.apache.hadoop.fs.Path(video.toUri()),
                    new org.apache.hadoop.fs.Path("/videos/" + video.getFileName()));
            Configuration c = new Configuration();
            s3.s3a(S3Server.SECRET).forEach(c::set);
            try (FileSystem fs = FileSystem.newInstance(java.net.URI.create("s3a://videos/"), c)) {
                fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(video.toUri()),
                        new org.apache.hadoop.fs.Path("s3a://videos/in/" + video.getFileName()));
            }
            SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("remote-read-bench")
                    .config("spark.ui.enabled", "false");
            s3.s3a(S3Server.SECRET).forEach((k, v) -> b.config("spark.hadoop." + k, v));
            SparkSession spark = b.getOrCreate();
            try {
                for (String[] place : new String[][] {{"local disk", video.toUri().toString(),
                        work.resolve("out-local").toString()},
                        {"HDFS (2 DataNodes)", hdfsRoot + "/videos/" + video.getFileName(), hdfsRoot + "/out"},
                        {"S3 (S3Proxy, S3A)", "s3a://videos/in/" + video.getFileName(), "s3a://videos/out"}}) {
                    long t0 = System.nanoTime();
                    Cubist.extract(spark, Cubist.options().input(place[1]).output(place[2]).model("r3d_18")
                            .widths(4, 8, 8, 16).batchSize(8).threads(2).segmentSeconds(segmentSeconds));
                    double secs = (System.nanoTime() - t0) / 1e9;
                    Map<String, Object> m = RemoteVideos.manifest(place[2], spark.sparkContext()
                            .hadoopConfiguration());
                    long read = ((Number) m.get("bytes_read")).longValue();
                    @SuppressWarnings("unchecked")
                    Map<String, Object> counts = (Map<String, Object>) m.get("counts");
                    long segments = ((Number) counts.get("segments")).longValue();
                    long clips = ((Number) counts.get("clips")).longValue();
                    lines.add(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.3f | %.0f | %d | %.1f |",
                            place[0], size, segments, read, read / (double) size,
                            (read - size) / (double) (segments + 1), clips, secs));
                }
            } finally {
                spark.stop();
            }
        } finally {
            hdfs.shutdown();
        }
        System.out.println();
        System.out.println("| storage | file bytes | segments | bytes read | read / size | extra bytes per open"
                + " (probe + segments) | clips | seconds |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        lines.forEach(System.out::println);
    }
}
