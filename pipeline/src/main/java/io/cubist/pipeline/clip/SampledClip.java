package io.cubist.pipeline.clip;

import io.cubist.pipeline.video.DecodedFrame;
import java.util.List;

/**
 * One clip cut from a video.
 *
 * @param index    the clip's global index {@code k} in the video (the same whichever segment produced it)
 * @param startSec time of its first frame ({@code firstIndex / fps})
 * @param endSec   time of its last real frame plus one resampled frame ({@code lastIndex / fps + 1 / fps})
 * @param frames   its {@code clipLength} frames in order (repeated when padded or when the video's rate is below
 *                 the sampling rate)
 * @param tail     how it was completed: {@code null} for a whole clip, else the tail policy that made it
 */
public record SampledClip(int index, double startSec, double endSec, List<DecodedFrame> frames, TailPolicy tail) {

    public SampledClip {
        frames = List.copyOf(frames);
    }
}
