package io.cubist.pipeline.clip;

/**
 * One clip's feature vector: a row of {@code cubist extract}'s output.
 *
 * @param video    the input as given (path or URI)
 * @param clip     the clip's global index in the video
 * @param startSec presentation time of its first frame
 * @param endSec   end of its last frame
 * @param feature  the model's feature vector (finite values only)
 */
public record ClipFeature(String video, int clip, double startSec, double endSec, float[] feature) {
}
