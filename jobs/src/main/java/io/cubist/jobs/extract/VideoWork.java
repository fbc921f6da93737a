package io.cubist.jobs.extract;

import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.clip.ClipBatch;
import io.cubist.pipeline.clip.ClipLayout;
import io.cubist.pipeline.clip.ClipSampler;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.SamplerSettings;
import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoInfo;
import io.cubist.pipeline.video.VideoReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One segment of one video through decode, sampling, transform and the model, with decoding overlapped with compute:
 * a decoder thread reads frames, cuts clips and transforms them into Arrow clip batches ({@link ClipBatch}, uint8, in
 * a child allocator of the segment) handed over a two-slot queue, while the task's thread runs the model on them. A decoder that produces no frame for {@code decodeTimeout} seconds is aborted
 * and the video recorded as timed out; the task goes on (the decoder thread closes its native decoder itself).
 */
final class VideoWork {

    /** One clip's feature vector. */
    record Feature(int clip, double startSec, double endSec, float[] feature) {
    }

    /** What a segment did: times, the engine that ran it, warnings, and the error that ended it (null if none). */
    record Outcome(double decodeSec, double computeSec, String engine, List<String> warnings, ErrorRecord error) {
    }

    /** A batch of clips, or the end of the segment (batch == null), possibly with the error that ended it. */
    private record Item(ClipBatch batch, VideoException error) {
    }

    private VideoWork() {
    }

