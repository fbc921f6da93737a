package io.cubist.jobs.extract;

import io.cubist.kernels.backend.Traffic;
import io.cubist.pipeline.clip.ClipFeature;
import io.cubist.pipeline.clip.ClipLayout;
import io.cubist.pipeline.clip.ExtractResult;
import io.cubist.pipeline.clip.FeatureExtractor;
import io.cubist.pipeline.clip.SamplerSettings;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoInfo;
import io.cubist.pipeline.video.VideoReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The Spark bookkeeping around one segment of one video: the executor's model borrowed, the segment's allocator, the
 * clips run through the pipeline's {@link FeatureExtractor} (decode overlapped with the model on its own thread), and
 * what happened turned into an {@link Outcome} of counts, times and an {@code _errors} record.
 */
final class VideoWork {

    /**
     * What a segment did: times, bytes read, the engine that ran it, warnings, the error that ended it, and what its
     * forward passes moved to and from a device.
     */
    record Outcome(double decodeSec, double computeSec, long bytesRead, String engine, List<String> warnings,
                   ErrorRecord error, Traffic device) {
    }

    private VideoWork() {
    }

    /**
     * The container's duration and frame rate, from its header and index (not the whole file). Bounded by
     * {@code decodeTimeout}: a probe that hangs (a stalled network read) is abandoned on its daemon thread and the
     * video recorded as timed out.
     */
    static Probe probe(String video, SeekableInput.Source source, SegmentWork o) {
        FutureTask<Probe> task = new FutureTask<>(() -> {
            SeekableInput in;
            try {
                in = source.open();
            } catch (java.io.IOException | RuntimeException e) {
                return Probe.failed(error(video, VideoException.input(video, e), 0), 0);
            }
            try { // the reader closes the input; its count stays
                VideoInfo info = VideoReader.probe(in, video);
                return new Probe(video, info.durationSec(), info.frameRate(), Math.max(0, in.bytesRead()), null);
            } catch (VideoException e) {
                return Probe.failed(error(video, e, 0), Math.max(0, in.bytesRead()));
            }
        });
        Thread th = new Thread(task, "cubist-probe");
        th.setDaemon(true);
        th.start();
        try {
            return task.get((long) (o.decodeTimeout() * 1000), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            return Probe.failed(new ErrorRecord(video, "probe", VideoException.TIMEOUT, String.format(Locale.ROOT,
                    "opening the video took longer than %.0f s (--decode-timeout); abandoned", o.decodeTimeout()),
                    0), 0);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            return Probe.failed(ErrorRecord.of(video, "probe", c, 0), 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("probe interrupted", e);
        }
    }

    /** The {@code _errors} record of a video failure: its stage, a short kind and the message. */
    static ErrorRecord error(String video, VideoException e, int segment) {
        String kind = e.reason();
        if (kind == null) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String name = root.getClass().getName();
            kind = root == e ? "VideoException" : name.substring(name.lastIndexOf('.') + 1).replace('$', '.');
        }
        // JavaCV appends hints meant for its own developers
        String message = String.valueOf(e.getMessage()).replace(" (Has setFormat() been called?)", "")
                .replace(" (For more details, make sure FFmpegLogCallback.set() has been called.)", "");
        return new ErrorRecord(video, e.stage(), kind, message, segment);
    }

    /** The segment's clips through the executor's model; each finite feature to {@code sink}. */
    static Outcome extract(SegmentWork o, Segment s, SeekableInput.Source source, Consumer<ClipFeature> sink) {
        ModelPreset preset = ModelPreset.forModel(o.model());
        SamplerSettings sampler = new SamplerSettings(o.clipLength(), o.frameStep(), o.clipStride(), o.tail(),
                o.frameRate());
        FeatureExtractor.Settings settings = new FeatureExtractor.Settings(sampler, o.batchSize(),
                ClipLayout.Storage.UINT8, Duration.ofMillis((long) (o.decodeTimeout() * 1000)), o.views());
        List<String> warnings = new ArrayList<>();
        String engine = "unknown";
        BufferAllocator allocator = ExecutorAllocators.forSegment(s);
        ExtractResult r = null;
        ErrorRecord error = null;
        Traffic device = Traffic.NONE;
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(o)) {
            engine = lease.engine();
            Traffic before = lease.model().traffic();
            r = new FeatureExtractor(lease.model(), preset, settings, allocator).run(source, s.startSec(),
                    s.endSec(), sink);
            device = lease.model().traffic().minus(before);
        } catch (RuntimeException e) { // the model could not be loaded
            error = ErrorRecord.of(s.video(), "model", e, s.index());
        }
        if (r != null && r.decoderStillRunning()) {
            warnings.add("decoder thread still inside a native call after abort; its buffers are released when it"
                    + " returns");
        } else {
            String leak = ExecutorAllocators.close(allocator);
            if (leak != null) {
                warnings.add(leak);
            }
        }
        if (r == null) {
            return new Outcome(0, 0, 0, engine, warnings, error, device);
        }
        warnings.addAll(r.warnings());
        VideoException failure = r.failure();
        return new Outcome(r.decodeSec(), r.modelSec(), Math.max(0, r.bytesRead()), engine, warnings,
                failure == null ? null : error(s.video(), failure, s.index()), device);
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
}
