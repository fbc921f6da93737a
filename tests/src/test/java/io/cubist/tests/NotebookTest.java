package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cubist.kernels.io.Json;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code notebooks/cubist-explore.zpln} is a Zeppelin note, and every one of its {@code %spark} paragraphs runs, in
 * order, in Spark's Scala REPL ({@link NotebookRepl}, a JVM of its own with the launcher's class path and JVM flags,
 * {@code spark} on local[2], no Zeppelin context {@code z}) and prints what it should.
 */
class NotebookTest {
    static final Path NOTE = OpCommandTest.ROOT.resolve("notebooks/cubist-explore.zpln");
    static final Pattern MARKER = Pattern.compile("<<<paragraph (\\d+) (begin|end: (\\w+))>>>");
    static final String NUM = "(-?\\d+(?:\\.\\d+)?(?:E-?\\d+)?)";
    /** The sample videos sampled at 8 fps in 4-frame clips: 29.6 s, 30 s and 12 s. */
    static final Map<String, Integer> CLIPS = Map.of("tree.avi", 59, "vtest.mp4", 60, "vtest-vp9.webm", 24);

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> paragraphs() throws IOException {
        Map<String, Object> note = Json.parseObject(Files.readString(NOTE, StandardCharsets.UTF_8));
        return (List<Map<String, Object>>) note.get("paragraphs");
    }

