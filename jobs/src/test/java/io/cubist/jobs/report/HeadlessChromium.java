package io.cubist.jobs.report;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens a local HTML file in headless Chromium (Debian's {@code chromium}) twice: once for a screenshot, once for the
 * DOM after the page's scripts ran. Console messages, which Chromium logs to stderr with
 * {@code --enable-logging=stderr}, are collected too (uncaught exceptions among them).
 *
 * <p>Where no Chromium is installed the calling test is skipped with a message, unless
 * {@code CUBIST_REQUIRE_CHROMIUM=1} (set by {@code .ci/run}, which installs it), where it fails.
 */
final class HeadlessChromium {
    private static final long TIMEOUT_SEC = 120;

    record Rendered(String dom, List<String> consoleErrors, int distinctColours, double inkFraction) {
    }

    private HeadlessChromium() {
    }

    static Path find() {
        List<String> names = new ArrayList<>();
        String prop = System.getProperty("cubist.chromium", System.getenv("CUBIST_CHROMIUM"));
        if (prop != null && !prop.isBlank()) {
            names.add(prop);
        }
        names.addAll(List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"));
        for (String n : names) {
            if (n.contains(File.separator)) {
                if (Files.isExecutable(Path.of(n))) {
                    return Path.of(n);
                }
                continue;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
                Path p = Path.of(dir, n);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    static Rendered render(Path html, Path work) throws IOException, InterruptedException {
        Path chromium = find();
        if (chromium == null) {
            String why = "no chromium on PATH (apt-get install chromium, or -Dcubist.chromium=PATH)";
            if ("1".equals(System.getenv("CUBIST_REQUIRE_CHROMIUM"))) {
                fail(why + "; CUBIST_REQUIRE_CHROMIUM=1 requires the browser test");
            }
            Assumptions.abort(why + ": the browser rendering test did not run");
        }
        Files.createDirectories(work);
        Path png = work.resolve("screenshot.png");
        List<String> errors = new ArrayList<>();
        run(chromium, work, "shot", List.of("--screenshot=" + png, "--window-size=1280,2600"), html, errors);
        String dom = run(chromium, work, "dom", List.of("--dump-dom"), html, errors);
        assertTrue(Files.size(png) > 0, "no screenshot written to " + png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null, "the screenshot is not a readable PNG: " + png);
        Set<Integer> colours = new HashSet<>();
        long ink = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                if (rgb != 0xffffff) {
                    ink++;
                }
            }
        }
        return new Rendered(dom, errors, colours.size(), (double) ink / ((long) img.getWidth() * img.getHeight()));
    }

    private static String run(Path chromium, Path work, String tag, List<String> mode, Path html, List<String> errors)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless=new", "--disable-gpu",
                "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
                "--user-data-dir=" + work.resolve("profile-" + tag), "--enable-logging=stderr", "--v=0"));
        cmd.addAll(mode);
        cmd.add(html.toUri().toString());
        Path out = work.resolve(tag + ".out");
        Path err = work.resolve(tag + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_SEC, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("chromium did not finish within " + TIMEOUT_SEC + " s: " + cmd);
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail("chromium exited " + p.exitValue() + ": " + cmd + "\n" + stderr);
        }
        for (String line : stderr.split("\n")) {
            // [..:INFO:CONSOLE:1] "Uncaught TypeError: ...", source: file:///...report.html (1). Chromium logs
            // console.error and console.log alike at INFO; the report logs nothing, so every console line counts.
            if (line.contains(":CONSOLE")) {
                errors.add(line.strip());
            }
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
