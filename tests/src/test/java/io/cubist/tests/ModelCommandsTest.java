package io.cubist.tests;

import static io.cubist.tests.OpCommandTest.ROOT;
import static io.cubist.tests.OpCommandTest.cubist;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code bin/cubist summary} and {@code bin/cubist embed} as a user runs them: torchvision's totals, the CI-sized
 * golden models through the launcher, and bad input ending in a clear message and a non-zero exit.
 */
class ModelCommandsTest {
    static final Path GOLDEN = ROOT.resolve("pipeline/src/test/resources/golden-models");
    static final String R3D = "r3d_18_w4-8-8-16";

    @ParameterizedTest
    @CsvSource({"r3d_18, '33,371,472', 40.70", "mc3_18, '11,695,440', 43.34", "r2plus1d_18, '31,505,325', 40.52"})
    void summaryTotalsAreTorchvisions(String model, String params, String gmacs) throws Exception {
        OpCommandTest.Result r = cubist("summary", "--model", model);
        assertEquals(0, r.code(), r.stderr().toString());
        assertTrue(r.stdout().contains("total parameters  " + params), r.stdout());
        assertTrue(r.stdout().contains("(" + gmacs + " GMACs"), r.stdout());
        assertTrue(r.stdout().contains("\nfc "), r.stdout());
    }

