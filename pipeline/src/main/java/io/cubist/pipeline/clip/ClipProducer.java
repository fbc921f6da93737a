package io.cubist.pipeline.clip;

import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoReader;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The one path from a video's bytes to clip tensors: decode ({@link VideoReader}) → resample and cut
 * ({@link ClipSampler}) → transform ({@link ClipTransform}, one per test-time view) → Arrow {@link ClipBatch}es of
 * {@code batchSize} clips. Everything that reads videos (the extract job, {@code cubist prepare}, the single-JVM
 * {@link FeatureExtractor}) runs on it.
 *
 * <p>Threads: decoding runs on a daemon thread of its own, ahead of the consumer by at most a two-slot queue (so at
 * most three batches exist: one filling, two waiting), while the caller's thread takes batches with {@link #next()}
 * and runs a model on them. The source is opened on the decoder thread, so a storage that hangs on open is bounded by
 * the timeout like any read.
 *
 * <p>Timeout: when {@link Settings#decodeTimeout()} passes while {@link #next()} waits and the decoder has neither
 * produced a frame nor been blocked on a full queue, the decode is abandoned ({@code VideoException} stage
 * {@code decode}, reason {@link VideoException#TIMEOUT}): the reader is aborted (a blocked read of the source fails,
 * FFmpeg's interrupt callback stops its I/O loops) and the consumer goes on at once.
 *
 * <p>Memory: batches are children of the given allocator; each batch {@link #next()} returns belongs to the caller.
 * {@link #close()} aborts a decoder still running, waits for it briefly and closes the batches still queued; the
 * native decoder is released by the decoder thread itself when its current native call returns
 * ({@link #decoderRunning()} tells whether it has), so the caller closes its allocator only after that.
 */
public final class ClipProducer implements AutoCloseable {

    /**
     * @param sampler       how clips are cut
     * @param batchSize     clips per batch, {@code >= 1}
     * @param storage       how clips wait in a batch (uint8: a quarter of the memory, the same values)
     * @param decodeTimeout how long a decode may go without producing a frame (null: no bound)
     */
    public record Settings(SamplerSettings sampler, int batchSize, ClipLayout.Storage storage,
                           Duration decodeTimeout) {
        public Settings {
            if (sampler == null) {
                throw new IllegalArgumentException("sampler settings are required");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            if (storage == null) {
                storage = ClipLayout.Storage.UINT8;
            }
            if (decodeTimeout != null && (decodeTimeout.isNegative() || decodeTimeout.isZero())) {
                throw new IllegalArgumentException("decode timeout must be > 0, got " + decodeTimeout);
            }
        }
    }

    /** A batch, or the end of the video (batch == null) with the failure that ended it, if any. */
    private record Item(ClipBatch batch, VideoException error) {
    }

    private final String name;
    private final Settings settings;
    private final ClipLayout layout;
    private final Decoder decoder;
    private final Thread thread;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(2);
    private boolean ended;

    private ClipProducer(SeekableInput.Source source, double t0, double t1, List<ClipTransform> views,
                         Settings settings, BufferAllocator allocator) {
        if (views.isEmpty()) {
            throw new IllegalArgumentException("at least one view (transform) is required");
        }
        if (!(t1 > t0)) {
            throw new IllegalArgumentException("segment must have t1 > t0, got [" + t0 + ", " + t1 + ")");
        }
        this.name = source.name();
        this.settings = settings;
        this.layout = ClipLayout.of(views.get(0), settings.sampler().clipLength(), settings.storage());
        this.decoder = new Decoder(source, t0, t1, List.copyOf(views), allocator);
        this.thread = new Thread(decoder, "cubist-decode-" + shortName(name));
        thread.setDaemon(true);
    }

    /**
     * Starts decoding the clips of {@code source} whose start lies in {@code [t0, t1)} ({@link ClipSampler}); every
     * clip is transformed by each of {@code views} in turn (slot view {@code 0, 1, ...}).
     */
    public static ClipProducer start(SeekableInput.Source source, double t0, double t1, List<ClipTransform> views,
                                     Settings settings, BufferAllocator allocator) {
        ClipProducer p = new ClipProducer(source, t0, t1, views, settings, allocator);
        p.thread.start();
        return p;
    }

    /** Every clip of the video, one view. */
    public static ClipProducer start(SeekableInput.Source source, ClipTransform transform, Settings settings,
                                     BufferAllocator allocator) {
        return start(source, 0, Double.POSITIVE_INFINITY, List.of(transform), settings, allocator);
    }

    public ClipLayout layout() {
        return layout;
    }

    /**
     * The next batch (the caller closes it), or null when the video's clips are all out. A decode failure is thrown
     * with its stage once every batch before it has been returned; so is a timeout.
     */
    public ClipBatch next() throws VideoException {
        if (ended) {
            return null;
        }
        long timeout = settings.decodeTimeout() == null ? Long.MAX_VALUE : settings.decodeTimeout().toNanos();
        long frames = decoder.framesDecoded();
        long stamp = System.nanoTime();
        while (true) {
            Item item;
            try {
                item = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                decoder.abort();
                ended = true;
                throw new VideoException("decode", name + ": interrupted while waiting for clips", e);
            }
            if (item == null) {
                long f = decoder.framesDecoded();
                if (f != frames || decoder.waiting) {
                    frames = f;
                    stamp = System.nanoTime();
                } else if (System.nanoTime() - stamp > timeout) {
                    decoder.abort();
                    ended = true;
                    throw new VideoException("decode", VideoException.TIMEOUT, String.format(Locale.ROOT,
                            "%s: no frame decoded for %s s (--decode-timeout); decoding abandoned after %d frames",
                            name, VideoReader.secondsText(settings.decodeTimeout()), Math.max(0, f)), null);
                }
                continue;
            }
            if (item.batch() == null) {
                ended = true;
                if (item.error() != null) {
                    throw item.error();
                }
                return null;
            }
            return item.batch();
        }
    }

    /** Frames the decoder produced so far (including those decoded while seeking). */
    public long framesDecoded() {
        return Math.max(0, decoder.framesDecoded());
    }

    /** Seconds the decoder thread spent decoding, cutting and transforming (not waiting for the consumer). */
    public double decodeSec() {
        return decoder.decodeNanos / 1e9;
    }

    /** Bytes read from the source (its storage's count), or -1 when it does not say. */
    public long bytesRead() {
        SeekableInput in = decoder.input;
        return in == null ? -1 : in.bytesRead();
    }

    /** What the decoder noticed without failing (an incomplete file, bad timestamps); complete once it ended. */
    public List<String> warnings() {
        return decoder.warnings;
    }

    /** True while the decoder thread is still alive (inside a native call after an abort, or still decoding). */
    public boolean decoderRunning() {
        return thread.isAlive();
    }

    /**
     * Stops the decoder if it still runs, waits for it up to 10 s and closes the batches nobody took. Batches already
     * returned by {@link #next()} are the caller's.
     */
    @Override
    public void close() {
        ended = true;
        decoder.abort();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Item left; (left = queue.poll()) != null; ) {
            if (left.batch() != null) {
                left.batch().close();
            }
        }
    }

    private static String shortName(String video) {
        int slash = Math.max(video.lastIndexOf('/'), video.lastIndexOf('\\'));
        return video.substring(slash + 1);
    }

    /** The decoder thread: bytes → frames → clips → batches → queue; ends with an end item unless aborted. */
    private final class Decoder implements Runnable {
        private final SeekableInput.Source source;
        private final double t0;
        private final double t1;
        private final List<ClipTransform> views;
        private final BufferAllocator allocator;
        private volatile SeekableInput input;
        private volatile VideoReader reader;
        private volatile boolean aborted;
        private volatile boolean waiting;
        private volatile long decodeNanos;
        private volatile long frames = -1;
        private volatile List<String> warnings = List.of();
        private ClipBatch filling;
        private int batches;

        Decoder(SeekableInput.Source source, double t0, double t1, List<ClipTransform> views,
                BufferAllocator allocator) {
            this.source = source;
            this.t0 = t0;
            this.t1 = t1;
            this.views = views;
            this.allocator = allocator;
        }

        @Override
        public void run() {
            VideoException failure = null;
            long start = System.nanoTime();
            long[] waited = {0};
            try {
                SeekableInput in;
                try {
                    in = source.open();
                } catch (IOException | RuntimeException e) {
                    throw VideoException.input(name, e);
                }
                input = in;
                try (VideoReader r = VideoReader.open(in, name, VideoReader.Options.DEFAULT)) {
                    reader = r;
                    if (aborted) {
                        r.abort();
                    }
                    new ClipSampler(settings.sampler()).sample(r.fromStart(), t0, t1, clip -> {
                        for (int v = 0; v < views.size(); v++) {
                            if (filling == null) {
                                filling = new ClipBatch(allocator, "batch-" + batches++, layout,
                                        settings.batchSize());
                            }
                            filling.add(name, clip, views.get(v), v);
                            if (filling.isFull()) {
                                long w0 = System.nanoTime();
                                hand();
                                waited[0] += System.nanoTime() - w0;
                            }
                        }
                    });
                    if (filling != null && !filling.isEmpty()) {
                        hand();
                    }
                    frames = r.framesDecoded();
                    warnings = List.copyOf(r.warnings());
                    if (r.framesDecoded() == 0) {
                        throw new VideoException("decode", name + ": no frame could be decoded"
                                + (r.warnings().isEmpty() ? "" : " (" + String.join("; ", r.warnings()) + ")"));
                    }
                } finally {
                    VideoReader last = reader;
                    if (last != null) {
                        frames = last.framesDecoded();
                    }
                    reader = null;
                    closeQuietly(in); // the reader closes it too; a failed open may not have
                }
            } catch (VideoException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new VideoException("decode", name + ": " + e, e);
            } finally {
                if (filling != null) {
                    filling.close();
                    filling = null;
                }
                decodeNanos = System.nanoTime() - start - waited[0];
            }
            offer(new Item(null, aborted ? null : failure));
        }

        /** Hands the full batch to the consumer; closes it instead when the consumer has gone. */
        private void hand() {
            ClipBatch b = filling;
            filling = null;
            if (!offer(new Item(b, null))) {
                b.close();
            }
        }

        private boolean offer(Item item) {
            waiting = true;
            try {
                while (!queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    if (aborted) {
                        return false;
                    }
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } finally {
                waiting = false;
            }
        }

        long framesDecoded() {
            VideoReader r = reader;
            return r == null ? frames : r.framesDecoded();
        }

        void abort() {
            aborted = true;
            VideoReader r = reader;
            if (r != null) {
                r.abort();
            } else {
                SeekableInput in = input;
                if (in != null) {
                    closeQuietly(in); // wakes a read blocked inside FFmpeg's open
                }
            }
        }

        private void closeQuietly(SeekableInput in) {
            try {
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // the source is done with; its close error changes nothing
            }
        }
    }
}
