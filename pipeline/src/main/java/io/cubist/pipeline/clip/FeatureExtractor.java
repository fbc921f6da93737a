package io.cubist.pipeline.clip;

import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoInfo;
import io.cubist.pipeline.video.VideoReader;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Video in, clip features out, in one JVM: decode ({@link VideoReader}), cut ({@link ClipSampler}), transform
 * ({@link ClipTransform}) into Arrow batches of {@code batchSize} clips ({@link ClipBatch}), run the model, emit one
 * {@link ClipFeature} per clip in clip order.
 *
 * <p>Failures are {@link VideoException}s with their stage ({@code open}, {@code probe}, {@code decode} (also for a
 * video in which no frame decodes), {@code seek};
 * {@code model} when a feature holds NaN or infinity: such features are never emitted). Features of batches completed
 * before a failure have already been emitted: a caller that wants all-or-nothing per video collects them and drops
 * them on failure.
 *
 * <p>Not thread-safe: one extractor per task thread (the model is {@link PreparedModel}, used from one thread).
 * Off-heap memory: one {@link ClipBatch} per call, under a child of the given allocator, closed before returning.
 */
public final class FeatureExtractor {

    /**
     * @param sampler       how clips are cut
     * @param batchSize     clips per forward pass, {@code >= 1}
     * @param storage       how clips wait in the batch (uint8 is a quarter of the memory, same values)
     * @param decodeTimeout bound on one call's decode (null: none)
     * @param views         test-time views per clip: 1 (the preset's center crop) or 3 (start, center and end crops
     *                      along the longer side, {@link ClipTransform.CropPosition#threeCrop()}), each emitted as its
     *                      own feature with {@link ClipFeature#view()}
     */
    public record Settings(SamplerSettings sampler, int batchSize, ClipLayout.Storage storage,
                           Duration decodeTimeout, int views) {

        /** One view per clip. */
        public Settings(SamplerSettings sampler, int batchSize, ClipLayout.Storage storage, Duration decodeTimeout) {
            this(sampler, batchSize, storage, decodeTimeout, 1);
        }

        public Settings {
            if (views != 1 && views != 3) {
                throw new IllegalArgumentException("views must be 1 (center crop) or 3 (3-crop), got " + views);
            }
            if (sampler == null) {
                throw new IllegalArgumentException("sampler settings are required");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            if (storage == null) {
                storage = ClipLayout.Storage.UINT8;
            }
        }

        /** The preset's clips (its length and rate, non-overlapping, tail dropped), uint8, no timeout. */
        public static Settings of(ModelPreset preset, int batchSize) {
            return new Settings(SamplerSettings.of(preset), batchSize, ClipLayout.Storage.UINT8, null);
        }
    }

    private final PreparedModel model;
    private final ClipTransform transform;
    private final List<ClipTransform> views;
    private final Settings settings;
    private final BufferAllocator allocator;
    private final ClipLayout layout;

    public FeatureExtractor(PreparedModel model, ModelPreset preset, Settings settings, BufferAllocator allocator) {
        this(model, ClipTransform.of(preset), settings, allocator);
    }

    public FeatureExtractor(PreparedModel model, ClipTransform transform, Settings settings,
                            BufferAllocator allocator) {
        this.model = model;
        this.transform = transform;
        this.views = settings.views() == 1 ? List.of(transform)
                : ClipTransform.CropPosition.threeCrop().stream().map(transform::withCrop).toList();
        this.settings = settings;
        this.allocator = allocator;
        this.layout = ClipLayout.of(transform, settings.sampler().clipLength(), settings.storage());
    }

    public ClipLayout layout() {
        return layout;
    }

    /** The container's description of a video without decoding it; duration NaN when unknown. */
    public static VideoInfo probe(String video) throws VideoException {
        return VideoReader.probe(video);
    }

    /** {@link #probe(String)} of a random-access source (closed when done), named {@code video} in messages. */
    public static VideoInfo probe(String video, SeekableInput input) throws VideoException {
        return VideoReader.probe(input, video);
    }

    /** Every clip of a video. */
    public ExtractResult extract(String video, Consumer<ClipFeature> out) throws VideoException {
        return extract(video, 0, Double.POSITIVE_INFINITY, out);
    }

    /** The clips whose start lies in {@code [t0, t1)} (see {@link ClipSampler}), of a local path or URI. */
    public ExtractResult extract(String video, double t0, double t1, Consumer<ClipFeature> out)
            throws VideoException {
        try (VideoReader reader = VideoReader.open(video, new VideoReader.Options(settings.decodeTimeout()))) {
            return run(video, reader, t0, t1, out);
        }
    }

    /** The same from a random-access source (a Hadoop stream), named {@code video} in rows and messages. */
    public ExtractResult extract(String video, SeekableInput input, double t0, double t1, Consumer<ClipFeature> out)
            throws VideoException {
        try (VideoReader reader = VideoReader.open(input, video, new VideoReader.Options(settings.decodeTimeout()))) {
            return run(video, reader, t0, t1, out);
        }
    }

    private ExtractResult run(String video, VideoReader reader, double t0, double t1, Consumer<ClipFeature> out)
            throws VideoException {
        long start = System.nanoTime();
        long[] modelNanos = {0};
        int[] emitted = {0};
        ClipSampler sampler = new ClipSampler(settings.sampler());
        try (ClipBatch batch = new ClipBatch(allocator, "clips:" + shortName(video), layout, settings.batchSize())) {
            sampler.sample(reader.fromStart(), t0, t1, clip -> {
                for (int v = 0; v < views.size(); v++) {
                    batch.add(video, clip, views.get(v), v);
                    if (batch.isFull()) {
                        modelNanos[0] += runBatch(batch, out);
                        emitted[0] += batch.size();
                        batch.clear();
                    }
                }
            });
            if (!batch.isEmpty()) {
                modelNanos[0] += runBatch(batch, out);
                emitted[0] += batch.size();
                batch.clear();
            }
        }
        if (reader.framesDecoded() == 0) {
            throw new VideoException("decode", video + ": no frame could be decoded"
                    + (reader.warnings().isEmpty() ? "" : " (" + String.join("; ", reader.warnings()) + ")"));
        }
        double total = (System.nanoTime() - start) / 1e9;
        double modelSec = modelNanos[0] / 1e9;
        return new ExtractResult(video, emitted[0], reader.framesDecoded(), reader.warnings(), total - modelSec,
                modelSec);
    }

    private long runBatch(ClipBatch batch, Consumer<ClipFeature> out) throws VideoException {
        Tensor clips = batch.toTensor();
        long t0 = System.nanoTime();
        Tensor features = model.forward(clips).features();
        long spent = System.nanoTime() - t0;
        int n = batch.size();
        int d = features.numel() / n;
        float[] f = features.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                float v = f[i * d + j];
                if (!Float.isFinite(v)) {
                    throw new VideoException("model", String.format(Locale.ROOT,
                            "%s: clip %d (%.3f-%.3f s): feature %d of %d is %s", batch.video(i), batch.clipIndex(i),
                            batch.startSec(i), batch.endSec(i), j, d, v));
                }
            }
        }
        for (int i = 0; i < n; i++) {
            out.accept(new ClipFeature(batch.video(i), batch.clipIndex(i), batch.startSec(i), batch.endSec(i),
                    Arrays.copyOfRange(f, i * d, (i + 1) * d), batch.view(i)));
        }
        return spent;
    }

    private static String shortName(String video) {
        int slash = Math.max(video.lastIndexOf('/'), video.lastIndexOf('\\'));
        return video.substring(slash + 1);
    }
}
