package io.cubist.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code bin/cubist op} as a user runs it: a real launcher process on committed PyTorch golden cases, and bad input
 * that must end in one line on stderr and a non-zero exit.
 */
class OpCommandTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path GOLDEN = ROOT.resolve("conv-kernels/src/test/resources/golden");

    record Result(int code, String stdout, List<String> stderr) {
    }

    static Result cubist(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/cubist").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CUBIST_NO_BUILD", "1"); // Maven has just compiled everything
        Path err = Files.createTempFile("cubist", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/cubist did not finish");
        List<String> errLines = Files.readAllLines(err).stream()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        Files.delete(err);
        return new Result(p.exitValue(), out, errLines);
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference", "cpu"})
    void goldenCaseThroughTheLauncher(String backend, @TempDir Path tmp) throws Exception {
        for (String name : List.of("conv3d_batch2_groups2_stride2_pad1", "conv_transpose3d_dilation3_stride2_outpad2",
                "deform_conv3d_groups2_offset_groups2_mask_nobias")) {
            Path out = tmp.resolve(name + ".out.safetensors");
            Result r = cubist("op", "--spec", GOLDEN.resolve(name + ".json").toString(), "--in",
                    GOLDEN.resolve(name + ".safetensors").toString(), "--out", out.toString(), "--backend", backend);
            assertEquals(0, r.code(), name + ": " + r.stderr());
            TensorFile got = SafeTensors.read(out);
            TensorFile want = SafeTensors.read(GOLDEN.resolve(name + ".expected.safetensors"));
            assertEquals(List.of("output"), got.names());
            assertEquals(backend, got.metadata().get("backend"));
            assertArrayEquals(want.shape("output"), got.shape("output"));
            double[] e = want.getDoubles("output");
            float[] a = got.get("output").data();
            double maxAbs = 0;
            double err = 0;
            for (int i = 0; i < e.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(e[i]));
                err = Math.max(err, Math.abs(e[i] - a[i]));
            }
            double tol = 2e-4 * Math.max(1, maxAbs);
            assertTrue(err <= tol, name + " via bin/cubist on " + backend + ": max error " + err + " > " + tol);
        }
    }

    @Test
    void badInputIsOneClearLine(@TempDir Path tmp) throws Exception {
        String conv = "conv3d_batch2_groups2_stride2_pad1";
        Path in = GOLDEN.resolve(conv + ".safetensors");
        Path out = tmp.resolve("o.safetensors");
        String[][] cases = {
            {"{\"op\":\"conv3d\",\"args\":{\"strides\":2}}", "unknown argument 'strides'"},
            {"{\"op\":\"conv9d\"}", "unknown op 'conv9d'"},
            {"{\"op\":\"conv3d\",\"args\":{\"groups\":3}}", "must be divisible by groups (3)"},
            {"{\"op\":\"conv2d\"}", "weight must have rank 4"},
            {"{\"op\":\"conv3d\",\"args\":{\"padding\":\"same\",\"stride\":2}}", "padding='same' is not supported"},
            {"{\"op\":\"conv3d\",\"args\":{\"stride\":[1,2]}}", "conv3d: stride must be an int or a list of 3 ints"},
            {"{\"op\":\"conv3d\",", "invalid JSON"},
            {"{\"op\":\"relu\"}", "unexpected input tensor 'weight'"},
        };
        for (String[] c : cases) {
            Path spec = tmp.resolve("spec.json");
            Files.writeString(spec, c[0]);
            Result r = cubist("op", "--spec", spec.toString(), "--in", in.toString(), "--out", out.toString());
            assertTrue(r.code() != 0, c[0] + " should fail");
            assertEquals(1, r.stderr().size(), c[0] + " should print one line, printed " + r.stderr());
            assertTrue(r.stderr().get(0).contains(c[1]), c[0] + ": '" + r.stderr().get(0) + "' should say " + c[1]);
            assertFalse(Files.exists(out), "no output is written on failure");
        }
        Result flag = cubist("op", "--spec", "x.json", "--bogus", "1");
        assertEquals(2, flag.code());
        assertTrue(flag.stderr().get(0).contains("unknown flag --bogus; allowed: --spec, --in, --out, --backend"),
                flag.stderr().toString());
        Result backend = cubist("op", "--spec", GOLDEN.resolve(conv + ".json").toString(), "--in", in.toString(),
                "--out", out.toString(), "--backend", "tpu");
        assertEquals(2, backend.code(), "a backend that does not exist is a usage error");
        assertTrue(backend.stderr().get(0).contains("unknown backend 'tpu'; known backends:"),
                backend.stderr().toString());
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Result r = cubist("--help");
        assertEquals(0, r.code());
        assertTrue(r.stdout().contains("op ") && r.stdout().contains("backends"), r.stdout());
        Result op = cubist("op", "--help");
        assertEquals(0, op.code());
        assertTrue(op.stdout().contains("usage: cubist op --spec SPEC.json"), op.stdout());
    }
}
