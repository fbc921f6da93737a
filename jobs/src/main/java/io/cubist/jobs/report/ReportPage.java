package io.cubist.jobs.report;

import io.cubist.pipeline.clip.ClipFeature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link ReportInput} as one self-contained HTML page: inline SVG for the timeline, the PCA scatter and the
 * error chart, an inline script that paints the similarity matrix on a canvas. Nothing is loaded from the network.
 * Every string from the data is escaped ({@link Html}); the script reads its data from a JSON block whose strings
 * cannot close the element.
 *
 * <p>When the page's script has drawn everything without an exception, and no error event or {@code console.error}
 * call happened, it sets {@code data-cubist-render="ok"} on the {@code <html>} element (otherwise {@code "error"},
 * with the messages in {@code #render-status}), so a headless browser can tell a page that rendered from one that
 * did not.
 */
public final class ReportPage {

    /** Most clips in the similarity matrix (a canvas of n² cells); more are thinned evenly. */
    public static final int MAX_MATRIX_CLIPS = 400;
    /** Most videos drawn on the timeline. */
    public static final int MAX_TIMELINE_VIDEOS = 100;
    /** Most rows of the per-video table. */
    public static final int MAX_VIDEO_ROWS = 1000;

    /** Sequential palette (viridis), 255 steps; index 255 of the matrix cells means "undefined". */
    private static final String[] SEQ = palette(new int[] {0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e,
        0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725}, 255);
    /** Categorical palette (Tableau 10) for videos. */
    private static final String[] CAT = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    private static final String UNDEFINED = "#cccccc";

    private final ReportInput in;
    private final String title;
    private final StringBuilder h = new StringBuilder(1 << 16);
    /** Per plotted clip: cosine similarity to the previous clip of the same video, NaN for a video's first. */
    private final double[] prevSim;
    private final Map<String, Integer> videoIndex = new LinkedHashMap<>();
    /** Cosine similarities of the matrix's clips, computed on first use. */
    private double[][] matrixValues;

    private ReportPage(ReportInput in, String title) {
        this.in = in;
        this.title = title;
        List<ClipFeature> c = in.clips();
        prevSim = new double[c.size()];
        for (int i = 0; i < c.size(); i++) {
            boolean sameVideo = i > 0 && c.get(i - 1).video().equals(c.get(i).video());
            prevSim[i] = sameVideo ? FeatureMath.cosine(c.get(i - 1).feature(), c.get(i).feature()) : Double.NaN;
            videoIndex.putIfAbsent(c.get(i).video(), videoIndex.size());
        }
    }

    /** The page for {@code in}; {@code title} null or blank gives "Cubist features: DIR". */
    public static String render(ReportInput in, String title) {
        String t = title == null || title.isBlank() ? "Cubist features: " + in.source() : title;
        return new ReportPage(in, t).page();
    }

    private String page() {
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<link rel=\"icon\" href=\"data:,\">\n<title>").append(Html.esc(title)).append("</title>\n")
                .append("<style>").append(CSS).append("</style>\n")
                .append("<script>").append(GUARD_JS).append("</script>\n</head>\n<body>\n");
        h.append("<h1>").append(Html.esc(title)).append("</h1>\n");
        h.append("<p class=\"sub\">").append(Html.esc(in.source())).append(" &middot; model <b>")
                .append(Html.esc(in.model().isEmpty() ? "(no clips)" : in.model())).append("</b>");
        if (!in.clips().isEmpty()) {
            h.append(" &middot; ").append(in.clips().get(0).feature().length).append("-dimensional features");
        }
        h.append("</p>\n");
        summary();
        notes();
        timeline();
        matrix();
        pca();
        videoTable();
        errors();
        manifestTables();
        h.append("<p id=\"render-status\" class=\"sub\">rendering&hellip;</p>\n");
        h.append("<script type=\"application/json\" id=\"cubist-data\">").append(dataJson()).append("</script>\n");
        h.append("<script>").append(DRAW_JS).append("</script>\n</body>\n</html>\n");
        return h.toString();
    }

    // ---- summary cards ------------------------------------------------------------------------------------------

    private void summary() {
        Map<String, Object> counts = map(in.manifest().get("counts"));
        Map<String, Object> timings = map(in.manifest().get("timings"));
        h.append("<section id=\"summary\"><div class=\"cards\">\n");
        card("videos", counts.containsKey("videos") ? fmt(counts.get("videos"))
                : String.valueOf(in.clipsPerVideo().size()), counts.containsKey("videos") ? "in the run"
                : "with clips");
        card("videos ok", counts.containsKey("videos_ok") ? fmt(counts.get("videos_ok"))
                : String.valueOf(in.clipsPerVideo().size()), "");
        card("videos failed", counts.containsKey("videos_failed") ? fmt(counts.get("videos_failed"))
                : String.valueOf(distinctErrorVideos()), in.totalErrors() + " error rows");
        card("clips", String.valueOf(in.totalClips()), in.clips().size() + " plotted");
        card("throughput", timings.containsKey("clips_per_sec") ? fmt(timings.get("clips_per_sec")) + " clips/s"
                : "n/a", timings.containsKey("wall_sec") ? "wall " + fmt(timings.get("wall_sec")) + " s" : "");
        card("backend", in.manifest().containsKey("backend") ? fmt(in.manifest().get("backend")) : "n/a", "");
        h.append("</div></section>\n");
    }

    private long distinctErrorVideos() {
        return in.errors().stream().map(ErrorRow::video).distinct().count();
    }

    private void card(String label, String value, String note) {
        h.append("<div class=\"card\"><div class=\"label\">").append(Html.esc(label))
                .append("</div><div class=\"value\">").append(Html.esc(value)).append("</div><div class=\"note\">")
                .append(Html.esc(note)).append("</div></div>\n");
    }

    private void notes() {
        List<String> notes = new ArrayList<>();
        if (!in.sampling().isEmpty()) {
            notes.add(in.sampling());
        }
        if (in.unusable() > 0) {
            notes.add(in.unusable() + " clip rows left out of the plots: a missing, non-finite or odd-length"
                    + " feature vector.");
        }
        if (!in.otherModels().isEmpty()) {
            StringBuilder b = new StringBuilder("the dataset also holds clips of other models, not plotted: ");
            in.otherModels().forEach((m, n) -> b.append(m).append(" (").append(n).append(") "));
            notes.add(b.toString().strip() + "; choose one with --model.");
        }
        if (!in.manifestNote().isEmpty()) {
            notes.add(in.manifestNote());
        }
        if (!notes.isEmpty()) {
            h.append("<ul class=\"notes\">");
            for (String n : notes) {
                h.append("<li>").append(Html.esc(n)).append("</li>");
            }
            h.append("</ul>\n");
        }
    }

    // ---- timeline -----------------------------------------------------------------------------------------------

    private void timeline() {
        h.append("<section><h2>Timeline</h2>\n<p class=\"sub\">Each clip of each video at its place in time, coloured"
                + " by cosine similarity to the clip before it: dark clips differ from what came before (a cut, a"
                + " new scene), bright ones continue it. A video's first clip is grey.</p>\n");
        List<ClipFeature> c = in.clips();
        if (c.isEmpty()) {
            h.append("<p class=\"empty\">No clips to show.</p></section>\n");
            return;
        }
        int videos = Math.min(videoIndex.size(), MAX_TIMELINE_VIDEOS);
        double maxEnd = 0;
        for (ClipFeature f : c) {
            if (videoIndex.get(f.video()) < videos && Double.isFinite(f.endSec())) {
                maxEnd = Math.max(maxEnd, f.endSec());
            }
        }
        maxEnd = maxEnd > 0 ? maxEnd : 1;
        double[] range = simRange(prevSim);
        int labelW = 280;
        int plotW = 880;
        int rowH = 24;
        int top = 10;
        int height = top + videos * rowH + 40;
        h.append("<svg id=\"timeline\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(labelW + plotW + 20).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ")
                .append(labelW + plotW + 20).append(' ').append(height).append("\">\n");
        double ticks = niceStep(maxEnd / 8);
        for (double t = 0; t <= maxEnd + 1e-9; t += ticks) {
            double x = labelW + t / maxEnd * plotW;
            h.append("<line x1=\"").append(Html.num(x)).append("\" x2=\"").append(Html.num(x)).append("\" y1=\"")
                    .append(top).append("\" y2=\"").append(top + videos * rowH).append("\" class=\"grid\"/>")
                    .append("<text x=\"").append(Html.num(x)).append("\" y=\"").append(top + videos * rowH + 16)
                    .append("\" class=\"tick\" text-anchor=\"middle\">").append(trimNum(t)).append("</text>\n");
        }
        h.append("<text x=\"").append(labelW + plotW / 2).append("\" y=\"").append(top + videos * rowH + 34)
                .append("\" class=\"axis\" text-anchor=\"middle\">time (s)</text>\n");
        for (int i = 0; i < c.size(); i++) {
            ClipFeature f = c.get(i);
            int v = videoIndex.get(f.video());
            if (v >= videos) {
                continue;
            }
            double y = top + v * rowH;
            if (i == 0 || !c.get(i - 1).video().equals(f.video())) {
                h.append("<text x=\"").append(labelW - 8).append("\" y=\"").append(Html.num(y + 16))
                        .append("\" class=\"label\" text-anchor=\"end\"><title>").append(Html.esc(f.video()))
                        .append("</title>").append(Html.esc(shorten(f.video(), 34))).append("</text>\n");
            }
            double s = Double.isFinite(f.startSec()) ? f.startSec() : 0;
            double e = Double.isFinite(f.endSec()) ? f.endSec() : s;
            double x0 = labelW + s / maxEnd * plotW;
            double w = Math.max(1.5, (e - s) / maxEnd * plotW);
            // two lanes, so overlapping clips (stride shorter than the clip) stay visible
            double ly = y + 3 + (f.clip() % 2 == 0 ? 0 : 9);
            h.append("<rect class=\"clip\" x=\"").append(Html.num(x0)).append("\" y=\"").append(Html.num(ly))
                    .append("\" width=\"").append(Html.num(w)).append("\" height=\"8\" fill=\"")
                    .append(colour(prevSim[i], range)).append("\"><title>").append(Html.esc(f.video()))
                    .append(" \u2014 clip ").append(f.clip()).append(", ").append(trimNum(s)).append("\u2013")
                    .append(trimNum(e)).append(" s").append(Double.isNaN(prevSim[i]) ? ", first clip"
                            : ", similarity to the previous clip " + fixed(prevSim[i], 3))
                    .append("</title></rect>\n");
        }
        h.append("</svg>\n");
        legend("timeline-legend", range);
        if (videoIndex.size() > videos) {
            h.append("<p class=\"sub\">The first ").append(videos).append(" of ").append(videoIndex.size())
                    .append(" plotted videos are drawn.</p>\n");
        }
        h.append("</section>\n");
    }

    private void legend(String id, double[] range) {
        h.append("<svg id=\"").append(id).append("\" class=\"legend\" xmlns=\"http://www.w3.org/2000/svg\"")
                .append(" width=\"420\" height=\"34\"><defs><linearGradient id=\"").append(id)
                .append("-g\">");
        for (int i = 0; i <= 10; i++) {
            h.append("<stop offset=\"").append(i * 10).append("%\" stop-color=\"").append(SEQ[i * 254 / 10])
                    .append("\"/>");
        }
        h.append("</linearGradient></defs><rect x=\"10\" y=\"2\" width=\"300\" height=\"12\" fill=\"url(#")
                .append(id).append("-g)\"/><text x=\"10\" y=\"28\" class=\"tick\">").append(fixed(range[0], 3))
                .append("</text><text x=\"310\" y=\"28\" class=\"tick\" text-anchor=\"end\">")
                .append(fixed(range[1], 3)).append("</text><text x=\"320\" y=\"12\" class=\"tick\">")
                .append("cosine similarity</text></svg>\n");
    }

    // ---- similarity matrix --------------------------------------------------------------------------------------

    private List<Integer> matrixClips() {
        int n = in.clips().size();
        int m = Math.min(n, MAX_MATRIX_CLIPS);
        List<Integer> idx = new ArrayList<>(m);
        for (int i = 0; i < m; i++) {
            idx.add((int) ((long) i * n / m));
        }
        return idx;
    }

    private void matrix() {
        h.append("<section><h2>Clip similarity</h2>\n<p class=\"sub\">Cosine similarity between every pair of clips,"
                + " in video then time order; white lines separate videos. Bright blocks on the diagonal are stretches"
                + " of similar content; bright blocks off it are content that recurs.");
        int n = in.clips().size();
        if (n > MAX_MATRIX_CLIPS) {
            h.append(" ").append(MAX_MATRIX_CLIPS).append(" of the ").append(n)
                    .append(" plotted clips are shown, evenly spaced.");
        }
        h.append("</p>\n");
        if (n == 0) {
            h.append("<p class=\"empty\">No clips to show.</p></section>\n");
            return;
        }
        h.append("<div class=\"matrix\"><canvas id=\"similarity\" class=\"plot\"></canvas>")
                .append("<div id=\"similarity-tip\" class=\"tip\">hover over the matrix</div></div>\n")
                .append("<noscript><p class=\"empty\">The matrix is drawn by the page's script.</p></noscript>\n");
        legend("similarity-legend", matrixRange());
        h.append("</section>\n");
    }

    private double[][] matrixValues() {
        if (matrixValues == null) {
            List<float[]> rows = new ArrayList<>();
            for (int i : matrixClips()) {
                rows.add(in.clips().get(i).feature());
            }
            matrixValues = FeatureMath.cosineMatrix(rows);
        }
        return matrixValues;
    }

    private double[] matrixRange() {
        double[][] m = matrixValues();
        double lo = 1;
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) {
                if (i != j && !Double.isNaN(m[i][j])) {
                    lo = Math.min(lo, m[i][j]);
                }
            }
        }
        return new double[] {Math.min(lo, 0.99), 1.0};
    }

    // ---- PCA ----------------------------------------------------------------------------------------------------

    private void pca() {
        h.append("<section><h2>PCA of the features</h2>\n");
        List<ClipFeature> c = in.clips();
        if (c.size() < 2) {
            h.append("<p class=\"empty\">PCA needs at least two clips.</p></section>\n");
            return;
        }
        List<float[]> rows = new ArrayList<>(c.size());
        for (ClipFeature f : c) {
            rows.add(f.feature());
        }
        FeatureMath.Pca p = FeatureMath.pca(rows, 2);
        h.append("<p class=\"sub\">Every plotted clip projected on the two directions of largest variance,"
                + " coloured by video: clips that look alike land close together. The axes explain ")
                .append(fixed(100 * p.explained(0), 1)).append("% and ").append(fixed(100 * p.explained(1), 1))
                .append("% of the variance.</p>\n");
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (double[] s : p.scores()) {
            minX = Math.min(minX, s[0]);
            maxX = Math.max(maxX, s[0]);
            minY = Math.min(minY, s[1]);
            maxY = Math.max(maxY, s[1]);
        }
        double spanX = maxX - minX > 0 ? maxX - minX : 1;
        double spanY = maxY - minY > 0 ? maxY - minY : 1;
        int w = 720;
        int hgt = 520;
        int pad = 40;
        h.append("<div class=\"scatter\"><svg id=\"pca\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(w).append("\" height=\"").append(hgt).append("\" viewBox=\"0 0 ").append(w).append(' ')
                .append(hgt).append("\">\n<rect x=\"").append(pad).append("\" y=\"10\" width=\"").append(w - pad - 10)
                .append("\" height=\"").append(hgt - pad - 10).append("\" class=\"frame\"/>\n");
        h.append("<text x=\"").append(w / 2).append("\" y=\"").append(hgt - 8)
                .append("\" class=\"axis\" text-anchor=\"middle\">PC1 (").append(fixed(100 * p.explained(0), 1))
                .append("%)</text><text x=\"14\" y=\"").append(hgt / 2)
                .append("\" class=\"axis\" transform=\"rotate(-90 14 ").append(hgt / 2)
                .append(")\" text-anchor=\"middle\">PC2 (").append(fixed(100 * p.explained(1), 1))
                .append("%)</text>\n");
        for (int i = 0; i < c.size(); i++) {
            ClipFeature f = c.get(i);
            double[] s = p.scores()[i];
            double x = pad + 8 + (s[0] - minX) / spanX * (w - pad - 36);
            double y = hgt - pad - 8 - (s[1] - minY) / spanY * (hgt - pad - 36);
            h.append("<circle class=\"pt\" cx=\"").append(Html.num(x)).append("\" cy=\"").append(Html.num(y))
                    .append("\" r=\"4\" fill=\"").append(CAT[videoIndex.get(f.video()) % CAT.length])
                    .append("\"><title>").append(Html.esc(f.video())).append(" \u2014 clip ").append(f.clip())
                    .append(" at ").append(trimNum(f.startSec())).append(" s</title></circle>\n");
        }
        h.append("</svg>\n<ul class=\"keys\">");
        int shown = 0;
        for (Map.Entry<String, Integer> e : videoIndex.entrySet()) {
            if (shown++ == 30) {
                h.append("<li>&hellip; and ").append(videoIndex.size() - 30).append(" more (colours repeat after ")
                        .append(CAT.length).append(")</li>");
                break;
            }
            h.append("<li><span class=\"sw\" style=\"background:").append(CAT[e.getValue() % CAT.length])
                    .append("\"></span>").append(Html.esc(shorten(e.getKey(), 60))).append("</li>");
        }
        h.append("</ul></div></section>\n");
    }

    // ---- per-video table ----------------------------------------------------------------------------------------

    private void videoTable() {
        h.append("<section><h2>Videos</h2>\n");
        if (in.clipsPerVideo().isEmpty()) {
            h.append("<p class=\"empty\">No video produced clips.</p></section>\n");
            return;
        }
        Map<String, double[]> stats = new LinkedHashMap<>(); // mean, min, time of min, count, covered seconds
        List<ClipFeature> c = in.clips();
        for (int i = 0; i < c.size(); i++) {
            ClipFeature f = c.get(i);
            double[] s = stats.computeIfAbsent(f.video(), k -> new double[] {0, Double.NaN, Double.NaN, 0, 0});
            s[4] = Math.max(s[4], Double.isFinite(f.endSec()) ? f.endSec() : 0);
            if (!Double.isNaN(prevSim[i])) {
                s[0] += prevSim[i];
                s[3]++;
                if (Double.isNaN(s[1]) || prevSim[i] < s[1]) {
                    s[1] = prevSim[i];
                    s[2] = f.startSec();
                }
            }
        }
        h.append("<table id=\"videos\"><thead><tr><th>video</th><th>clips</th><th>last clip ends (s)</th>")
                .append("<th>mean similarity to previous clip</th><th>largest change</th></tr></thead><tbody>\n");
        int rows = 0;
        for (Map.Entry<String, Long> e : in.clipsPerVideo().entrySet()) {
            if (rows++ == MAX_VIDEO_ROWS) {
                break;
            }
            double[] s = stats.get(e.getKey());
            h.append("<tr><td class=\"path\">").append(Html.esc(e.getKey())).append("</td><td class=\"n\">")
                    .append(e.getValue()).append("</td>");
            if (s == null) {
                h.append("<td colspan=\"3\" class=\"sub\">not plotted</td>");
            } else {
                h.append("<td class=\"n\">").append(trimNum(s[4])).append("</td><td class=\"n\">")
                        .append(s[3] > 0 ? fixed(s[0] / s[3], 3) : "&ndash;").append("</td><td class=\"n\">")
                        .append(s[3] > 0 ? "at " + trimNum(s[2]) + " s (" + fixed(s[1], 3) + ")" : "&ndash;")
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody></table>\n");
        if (in.clipsPerVideo().size() > MAX_VIDEO_ROWS) {
            h.append("<p class=\"sub\">").append(MAX_VIDEO_ROWS).append(" of ").append(in.clipsPerVideo().size())
                    .append(" videos listed.</p>\n");
        }
        h.append("</section>\n");
    }

    // ---- errors -------------------------------------------------------------------------------------------------

    private void errors() {
        h.append("<section id=\"errors\"><h2>Errors</h2>\n");
        if (in.totalErrors() == 0) {
            h.append("<p class=\"empty\">No _errors rows: every video was processed.</p></section>\n");
            return;
        }
        long max = in.errorCounts().stream().mapToLong(ReportInput.ErrorCount::count).max().orElse(1);
        int bars = Math.min(in.errorCounts().size(), 20);
        int rowH = 22;
        h.append("<svg id=\"error-chart\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"")
                .append(bars * rowH + 10).append("\">\n");
        for (int i = 0; i < bars; i++) {
            ReportInput.ErrorCount e = in.errorCounts().get(i);
            double w = Math.max(2, 500.0 * e.count() / max);
            h.append("<text x=\"290\" y=\"").append(i * rowH + 16).append("\" class=\"label\" text-anchor=\"end\">")
                    .append(Html.esc(shorten(e.stage() + " / " + e.error(), 44))).append("</text><rect x=\"300\" y=\"")
                    .append(i * rowH + 4).append("\" width=\"").append(Html.num(w))
                    .append("\" height=\"15\" fill=\"#e15759\"><title>").append(Html.esc(e.stage())).append(" / ")
                    .append(Html.esc(e.error())).append(": ").append(e.count()).append("</title></rect><text x=\"")
                    .append(Html.num(306 + w)).append("\" y=\"").append(i * rowH + 16).append("\" class=\"tick\">")
                    .append(e.count()).append("</text>\n");
        }
        h.append("</svg>\n<table id=\"error-rows\"><thead><tr><th>video</th><th>stage</th><th>error</th>")
                .append("<th>message</th></tr></thead><tbody>\n");
        for (ErrorRow e : in.errors()) {
            h.append("<tr><td class=\"path\">").append(Html.esc(e.video())).append("</td><td>")
                    .append(Html.esc(e.stage())).append("</td><td>").append(Html.esc(e.error())).append("</td><td>")
                    .append(Html.esc(e.message())).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
        if (in.totalErrors() > in.errors().size()) {
            h.append("<p class=\"sub\">").append(in.errors().size()).append(" of ").append(in.totalErrors())
                    .append(" error rows listed (--max-errors).</p>\n");
        }
        h.append("</section>\n");
    }

    // ---- manifest -----------------------------------------------------------------------------------------------

    private void manifestTables() {
        if (in.manifest().isEmpty()) {
            return;
        }
        h.append("<section id=\"run\"><h2>Run</h2>\n<table class=\"kv\"><tbody>\n");
        Map<String, String> flat = new LinkedHashMap<>();
        flatten("", in.manifest(), flat);
        flat.forEach((k, v) -> h.append("<tr><th>").append(Html.esc(k)).append("</th><td>").append(Html.esc(v))
                .append("</td></tr>\n"));
        h.append("</tbody></table></section>\n");
    }

    private static void flatten(String prefix, Object v, Map<String, String> out) {
        if (v instanceof Map<?, ?> m && !m.isEmpty()) {
            m.forEach((k, x) -> flatten(prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k, x, out));
        } else {
            out.put(prefix, fmt(v));
        }
    }

    // ---- the script's data --------------------------------------------------------------------------------------

    private String dataJson() {
        StringBuilder j = new StringBuilder("{\"palette\":[");
        for (int i = 0; i < SEQ.length; i++) {
            j.append(i == 0 ? "" : ",").append('"').append(SEQ[i]).append('"');
        }
        j.append("],\"undefined\":\"").append(UNDEFINED).append('"');
        if (!in.clips().isEmpty()) {
            List<Integer> idx = matrixClips();
            double[][] m = matrixValues();
            double[] range = matrixRange();
            int n = idx.size();
            byte[] cells = new byte[n * n];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    cells[a * n + b] = (byte) level(m[a][b], range);
                }
            }
            int px = Math.max(1, Math.min(12, 640 / n));
            j.append(",\"matrix\":{\"n\":").append(n).append(",\"px\":").append(px).append(",\"lo\":")
                    .append(range[0]).append(",\"hi\":").append(range[1]).append(",\"cells\":\"")
                    .append(Base64.getEncoder().encodeToString(cells)).append("\",\"labels\":[");
            List<Integer> bounds = new ArrayList<>();
            for (int a = 0; a < n; a++) {
                ClipFeature f = in.clips().get(idx.get(a));
                if (a > 0 && !in.clips().get(idx.get(a - 1)).video().equals(f.video())) {
                    bounds.add(a);
                }
                j.append(a == 0 ? "" : ",").append(Html.jsonString(shorten(f.video(), 80) + " #" + f.clip() + " ("
                        + trimNum(f.startSec()) + " s)"));
            }
            j.append("],\"boundaries\":").append(bounds).append('}');
        }
        return j.append('}').toString();
    }

    // ---- colours and numbers ------------------------------------------------------------------------------------

    /** [lo, hi] for a similarity colour scale: from the lowest defined value (at most 0.99) to 1. */
    private static double[] simRange(double[] values) {
        double lo = 1;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                lo = Math.min(lo, v);
            }
        }
        return new double[] {Math.min(lo, 0.99), 1.0};
    }

    /** A palette index 0..254 for v in range, 255 for undefined. */
    private static int level(double v, double[] range) {
        if (Double.isNaN(v)) {
            return 255;
        }
        double t = (v - range[0]) / (range[1] - range[0]);
        return (int) Math.round(Math.max(0, Math.min(1, t)) * 254);
    }

    private static String colour(double v, double[] range) {
        int l = level(v, range);
        return l == 255 ? UNDEFINED : SEQ[l];
    }

    private static String[] palette(int[] anchors, int steps) {
        String[] p = new String[steps];
        for (int i = 0; i < steps; i++) {
            double t = (double) i / (steps - 1) * (anchors.length - 1);
            int a = Math.min((int) t, anchors.length - 2);
            double f = t - a;
            int r = (int) Math.round(((anchors[a] >> 16) & 255) * (1 - f) + ((anchors[a + 1] >> 16) & 255) * f);
            int g = (int) Math.round(((anchors[a] >> 8) & 255) * (1 - f) + ((anchors[a + 1] >> 8) & 255) * f);
            int b = (int) Math.round((anchors[a] & 255) * (1 - f) + (anchors[a + 1] & 255) * f);
            p[i] = String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
        }
        return p;
    }

    private static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 1;
        }
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double r = raw / mag;
        return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
    }

    private static String trimNum(double v) {
        if (!Double.isFinite(v)) {
            return "?";
        }
        String s = String.format(Locale.ROOT, "%.2f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static String fixed(double v, int digits) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "n/a";
    }

    private static String fmt(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf(d.longValue()) : trimNum3(d);
        }
        if (v instanceof Number || v instanceof String || v instanceof Boolean) {
            return String.valueOf(v);
        }
        return io.cubist.kernels.io.Json.write(v);
    }

    private static String trimNum3(double d) {
        String s = String.format(Locale.ROOT, "%.3f", d);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : "\u2026" + s.substring(s.length() - max + 1);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v) {
        return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    // ---- static page parts --------------------------------------------------------------------------------------

    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px 32px;color:#222;\
            background:#fff;max-width:1240px}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 4px;border-bottom:1px solid #ddd;\
            padding-bottom:3px}
            .sub{color:#666;margin:2px 0 8px}.empty{color:#888;font-style:italic}
            .cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
            .card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px;background:#fafafa}
            .card .label{color:#666;font-size:12px}.card .value{font-size:20px;font-weight:600}
            .card .note{color:#888;font-size:12px}
            .notes{background:#fff8e1;border:1px solid #f0d98c;border-radius:6px;padding:8px 8px 8px 28px}
            svg.plot text.label,svg.plot text.tick{font-size:12px;fill:#444}svg .tick{font-size:11px;fill:#444}
            svg.plot text.axis{font-size:12px;fill:#222}line.grid{stroke:#eee}rect.frame{fill:none;stroke:#ccc}
            rect.clip:hover,circle.pt:hover{stroke:#000;stroke-width:1.5}
            .matrix{display:flex;gap:16px;align-items:flex-start}
            canvas#similarity{image-rendering:pixelated;border:1px solid #ccc}
            .tip{font-size:12px;color:#333;min-width:260px;max-width:360px;word-break:break-all}
            .scatter{display:flex;gap:16px;align-items:flex-start}.keys{list-style:none;padding:0;margin:0;\
            font-size:12px;max-width:420px;word-break:break-all}
            .sw{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}
            table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #e3e3e3;\
            padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}
            td.path{word-break:break-all;max-width:520px}table.kv th{font-weight:500;white-space:nowrap}
            """;

    /** First script of the page: records errors from every later script. */
    private static final String GUARD_JS = """
            window.cubistErrors=[];
            window.addEventListener('error',function(e){window.cubistErrors.push(String(e.message||e));});
            window.addEventListener('unhandledrejection',function(e){window.cubistErrors.push(String(e.reason));});
            (function(){var ce=console.error;console.error=function(){
            window.cubistErrors.push(Array.prototype.join.call(arguments,' '));
            return ce.apply(console,arguments);};})();
            """;

    /** Paints the similarity matrix, wires its hover read-out, then marks the page rendered (or not). */
    private static final String DRAW_JS = """
            (function(){
            function rgb(h){return [parseInt(h.substr(1,2),16),parseInt(h.substr(3,2),16),parseInt(h.substr(5,2),16)];}
            function drawMatrix(d){
              var c=document.getElementById('similarity');if(!c||!d.matrix){return;}
              var m=d.matrix,n=m.n,px=m.px,bin=atob(m.cells),pal=d.palette.map(rgb),und=rgb(d.undefined);
              if(bin.length!==n*n){throw new Error('matrix data has '+bin.length+' cells, expected '+n*n);}
              c.width=n*px;c.height=n*px;
              var ctx=c.getContext('2d'),img=ctx.createImageData(n*px,n*px),p=img.data;
              for(var i=0;i<n;i++){for(var j=0;j<n;j++){
                var l=bin.charCodeAt(i*n+j),col=l===255?und:pal[l];
                for(var y=i*px;y<(i+1)*px;y++){for(var x=j*px;x<(j+1)*px;x++){
                  var o=(y*n*px+x)*4;p[o]=col[0];p[o+1]=col[1];p[o+2]=col[2];p[o+3]=255;}}}}
              ctx.putImageData(img,0,0);
              ctx.strokeStyle='#ffffff';ctx.lineWidth=1;
              m.boundaries.forEach(function(b){ctx.beginPath();ctx.moveTo(b*px-0.5,0);ctx.lineTo(b*px-0.5,n*px);
                ctx.moveTo(0,b*px-0.5);ctx.lineTo(n*px,b*px-0.5);ctx.stroke();});
              var tip=document.getElementById('similarity-tip');
              c.addEventListener('mousemove',function(e){
                var r=c.getBoundingClientRect(),j=Math.floor((e.clientX-r.left)/r.width*n),
                    i=Math.floor((e.clientY-r.top)/r.height*n);
                if(i<0||j<0||i>=n||j>=n){return;}
                var l=bin.charCodeAt(i*n+j);
                tip.textContent=m.labels[i]+'  \\u00d7  '+m.labels[j]+':  '+(l===255?'undefined':
                  (l===0?'\\u2264 ':l===254?'':'\\u2248 ')+(m.lo+(m.hi-m.lo)*l/254).toFixed(3));});
              c.setAttribute('data-cells',String(n*n));
            }
            var status=document.getElementById('render-status');
            try{drawMatrix(JSON.parse(document.getElementById('cubist-data').textContent));}
            catch(e){window.cubistErrors.push(String(e&&e.stack||e));}
            var errs=window.cubistErrors;
            document.documentElement.setAttribute('data-cubist-render',errs.length?'error':'ok');
            status.textContent=errs.length?'render errors: '+errs.join(' | '):'rendered';
            })();
            """;
}
