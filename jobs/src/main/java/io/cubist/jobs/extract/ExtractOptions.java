package io.cubist.jobs.extract;

import io.cubist.pipeline.clip.TailPolicy;
import io.cubist.pipeline.model.zoo.ModelPreset;
import java.util.List;
import java.util.Locale;

/**
 * The settings of one {@code extract} run: what the driver plans with and what is shipped to executors (small and
 * serializable: paths, names, numbers).
 *
 * @param inputs          files, directories (searched recursively for video files) or globs, on any Hadoop
 *                        FileSystem
 * @param manifests       CSV (with a header) or Parquet files whose {@code video} column lists inputs
 * @param clips           a prepared clip dataset ({@code cubist prepare}: a directory of Arrow IPC files) read
 *                        instead of decoding videos, or null
 * @param output          the output directory (a Parquet dataset)
 * @param model           a model of the zoo
 * @param weights         a checkpoint (safetensors or .pth), or null for seeded random weights
 * @param widths          stage widths of a reduced variant, or null
 * @param backend         a backend name, or null for the best available
 * @param batchSize       clips per forward pass
 * @param frameRate       frames per second clips are sampled at (the preset's when 0)
 * @param clipLength      frames per clip (the preset's when 0)
 * @param frameStep       take every frameStep-th resampled frame
 * @param clipStride      resampled frames between clip starts (clipLength * frameStep when 0: non-overlapping)
 * @param tail            what happens to the frames after the last whole clip
 * @param segmentSeconds  long videos are split into segments of this many seconds, each a unit of work
 * @param decodeTimeout   seconds a decode may go without producing a frame before it is abandoned
 * @param partitions      Spark partitions of the work (0: three per task slot)
 * @param mode            what to do when the output exists
 * @param kernelThreads   threads of the cpu backend per executor (0: the executor's cores)
 * @param retryErrors     with {@code skip-existing}: re-attempt the videos whose {@code _errors} row is transient
 *                        (a timeout, or the storage failing to deliver: stage {@code input}) and replace those rows
 * @param views           test-time views per clip: 1, 3 or 10 (a {@code view} column in the output)
 * @param outputs         other layers' columns and the top classes beside {@code feature} ({@link FeatureOutputs})
 * @param devices         the devices each task runs on ({@code --devices}; empty: the engine's best, or the GPUs Spark
 *                        assigned the task)
 * @param engineOptions   engine options ({@code --engine-option}), validated when the engine opens
 */
