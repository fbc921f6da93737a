package io.cubist.jobs.extract;

import io.cubist.kernels.tensor.Tensor;
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
import java.util.function.Consumer;

/**
 * One segment of one video through decode, sampling, transform and the model, with decoding overlapped with compute:
 * a decoder thread reads frames, cuts clips and transforms them into a small bounded queue while the task's thread
 * runs the model on batches from it. A decoder that produces no frame for {@code decodeTimeout} seconds is aborted
 * and the video recorded as timed out; the task goes on (the decoder thread closes its native decoder itself).
 */
final class VideoWork {

    /** One clip's feature vector. */
    record Feature(int clip, double startSec, double endSec, float[] feature) {
    }

    /** What a segment did: times, the engine that ran it, warnings, and the error that ended it (null if none). */
    record Outcome(double decodeSec, double computeSec, String engine, List<String> warnings, ErrorRecord error) {
    }

    /** A transformed clip, or the end of the segment (clip == null), possibly with the error that ended it. */
    private record Item(int index, double startSec, double endSec, float[] clip, VideoException error) {
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
        String kind = root == e ? "VideoException" : root.getClass().getSimpleName();
        return new ErrorRecord(video, e.stage(), kind, e.getMessage(), segment);
    }

    static Outcome extract(ExtractOptions o, Segment s, String path, Consumer<Feature> sink) {
        ModelPreset preset = ModelPreset.forModel(o.model());
        ClipTransform transform = ClipTransform.of(preset);
        SamplerSettings settings = new SamplerSettings(o.clipLength(), o.frameStep(), o.clipStride(),
                TailPolicy.parse(o.tail()), o.frameRate());
        int t = o.clipLength();
        int per = transform.clipSize(t);
        BlockingQueue<Item> queue = new ArrayBlockingQueue<>(Math.max(2, 2 * o.batchSize()));
        Decoder decoder = new Decoder(path, s, settings, transform, queue);
        Thread thread = new Thread(decoder, "cubist-decode-" + s.index());
        thread.setDaemon(true);
        thread.start();

        List<String> warnings = new ArrayList<>();
        ErrorRecord error = null;
        long computeNanos = 0;
        int nonFinite = 0;
        String engine;
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(o)) {
            engine = lease.engine();
            PreparedModel model = lease.model();
            List<Item> batch = new ArrayList<>();
            boolean end = false;
            long lastFrames = -1;
            long lastProgress = System.nanoTime();
            while (!end) {
                Item item = null;
                while (item == null) {
                    try {
                        item = queue.poll(200, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException ie) {
                        decoder.abort();
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("task interrupted", ie);
                    }
                    if (item != null) {
                        break;
                    }
                    long frames = decoder.framesDecoded();
                    if (frames != lastFrames) {
                        lastFrames = frames;
                        lastProgress = System.nanoTime();
                    } else if (System.nanoTime() - lastProgress > (long) (o.decodeTimeout() * 1e9)) {
                        decoder.abort();
                        error = new ErrorRecord(s.video(), "decode", "timeout", String.format(Locale.ROOT,
                                "no frame decoded for %.0f s (--decode-timeout); decoding abandoned after %d frames",
                                o.decodeTimeout(), Math.max(0, frames)), s.index());
                        item = new Item(-1, 0, 0, null, null);
                    }
                }
                if (item.clip() == null) {
                    end = true;
                    if (item.error() != null && error == null) {
                        error = error(s.video(), item.error(), s.index());
                    }
                } else {
                    batch.add(item);
                }
                if (!batch.isEmpty() && (batch.size() == o.batchSize() || end)) {
                    long c0 = System.nanoTime();
                    float[] data = new float[batch.size() * per];
                    for (int i = 0; i < batch.size(); i++) {
                        System.arraycopy(batch.get(i).clip(), 0, data, i * per, per);
                    }
                    Tensor features = model.forward(new Tensor(data, batch.size(), 3, t, transform.height(),
                            transform.width())).features();
                    computeNanos += System.nanoTime() - c0;
                    int d = features.dim(1);
                    float[] f = features.data();
                    for (int i = 0; i < batch.size(); i++) {
                        float[] v = java.util.Arrays.copyOfRange(f, i * d, (i + 1) * d);
                        Item it = batch.get(i);
                        if (allFinite(v)) {
                            sink.accept(new Feature(it.index(), it.startSec(), it.endSec(), v));
                        } else {
                            nonFinite++;
                        }
                    }
                    batch.clear();
                }
            }
        } catch (RuntimeException e) {
            decoder.abort();
            engine = "unknown";
            error = ErrorRecord.of(s.video(), "model", e, s.index());
        } finally {
            decoder.abort(); // no-op when it has finished; stops it otherwise
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            warnings.add("decoder thread still inside a native call after abort; left to finish on its own");
        }
        warnings.addAll(decoder.warnings());
        if (nonFinite > 0 && error == null) {
            error = new ErrorRecord(s.video(), "model", "non_finite_feature", nonFinite + " clip"
                    + (nonFinite == 1 ? "" : "s") + " gave NaN or infinite features (not written)", s.index());
        }
        return new Outcome(decoder.decodeNanos() / 1e9, computeNanos / 1e9, engine, warnings, error);
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

    /** The decoder thread: frames → clips → transformed floats → queue; always ends with an end item. */
    private static final class Decoder implements Runnable {
        private final String path;
        private final Segment segment;
        private final SamplerSettings settings;
        private final ClipTransform transform;
        private final BlockingQueue<Item> queue;
        private volatile VideoReader reader;
        private volatile boolean aborted;
        private volatile long decodeNanos;
        private volatile List<String> warnings = List.of();

        Decoder(String path, Segment segment, SamplerSettings settings, ClipTransform transform,
                BlockingQueue<Item> queue) {
            this.path = path;
            this.segment = segment;
            this.settings = settings;
            this.transform = transform;
            this.queue = queue;
        }

        @Override
        public void run() {
            VideoException failure = null;
            long start = System.nanoTime();
            long waited = 0;
            try (VideoReader r = VideoReader.open(path)) {
                reader = r;
                if (aborted) {
                    r.abort();
                }
                long[] waitedBox = {0};
                new ClipSampler(settings).sample(r, segment.startSec(), segment.endSec(), clip -> {
                    float[] data = transform.apply(clip.frames());
                    long w0 = System.nanoTime();
                    put(new Item(clip.index(), clip.startSec(), clip.endSec(), data, null));
                    waitedBox[0] += System.nanoTime() - w0;
                });
                waited = waitedBox[0];
                warnings = List.copyOf(r.warnings());
            } catch (VideoException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new VideoException("decode", e.toString(), e);
            } finally {
                decodeNanos = System.nanoTime() - start - waited;
                reader = null;
            }
            put(new Item(-1, 0, 0, null, aborted ? null : failure));
        }

        /** Hands an item over, giving up when the consumer has gone (aborted). */
        private void put(Item item) {
            try {
                while (!queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    if (aborted) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
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
