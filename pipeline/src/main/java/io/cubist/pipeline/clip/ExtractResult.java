package io.cubist.pipeline.clip;

import java.util.List;

/**
 * What one {@link FeatureExtractor#extract} call did.
 *
 * @param clips         features emitted (clips times views)
 * @param framesDecoded frames the decoder produced (including those decoded while seeking)
 * @param warnings      what the decoder noticed without failing (an incomplete file, bad timestamps)
 * @param decodeSec     wall time spent decoding, sampling and transforming
 * @param modelSec      wall time spent in the model
 */
public record ExtractResult(String video, int clips, long framesDecoded, List<String> warnings, double decodeSec,
                            double modelSec) {

    public ExtractResult {
        warnings = List.copyOf(warnings);
    }
}
