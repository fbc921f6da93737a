package io.cubist.jobs.report;

/** One row of the extract job's {@code _errors} dataset: a video that could not be processed, and why. */
public record ErrorRow(String video, String stage, String error, String message) {
}