    @Test
    void summaryTakesAnInputShapeAndWidths() throws Exception {
        OpCommandTest.Result r = cubist("summary", "--model", "r3d_18", "--input-shape", "2,3,8,64,64", "--widths",
                "4,8,8,16");
        assertEquals(0, r.code(), r.stderr().toString());
        assertTrue(r.stdout().contains("[2, 16, 1, 4, 4]"), r.stdout());
        assertTrue(r.stdout().contains("fc") && r.stdout().contains("[2, 400]"), r.stdout());
        OpCommandTest.Result bad = cubist("summary", "--model", "r3d_18", "--input-shape", "1,3,16,112");
        assertEquals(2, bad.code());
        assertEquals(List.of("cubist summary: --input-shape must be 5 comma-separated integers >= 1, got"
                + " '1,3,16,112'"), bad.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"summary", "embed"})
    void unknownModelListsTheKnownOnes(String command, @TempDir Path tmp) throws Exception {
        OpCommandTest.Result r = command.equals("summary") ? cubist("summary", "--model", "resnet50")
                : cubist("embed", "--model", "resnet50", "--clips", GOLDEN.resolve(R3D + ".clips.safetensors")
                        .toString(), "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(1, r.code());
        assertEquals(List.of("cubist " + command + ": unknown model 'resnet50'; known models: "
                + String.join(", ", io.cubist.pipeline.model.zoo.ModelZoo.names())), r.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference", "cpu"})
    void embedMatchesPyTorch(String backend, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.safetensors");
        OpCommandTest.Result r = cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--weights",
                GOLDEN.resolve(R3D + ".weights.safetensors").toString(), "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString(), "--backend", backend,
                "--batch-size", "1");
        assertEquals(0, r.code(), r.stderr().toString());
        TensorFile got = SafeTensors.read(out);
        TensorFile want = SafeTensors.read(GOLDEN.resolve(R3D + ".expected.safetensors"));
        assertEquals(List.of("features", "logits"), got.names());
        assertEquals(backend, got.metadata().get("backend"));
        assertEquals("r3d_18", got.metadata().get("model"));
        for (String k : List.of("features", "logits")) {
            assertArrayEquals(want.shape(k), got.shape(k), k);
            double rel = relL2(want.getDoubles(k), got.get(k).data());
            assertTrue(rel <= 1e-4, k + ": relative L2 error " + rel);
        }
    }

    @Test
    void embedReadsPthCheckpoints(@TempDir Path tmp) throws Exception {
        String name = "r2plus1d_18_w4-8-8-16";
        Path out = tmp.resolve("out.safetensors");
        OpCommandTest.Result r = cubist("embed", "--model", "r2plus1d_18", "--widths", "4,8,8,16", "--weights",
                GOLDEN.resolve(name + ".weights.pth").toString(), "--clips",
                GOLDEN.resolve(name + ".clips.safetensors").toString(), "--out", out.toString(), "--batch-size", "2");
        assertEquals(0, r.code(), r.stderr().toString());
        TensorFile got = SafeTensors.read(out);
        TensorFile want = SafeTensors.read(GOLDEN.resolve(name + ".expected.safetensors"));
        for (String k : List.of("features", "logits")) {
            double rel = relL2(want.getDoubles(k), got.get(k).data());
            assertTrue(rel <= 1e-4, k + ": relative L2 error " + rel);
        }
    }

    @Test
    void embedWithoutWeightsWarnsLoudly(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.safetensors");
        OpCommandTest.Result r = cubist("embed", "--model", "mc3_18", "--widths", "4,8,8,16", "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.stderr().toString());
        assertTrue(r.stderr().get(0).contains("WARNING: no --weights given: mc3_18 runs on random weights"),
                r.stderr().toString());
        assertTrue(r.stderr().get(0).contains("features mean nothing"), r.stderr().toString());
        TensorFile got = SafeTensors.read(out);
        assertArrayEquals(new int[] {2, 16}, got.shape("features"));
        assertArrayEquals(new int[] {2, 400}, got.shape("logits"));
        assertTrue(got.metadata().get("weights").startsWith("random weights (seed "));
    }

    @Test
    void mismatchedWeightsAreListedByKey(@TempDir Path tmp) throws Exception {
        Map<String, Tensor> w = new LinkedHashMap<>(SafeTensors.read(GOLDEN.resolve(R3D + ".weights.safetensors"))
                .getAll());
        w.remove("layer1.0.conv1.0.weight");
        w.put("layer4.1.conv2.0.weight", Tensor.zeros(16, 16, 1, 3, 3));
        w.put("extra.weight", Tensor.zeros(3));
        Path bad = tmp.resolve("bad.safetensors");
        SafeTensors.write(bad, w, Map.of());
        Path out = tmp.resolve("out.safetensors");
        OpCommandTest.Result r = cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--weights",
                bad.toString(), "--clips", GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out",
                out.toString());
        assertEquals(1, r.code());
        String err = String.join("\n", r.stderr());
        assertTrue(r.stderr().get(0).startsWith("cubist embed: the weights in " + bad + " do not fit r3d_18:"
                + " 1 missing, 1 unexpected, 1 with the wrong shape"), err);
        assertTrue(err.contains("missing     layer1.0.conv1.0.weight  expected [4, 4, 3, 3, 3]"), err);
        assertTrue(err.contains("shape       layer4.1.conv2.0.weight  expected [16, 16, 3, 3, 3], got"
                + " [16, 16, 1, 3, 3]"), err);
        assertTrue(err.contains("unexpected  extra.weight  [3]"), err);
        assertFalse(Files.exists(out), "no output on failure");
        assertEquals(5, r.stderr().size(), "a summary line, one line per problem and a hint: " + err);

        // the wrong model for the checkpoint: mc3_18's later stages are 1x3x3
        OpCommandTest.Result other = cubist("embed", "--model", "mc3_18", "--widths", "4,8,8,16", "--weights",
                GOLDEN.resolve(R3D + ".weights.safetensors").toString(), "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString());
        assertEquals(1, other.code());
        assertTrue(other.stderr().contains("  shape       layer2.0.conv1.0.weight  expected [8, 4, 1, 3, 3], got"
                + " [8, 4, 3, 3, 3]"), other.stderr().toString());
    }

    @Test
    void badClipsAndFlagsAreOneLine(@TempDir Path tmp) throws Exception {
        Path clips = tmp.resolve("clips.safetensors");
        SafeTensors.write(clips, Map.of("video", Tensor.zeros(2, 16, 3, 8, 8)), Map.of());
        Path out = tmp.resolve("o.safetensors");
        OpCommandTest.Result shape = cubist("embed", "--model", "r3d_18", "--clips", clips.toString(), "--out",
                out.toString());
        assertEquals(1, shape.code());
        assertEquals(List.of("cubist embed: " + clips + ": 'video' must be clips [N, 3, T, H, W], got"
                + " [2, 16, 3, 8, 8]"), shape.stderr());

        OpCommandTest.Result threads = cubist("embed", "--model", "r3d_18", "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString(), "--backend",
                "reference", "--threads", "2", "--widths", "4,8,8,16");
        assertEquals(2, threads.code());
        assertEquals(List.of("cubist embed: --threads applies to the cpu backend, not 'reference'"),
                threads.stderr());

        OpCommandTest.Result help = cubist("embed", "--help");
        assertEquals(0, help.code());
        assertTrue(help.stdout().contains("usage: cubist embed --model NAME"), help.stdout());
    }

    /** --layer through the launcher: the golden intermediate outputs (PyTorch forward hooks), as maps and pooled. */
    @Test
    void embedLayersMatchPyTorch(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.safetensors");
        OpCommandTest.Result r = cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--weights",
                GOLDEN.resolve(R3D + ".weights.safetensors").toString(), "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString(), "--layer",
                "layer3,layer1.0.conv1.1", "--pool", "none");
        assertEquals(0, r.code(), r.stderr().toString());
        TensorFile got = SafeTensors.read(out);
        TensorFile want = SafeTensors.read(GOLDEN.resolve(R3D + ".layers.safetensors"));
        assertEquals(List.of("features", "logits", "layer/layer3", "layer/layer1.0.conv1.1"), got.names());
        for (String k : List.of("layer3", "layer1.0.conv1.1")) {
            assertArrayEquals(want.shape(k), got.shape("layer/" + k), k);
            double rel = relL2(want.getDoubles(k), got.get("layer/" + k).data());
            assertTrue(rel <= 1e-4, k + ": relative L2 error " + rel);
        }
        Path pooled = tmp.resolve("pooled.safetensors");
        assertEquals(0, cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", pooled.toString(), "--layer",
                "layer3").code());
        assertArrayEquals(new int[] {2, 8}, SafeTensors.read(pooled).shape("layer/layer3"));

        OpCommandTest.Result wrong = cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", pooled.toString(), "--layer",
                "layer3.2");
        assertEquals(1, wrong.code());
        assertEquals(1, wrong.stderr().size(), wrong.stderr().toString());
        assertTrue(wrong.stderr().get(0).startsWith("cubist embed: r3d_18 has no layer 'layer3.2'; the closest:"
                + " layer3.0, layer3.1"), wrong.stderr().toString());
        OpCommandTest.Result list = cubist("summary", "--model", "i3d", "--layers");
        assertEquals(0, list.code());
        assertTrue(list.stdout().contains("Mixed_4f\n") && list.stdout().contains("Mixed_5c.b1b\n"), list.stdout());
    }