    /**
     * The container's duration and frame rate. Bounded by {@code decodeTimeout}: a probe that hangs (a stalled network
     * file, a pipe with no writer) is abandoned on its daemon thread and the video recorded as timed out.
     */
    static Probe probe(String video, String path, ExtractOptions o) {
        java.util.concurrent.FutureTask<Probe> task = new java.util.concurrent.FutureTask<>(() -> {
            try {
                VideoInfo info = VideoReader.probe(path);
                return new Probe(video, info.durationSec(), info.frameRate(), null);
            } catch (VideoException e) {
                return Probe.failed(error(video, e, 0));
            }
        });
        Thread th = new Thread(task, "cubist-probe");
        th.setDaemon(true);
        th.start();
        try {
            return task.get((long) (o.decodeTimeout() * 1000), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            task.cancel(true);
            return Probe.failed(new ErrorRecord(video, "probe", "timeout", String.format(Locale.ROOT,
                    "opening the video took longer than %.0f s (--decode-timeout); abandoned", o.decodeTimeout()), 0));
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            return Probe.failed(ErrorRecord.of(video, "probe", c, 0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("probe interrupted", e);
        }
    }

    static ErrorRecord error(String video, VideoException e, int segment) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String name = root.getClass().getName();
        String kind = root == e ? "VideoException" : name.substring(name.lastIndexOf('.') + 1).replace('$', '.');
        // JavaCV appends hints meant for its own developers
        String message = String.valueOf(e.getMessage()).replace(" (Has setFormat() been called?)", "")
                .replace(" (For more details, make sure FFmpegLogCallback.set() has been called.)", "");
        return new ErrorRecord(video, e.stage(), kind, message, segment);
    }

    static Outcome extract(ExtractOptions o, Segment s, String path, Consumer<Feature> sink) {
        ModelPreset preset = ModelPreset.forModel(o.model());
        ClipTransform transform = ClipTransform.of(preset);
        SamplerSettings settings = new SamplerSettings(o.clipLength(), o.frameStep(), o.clipStride(),
                TailPolicy.parse(o.tail()), o.frameRate());
        ClipLayout layout = ClipLayout.of(transform, o.clipLength(), ClipLayout.Storage.UINT8);
        List<String> warnings = new ArrayList<>();
        ErrorRecord error = null;
        long computeNanos = 0;
        int nonFinite = 0;
        String engine = "unknown";
        BufferAllocator allocator = ExecutorAllocators.forSegment(s);
        BlockingQueue<Item> queue = new ArrayBlockingQueue<>(2);
        Decoder decoder = new Decoder(path, s, settings, transform, layout, o.batchSize(), allocator, queue);
        Thread thread = new Thread(decoder, "cubist-decode-" + s.index());
        thread.setDaemon(true);
        thread.start();
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(o)) {
            engine = lease.engine();
            PreparedModel model = lease.model();
            long lastFrames = -1;
            long lastProgress = System.nanoTime();
            while (true) {
                Item item;
                try {
                    item = queue.poll(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("task interrupted", ie);
                }
                if (item == null) {
                    long frames = decoder.framesDecoded();
                    if (frames != lastFrames) {
                        lastFrames = frames;
                        lastProgress = System.nanoTime();
                    } else if (System.nanoTime() - lastProgress > (long) (o.decodeTimeout() * 1e9)) {
                        error = new ErrorRecord(s.video(), "decode", "timeout", String.format(Locale.ROOT,
                                "no frame decoded for %.0f s (--decode-timeout); decoding abandoned after %d frames",
                                o.decodeTimeout(), Math.max(0, frames)), s.index());
                        break;
                    }
                    continue;
                }
                if (item.batch() == null) {
                    if (item.error() != null) {
                        error = error(s.video(), item.error(), s.index());
                    }
                    break;
                }
                try (ClipBatch batch = item.batch()) {
                    long c0 = System.nanoTime();
                    nonFinite += runBatch(model, batch, (video, f) -> sink.accept(f));
                    computeNanos += System.nanoTime() - c0;
                }
            }
        } catch (RuntimeException e) {
            error = ErrorRecord.of(s.video(), "model", e, s.index());
        } finally {
            decoder.abort(); // stops it if still running; no-op when it has finished
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        for (Item left; (left = queue.poll()) != null; ) {
            if (left.batch() != null) {
                left.batch().close();
            }
        }
        if (thread.isAlive()) {
            warnings.add("decoder thread still inside a native call after abort; its buffers are released when it"
                    + " returns");
        } else {
            String leak = ExecutorAllocators.close(allocator);
            if (leak != null) {
                warnings.add(leak);
            }
        }
        warnings.addAll(decoder.warnings());
        if (error == null) {
            error = nonFiniteError(s.video(), nonFinite, s.index());
        }
        return new Outcome(decoder.decodeNanos() / 1e9, computeNanos / 1e9, engine, warnings, error);
    }

    /**
     * Runs the model on one batch; each clip whose features are all finite goes to {@code sink} with its video.
     * Returns how many clips were not (they are not written).
     */
    static int runBatch(PreparedModel model, ClipBatch batch, BiConsumer<String, Feature> sink) {
        Tensor features = model.forward(batch.toTensor()).features();
        int d = features.dim(1);
        float[] f = features.data();
        int nonFinite = 0;
        for (int i = 0; i < batch.size(); i++) {
            float[] v = java.util.Arrays.copyOfRange(f, i * d, (i + 1) * d);
            if (allFinite(v)) {
                sink.accept(batch.video(i), new Feature(batch.clipIndex(i), batch.startSec(i), batch.endSec(i), v));
            } else {
                nonFinite++;
            }
        }
        return nonFinite;
    }

    /** The {@code _errors} record of a video with {@code n} non-finite clips, or null when there are none. */
    static ErrorRecord nonFiniteError(String video, int n, int segment) {
        return n == 0 ? null : new ErrorRecord(video, "model", "non_finite_feature", n + " clip" + (n == 1 ? "" : "s")
                + " gave NaN or infinite features (not written)", segment);
    }

    private static boolean allFinite(float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    /** The FFmpeg version the decoder was built from. */
    static String ffmpegVersion() {
        try {
            org.bytedeco.ffmpeg.global.avutil.class.getName();
            return org.bytedeco.ffmpeg.global.avutil.av_version_info().getString();
        } catch (Throwable e) {
            return "unknown (" + e.getClass().getSimpleName() + ")";
        }
    }

    /**
     * The decoder thread: frames → clips → Arrow clip batches (uint8, in the segment's allocator) → queue; at most
     * three batches exist at once (one filling, two queued). Always ends with an end item unless aborted.
     */
    private static final class Decoder implements Runnable {
        private final String path;
        private final Segment segment;
        private final SamplerSettings settings;
        private final ClipTransform transform;
        private final ClipLayout layout;
        private final int batchSize;
        private final BufferAllocator allocator;
        private final BlockingQueue<Item> queue;
        private volatile VideoReader reader;
        private volatile boolean aborted;
        private volatile long decodeNanos;
        private volatile List<String> warnings = List.of();
        private int batches;

        Decoder(String path, Segment segment, SamplerSettings settings, ClipTransform transform, ClipLayout layout,
                int batchSize, BufferAllocator allocator, BlockingQueue<Item> queue) {
            this.path = path;
            this.segment = segment;
            this.settings = settings;
            this.transform = transform;
            this.layout = layout;
            this.batchSize = batchSize;
            this.allocator = allocator;
            this.queue = queue;
        }

        @Override
        public void run() {
            VideoException failure = null;
            long start = System.nanoTime();
            long[] waited = {0};
            ClipBatch[] filling = {null};
            try (VideoReader r = VideoReader.open(path)) {
                reader = r;
                if (aborted) {
                    r.abort();
                }
                new ClipSampler(settings).sample(r.fromStart(), segment.startSec(), segment.endSec(), clip -> {
                    if (filling[0] == null) {
                        filling[0] = new ClipBatch(allocator, "batch-" + batches++, layout, batchSize);
                    }
                    filling[0].add(segment.video(), clip, transform);
                    if (filling[0].isFull()) {
                        long w0 = System.nanoTime();
                        hand(filling[0]);
                        filling[0] = null;
                        waited[0] += System.nanoTime() - w0;
                    }
                });
                if (filling[0] != null && !filling[0].isEmpty()) {
                    hand(filling[0]);
                    filling[0] = null;
                }
                warnings = List.copyOf(r.warnings());
            } catch (VideoException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new VideoException("decode", e.toString(), e);
            } finally {
                if (filling[0] != null) {
                    filling[0].close();
                }
                decodeNanos = System.nanoTime() - start - waited[0];
                reader = null;
            }
            offer(new Item(null, aborted ? null : failure));
        }

        /** Hands a full batch to the model thread; closes it instead when that thread has gone. */
        private void hand(ClipBatch batch) {
            if (!offer(new Item(batch, null))) {
                batch.close();
            }
        }

        private boolean offer(Item item) {
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
            }
        }

        long framesDecoded() {
            VideoReader r = reader;
            return r == null ? -1 : r.framesDecoded();
        }

        void abort() {
            aborted = true;
            VideoReader r = reader;
            if (r != null) {
                r.abort();
            }
        }

        long decodeNanos() {
            return decodeNanos;
        }

        List<String> warnings() {
            return warnings;
        }
    }
}
