package io.cubist.jobs.report;

import io.cubist.pipeline.clip.ClipFeature;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.jobs.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's reader and page on a dataset written as the extract job writes it. */
class ReportTest {
    private static SparkSession spark;
    @TempDir
    static Path tmp;
    private static Path features;
    /** The fixture read with the default options, shared by the tests that only look at it. */
    private static ReportInput full;

    @BeforeAll
    static void dataset() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("report-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        features = tmp.resolve("features");
        ReportFixture.write(spark, features, true, true);
        full = FeatureReader.read(spark, features.toString(), FeatureReader.Options.defaults());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void readsEveryPartOfTheOutputDirectory() throws Exception {
        ReportInput in = full;
        assertEquals("r3d_18", in.model());
        assertEquals(ReportFixture.CLIPS, in.totalClips());
        assertEquals(ReportFixture.CLIPS, in.clips().size());
        assertEquals(ReportFixture.VIDEOS.length, in.clipsPerVideo().size());
        assertEquals("", in.sampling());
        assertEquals(0, in.unusable());
        for (int i = 1; i < in.clips().size(); i++) { // ordered by video, then clip
            ClipFeature a = in.clips().get(i - 1);
            ClipFeature b = in.clips().get(i);
            int c = a.video().compareTo(b.video());
            assertTrue(c < 0 || c == 0 && a.clip() < b.clip(), a.video() + "#" + a.clip() + " before " + b.video());
            assertEquals(ReportFixture.DIM, b.feature().length);
        }
        assertEquals(2, in.totalErrors());
        assertEquals(2, in.errors().size());
        assertEquals(2, in.errorCounts().size());
        assertEquals("cpu", in.manifest().get("backend"));
        assertEquals("", in.manifestNote());
    }

    @Test
    void samplesWholeVideosDeterministicallyAndSaysSo() throws Exception {
        FeatureReader.Options small = new FeatureReader.Options(15, 1, null);
        ReportInput a = FeatureReader.read(spark, features.toString(), small);
        ReportInput b = FeatureReader.read(spark, features.toString(), small);
        assertTrue(a.clips().size() <= 15 && !a.clips().isEmpty(), "plotted " + a.clips().size());
        assertEquals(a.clips().stream().map(ClipFeature::video).toList(),
                b.clips().stream().map(ClipFeature::video).toList());
        // every plotted video is complete
        for (String v : a.clips().stream().map(ClipFeature::video).distinct().toList()) {
            assertEquals((long) a.clipsPerVideo().get(v), a.clips().stream().filter(c -> c.video().equals(v)).count());
        }
        assertTrue(a.sampling().startsWith("showing " + a.clips().size() + " of " + ReportFixture.CLIPS + " clips"),
                a.sampling());
        assertEquals(1, a.errors().size()); // listed rows capped, all counted
        assertEquals(2, a.totalErrors());

        // no video fits: the first few clips of one video
        ReportInput tiny = FeatureReader.read(spark, features.toString(), new FeatureReader.Options(3, 5, null));
        assertEquals(3, tiny.clips().size());
        assertEquals(1, tiny.clips().stream().map(ClipFeature::video).distinct().count());
        assertEquals(List.of(0, 1, 2), tiny.clips().stream().map(ClipFeature::clip).toList());
        assertTrue(tiny.sampling().contains("first 3 clips of one video"), tiny.sampling());
    }

    @Test
    void toleratesMissingErrorsAndManifestAndAnEmptyDataset() throws Exception {
        Path bare = tmp.resolve("bare");
        ReportFixture.write(spark, bare, false, false);
        ReportInput in = FeatureReader.read(spark, bare.toString(), FeatureReader.Options.defaults());
        assertEquals(ReportFixture.CLIPS, in.totalClips());
        assertEquals(0, in.totalErrors());
        assertTrue(in.manifestNote().contains("no _manifest.json"), in.manifestNote());
        String html = ReportPage.render(in, null);
        assertTrue(html.contains("No _errors rows"));

        // every video failed: only _errors and the manifest exist
        Path empty = tmp.resolve("all-failed");
        Files.createDirectories(empty);
        Files.writeString(empty.resolve("_manifest.json"), "{\"counts\": {\"videos\": 1}, \"backend\": 3}");
        ReportInput none = FeatureReader.read(spark, empty.toString(), FeatureReader.Options.defaults());
        assertEquals(0, none.totalClips());
        assertTrue(none.clips().isEmpty());
        String page = ReportPage.render(none, "nothing");
        assertTrue(page.contains("No clips to show."));

        Files.writeString(empty.resolve("_manifest.json"), "{not json");
        ReportInput bad = FeatureReader.read(spark, empty.toString(), FeatureReader.Options.defaults());
        assertTrue(bad.manifestNote().startsWith("_manifest.json is not a JSON object"), bad.manifestNote());
    }

    @Test
    void everyStringFromTheDataIsEscaped() throws Exception {
        ReportInput in = full;
        String html = ReportPage.render(in, "<i>title</i>");
        for (String raw : List.of("<img src=x", "<script>document", "<script>alert", "<b>broken</b>",
                "</script><b>x</b>", "<i>title</i>")) {
            assertFalse(html.contains(raw), "unescaped: " + raw);
        }
        assertTrue(html.contains("&lt;img src=x onerror=&quot;"), "escaped path in the text");
        assertTrue(html.contains("\\u003c/script\\u003e.mp4 #0"), "escaped path in the script's JSON");
        assertTrue(html.contains("&lt;i&gt;title&lt;/i&gt;"));
        // exactly the page's own three script elements
        assertEquals(3, Pattern.compile("<script").matcher(html).results().count());
    }

    @Test
    void pageHoldsEachPlotWithOneMarkPerClip() throws Exception {
        ReportInput in = full;
        String html = ReportPage.render(in, null);
        assertEquals(ReportFixture.CLIPS, count(html, "<rect class=\"clip\""));
        assertEquals(ReportFixture.CLIPS, count(html, "<circle class=\"pt\""));
        assertTrue(html.contains("<canvas id=\"similarity\""));
        assertTrue(html.contains("id=\"error-rows\""));
        assertTrue(html.contains("3.12 clips/s"), "throughput from the manifest");
        // a video's first clip has no previous clip: grey; a scene cut is the darkest colour of the scale
        assertEquals(ReportFixture.VIDEOS.length, count(html, "first clip</title>"));
        assertFalse(html.matches("(?s).*(src|href)=\"(https?:)?//.*"), "no network resources");
    }

    @Test
    void commandWritesThePage() throws Exception {
        Path out = tmp.resolve("cmd.html");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.run("report", "--features", features.toString(), "--out", out.toString(), "--title", "T1");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains(ReportFixture.CLIPS + " of " + ReportFixture.CLIPS
                + " clips"), buf.toString(StandardCharsets.UTF_8));
        assertTrue(Files.readString(out).contains("<title>T1</title>"));
        assertEquals(2, Main.run("report", "--features", features.toString()));
        assertEquals(2, Main.run("report", "--features", features.toString(), "--out", out.toString(),
                "--max-clips", "0"));
        assertEquals(1, Main.run("report", "--features", tmp.resolve("missing").toString(), "--out",
                out.toString()));
        assertEquals(1, Main.run("report", "--features", features.toString(), "--out", out.toString(),
                "--model", "c3d"));
    }

