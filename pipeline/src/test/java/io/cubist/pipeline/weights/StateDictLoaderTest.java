package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints written by torch.save, and safetensors of the same tensors, load to PyTorch's values bit for bit. */
class StateDictLoaderTest {
    private static final List<String> SMALL_KEYS = List.of("conv.weight", "conv.bias", "bn.weight", "bn.bias",
            "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias");

    @ParameterizedTest
    @CsvSource({
        "small.pth, small, F32",
        "small_p4.pth, small, F32",
        "zip64.pth, small, F32",
        "small.safetensors, small, F32",
        "small_f16.pth, small_f16, F16",
        "small_f16.safetensors, small_f16, F16",
        "small_bf16.pth, small_bf16, BF16",
        "small_bf16.safetensors, small_bf16, BF16",
        "small_f64.pth, small_f64, F64",
        "small_f64.safetensors, small_f64, F64",
    })
    void loadsTheValuesPyTorchSaved(String file, String expected, DType dtype) {
        StateDict sd = StateDictLoader.load(Fixtures.path(file));
        Fixtures.assertSameTensors(Fixtures.expected(expected), sd);
        assertEquals(SMALL_KEYS, sd.keys());
        assertEquals(dtype, sd.dtype("conv.weight"));
        assertEquals(DType.I64, sd.dtype("bn.num_batches_tracked"));
        assertArrayEquals(new int[0], sd.shape("bn.num_batches_tracked"));
        assertEquals(7f, sd.get("bn.num_batches_tracked").data()[0]);
        assertArrayEquals(new int[] {4, 3, 1, 3, 3}, sd.shape("conv.weight"));
        assertEquals(Fixtures.path(file).toString(), sd.source("fc.bias"));
        assertEquals(Fixtures.path(file).toString(), sd.source());
    }

