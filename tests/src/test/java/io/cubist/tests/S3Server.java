package io.cubist.tests;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 endpoint on 127.0.0.1 for the tests: s3rver (an S3 server in Node, from the npm registry), started as its
 * own process with its buckets in a temporary directory. It checks request signatures against its one account
 * ({@link #KEY}/{@link #SECRET}), so a wrong key is refused as AWS refuses it. {@code .ci/run} installs it; a
 * developer without it gets it installed here (npm) into {@code ~/.cache/cubist/s3rver}.
 */
final class S3Server implements AutoCloseable {
    static final String KEY = "S3RVER";
    static final String SECRET = "S3RVER";
    static final String VERSION = "3.7.1";

    private final Process process;
    private final int port;
    private final Path log;

    private S3Server(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The end of the server's request log (for failure messages). */
    String logTail() {
        try {
            String s = Files.readString(log);
            return s.substring(Math.max(0, s.length() - 3000));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    static S3Server start(Path data, String... buckets) throws Exception {
        Path exe = executable();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "-d", data.toString(), "-a", "127.0.0.1", "-p",
                Integer.toString(port), "--no-vhost-buckets"));
        for (String b : buckets) {
            cmd.addAll(List.of("--configure-bucket", b));
        }
        Files.createDirectories(data);
        File log = data.resolveSibling("s3rver.log").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log);
        // s3rver's list continuation tokens use DES, which Node 17+ (OpenSSL 3) keeps in its legacy provider
        pb.environment().put("NODE_OPTIONS", "--openssl-legacy-provider");
        Process p = pb.start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return new S3Server(p, port, log.toPath());
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > until) {
                    p.destroyForcibly();
                    throw new IllegalStateException("s3rver did not start: " + Files.readString(log.toPath()));
                }
                Thread.sleep(100);
            }
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
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

    /** s3rver's launcher: $CUBIST_S3RVER, or the cached install, made with npm when missing. */
    static Path executable() throws Exception {
        String env = System.getenv("CUBIST_S3RVER");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path prefix = Path.of(System.getProperty("user.home"), ".cache", "cubist", "s3rver-" + VERSION);
        Path exe = prefix.resolve("node_modules/.bin/s3rver");
        if (Files.isExecutable(exe)) {
            return exe;
        }
        boolean required = "1".equals(System.getenv("CUBIST_REQUIRE_S3"));
        boolean npm = new File("/usr/bin/npm").canExecute() || new File("/usr/local/bin/npm").canExecute();
        if (!npm && !required) {
            assumeTrue(false, "no npm to install s3rver (apt-get install nodejs npm; .ci/run does)");
        }
        Files.createDirectories(prefix);
        Process p = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", prefix.toString(),
                "s3rver@" + VERSION).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isExecutable(exe)) {
            throw new IllegalStateException("npm install s3rver@" + VERSION + " failed: " + out);
        }
        return exe;
    }
}
