package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Spark lines users run: for each, its own {@code -all} jar is built ({@code tools/build_spark_line.sh}: that
 * line's Spark, Scala, Arrow and Hadoop), {@code spark-submit} from that line's jars runs it on
 * {@code local-cluster} (a Worker and an executor in JVMs of their own, found through a {@code SPARK_HOME} of that
 * line's jars), and the rows of the bundled samples equal the default build's, run the same way.
 */
class SparkLinesTest {
    static final List<String> JOB = List.of("--input", OpCommandTest.ROOT.resolve("samples/videos").toString(),
            "--model", "r3d_18", "--widths", "4,8,8,16", "--fps", "8", "--clip-length", "4", "--batch-size", "4");
    static Path dir;
    static Map<String, Row> reference;

    @AfterAll
    static void stop() {
        ExtractEndToEndTest.stop(); // the session that read the outputs
    }

    @BeforeAll
    static void referenceRun() throws Exception {
        dir = Files.createTempDirectory("cubist-spark-lines");
        Path out = submit("4.2", "2.13", dir.resolve("default"));
        reference = RemoteVideos.rows(ExtractEndToEndTest.spark(), out.toString());
        assertEquals(143, reference.size());
    }

    /** Builds the line's jar and runs the job with spark-submit from that line's jars; returns the output. */
    static Path submit(String line, String scala, Path out) throws Exception {
        ExtractEndToEndTest.Run built = ExtractEndToEndTest.run(List.of(OpCommandTest.ROOT.resolve(
                "tools/build_spark_line.sh").toString(), line, scala), Map.of(), 1500);
        assertEquals(0, built.code(), built.stderr());
        Path jar = Path.of(built.stdout().trim());
        Path target = jar.getParent();
        // spark-submit's class path: that line's Spark and what it ships (Scala, Hadoop, Arrow, Netty ...), as
        // resolved for the build, first; Cubist, JavaCV/FFmpeg and Aparapi come from the -all jar alone
        List<String> sparkJars = new ArrayList<>();
        java.util.Set<Path> artifacts = new java.util.HashSet<>();
        for (String f : List.of("launcher-spark.classpath", "launcher.classpath")) {
            for (String j : Files.readString(target.resolve(f)).trim().split(":")) {
                Path artifact = Path.of(j).getParent().getParent(); // .../group/artifact/VERSION/jar
                if (!j.contains("/org/bytedeco/") && !j.contains("/com/aparapi/") && !j.contains("/org/apache/bcel/")
                        && artifacts.add(artifact)) {
                    sparkJars.add(j);
                }
            }
        }
        Path home = Files.createDirectories(dir.resolve("spark-home-" + line + "_" + scala).resolve("jars"))
                .getParent();
        for (String j : sparkJars) {
            Path link = home.resolve("jars").resolve(Path.of(j).getFileName());
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, Path.of(j));
            }
        }
        List<String> own = flags(target.resolve("classes/io/cubist/jobs/jvm.options"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(own);
        cmd.addAll(flags(target.resolve("classes/io/cubist/jobs/spark-jvm.options")));
        cmd.add("-Dlog4j2.configurationFile=" + OpCommandTest.ROOT.resolve("conf/log4j2.properties"));
        cmd.addAll(List.of("-cp", String.join(":", sparkJars), "org.apache.spark.deploy.SparkSubmit", "--master",
                "local-cluster[1,2,2048]", "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", own),
                "--class", "io.cubist.jobs.ExtractFeatures", jar.toString(), "--output", out.toString()));
        cmd.addAll(JOB);
        ExtractEndToEndTest.Run r = ExtractEndToEndTest.run(cmd, Map.of("SPARK_HOME", home.toString(),
                "SPARK_SCALA_VERSION", scala, "SPARK_LOCAL_IP", "127.0.0.1"), 600);
        assertEquals(0, r.code(), ExtractEndToEndTest.tail(r.stdout() + r.stderr()));
        assertTrue(Files.readString(out.resolve("_manifest.json")).contains("\"spark\":\"" + line + "."),
                "the manifest names Spark " + line);
        return out;
    }

    static List<String> flags(Path file) throws IOException {
        List<String> f = new ArrayList<>();
        for (String s : Files.readString(file).trim().split("\\s+")) {
            if (!s.isEmpty()) {
                f.add(s);
            }
        }
        return f;
    }

    @ParameterizedTest(name = "Spark {0}, Scala {1}")
    @CsvSource({"3.5, 2.12", "3.5, 2.13", "4.0, 2.13", "4.1, 2.13"})
    void eachLinesJarGivesTheDefaultBuildsRows(String line, String scala) throws Exception {
        Path out = submit(line, scala, dir.resolve("spark" + line + "_" + scala));
        RemoteVideos.assertSameRows(reference, RemoteVideos.rows(ExtractEndToEndTest.spark(), out.toString()),
                "Spark " + line + " / Scala " + scala);
    }
}