    @Test
    void nonContiguousSharedAndExpandedViewsAreCopiedRowMajor() {
        StateDict sd = StateDictLoader.load(Fixtures.path("views.pth"));
        Fixtures.assertSameTensors(Fixtures.expected("views"), sd);
        // x = arange(12).reshape(3, 4) / 8 - 0.5; x.t() in row-major order starts down x's first column.
        float[] t = sd.get("transposed").data();
        assertArrayEquals(new float[] {-0.5f, 0f, 0.5f, -0.375f, 0.125f, 0.625f}, java.util.Arrays.copyOf(t, 6));
        // shared_a = base[2:8], shared_b = base[5:17]: both see base[5].
        assertEquals(sd.get("shared_a").data()[3], sd.get("shared_b").data()[0]);
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f}, java.util.Arrays.copyOf(sd.get("expanded").data(), 4));
        assertArrayEquals(new int[] {0, 3}, sd.shape("empty"));
        assertArrayEquals(new int[] {4, 2, 3}, sd.shape("permuted"));
    }

    @Test
    void parametersAreReadAsTheirData() {
        StateDict sd = StateDictLoader.load(Fixtures.path("params.pth"));
        StateDict plain = StateDictLoader.load(Fixtures.path("small.pth"));
        assertEquals(List.of("conv.weight", "conv.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias"), sd.keys());
        for (String k : sd.keys()) {
            assertArrayEquals(plain.get(k).data(), sd.get(k).data(), k);
        }
    }

    @Test
    void aTrainingCheckpointIsReadFromItsStateDictEntry() {
        StateDict sd = StateDictLoader.load(Fixtures.path("checkpoint.pth"));
        Fixtures.assertSameTensors(Fixtures.expected("checkpoint"), sd);
    }

    /**
     * Checkpoints as training code writes them: PyTorchVideo's {@code .pyth} (the state dict under
     * {@code model_state}, beside the optimizer's and the config), a DataParallel model under {@code model} in a
     * {@code .pt}; a layout no reader knows names its top-level keys.
     */
    @Test
    void trainingCheckpointsOfPyTorchVideoAndDataParallelAreRead() {
        Fixtures.assertSameTensors(Fixtures.expected("small"), StateDictLoader.load(Fixtures.path(
                "pytorchvideo.pyth")));
        StateDict dp = StateDictLoader.load(Fixtures.path("nested_dataparallel.pt"));
        assertTrue(dp.keys().stream().allMatch(k -> k.startsWith("module.")), dp.keys().toString());
        Fixtures.assertSameTensors(Fixtures.expected("small"), dp.stripPrefix("module."));
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> StateDictLoader.load(Fixtures.path("unknown_layout.pth")));
        assertTrue(e.getMessage().contains("its keys: 'weights_ema', 'step'"), e.getMessage());
        assertTrue(e.getMessage().contains("model_state"), e.getMessage());
    }

    @Test
    void dataParallelPrefixesAreStrippedOnRequest() {
        StateDict sd = StateDictLoader.load(Fixtures.path("dataparallel.pth"));
        assertTrue(sd.keys().stream().allMatch(k -> k.startsWith("module.")));
        StateDict stripped = sd.stripPrefix("module.");
        Fixtures.assertSameTensors(Fixtures.expected("small"), stripped);
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> sd.match(Map.of("fc.weight", new int[] {2, 4}, "fc.bias", new int[] {2})));
        assertTrue(e.getMessage().contains("stripPrefix(\"module.\")"), e.getMessage());
    }

    @Test
    void theFormatIsRecognisedByContentNotByName(@TempDir Path dir) throws IOException {
        Path pthNamedSafetensors = dir.resolve("weights.safetensors");
        Files.copy(Fixtures.path("small.pth"), pthNamedSafetensors);
        Path safetensorsNamedPth = dir.resolve("weights.pth");
        Files.copy(Fixtures.path("small.safetensors"), safetensorsNamedPth);
        Fixtures.assertSameTensors(Fixtures.expected("small"), StateDictLoader.load(pthNamedSafetensors));
        Fixtures.assertSameTensors(Fixtures.expected("small"), StateDictLoader.load(safetensorsNamedPth));
    }

    @ParameterizedTest
    @ValueSource(strings = {"small.pth", "views.pth", "small_f16.safetensors"})
    void bytesInMemoryLoadAsTheFileDoes(String file) {
        StateDict fromFile = StateDictLoader.load(Fixtures.path(file));
        StateDict fromBytes = StateDictLoader.load(Fixtures.bytes(file), "mem:" + file);
        assertEquals(fromFile.keys(), fromBytes.keys());
        for (String k : fromFile.keys()) {
            assertArrayEquals(fromFile.get(k).data(), fromBytes.get(k).data(), k);
            assertEquals(fromFile.dtype(k), fromBytes.dtype(k));
            assertEquals("mem:" + file, fromBytes.source(k));
        }
    }

    @Test
    void theLegacyFormatIsRefusedWithTheWayOut() {
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> StateDictLoader.load(Fixtures.path("legacy.pth")));
        assertTrue(e.getMessage().startsWith(Fixtures.path("legacy.pth").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("legacy format"), e.getMessage());
        assertTrue(e.getMessage().contains("torch >= 1.6"), e.getMessage());
        assertTrue(e.getMessage().contains("tools/export_torchvision.py"), e.getMessage());
    }

    @Test
    void torchScriptArchivesAreNamed() {
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> StateDictLoader.load(Fixtures.path("torchscript.pth")));
        assertTrue(e.getMessage().contains("TorchScript"), e.getMessage());
    }

    @Test
    void aPickledModelIsRefusedWithAHint() {
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> StateDictLoader.load(Fixtures.path("whole_model.pth")));
        assertTrue(e.getMessage().contains("'torch.nn.modules.container.Sequential'"), e.getMessage());
        assertTrue(e.getMessage().contains("save model.state_dict()"), e.getMessage());
    }

    @Test
    void otherContentIsRefusedByWhatItIs(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("notes.pth");
        Files.writeString(text, "these are not weights, just some text");
        WeightFileException e = assertThrows(WeightFileException.class, () -> StateDictLoader.load(text));
        assertTrue(e.getMessage().contains("neither safetensors"), e.getMessage());
        Path tiny = dir.resolve("tiny.pth");
        Files.write(tiny, new byte[] {1, 2});
        e = assertThrows(WeightFileException.class, () -> StateDictLoader.load(tiny));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
        Path empty = dir.resolve("empty.pth");
        Files.write(empty, new byte[0]);
        assertThrows(WeightFileException.class, () -> StateDictLoader.load(empty));
    }

    @Test
    void aBrokenSafetensorsFileIsAWeightFileException() {
        byte[] b = Fixtures.bytes("small.safetensors");
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 3);
        WeightFileException e = assertThrows(WeightFileException.class, () -> StateDictLoader.load(cut, "cut"));
        assertTrue(e.getMessage().startsWith("cut: invalid safetensors file: "), e.getMessage());
    }

    @Test
    void aMissingFileIsAnIoError(@TempDir Path dir) {
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> StateDictLoader.load(dir.resolve("absent.pth")));
        assertTrue(e.getMessage().contains("absent.pth"), e.getMessage());
    }
}
