package io.cubist.pipeline.clip;

import io.cubist.kernels.tensor.Tensor;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.video.SeekableInput;
import io.cubist.pipeline.video.VideoException;
import io.cubist.pipeline.video.VideoInfo;
import io.cubist.pipeline.video.VideoReader;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Video in, clip features out: the clips of a {@link ClipProducer} (decode, cut, transform into Arrow batches of
 * {@code batchSize} clips, on its decoder thread) through the model on the caller's thread, one {@link ClipFeature}
 * per clip and view, in clip order. The extract job runs every segment through it.
 *
 * <p>Non-finite features (NaN or infinity anywhere in a clip's vector) are never emitted: the clip is counted in
 * {@link ExtractResult#nonFiniteClips()} and makes the video fail ({@link ExtractResult#failure()}, stage
 * {@code model}); the other clips are emitted. Other failures have their stage ({@code input}, {@code open},
 * {@code probe}, {@code decode} (also for a video in which no frame decodes, and for the decode timeout),
 * {@code seek}, {@code model}); features of batches completed before a failure have already been emitted: a caller
 * that wants all-or-nothing per video collects them and drops them on failure.
 *
 * <p>Not thread-safe: one extractor per task thread (the model is {@link PreparedModel}, used from one thread).
 * Off-heap memory: the producer's batches, under the given allocator, each closed once the model has run on it.
 */
public final class FeatureExtractor {

    /**
     * @param sampler       how clips are cut
     * @param batchSize     clips per forward pass, {@code >= 1}
     * @param storage       how clips wait in the batch (uint8 is a quarter of the memory, same values)
     * @param decodeTimeout how long a decode may go without producing a frame (null: no bound)
     * @param views         test-time views per clip ({@link ClipTransform#views(int)}): 1 (the preset's center crop),
     *                      3 (start, center and end crops along the longer side) or 10 (five crops and their mirror
     *                      images), each emitted as its own feature with {@link ClipFeature#view()}
     */
    public record Settings(SamplerSettings sampler, int batchSize, ClipLayout.Storage storage,
                           Duration decodeTimeout, int views) {

        /** One view per clip. */
        public Settings(SamplerSettings sampler, int batchSize, ClipLayout.Storage storage, Duration decodeTimeout) {
            this(sampler, batchSize, storage, decodeTimeout, 1);
        }

        public Settings {
            ClipTransform.checkViews(views);
            if (storage == null) {
                storage = ClipLayout.Storage.UINT8;
            }
            new ClipProducer.Settings(sampler, batchSize, storage, decodeTimeout); // checks the rest
        }

        /** The preset's clips (its length and rate, non-overlapping, tail dropped), uint8, no timeout. */
        public static Settings of(ModelPreset preset, int batchSize) {
            return new Settings(SamplerSettings.of(preset), batchSize, ClipLayout.Storage.UINT8, null);
        }

        ClipProducer.Settings producer() {
            return new ClipProducer.Settings(sampler, batchSize, storage, decodeTimeout);
        }
    }

    private final PreparedModel model;
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
        this.views = transform.views(settings.views());
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

    /** Every clip of a local video (a path or {@code file:} URI). */
    public ExtractResult extract(String video, Consumer<ClipFeature> out) throws VideoException {
        return extract(video, 0, Double.POSITIVE_INFINITY, out);
    }

    /** The clips whose start lies in {@code [t0, t1)} (see {@link ClipSampler}) of a local path or file URI. */
    public ExtractResult extract(String video, double t0, double t1, Consumer<ClipFeature> out)
            throws VideoException {
        Path path = video.startsWith("file:") ? Path.of(URI.create(video)) : Path.of(video);
        SeekableInput.Source local = SeekableInput.Source.local(path);
        return run(SeekableInput.Source.of(video, local::open), t0, t1, out).orThrow();
    }

    /** The same from an opened random-access source (closed when done), named {@code video} in rows and messages. */
    public ExtractResult extract(String video, SeekableInput input, double t0, double t1, Consumer<ClipFeature> out)
            throws VideoException {
        return run(SeekableInput.Source.of(video, () -> input), t0, t1, out).orThrow();
    }

    /**
     * The clips of {@code source} whose start lies in {@code [t0, t1)}: features to {@code out} as each batch is
     * done, and a result that carries the failure (never thrown) beside what was done before it.
     */
    public ExtractResult run(SeekableInput.Source source, double t0, double t1, Consumer<ClipFeature> out) {
        long modelNanos = 0;
        int clips = 0;
        int nonFinite = 0;
        VideoException error = null;
        ClipProducer producer = ClipProducer.start(source, t0, t1, views, settings.producer(), allocator);
        try {
            for (ClipBatch next; (next = producer.next()) != null; ) {
                try (ClipBatch batch = next) {
                    long m0 = System.nanoTime();
                    int bad = runBatch(model, batch, out);
                    modelNanos += System.nanoTime() - m0;
                    nonFinite += bad;
                    clips += batch.size() - bad;
                }
            }
        } catch (VideoException e) {
            error = e;
        } catch (RuntimeException e) {
            error = new VideoException("model", source.name() + ": " + e, e);
        } finally {
            producer.close();
        }
        return new ExtractResult(source.name(), clips, nonFinite, producer.framesDecoded(), producer.warnings(),
                producer.decodeSec(), modelNanos / 1e9, producer.bytesRead(), error, producer.decoderRunning());
    }

    /**
     * Runs the model on one batch; each clip whose features are all finite goes to {@code out}. Returns how many were
     * not (they are never emitted: Cubist's one policy for non-finite features).
     */
    public static int runBatch(PreparedModel model, ClipBatch batch, Consumer<ClipFeature> out) {
        PreparedModel.Output o = model.forward(batch.toTensor());
        int n = batch.size();
        int nonFinite = 0;
        for (int i = 0; i < n; i++) {
            float[] v = row(o.features(), i, n);
            if (allFinite(v)) {
                Map<String, float[]> layers = o.layers().isEmpty() ? Map.of() : new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : o.layers().entrySet()) {
                    layers.put(e.getKey(), row(e.getValue(), i, n));
                }
                out.accept(new ClipFeature(batch.video(i), batch.clipIndex(i), batch.startSec(i), batch.endSec(i), v,
                        batch.view(i), o.logits() == null ? null : row(o.logits(), i, n), layers));
            } else {
                nonFinite++;
            }
        }
        return nonFinite;
    }

    /** Sample {@code i} of {@code n} in a batch output {@code [n, ...]}, flattened. */
    private static float[] row(Tensor t, int i, int n) {
        int each = t.numel() / n;
        return Arrays.copyOfRange(t.data(), i * each, (i + 1) * each);
    }

    private static boolean allFinite(float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }
}
