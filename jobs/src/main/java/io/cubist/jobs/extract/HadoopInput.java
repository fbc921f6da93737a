package io.cubist.jobs.extract;

import io.cubist.pipeline.video.SeekableInput;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.functional.FutureIO;

/**
 * A file on any Hadoop FileSystem ({@code file:}, {@code hdfs:}, {@code s3a:}, {@code abfs:}, {@code gs:} ...) as the
 * random-access input FFmpeg decodes from: its {@code FSDataInputStream}, read where FFmpeg reads and repositioned
 * where it seeks, never copied to local disk. {@link #bytesRead()} is what the FileSystem's statistics counted for the
 * reads through this stream (on the thread that made them).
 */
final class HadoopInput implements SeekableInput {

    private final FSDataInputStream in;
    private final long length;
    private final FileSystem.Statistics stats;
    private long bytes;

    private HadoopInput(FSDataInputStream in, long length, FileSystem.Statistics stats) {
        this.in = in;
        this.length = length;
        this.stats = stats;
    }

    /** The video {@code uri} on the FileSystem {@code conf} configures, opened when the decoder needs it. */
    static SeekableInput.Source source(String uri, Configuration conf) {
        return SeekableInput.Source.of(uri, () -> open(uri, conf));
    }

    @SuppressWarnings("deprecation") // FileSystem.getStatistics(scheme, class): the instance's own statistics object
    static HadoopInput open(String uri, Configuration conf) throws IOException {
        Path p = path(uri);
        FileSystem fs = p.getFileSystem(conf);
        FileStatus st = fs.getFileStatus(p);
        if (st.isDirectory()) {
            throw new IOException("a directory, not a video file");
        }
        // the status we have saves object stores a second metadata request; the read policy is the user's
        // (fs.s3a.experimental.input.fadvise ...)
        FSDataInputStream in = FutureIO.awaitFuture(fs.openFile(p).withFileStatus(st).build());
        return new HadoopInput(in, st.getLen(), FileSystem.getStatistics(fs.getUri().getScheme(), fs.getClass()));
    }

    /** A URI ({@code scheme:...}, percent-escaped) or a plain path (taken as written, spaces and all). */
    static Path path(String video) {
        return video.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") ? new Path(URI.create(video)) : new Path(video);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        long before = threadBytes();
        int n = in.read(b, off, len);
        bytes += Math.max(threadBytes() - before, Math.max(n, 0));
        return n;
    }

    private long threadBytes() {
        return stats == null ? 0 : stats.getThreadStatistics().getBytesRead();
    }

    @Override
    public void seek(long position) throws IOException {
        in.seek(Math.min(position, length));
    }

    @Override
    public long position() throws IOException {
        return in.getPos();
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long bytesRead() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
