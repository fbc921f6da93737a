package io.cubist.jobs.report;

/**
 * One row of the extract job's output (DESIGN.md's contract): a clip of a video and its feature vector.
 *
 * @param startSec presentation time of the clip's first frame
 * @param endSec   the end of its last frame
 */
public record ClipFeature(String video, int clip, double startSec, double endSec, String model, float[] feature) {
}
