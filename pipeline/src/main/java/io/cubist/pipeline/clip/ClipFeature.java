package io.cubist.pipeline.clip;

/**
 * One clip's feature vector: a row of {@code cubist extract}'s output.
 *
 * @param video    the input as given (path or URI)
 * @param clip     the clip's global index in the video
 * @param startSec presentation time of its first frame
 * @param endSec   end of its last frame
 * @param feature  the model's feature vector (finite values only)
 * @param view     the test-time view the feature belongs to: 0 for the single center crop; with 3-crop views
 *                 0, 1, 2 are the start, center and end crops ({@link ClipTransform.CropPosition#threeCrop()})
 */
public record ClipFeature(String video, int clip, double startSec, double endSec, float[] feature, int view) {

    /** A feature of the single (center-crop) view. */
    public ClipFeature(String video, int clip, double startSec, double endSec, float[] feature) {
        this(video, clip, startSec, endSec, feature, 0);
    }
}