    /**
     * --views 3 and 10 on clips of the resized size: each view is the model run on that crop (taken here by hand,
     * mirrored for views 5-9 of 10) and written with a view axis.
     */
    @Test
    void embedViewsAreTheCropsOfTheResizedClips(@TempDir Path tmp) throws Exception {
        int h = 128;
        int w = 171;
        float[] d = new float[3 * 4 * h * w];
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian();
        }
        Path clips = tmp.resolve("clips.safetensors");
        SafeTensors.write(clips, Map.of("clips", new Tensor(d, 1, 3, 4, h, w)), Map.of());
        // mc3_18's preset crops 112x112: 3-crop left at 0, 30, 59; 10-crop corners and center (8, 30)
        int[][] at = {{8, 0}, {8, 30}, {8, 59}, {0, 0}, {0, 59}, {16, 0}, {16, 59}, {8, 30}};
        boolean[] mirror = new boolean[at.length];
        Path crops = tmp.resolve("crops.safetensors");
        float[] all = new float[at.length * 3 * 4 * 112 * 112];
        for (int v = 0; v < at.length; v++) {
            for (int p = 0; p < 12; p++) {
                for (int y = 0; y < 112; y++) {
                    for (int x = 0; x < 112; x++) {
                        all[((v * 12 + p) * 112 + y) * 112 + x] = d[(p * h + at[v][0] + y) * w + at[v][1] + x];
                    }
                }
            }
        }
        SafeTensors.write(crops, Map.of("clips", new Tensor(all, at.length, 3, 4, 112, 112)), Map.of());
        Path want = tmp.resolve("want.safetensors");
        String[] common = {"embed", "--model", "mc3_18", "--widths", "4,8,8,16", "--backend", "cpu", "--threads", "1"};
        OpCommandTest.Result plain = cubist(concat(common, "--clips", crops.toString(), "--out", want.toString()));
        assertEquals(0, plain.code(), plain.stderr().toString());
        float[] wf = SafeTensors.read(want).get("features").data();

