package io.cubist.jobs.extract;

import io.cubist.pipeline.clip.ClipTransform;
import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.model.zoo.ModelPreset;
import io.cubist.pipeline.model.zoo.ModelZoo;

/**
 * The executor side of a run as a validated record: what the Spark ML transformer ships with its tasks, and what
 * {@link ExtractOptions} checks its own settings with. Frame rate, clip length, clip stride and threads may be 0
 * (the preset's, the back-to-back stride, the executor's cores) until {@link #resolved}.
 *
 * @param clips a prepared clip dataset read instead of videos, or null
 * @param views test-time views per clip, 1, 3 or 10 ({@link SegmentWork#views()})
 * @param outputs what is written beside the feature ({@link SegmentWork#outputs()})
 * @param devices the devices a task runs on ({@link SegmentWork#devices()})
 * @param engineOptions engine options ({@link SegmentWork#engineOptions()})
 */
public record SegmentSettings(String model, String weights, int[] widths, String backend, int kernelThreads,
                              int batchSize, double frameRate, int clipLength, int frameStep, int clipStride,
                              TailPolicy tail, double decodeTimeout, double segmentSeconds, String clips, int views,
                              FeatureOutputs outputs, java.util.List<String> devices,
                              java.util.Map<String, String> engineOptions)
        implements SegmentWork {

    private static final long serialVersionUID = 1L;

    public SegmentSettings {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a model is required");
        }
        if (batchSize < 1 || frameStep < 1 || clipLength < 0 || clipStride < 0 || kernelThreads < 0) {
            throw new IllegalArgumentException("batch size and frame step must be >= 1; clip length, clip stride"
                    + " and threads >= 0");
        }
        if (!(frameRate >= 0) || Double.isInfinite(frameRate)) {
            throw new IllegalArgumentException("--fps must be a positive number, got " + frameRate);
        }
        if (!(segmentSeconds > 0)) {
            throw new IllegalArgumentException("--segment-seconds must be > 0, got " + segmentSeconds);
        }
        if (!(decodeTimeout > 0)) {
            throw new IllegalArgumentException("--decode-timeout must be > 0 seconds, got " + decodeTimeout);
        }
        if (tail == null) {
            throw new IllegalArgumentException("--tail must be drop, pad-last or back-pad");
        }
        ClipTransform.checkViews(views);
        if (views != 1 && clips != null) {
            throw new IllegalArgumentException("prepared clips hold one view: views must be 1 with them");
        }
        if (outputs == null) {
            outputs = FeatureOutputs.NONE;
        }
        if (!outputs.layers().isEmpty()) {
            ModelZoo.network(model, widths).checkLayers(outputs.layers()); // a wrong name fails before any work
        }
        widths = widths == null ? null : widths.clone();
        devices = devices == null ? java.util.List.of() : java.util.List.copyOf(devices);
        engineOptions = engineOptions == null ? java.util.Map.of() : java.util.Map.copyOf(engineOptions);
        // an unknown engine or option fails here, before any work is shipped (devices are the executors' to find);
        // from the parameters: the record's accessors are not set yet in its compact constructor
        io.cubist.kernels.backend.Backends.check(new io.cubist.kernels.backend.EngineRequest(backend, kernelThreads,
                devices, engineOptions));
    }

    /** Settings on the engine's default devices with its default settings. */
    public SegmentSettings(String model, String weights, int[] widths, String backend, int kernelThreads,
                           int batchSize, double frameRate, int clipLength, int frameStep, int clipStride,
                           TailPolicy tail, double decodeTimeout, double segmentSeconds, String clips, int views,
                           FeatureOutputs outputs) {
        this(model, weights, widths, backend, kernelThreads, batchSize, frameRate, clipLength, frameStep, clipStride,
                tail, decodeTimeout, segmentSeconds, clips, views, outputs, java.util.List.of(), java.util.Map.of());
    }

    /** Settings with only the feature column. */
    public SegmentSettings(String model, String weights, int[] widths, String backend, int kernelThreads,
                           int batchSize, double frameRate, int clipLength, int frameStep, int clipStride,
                           TailPolicy tail, double decodeTimeout, double segmentSeconds, String clips, int views) {
        this(model, weights, widths, backend, kernelThreads, batchSize, frameRate, clipLength, frameStep, clipStride,
                tail, decodeTimeout, segmentSeconds, clips, views, FeatureOutputs.NONE);
    }

    @Override
    public int[] widths() {
        return widths == null ? null : widths.clone();
    }

    /** These settings with the preset's frame rate and clip length, the derived stride and {@code threads} filled. */
    public SegmentSettings resolved(ModelPreset preset, int threads) {
        double fps = frameRate > 0 ? frameRate : preset.frameRate();
        int t = clipLength > 0 ? clipLength : preset.clipLength();
        return new SegmentSettings(model, weights, widths, backend, kernelThreads > 0 ? kernelThreads : threads,
                batchSize, fps, t, frameStep, clipStride > 0 ? clipStride : t * frameStep, tail, decodeTimeout,
                segmentSeconds, clips, views, outputs, devices, engineOptions);
    }
}
