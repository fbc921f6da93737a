package io.cubist.pipeline.clip;

import io.cubist.pipeline.model.zoo.ModelPreset;

/**
 * How clips are cut from a video resampled to {@code fps}: clip {@code k} takes the resampled frames
 * {@code k·clipStride + j·frameStep} for {@code j = 0 .. clipLength-1}.
 *
 * @param clipLength frames per clip (T), {@code >= 1}
 * @param frameStep  take every {@code frameStep}-th resampled frame (s), {@code >= 1}
 * @param clipStride resampled frames between clip starts (S), {@code >= 1}; {@code clipLength · frameStep} makes
 *                   clips that neither overlap nor leave gaps
 * @param tail       what happens to the frames after the last whole clip
 * @param fps        the resampling rate (F), {@code > 0}
 */
public record SamplerSettings(int clipLength, int frameStep, int clipStride, TailPolicy tail, double fps) {

    public SamplerSettings {
        if (clipLength < 1) {
            throw new IllegalArgumentException("clip length must be >= 1, got " + clipLength);
        }
        if (frameStep < 1) {
            throw new IllegalArgumentException("frame step must be >= 1, got " + frameStep);
        }
        if (clipStride < 1) {
            throw new IllegalArgumentException("clip stride must be >= 1, got " + clipStride);
        }
        if (tail == null) {
            throw new IllegalArgumentException("tail policy must be given (drop, pad-last or back-pad)");
        }
        if (!(fps > 0) || Double.isInfinite(fps)) {
            throw new IllegalArgumentException("frame rate must be > 0, got " + fps);
        }
    }

    /** Non-overlapping clips ({@code stride = clipLength · frameStep}) that drop the tail. */
    public static SamplerSettings of(int clipLength, int frameStep, double fps) {
        return new SamplerSettings(clipLength, frameStep, clipLength * frameStep, TailPolicy.DROP, fps);
    }

    /** A model's own clip length and frame rate, frame step 1, non-overlapping, tail dropped. */
    public static SamplerSettings of(ModelPreset preset) {
        return of(preset.clipLength(), 1, preset.frameRate());
    }

    /** Resampled frames from a clip's first to its last: {@code (clipLength - 1) · frameStep + 1}. */
    public int span() {
        return (clipLength - 1) * frameStep + 1;
    }

    public SamplerSettings withStride(int stride) {
        return new SamplerSettings(clipLength, frameStep, stride, tail, fps);
    }

    public SamplerSettings withTail(TailPolicy policy) {
        return new SamplerSettings(clipLength, frameStep, clipStride, policy, fps);
    }
}
