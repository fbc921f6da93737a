package io.cubist.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and a Worker, each its own JVM started from the Maven jars
 * (no Spark distribution: {@code SPARK_TESTING=1} and {@code SPARK_SCALA_VERSION=2.13}, executors get the class path
 * through {@code spark.executor.extraClassPath}). Executors run in further JVMs the Worker launches.
 */
final class SparkStandaloneCluster implements AutoCloseable {
    final Path dir;
    final int masterPort;
    final int masterUiPort;
    final String classPath;
    private final List<Process> daemons = new ArrayList<>();

    SparkStandaloneCluster(Path dir, int workerCores, String workerMemory) throws IOException, InterruptedException {
        this.dir = dir;
        this.classPath = launcherClassPath();
        this.masterPort = freePort();
        this.masterUiPort = freePort();
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(dir.resolve("spark-home"));
        daemons.add(start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                Integer.toString(masterPort), "--webui-port", Integer.toString(masterUiPort)));
        waitFor("\"status\" : \"ALIVE\"", 60);
        daemons.add(start("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
                Integer.toString(workerCores), "--memory", workerMemory, "--webui-port",
                Integer.toString(freePort()), "--work-dir", dir.resolve("work").toString(), masterUrl()));
        waitFor("\"aliveworkers\" : 1", 60);
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** The class path bin/cubist runs with (compiled modules, conf/, the dependency jars including Spark). */
    static String launcherClassPath() throws IOException {
        Path root = OpCommandTest.ROOT;
        Path t = root.resolve("jobs/target");
        return String.join(":", root.resolve("jobs/target/classes").toString(),
                root.resolve("pipeline/target/classes").toString(),
                root.resolve("conv-kernels/target/classes").toString(), root.resolve("conf").toString(),
                Files.readString(t.resolve("launcher.classpath")).trim(),
                Files.readString(t.resolve("launcher-spark.classpath")).trim());
    }

    /** Cubist's JVM flags and Spark's module opens: what a JVM running Spark without spark-submit needs. */
    static List<String> jvmFlags() throws IOException {
        List<String> flags = new ArrayList<>();
        for (String file : List.of("jvm.options", "spark-jvm.options")) {
            String line = Files.readString(OpCommandTest.ROOT.resolve("jobs/target/classes/io/cubist/jobs/" + file));
            for (String f : line.trim().split("\\s+")) {
                if (!f.isEmpty()) {
                    flags.add(f);
                }
            }
        }
        return flags;
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.addAll(jvmFlags());
        cmd.add("-Dlog4j2.configurationFile=" + OpCommandTest.ROOT.resolve("conf/log4j2.properties"));
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        environment(pb);
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve(name + ".log").toFile());
        return pb.start();
    }

    /** What Master, Worker and drivers need in their environment. */
    void environment(ProcessBuilder pb) {
        pb.environment().put("SPARK_TESTING", "1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_HOME", dir.resolve("spark-home").toString());
    }

    private void waitFor(String text, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            for (Process p : daemons) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a Spark daemon exited: " + logs());
                }
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + masterUiPort + "/json/")
                        .toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                last = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (last.contains(text)) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException("cluster not ready (" + text + ") after " + seconds + " s: " + last + "\n"
                + logs());
    }

    /** The master's JSON status page. */
    String status() throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + masterUiPort + "/json/").toURL()
                .openConnection();
        return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * The executor JVMs the Worker launched that are alive now (found by their command line in /proc: the JDK's
     * ProcessHandle.Info gives none for command lines as long as an executor's class path).
     */
    static List<ProcessHandle> executors() {
        return ProcessHandle.allProcesses().filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend"))
                .toList();
    }

    static String commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                    StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return p.info().commandLine().orElse("");
        }
    }

    String logs() {
        StringBuilder b = new StringBuilder();
        for (String n : List.of("master", "worker")) {
            try {
                String s = Files.readString(dir.resolve(n + ".log"));
                b.append("--- ").append(n).append(" log (tail)\n").append(s.substring(Math.max(0, s.length() - 3000)));
            } catch (IOException e) {
                b.append("--- no ").append(n).append(" log\n");
            }
        }
        return b.toString();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (ProcessHandle e : executors()) {
            String c = commandLine(e);
            if (c.contains(dir.toString()) || c.contains("127.0.0.1:" + masterPort)) {
                e.destroyForcibly();
            }
        }
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process p = daemons.get(i);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
