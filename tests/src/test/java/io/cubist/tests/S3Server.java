package io.cubist.tests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 endpoint on 127.0.0.1 for the tests: S3Proxy (an S3 server in Java from Maven Central, the jar the build
 * copies to {@code target/s3proxy/}) in a process of its own, keeping its buckets as directories of a temporary
 * folder. It checks AWS signatures (V2 and V4, chunked uploads included) against its one account
 * ({@link #KEY}/{@link #SECRET}), so a wrong key is refused as AWS refuses it.
 */
final class S3Server implements AutoCloseable {
    static final String KEY = "cubist";
    static final String SECRET = "cubist-secret";

    private final Process process;
    private final int port;
    private final Path log;

    private S3Server(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static S3Server start(Path data, String... buckets) throws Exception {
        Path jar = OpCommandTest.ROOT.resolve("tests/target/s3proxy/s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: it is copied by `mvn -pl tests test-compile`");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        for (String b : buckets) {
            Files.createDirectories(data.resolve(b)); // a bucket of the filesystem store is a directory
        }
        Path props = data.resolveSibling("s3proxy.properties");
        Files.writeString(props, String.join("\n", List.of(
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + KEY,
                "s3proxy.credential=" + SECRET,
                // the filesystem store keeps "dir/" markers apart from objects, as S3A's renames need
                "jclouds.provider=filesystem",
                "jclouds.identity=" + KEY,
                "jclouds.credential=" + SECRET,
                "jclouds.filesystem.basedir=" + data)) + "\n");
        Path log = data.resolveSibling("s3proxy.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", jar.toString(), "--properties", props.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return new S3Server(p, port, log);
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > until) {
                    p.destroyForcibly();
                    throw new IllegalStateException("S3Proxy did not start: " + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The end of the server's log (for failure messages). */
    String logTail() {
        try {
            String s = Files.readString(log);
            return s.substring(Math.max(0, s.length() - 3000));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The S3A settings a user gives for this endpoint, with {@code secret} as the key's secret. */
    Map<String, String> s3a(String secret) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("fs.s3a.endpoint", endpoint());
        m.put("fs.s3a.endpoint.region", "us-east-1");
        m.put("fs.s3a.path.style.access", "true");
        m.put("fs.s3a.connection.ssl.enabled", "false");
        m.put("fs.s3a.access.key", KEY);
        m.put("fs.s3a.secret.key", secret);
        m.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        // what many S3-compatible stores need: one DELETE per object (S3Proxy's bulk delete refuses S3A's headers)
        m.put("fs.s3a.multiobjectdelete.enable", "false");
        // a refused key is final: no minutes of retries
        m.put("fs.s3a.retry.limit", "1");
        m.put("fs.s3a.attempts.maximum", "1");
        return m;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
