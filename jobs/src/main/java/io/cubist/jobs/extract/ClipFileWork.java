package io.cubist.jobs.extract;

import io.cubist.kernels.backend.Traffic;
import io.cubist.pipeline.clip.ClipBatch;
import io.cubist.pipeline.clip.ClipDatasetInfo;
import io.cubist.pipeline.clip.ClipDatasetReader;
import io.cubist.pipeline.clip.ClipFeature;
import io.cubist.pipeline.clip.ClipLayout;
import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.ExtractResult;
import io.cubist.pipeline.clip.FeatureExtractor;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.SeekableInput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One file of a prepared clip dataset ({@code cubist prepare}) through the model: its record batches are read into
 * Arrow clip batches and run as they are. The clips must have the layout the model's preset gives (size, mean, std):
 * clips prepared for another preset are an error naming both.
 */
final class ClipFileWork {

    private ClipFileWork() {
    }

    /** Runs the file; {@code sink} gets each clip's finite feature. */
    static VideoWork.Outcome run(SegmentWork o, Segment file, SeekableInput.Source source,
                                 Consumer<ClipFeature> sink) {
        long computeNanos = 0;
        long readNanos = 0;
        int nonFinite = 0;
        String engine = "unknown";
        Traffic device = Traffic.NONE;
        ErrorRecord error = null;
        String leak;
        BufferAllocator allocator = ExecutorAllocators.forSegment(file);
        try {
            try (ClipDatasetReader reader = ClipDatasetReader.open(source, allocator);
                 ExecutorModels.Lease lease = ExecutorModels.borrow(o)) {
                engine = lease.engine();
                check(reader.info(), o, file.video());
                PreparedModel model = lease.model();
                Traffic before = model.traffic();
                while (true) {
                    long r0 = System.nanoTime();
                    ClipBatch batch = reader.next(allocator);
                    readNanos += System.nanoTime() - r0;
                    if (batch == null) {
                        break;
                    }
                    try (batch) {
                        long c0 = System.nanoTime();
                        nonFinite += FeatureExtractor.runBatch(model, batch, sink);
                        computeNanos += System.nanoTime() - c0;
                    }
                }
                device = model.traffic().minus(before);
            }
        } catch (IOException | RuntimeException e) {
            error = ErrorRecord.of(file.video(), "clips", e, 0);
        } finally {
            leak = ExecutorAllocators.close(allocator);
        }
        if (error == null && nonFinite > 0) {
            error = VideoWork.error(file.video(), ExtractResult.nonFinite(file.video(), nonFinite), 0);
        }
        return new VideoWork.Outcome(readNanos / 1e9, computeNanos / 1e9, 0, engine,
                leak == null ? List.of() : List.of(leak), error, device);
    }

    /** The dataset's clips must be what the model's preset makes (any clip length). */
    static void check(ClipDatasetInfo info, SegmentWork o, String file) {
        ModelPreset preset = ModelPreset.forModel(o.model());
        ClipLayout want = ClipLayout.of(ClipTransform.of(preset), info.layout().frames(), info.layout().storage());
        ClipLayout got = info.layout();
        if (got.height() != want.height() || got.width() != want.width()
                || !Arrays.equals(got.mean(), want.mean()) || !Arrays.equals(got.std(), want.std())) {
            throw new IllegalArgumentException(file + ": clips prepared for preset '" + info.preset() + "' (" + got
                    + ") do not fit model " + o.model() + " (" + want + "); prepare them with --model " + o.model());
        }
    }
}
