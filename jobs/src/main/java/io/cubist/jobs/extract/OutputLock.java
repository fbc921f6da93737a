package io.cubist.jobs.extract;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Refuses a second run on an output directory while one is active. The lock is a file beside the output
 * ({@code .NAME.cubist-lock} in its parent, so overwriting the output never removes it), created with
 * {@code overwrite=false} — atomic on HDFS and local file systems. It names the holder; a run that died without
 * releasing it leaves the file, and the message says to delete it when no run is active.
 */
public final class OutputLock implements AutoCloseable {
    private final FileSystem fs;
    private final Path file;

    private OutputLock(FileSystem fs, Path file) {
        this.fs = fs;
        this.file = file;
    }

    public static Path lockFile(Path output) {
        Path parent = output.getParent();
        String name = "." + output.getName() + ".cubist-lock";
        return parent == null ? new Path(output, name) : new Path(parent, name);
    }

    public static OutputLock acquire(FileSystem fs, Path output) throws IOException {
        Path file = lockFile(output);
        String holder = "host=" + host() + " pid=" + ProcessHandle.current().pid() + " jvm="
                + ManagementFactory.getRuntimeMXBean().getName() + " since=" + Instant.now();
        if (file.getParent() != null) {
            fs.mkdirs(file.getParent());
        }
        try (OutputStream out = fs.create(file, false)) {
            out.write(holder.getBytes(StandardCharsets.UTF_8));
        } catch (FileAlreadyExistsException e) {
            throw refusal(fs, output, file);
        } catch (IOException e) {
            if (fs.exists(file)) {
                throw refusal(fs, output, file);
            }
            throw e;
        }
        return new OutputLock(fs, file);
    }

    private static IllegalStateException refusal(FileSystem fs, Path output, Path file) {
        String who;
        try (InputStream in = fs.open(file)) {
            who = new String(in.readNBytes(512), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            who = "unknown holder";
        }
        return new IllegalStateException("output " + output + " is in use by another run (" + who + "); two runs"
                + " on one output are refused. If no run is active, delete " + file);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() throws IOException {
        fs.delete(file, false);
    }
}