    @Test
    void rendersInHeadlessChromium() throws Exception {
        // kept under target/ so the page and its screenshot can be looked at after the build
        Path work = Path.of("target", "report-test").toAbsolutePath();
        Files.createDirectories(work);
        Path html = work.resolve("report.html");
        ReportInput in = full;
        Files.writeString(html, ReportPage.render(in, null), StandardCharsets.UTF_8);
        HeadlessChromium.Rendered r = HeadlessChromium.render(html, work);
        assertTrue(r.consoleErrors().isEmpty(), "console errors: " + r.consoleErrors());
        String dom = r.dom();
        assertTrue(dom.contains("data-cubist-render=\"ok\""), "the page's script did not finish cleanly: "
                + statusOf(dom));
        assertFalse(dom.contains("data-pwned=\""), "a video path ran as script");
        int n = ReportFixture.CLIPS;
        assertTrue(dom.contains("data-cells=\"" + n * n + "\""), "the similarity matrix was not painted");
        assertTrue(dom.contains("<svg id=\"timeline\""));
        assertTrue(dom.contains("<svg id=\"pca\""));
        assertEquals(n, count(dom, "<circle class=\"pt\""));
        // the screenshot shows a page, not a blank window: many colours and plenty of ink
        assertTrue(r.distinctColours() > 100, "distinct colours " + r.distinctColours());
        assertTrue(r.inkFraction() > 0.03, "non-white fraction " + r.inkFraction());
    }

    @Test
    void theBrowserCheckCatchesABrokenPage() throws Exception {
        Path work = tmp.resolve("broken");
        Files.createDirectories(work);
        ReportInput in = full;
        String good = ReportPage.render(in, null);
        // damaged matrix data: the page's script catches the exception and marks the page as not rendered
        Path damaged = work.resolve("damaged.html");
        Files.writeString(damaged, good.replace("\"cells\":\"", "\"cells\":\"!"), StandardCharsets.UTF_8);
        HeadlessChromium.Rendered r = HeadlessChromium.render(damaged, work.resolve("d"));
        assertTrue(r.dom().contains("data-cubist-render=\"error\""), statusOf(r.dom()));
        // an exception nobody catches reaches the console
        Path thrown = work.resolve("thrown.html");
        Files.writeString(thrown, good.replace("</body>", "<script>null.x;</script></body>"), StandardCharsets.UTF_8);
        HeadlessChromium.Rendered t = HeadlessChromium.render(thrown, work.resolve("t"));
        assertTrue(t.consoleErrors().stream().anyMatch(l -> l.contains("Uncaught TypeError")), t.consoleErrors()
                .toString());
    }

    private static String statusOf(String dom) {
        Matcher m = Pattern.compile("id=\"render-status\"[^>]*>([^<]*)<").matcher(dom);
        return m.find() ? m.group(1) : "(no status element)";
    }

    private static long count(String s, String what) {
        return Pattern.compile(Pattern.quote(what)).matcher(s).results().count();
    }
}
