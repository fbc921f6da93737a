import io.cubist.jobs.cli.Main;
import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.golden.GoldenCases;
import io.cubist.kernels.io.Json;
import io.cubist.kernels.op.OpRunner;
import io.cubist.kernels.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The GPU check that {@code tools/gpu_check.sh} runs on a machine with a GPU (compiled into its bundle, never part of
 * what ships): the devices, every PyTorch golden op case on the {@code opencl} engine, and {@code bench} of the layer
 * set ({@code tools/bench_layers.json}) and of r3d_18 at batch 1 and 8 on it, one markdown table with GFLOP/s, the
 * fraction of the device's FMA peak and what crossed to and from the device per clip.
 *
 * <pre>GpuCheck LAYERS.json [--device opencl:N] [--runs R] [--quick]</pre>
 */
public final class GpuCheck {

    private GpuCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path layers = Path.of(args[0]);
        String device = null;
        int runs = 10;
        boolean quick = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; allowed: --device opencl:N, --runs R, --quick");
            }
        }
        System.out.println("## devices\n");
        Main.run("devices");
        List<String> engine = new ArrayList<>(List.of("--backend", "opencl"));
        if (device != null) {
            engine.addAll(List.of("--devices", device));
        }
        int failed = golden(device);
        System.out.println("\n## bench (" + String.join(" ", engine) + ", " + runs + " runs after warmup)\n");
        System.out.println("| workload | batch | ms median | GFLOP/s | of device peak | device peak GFLOP/s"
                + " | bytes up / clip | bytes down / clip | launches / clip |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> set = (List<Map<String, Object>>) Json.parse(Files.readString(layers));
        for (Map<String, Object> l : quick ? set.subList(0, 1) : set) {
            @SuppressWarnings("unchecked")
            List<Object> chw = (List<Object>) l.get("input");
            StringBuilder shape = new StringBuilder("1");
            chw.forEach(d -> shape.append(',').append(d));
            List<String> a = new ArrayList<>(List.of("bench", "--layer", Json.write(l.get("layer")),
                    "--input-shape", shape.toString(), "--runs", String.valueOf(runs), "--json"));
            a.addAll(engine);
            row((String) l.get("name"), 1, a);
        }
        for (int batch : quick ? new int[] {1} : new int[] {1, 8}) {
            List<String> a = new ArrayList<>(List.of("bench", "--model", "r3d_18", "--batch", String.valueOf(batch),
                    "--runs", String.valueOf(quick ? 1 : Math.max(3, runs / 2)), "--json"));
            a.addAll(engine);
            row("r3d_18", batch, a);
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Every golden op case on the opencl engine; returns the number that failed. */
    private static int golden(String device) {
        EngineRequest r = EngineRequest.of("opencl");
        if (device != null) {
            r = r.withDevices(List.of(device));
        }
        Backend b = Backends.open(r);
        List<GoldenCases.Case> cases = GoldenCases.all();
        int failed = 0;
        double worst = 0;
        String worstCase = "";
        long t0 = System.nanoTime();
        for (GoldenCases.Case c : cases) {
            try {
                Tensor y = OpRunner.run(b, c.spec(), c.readInputs());
                double[] expected = c.expectedValues();
                double ratio = GoldenCases.maxError(expected, y.data()) / GoldenCases.tolerance(expected);
                if (!(ratio <= 1)) {
                    failed++;
                    System.out.println("FAILED " + c.name() + ": max error " + ratio + " x the tolerance");
                }
                if (ratio > worst) {
                    worst = ratio;
                    worstCase = c.name();
                }
            } catch (RuntimeException e) {
                failed++;
                System.out.println("FAILED " + c.name() + ": " + e);
            }
        }
        System.out.printf(Locale.ROOT, "%n## golden op cases on %s%n%n%d cases, %d failed, in %.1f s; largest error"
                + " %.3g x the tolerance (2e-4 x max(1, max|expected|)) in %s%n", b.describe(), cases.size(), failed,
                (System.nanoTime() - t0) / 1e9, worst, worstCase);
        return failed;
    }

    /** One bench run in this JVM, as a table row. */
    private static void row(String name, int batch, List<String> args) {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.run(args.toArray(String[]::new));
        } finally {
            System.setOut(out);
        }
        if (code != 0) {
            System.out.println("| " + name + " | " + batch + " | failed (exit " + code + ") | | | | | | |");
            return;
        }
        Map<String, Object> j = Json.parseObject(buf.toString(StandardCharsets.UTF_8).strip());
        System.out.printf(Locale.ROOT, "| %s | %d | %.3f | %s | %s | %s | %s | %s | %s |%n", name, batch,
                (Double) j.get("ms_median"), num(j.get("gflops"), "%.1f"), pct(j.get("fraction_of_device_peak")),
                num(j.get("device_peak_gflops"), "%.0f"), num(j.get("bytes_to_device_per_clip"), "%.0f"),
                num(j.get("bytes_from_device_per_clip"), "%.0f"), num(j.get("launches_per_clip"), "%.1f"));
    }

    private static String num(Object v, String format) {
        return v instanceof Number n ? String.format(Locale.ROOT, format, n.doubleValue()) : "";
    }

    private static String pct(Object v) {
        return v instanceof Number n ? String.format(Locale.ROOT, "%.1f%%", 100 * n.doubleValue()) : "";
    }
}
