package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** The files tools/make_pth_fixtures.py wrote under src/test/resources/weights/. */
final class Fixtures {
    private Fixtures() {
    }

    static Path path(String name) {
        URL url = Fixtures.class.getResource("/weights/" + name);
        if (url == null) {
            throw new IllegalStateException("no fixture weights/" + name + "; run tools/make_pth_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(path(name));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static TensorFile expected(String name) {
        return SafeTensors.read(path(name + ".expected.safetensors"));
    }

    /** Same keys in the same order, same shapes, bit-identical float32 values. */
    static void assertSameTensors(TensorFile expected, StateDict actual) {
        assertEquals(expected.names(), actual.keys(), "keys");
        for (String k : expected.names()) {
            Tensor e = expected.get(k);
            Tensor a = actual.get(k);
            assertArrayEquals(e.shape(), a.shape(), k + " shape");
            float[] ed = e.data();
            float[] ad = a.data();
            for (int i = 0; i < ed.length; i++) {
                assertEquals(Float.floatToRawIntBits(ed[i]), Float.floatToRawIntBits(ad[i]),
                        k + "[" + i + "]: expected " + ed[i] + " got " + ad[i]);
            }
        }
    }
}