public record ExtractOptions(List<String> inputs, List<String> manifests, String clips, String output, String model,
                             String weights, int[] widths, String backend, int batchSize, double frameRate,
                             int clipLength, int frameStep, int clipStride, TailPolicy tail, double segmentSeconds,
                             double decodeTimeout, int partitions, Mode mode, int kernelThreads,
                             boolean retryErrors, int views, FeatureOutputs outputs, List<String> devices,
                             java.util.Map<String, String> engineOptions)
        implements SegmentWork {

    private static final long serialVersionUID = 1L;

    /** What a run does when its output directory already exists. */
    public enum Mode {
        /** Refuse to run (the default): nothing is overwritten by accident. */
        ERROR_IF_EXISTS("error-if-exists"),
        /** Replace the output. */
        OVERWRITE("overwrite"),
        /** Process only videos not already in the output (rows or {@code _errors}) and append. */
        SKIP_EXISTING("skip-existing");

        private final String flag;

        Mode(String flag) {
            this.flag = flag;
        }

        public String flag() {
            return flag;
        }

        public static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.flag.equals(s.toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--mode must be error-if-exists, overwrite or skip-existing, got '"
                    + s + "'");
        }
    }

    /** Defaults of the command line and the notebook API alike. */
    public static final String DEFAULT_MODEL = "r2plus1d_18";
    public static final int DEFAULT_BATCH_SIZE = 4;
    public static final TailPolicy DEFAULT_TAIL = TailPolicy.DROP;
    public static final double DEFAULT_SEGMENT_SECONDS = 300;
    public static final double DEFAULT_DECODE_TIMEOUT = 120;

    /** Options that keep every earlier {@code _errors} row (no {@code --retry-errors}), one view per clip. */
    public ExtractOptions(List<String> inputs, List<String> manifests, String clips, String output, String model,
                          String weights, int[] widths, String backend, int batchSize, double frameRate,
                          int clipLength, int frameStep, int clipStride, TailPolicy tail, double segmentSeconds,
                          double decodeTimeout, int partitions, Mode mode, int kernelThreads) {
        this(inputs, manifests, clips, output, model, weights, widths, backend, batchSize, frameRate, clipLength,
                frameStep, clipStride, tail, segmentSeconds, decodeTimeout, partitions, mode, kernelThreads, false, 1,
                FeatureOutputs.NONE);
    }

    /** Options on the engine's default devices with its default settings. */
    public ExtractOptions(List<String> inputs, List<String> manifests, String clips, String output, String model,
                          String weights, int[] widths, String backend, int batchSize, double frameRate,
                          int clipLength, int frameStep, int clipStride, TailPolicy tail, double segmentSeconds,
                          double decodeTimeout, int partitions, Mode mode, int kernelThreads, boolean retryErrors,
                          int views, FeatureOutputs outputs) {
        this(inputs, manifests, clips, output, model, weights, widths, backend, batchSize, frameRate, clipLength,
                frameStep, clipStride, tail, segmentSeconds, decodeTimeout, partitions, mode, kernelThreads,
                retryErrors, views, outputs, List.of(), java.util.Map.of());
    }

    /** Options with one view per clip. */
    public ExtractOptions(List<String> inputs, List<String> manifests, String clips, String output, String model,
                          String weights, int[] widths, String backend, int batchSize, double frameRate,
                          int clipLength, int frameStep, int clipStride, TailPolicy tail, double segmentSeconds,
                          double decodeTimeout, int partitions, Mode mode, int kernelThreads, boolean retryErrors) {
        this(inputs, manifests, clips, output, model, weights, widths, backend, batchSize, frameRate, clipLength,
                frameStep, clipStride, tail, segmentSeconds, decodeTimeout, partitions, mode, kernelThreads,
                retryErrors, 1, FeatureOutputs.NONE);
    }

    public ExtractOptions {
        inputs = List.copyOf(inputs);
        manifests = List.copyOf(manifests);
        if (inputs.isEmpty() && manifests.isEmpty() && clips == null) {
            throw new IllegalArgumentException("no input: give --input PATH (files, directories, globs),"
                    + " --manifest FILE or --clips DIR");
        }
        if (clips != null && !(inputs.isEmpty() && manifests.isEmpty())) {
            throw new IllegalArgumentException("--clips reads prepared clips instead of videos: give it without"
                    + " --input or --manifest");
        }
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException("--output is required");
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
        }
        if (outputs == null) {
            outputs = FeatureOutputs.NONE;
        }
        devices = devices == null ? List.of() : List.copyOf(devices);
        engineOptions = engineOptions == null ? java.util.Map.of() : java.util.Map.copyOf(engineOptions);
        new SegmentSettings(model, weights, widths, backend, kernelThreads, batchSize, frameRate, clipLength, frameStep,
                clipStride, tail, decodeTimeout, segmentSeconds, clips, views, outputs, devices,
                engineOptions); // checks the executor's
        if (retryErrors && mode != Mode.SKIP_EXISTING) {
            throw new IllegalArgumentException("--retry-errors re-attempts failed videos of an existing output: give it"
                    + " with --mode skip-existing");
        }
        widths = widths == null ? null : widths.clone();
    }

    @Override
    public int[] widths() {
        return widths == null ? null : widths.clone();
    }

    /** The executor's part of these options. */
    public SegmentSettings work() {
        return new SegmentSettings(model, weights, widths, backend, kernelThreads, batchSize, frameRate, clipLength,
                frameStep, clipStride, tail, decodeTimeout, segmentSeconds, clips, views, outputs, devices,
                engineOptions);
    }

    /** These options with the preset's frame rate and clip length and the derived clip stride filled in. */
    public ExtractOptions resolved(ModelPreset preset, int threads) {
        SegmentSettings w = work().resolved(preset, threads);
        return new ExtractOptions(inputs, manifests, clips, output, model, weights, widths, backend, batchSize,
                w.frameRate(), w.clipLength(), frameStep, w.clipStride(), tail, segmentSeconds, decodeTimeout,
                partitions, mode, w.kernelThreads(), retryErrors, views, outputs, devices, engineOptions);
    }

    /** The settings as written in the run manifest. */
    public java.util.Map<String, Object> describe() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("inputs", inputs);
        m.put("manifests", manifests);
        m.put("clips", clips);
        m.put("output", output);
        m.put("model", model);
        m.put("weights", weights);
        m.put("widths", widths == null ? null : java.util.Arrays.stream(widths).boxed().toList());
        m.put("backend", backend);
        m.put("batch_size", (long) batchSize);
        m.put("frame_rate", frameRate);
        m.put("clip_length", (long) clipLength);
        m.put("frame_step", (long) frameStep);
        m.put("clip_stride", (long) clipStride);
        m.put("tail", tail.flag());
        m.put("segment_seconds", segmentSeconds);
        m.put("decode_timeout_sec", decodeTimeout);
        m.put("partitions", (long) partitions);
        m.put("mode", mode.flag());
        m.put("kernel_threads", (long) kernelThreads);
        m.put("retry_errors", retryErrors);
        m.put("devices", devices);
        m.put("engine_options", new java.util.TreeMap<>(engineOptions));
        m.put("views", (long) views);
        m.putAll(outputs.describe());
        return m;
    }
}
