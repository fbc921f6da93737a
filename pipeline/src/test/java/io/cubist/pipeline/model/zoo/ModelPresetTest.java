package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** conf/models presets: torchvision's VideoClassification preprocessing, read strictly. */
class ModelPresetTest {
    static final Path CONF = Path.of(System.getProperty("user.dir")).getParent().resolve("conf/models");

    @ParameterizedTest
    @ValueSource(strings = {"r3d_18", "mc3_18", "r2plus1d_18"})
    void everyZooModelHasTorchvisionsPreset(String name) {
        ModelPreset p = ModelPreset.read(CONF.resolve(name + ".json"));
        assertEquals(name, p.model());
        assertEquals(128, p.resizeHeight());
        assertEquals(171, p.resizeWidth());
        assertEquals(112, p.cropHeight());
        assertEquals(112, p.cropWidth());
        assertEquals("bilinear", p.interpolation());
        assertArrayEquals(new double[] {0.43216, 0.394666, 0.37645}, p.mean());
        assertArrayEquals(new double[] {0.22803, 0.22145, 0.216989}, p.std());
        assertEquals(16, p.clipLength());
        assertEquals(15.0, p.frameRate());
        assertEquals(ModelZoo.describe(name).featureDim(), p.featureDim());
        assertEquals(ModelZoo.describe(name).numClasses(), p.numClasses());
        assertTrue(p.weights().contains("KINETICS400_V1"));
    }

    @Test
    void badPresetsSayWhatIsWrong() {
        String ok = """
                {"model": "m", "resize": [128, 171], "crop": [112, 112], "interpolation": "bilinear",
                 "mean": [0.4, 0.4, 0.4], "std": [0.2, 0.2, 0.2], "clip_length": 16, "frame_rate": 15,
                 "feature_dim": 512, "num_classes": 400}""";
        assertEquals(15.0, ModelPreset.parse(ok, "ok.json").frameRate());
        assertEquals("x.json: unknown key 'cliplen'; allowed: [clip_length, crop, feature_dim, frame_rate,"
                        + " interpolation, mean, model, num_classes, resize, std, weights]",
                assertThrows(IllegalArgumentException.class,
                        () -> ModelPreset.parse(ok.replace("}", ", \"cliplen\": 3}"), "x.json")).getMessage());
        assertEquals("x.json: m: crop must be >= 1 and fit in the resized frame 128x171, got 200x112",
                assertThrows(IllegalArgumentException.class,
                        () -> ModelPreset.parse(ok.replace("[112, 112]", "[200, 112]"), "x.json")).getMessage());
        assertEquals("x.json: 'std' must have 3 values, got [0.2,0.2]",
                assertThrows(IllegalArgumentException.class,
                        () -> ModelPreset.parse(ok.replace("[0.2, 0.2, 0.2]", "[0.2, 0.2]"), "x.json"))
                        .getMessage());
        assertEquals("x.json: m: clip_length must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class,
                        () -> ModelPreset.parse(ok.replace("\"clip_length\": 16", "\"clip_length\": 0"), "x.json"))
                        .getMessage());
    }
}
