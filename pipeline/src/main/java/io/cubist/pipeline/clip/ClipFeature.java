package io.cubist.pipeline.clip;

import java.util.Map;

/**
 * One clip's feature vector: a row of {@code cubist extract}'s output.
 *
 * @param video    the input as given (path or URI)
 * @param clip     the clip's global index in the video
 * @param startSec presentation time of its first frame
 * @param endSec   end of its last frame
 * @param feature  the model's feature vector (finite values only)
 * @param view     the test-time view the feature belongs to: 0 for the single center crop; else the index in
 *                 {@link ClipTransform#views(int)}'s order
 * @param logits   the classifier's output, or null without a classifier
 * @param layers   the requested layers' outputs ({@code --layer}), flattened, in the order asked; empty when none
 */
public record ClipFeature(String video, int clip, double startSec, double endSec, float[] feature, int view,
                          float[] logits, Map<String, float[]> layers) {

    public ClipFeature {
        layers = layers == null || layers.isEmpty() ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(layers));
    }

    /** A feature of one view, without logits or layers. */
    public ClipFeature(String video, int clip, double startSec, double endSec, float[] feature, int view) {
        this(video, clip, startSec, endSec, feature, view, null, Map.of());
    }

    /** A feature of the single (center-crop) view. */
    public ClipFeature(String video, int clip, double startSec, double endSec, float[] feature) {
        this(video, clip, startSec, endSec, feature, 0);
    }
}
