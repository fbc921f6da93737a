package io.cubist.jobs.extract;

import io.cubist.pipeline.clip.TailPolicy;
import java.io.Serializable;

/**
 * What an executor needs to turn a segment of a video into clip features: the model and engine, the sampling, the
 * batch and the decode timeout. Small and serializable (it travels with every task); the extract job's
 * {@link ExtractOptions} and the Spark ML transformer's params both give it, so both run the same executor code.
 * Frame rate, clip length and clip stride are resolved (never 0) by the time a task sees them.
 */
public interface SegmentWork extends Serializable {

    String model();

    /** A checkpoint path, or null for seeded random weights. */
    String weights();

    /** Stage widths of a reduced variant, or null. */
    int[] widths();

    /** A backend name, or null for the best available. */
    String backend();

    /** Threads of the cpu backend per executor. */
    int kernelThreads();

    /** The devices a task runs on ({@code --devices}); empty: the engine's best, or the GPUs Spark assigned it. */
    default java.util.List<String> devices() {
        return java.util.List.of();
    }

    /** Engine options ({@code --engine-option K=V}). */
    default java.util.Map<String, String> engineOptions() {
        return java.util.Map.of();
    }

    /** The engine these settings ask for, as one typed request. */
    default io.cubist.kernels.backend.EngineRequest engine() {
        return new io.cubist.kernels.backend.EngineRequest(backend(), kernelThreads(), devices(), engineOptions());
    }

    /** The {@code model} column's value: the zoo name, with the widths of a reduced variant ({@code r3d_18@4-8-8-16}). */
    default String modelLabel() {
        int[] w = widths();
        if (w == null) {
            return model();
        }
        StringBuilder b = new StringBuilder(model()).append("@");
        for (int i = 0; i < w.length; i++) {
            b.append(i == 0 ? "" : "-").append(w[i]);
        }
        return b.toString();
    }

    int batchSize();

    double frameRate();

    int clipLength();

    int frameStep();

    int clipStride();

    TailPolicy tail();

    /** Seconds a decode may go without a frame. */
    double decodeTimeout();

    /** Long videos are split into segments of this many seconds. */
    double segmentSeconds();

    /** A prepared clip dataset read instead of videos, or null. */
    String clips();

    /**
     * Test-time views per clip: 1 (the preset's center crop) or 3 (start, center and end crops along the longer
     * side), each a row with its {@code view} index.
     */
    default int views() {
        return 1;
    }

    /** What is written beside {@code feature}: other layers, the top classes ({@link FeatureOutputs}). */
    default FeatureOutputs outputs() {
        return FeatureOutputs.NONE;
    }
}
