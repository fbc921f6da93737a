package io.cubist.jobs.report;

import io.cubist.pipeline.clip.ClipFeature;
import java.util.List;
import java.util.Map;

/**
 * What a report shows, read from an extract output directory: the clips chosen for the plots, totals over the whole
 * dataset, the error rows and the run manifest.
 *
 * @param source        the directory read
 * @param model         the model whose clips are plotted
 * @param otherModels   clip counts of other models in the same dataset (not plotted; features of different models
 *                      are not comparable)
 * @param clips         the plotted clips, ordered by video then clip number; every feature has the same length and
 *                      only finite values
 * @param totalClips    rows of {@code model} in the dataset
 * @param clipsPerVideo rows of {@code model} per video, over the whole dataset, in display order
 * @param unusable      rows among the chosen videos left out of the plots (a null, non-finite or odd-length feature)
 * @param sampling      how the plotted clips were chosen when not all were, for the page; empty when all are shown
 * @param errors        {@code _errors} rows (at most the cap), ordered by video
 * @param totalErrors   all {@code _errors} rows
 * @param errorCounts   {@code _errors} rows per (stage, error) pair, most frequent first
 * @param manifest      {@code _manifest.json} as parsed JSON, empty when absent
 * @param manifestNote  why the manifest is missing or unreadable; empty when it was read
 */
public record ReportInput(String source, String model, Map<String, Long> otherModels, List<ClipFeature> clips,
        long totalClips, Map<String, Long> clipsPerVideo, long unusable, String sampling, List<ErrorRow> errors,
        long totalErrors, List<ErrorCount> errorCounts, Map<String, Object> manifest, String manifestNote) {

    public ReportInput {
        otherModels = Map.copyOf(otherModels);
        clips = List.copyOf(clips);
        clipsPerVideo = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(clipsPerVideo));
        errors = List.copyOf(errors);
        errorCounts = List.copyOf(errorCounts);
        manifest = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(manifest));
    }

    /** How many {@code _errors} rows share a stage and an error name. */
    public record ErrorCount(String stage, String error, long count) {
    }
}