        Path three = tmp.resolve("three.safetensors");
        OpCommandTest.Result r3 = cubist(concat(common, "--clips", clips.toString(), "--out", three.toString(),
                "--views", "3"));
        assertEquals(0, r3.code(), r3.stderr().toString());
        Tensor f3 = SafeTensors.read(three).get("features");
        assertArrayEquals(new int[] {1, 3, 16}, f3.shape());
        for (int v = 0; v < 3; v++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(wf, v * 16, v * 16 + 16),
                    java.util.Arrays.copyOfRange(f3.data(), v * 16, v * 16 + 16), 1e-5f, "view " + v);
        }
        Path ten = tmp.resolve("ten.safetensors");
        assertEquals(0, cubist(concat(common, "--clips", clips.toString(), "--out", ten.toString(), "--views",
                "10")).code());
        Tensor f10 = SafeTensors.read(ten).get("features");
        assertArrayEquals(new int[] {1, 10, 16}, f10.shape());
        for (int v = 0; v < 5; v++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(wf, (3 + v) * 16, (4 + v) * 16),
                    java.util.Arrays.copyOfRange(f10.data(), v * 16, v * 16 + 16), 1e-5f, "view " + v);
        }
        // a mirrored view differs from its unmirrored crop (the model is not mirror-symmetric)
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(f10.data(), 0, 16),
                java.util.Arrays.copyOfRange(f10.data(), 5 * 16 + 16, 5 * 16 + 32)));
        OpCommandTest.Result small = cubist(concat(common, "--clips", GOLDEN.resolve(R3D + ".clips.safetensors")
                .toString(), "--out", ten.toString(), "--views", "3"));
        assertEquals(2, small.code());
        assertTrue(small.stderr().get(0).contains("out of the clips, which are 24x28; give the resized frames"),
                small.stderr().toString());
    }

    /** --top-k: Kinetics-400's names for a 400-class classifier, most likely first; indices for 10 classes. */
    @Test
    void embedTopKNamesTheClasses(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.safetensors");
        OpCommandTest.Result r = cubist("embed", "--model", "mc3_18", "--widths", "4,8,8,16", "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString(), "--top-k", "3");
        assertEquals(0, r.code(), r.stderr().toString());
        List<String> lines = r.stdout().lines().toList();
        assertEquals(2, lines.size(), r.stdout());
        List<String> names = Files.readAllLines(ROOT.resolve("conf/labels/kinetics400.txt"));
        Tensor logits = SafeTensors.read(out).get("logits");
        int best = 0;
        for (int c = 1; c < 400; c++) {
            best = logits.data()[c] > logits.data()[best] ? c : best;
        }
        assertTrue(lines.get(0).startsWith("clip 0:  " + names.get(best) + " 0."), lines.get(0));
        assertEquals(3, lines.get(1).split(" 0\\.\\d{4}").length, lines.get(1));

        OpCommandTest.Result ten = cubist("embed", "--model", "r3d_18", "--widths", "4,8,8,16", "--weights",
                GOLDEN.resolve(R3D + ".weights.safetensors").toString(), "--clips",
                GOLDEN.resolve(R3D + ".clips.safetensors").toString(), "--out", out.toString(), "--top-k", "2");
        assertEquals(0, ten.code(), ten.stderr().toString());
        assertTrue(ten.stdout().startsWith("clip 0:  class "), ten.stdout());
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static double relL2(double[] e, float[] a) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < e.length; i++) {
            num += (a[i] - e[i]) * (a[i] - e[i]);
            den += e[i] * e[i];
        }
        return Math.sqrt(num / den);
    }
}