    /** The code of the {@code %spark} paragraphs, without their interpreter line, in order. */
    static List<String> sparkParagraphs() throws IOException {
        List<String> code = new ArrayList<>();
        for (Map<String, Object> p : paragraphs()) {
            String text = (String) p.get("text");
            if (text.startsWith("%spark\n")) {
                code.add(text.substring("%spark\n".length()));
            }
        }
        return code;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theNoteIsAZeppelinNoteOfMarkdownAndSparkParagraphs() throws IOException {
        Map<String, Object> note = Json.parseObject(Files.readString(NOTE, StandardCharsets.UTF_8));
        assertEquals("spark", note.get("defaultInterpreterGroup"));
        assertEquals("cubist-explore", note.get("name"));
        assertTrue(note.get("id") instanceof String id && !id.isBlank());
        Set<String> ids = new HashSet<>();
        int md = 0;
        int spark = 0;
        for (Map<String, Object> p : paragraphs()) {
            String text = (String) p.get("text");
            assertTrue(ids.add((String) p.get("id")), "duplicate paragraph id " + p.get("id"));
            assertTrue(p.get("config") instanceof Map && p.get("settings") instanceof Map, p.toString());
            Map<String, Object> config = (Map<String, Object>) p.get("config");
            // every paragraph is one the REPL test runs or markdown: nothing goes untested
            if (text.startsWith("%md\n")) {
                md++;
                assertEquals("ace/mode/markdown", config.get("editorMode"));
            } else if (text.startsWith("%spark\n")) {
                spark++;
                assertEquals("ace/mode/scala", config.get("editorMode"));
                assertFalse(Pattern.compile("\\bz\\.").matcher(text).find(), "uses the Zeppelin context: " + text);
            } else {
                fail("a paragraph neither %md nor %spark: " + text);
            }
        }
        assertEquals(8, spark);
        assertTrue(md >= spark, md + " markdown paragraphs for " + spark + " code paragraphs");
    }

    @Test
    void everySparkParagraphRunsInSparksScalaRepl(@TempDir Path tmp) throws Exception {
        List<String> code = sparkParagraphs();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < code.size(); i++) {
            Path f = tmp.resolve("paragraph-" + (i + 1) + ".scala");
            Files.writeString(f, code.get(i), StandardCharsets.UTF_8);
            files.add(f.toString());
        }
        Path tmpdir = Files.createDirectories(tmp.resolve("tmpdir"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx2g");
        cmd.addAll(SparkStandaloneCluster.jvmFlags());
        cmd.add("-Djava.io.tmpdir=" + tmpdir);
        cmd.add("-Dlog4j2.configurationFile=" + OpCommandTest.ROOT.resolve("conf/log4j2.properties"));
        cmd.add("-cp");
        cmd.add(String.join(":", SparkStandaloneCluster.launcherClassPath(), jarOf(NotebookRepl.class),
                jarOf(scala.tools.nsc.interpreter.IMain.class), jarOf(scala.reflect.api.Universe.class)));
        cmd.add(NotebookRepl.class.getName());
        cmd.addAll(files);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("CUBIST_HOME", OpCommandTest.ROOT.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Path stdout = tmp.resolve("stdout.txt");
        Path stderr = tmp.resolve("stderr.txt");
        pb.redirectOutput(stdout.toFile());
        pb.redirectError(stderr.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(9, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("the note did not finish in 9 minutes\n" + tail(stdout) + "\n" + tail(stderr));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        String context = "\n--- stdout (tail)\n" + tail(stdout) + "\n--- stderr (tail)\n" + tail(stderr);
        Map<Integer, String> chunks = new TreeMap<>();
        Matcher m = MARKER.matcher(out);
        int begin = -1;
        while (m.find()) {
            int n = Integer.parseInt(m.group(1));
            if (m.group(2).equals("begin")) {
                begin = m.end();
            } else {
                assertEquals("Success", m.group(3), "paragraph " + n + " failed:\n" + code.get(n - 1) + context);
                chunks.put(n, out.substring(begin, m.start()));
            }
        }
        assertEquals(0, p.exitValue(), context);
        assertEquals(code.size(), chunks.size(), "paragraphs run" + context);
        System.out.printf("NotebookTest: %d paragraphs ran in the REPL in %.1f s%n", code.size(), seconds);

        // 1: settings
        assertTrue(chunks.get(1).contains("videos: " + OpCommandTest.ROOT.resolve("samples/videos").toRealPath()),
                chunks.get(1));
        // 2: the extract, read back
        int total = CLIPS.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(chunks.get(2).contains(total + " clips from 3 videos"), chunks.get(2) + context);
        assertTrue(chunks.get(2).contains("|-- feature: array"), chunks.get(2));
        // 3: the table
        String table = chunks.get(3);
        assertTrue(Pattern.compile("\\|name\\s*\\|clip\\|start_sec\\|end_sec\\|model\\s*\\|dim\\|").matcher(table)
                .find(), table);
        assertTrue(table.contains("|r3d_18@4-8-8-16|16 |"), table);
        for (Map.Entry<String, Integer> e : CLIPS.entrySet()) {
            assertTrue(Pattern.compile("\\|" + Pattern.quote(e.getKey()) + "\\s*\\|" + e.getValue() + "\\s*\\|")
                    .matcher(table).find(), e + "\n" + table);
        }
        assertTrue(table.contains("videos that could not be processed:\n+-----+-----+-----+-------+\n"
                + "|video|stage|error|message|\n+-----+-----+-----+-------+\n+-----+-----+-----+-------+"), table);
        // 4 and 5: the nearest clips, by the helper and in SQL: the same five rows, ranked
        List<String[]> nearest = rows(chunks.get(4), "\\|(\\S+)\\s*\\|(\\d+)\\s*\\|" + NUM + "\\s*\\|" + NUM
                + "\\s*\\|");
        assertEquals(5, nearest.size(), chunks.get(4));
        double previous = 1;
        for (String[] r : nearest) {
            double s = Double.parseDouble(r[3]);
            assertTrue(s >= -1 && s <= previous, "similarities ranked in [-1, 1]: " + chunks.get(4));
            assertFalse(r[0].equals("vtest.mp4") && r[1].equals("10"), "the query clip itself: " + chunks.get(4));
            previous = s;
        }
        List<String[]> sql = rows(chunks.get(5), "\\|(\\S+)\\s*\\|(\\d+)\\s*\\|" + NUM + "\\s*\\|" + NUM + "\\s*\\|");
        assertEquals(5, sql.size(), chunks.get(5));
        for (int i = 0; i < 5; i++) {
            assertEquals(List.of(nearest.get(i)), List.of(sql.get(i)), "helper vs SQL:\n" + chunks.get(4)
                    + chunks.get(5));
        }
        // 6: the similarity timeline, as text and as a %table
        String timeline = chunks.get(6);
        for (Map.Entry<String, Integer> e : CLIPS.entrySet()) {
            assertTrue(Pattern.compile("(?m)^" + Pattern.quote(e.getKey()) + ": " + (e.getValue() - 1) + " steps,")
                    .matcher(timeline).find(), e + "\n" + timeline);
        }
        List<String[]> steps = rows(timeline, "(?m)^  clip\\s+(\\d+) at\\s+" + NUM + " s\\s+" + NUM + "\\s+#*$");
        assertEquals(total - 3, steps.size(), timeline);
        for (String[] s : steps) {
            double v = Double.parseDouble(s[2]);
            assertTrue(v >= -1 && v <= 1, String.join(" ", s));
        }
        List<String> timelineTable = tableRows(timeline, "%table name\tstart_sec\tsimilarity");
        assertEquals(total - 3, timelineTable.size(), timeline);
        // 7: PCA
        String pca = chunks.get(7);
        Matcher explained = Pattern.compile("PC1 explains " + NUM + "% of the variance, PC2 " + NUM + "%")
                .matcher(pca);
        assertTrue(explained.find(), pca);
        double pc1 = Double.parseDouble(explained.group(1));
        double pc2 = Double.parseDouble(explained.group(2));
        assertTrue(pc1 >= pc2 && pc2 >= 0 && pc1 + pc2 <= 100.1, pca);
        assertTrue(Pattern.compile("\\|name\\s*\\|clip\\|start_sec\\|x\\s*\\|y\\s*\\|").matcher(pca).find(), pca);
        List<String> points = tableRows(pca, "%table x\ty\tvideo");
        assertEquals(total, points.size(), pca);
        Set<String> videos = new HashSet<>();
        for (String row : points) {
            String[] f = row.split("\t");
            assertEquals(3, f.length, row);
            assertTrue(Double.isFinite(Double.parseDouble(f[0])) && Double.isFinite(Double.parseDouble(f[1])), row);
            videos.add(f[2]);
        }
        assertEquals(CLIPS.keySet(), videos);
        // 8: the Spark ML stage and KMeans on its vectors
        String clusters = chunks.get(8);
        Matcher sizes = Pattern.compile("clips per cluster: (\\d+) (\\d+) (\\d+)").matcher(clusters);
        assertTrue(sizes.find(), clusters);
        int clustered = 0;
        for (int i = 1; i <= 3; i++) {
            clustered += Integer.parseInt(sizes.group(i));
        }
        assertEquals(CLIPS.get("vtest.mp4"), clustered, clusters);
        assertTrue(Pattern.compile("\\|clip\\|start_sec\\|end_sec\\|prediction\\|").matcher(clusters).find(), clusters);
    }

    /** The groups of every match of {@code regex} in {@code text}. */
    static List<String[]> rows(String text, String regex) {
        List<String[]> rows = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            String[] g = new String[m.groupCount()];
            for (int i = 0; i < g.length; i++) {
                g[i] = m.group(i + 1);
            }
            rows.add(g);
        }
        return rows;
    }

    /** The lines after a {@code %table} header up to the first line without a tab. */
    static List<String> tableRows(String text, String header) {
        int at = text.indexOf(header + "\n");
        assertTrue(at >= 0, "no '" + header.replace("\t", "\\t") + "' in\n" + text);
        List<String> rows = new ArrayList<>();
        for (String line : text.substring(at + header.length() + 1).split("\n")) {
            if (!line.contains("\t")) {
                break;
            }
            rows.add(line);
        }
        return rows;
    }

    static String jarOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    static String tail(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.substring(Math.max(0, s.length() - 6000));
        } catch (IOException e) {
            return "(no " + file.getFileName() + ")";
        }
    }
}
