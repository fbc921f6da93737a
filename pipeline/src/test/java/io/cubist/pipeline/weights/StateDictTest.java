package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.DType;
import io.cubist.kernels.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateDictTest {
    private static StateDict dict(String... keysAndShapes) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndShapes.length; i += 2) {
            String[] dims = keysAndShapes[i + 1].isEmpty() ? new String[0] : keysAndShapes[i + 1].split(",");
            int[] shape = new int[dims.length];
            for (int d = 0; d < dims.length; d++) {
                shape[d] = Integer.parseInt(dims[d]);
            }
            m.put(keysAndShapes[i], Tensor.zeros(shape));
        }
        return StateDict.of(m, "w.pth");
    }

    private static Map<String, int[]> shapes(Object... keysAndShapes) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndShapes.length; i += 2) {
            m.put((String) keysAndShapes[i], (int[]) keysAndShapes[i + 1]);
        }
        return m;
    }

    @Test
    void keysKeepTheirOrderAndEntriesTheirOrigin() {
        StateDict sd = dict("b", "2", "a", "3", "c", "");
        assertEquals(List.of("b", "a", "c"), sd.keys());
        assertEquals(3, sd.size());
        assertTrue(sd.contains("a"));
        assertFalse(sd.contains("d"));
        assertEquals(DType.F32, sd.dtype("a"));
        assertEquals("w.pth", sd.source("a"));
        assertEquals(0, sd.shape("c").length);
        assertTrue(sd.find("d").isEmpty());
        assertSame(sd.get("a"), sd.find("a").orElseThrow());
        assertThrows(UnsupportedOperationException.class, () -> sd.keys().add("x"));
    }

    @Test
    void aMissingKeyNamesItAndItsNearMatches() {
        StateDict sd = dict("module.layer1.0.conv1.0.weight", "4", "layer1.0.conv1.1.weight", "4", "fc.bias", "2");
        WeightFileException e = assertThrows(WeightFileException.class, () -> sd.get("layer1.0.conv1.0.weight"));
        assertEquals("w.pth: no tensor 'layer1.0.conv1.0.weight'; near matches: 'module.layer1.0.conv1.0.weight',"
                + " 'layer1.0.conv1.1.weight'", e.getMessage());
        e = assertThrows(WeightFileException.class, () -> sd.get("stem.weight"));
        assertTrue(e.getMessage().contains("no key is close; it has 3 keys"), e.getMessage());
        e = assertThrows(WeightFileException.class, () -> StateDict.of(Map.of(), "e.pth").get("x"));
        assertEquals("e.pth: no tensor 'x'; the state dict is empty", e.getMessage());
    }

    @Test
    void matchListsEveryProblemAtOnce() {
        StateDict sd = dict("stem.0.weight", "64,3,3,7,7", "fc.bias", "400", "bn.running_mean", "64");
        Map<String, int[]> expected = shapes(
                "stem.0.weight", new int[] {45, 3, 1, 7, 7},
                "layer1.0.conv1.0.weight", new int[] {64, 64, 1, 3, 3},
                "bn.running_mean", new int[] {64});
        KeyReport r = sd.compare(expected);
        assertFalse(r.ok());
        assertEquals(List.of("fc.bias"), r.unexpected());
        assertEquals(List.of("layer1.0.conv1.0.weight"), List.copyOf(r.missing().keySet()));
        assertEquals("missing: layer1.0.conv1.0.weight [64,64,1,3,3]; unexpected: fc.bias; shape mismatch:"
                + " stem.0.weight expected [45,3,1,7,7] got [64,3,3,7,7]", r.describe());
        WeightFileException e = assertThrows(WeightFileException.class, () -> sd.match(expected));
        assertEquals("w.pth: the weights do not fit the model: " + r.describe(), e.getMessage());
    }

    @Test
    void numBatchesTrackedIsNeverRequiredNorUnexpected() {
        StateDict withCounter = dict("bn.weight", "4", "bn.running_var", "4", "bn.num_batches_tracked", "");
        StateDict without = dict("bn.weight", "4", "bn.running_var", "4");
        Map<String, int[]> model = shapes("bn.weight", new int[] {4}, "bn.running_var", new int[] {4});
        Map<String, int[]> modelWithCounter = shapes("bn.weight", new int[] {4}, "bn.running_var", new int[] {4},
                "bn.num_batches_tracked", new int[] {});
        assertTrue(withCounter.compare(model).ok());
        assertTrue(without.compare(modelWithCounter).ok());
        assertSame(without, without.match(modelWithCounter));
        // Other buffers are required like parameters.
        KeyReport r = dict("bn.weight", "4").compare(model);
        assertEquals(List.of("bn.running_var"), List.copyOf(r.missing().keySet()));
    }

    @Test
    void longListsAreCutShort() {
        Map<String, int[]> expected = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) {
            expected.put("w" + i, new int[] {1});
        }
        String d = dict().compare(expected).describe();
        assertTrue(d.endsWith("w19 [1], ... and 10 more"), d);
    }

    @Test
    void aPrefixDifferenceIsPointedOut() {
        StateDict sd = dict("model.fc.weight", "2,4", "model.fc.bias", "2");
        String d = sd.compare(shapes("fc.weight", new int[] {2, 4}, "fc.bias", new int[] {2})).describe();
        assertTrue(d.contains("2 of the file's keys are expected keys with the prefix 'model.' added; load them"
                + " with stripPrefix(\"model.\")"), d);
        String back = dict("fc.weight", "2,4").compare(shapes("head.fc.weight", new int[] {2, 4})).describe();
        assertTrue(back.contains("the file's keys with the prefix 'head.' added"), back);
    }

    @Test
    void prefixesSelectAndStrip() {
        StateDict sd = dict("module.a.w", "1", "module.b.w", "2", "c", "3");
        assertEquals(List.of("module.a.w"), sd.withPrefix("module.a.").keys());
        assertEquals(List.of("a.w", "b.w", "c"), sd.stripPrefix("module.").keys());
        assertEquals(List.of("w"), sd.withPrefix("module.b.").stripPrefix("module.b.").keys());
        assertSame(sd.get("module.b.w"), sd.stripPrefix("module.").get("b.w"));
        assertEquals(sd.keys(), sd.stripPrefix("absent.").keys());
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> dict("a", "1", "module.a", "1").stripPrefix("module."));
        assertTrue(e.getMessage().contains("makes two keys 'a'"), e.getMessage());
    }

    @Test
    void aKeyGivenTwiceIsAnError() {
        StateDict.Builder b = StateDict.builder("x.pth").put("k", Tensor.zeros(1), DType.F32, "x.pth");
        assertThrows(WeightFileException.class, () -> b.put("k", Tensor.zeros(1), DType.F32, "x.pth"));
    }
}
