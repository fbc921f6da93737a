package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fuzzer catches what it is meant to: a reader that trusts a size field, throws the wrong type, or hangs. */
class TimedFuzzerTest {
    private static final List<byte[]> SEEDS = List.of(new byte[] {16, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

    /** A toy format: a 4-byte length, then that many bytes; rejects a length beyond the file before allocating. */
    private static Object carefulReader(byte[] in) {
        if (in.length < 4) {
            throw new WeightFileException("toy", "too short");
        }
        int n = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        if (n < 0 || n > in.length - 4) {
            throw new WeightFileException("toy", "length " + n + " runs past the end");
        }
        return new byte[n];
    }

    /** The same reader, allocating before it checks. */
    private static Object trustingReader(byte[] in) {
        if (in.length < 4) {
            throw new WeightFileException("toy", "too short");
        }
        int n = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        byte[] buffer = new byte[Math.max(0, Math.min(n, 1 << 28))];
        if (n < 0 || n > in.length - 4) {
            throw new WeightFileException("toy", "length " + n + " runs past the end");
        }
        return buffer;
    }

    /**
     * Up to {@code count} inputs of the fixed seed: the same inputs on any machine; a failure ends the run at the
     * input that shows it (the short inputs the tests below need come within the first 200,000).
     */
    private static TimedFuzzer.Stats fuzz(TimedFuzzer.Target t, long count) {
        return TimedFuzzer.run("toy", SEEDS, Mutations::bytes, t, WeightFileException.class,
                // a hang is a minute here (aHangIsCaught); no toy input comes near 30 s however busy the machine
                (length, result) -> 64L * length + (1 << 20), count, 30_000);
    }

    private static TimedFuzzer.Stats fuzz(TimedFuzzer.Target t) {
        return fuzz(t, 200_000);
    }

    @Test
    void aCarefulReaderPasses() {
        TimedFuzzer.Stats s = fuzz(TimedFuzzerTest::carefulReader, 20_000);
        assertTrue(s.inputs() == 20_000 && s.loaded() > 0 && s.rejected() > 0, s.toString());
    }

    @Test
    void anAllocationForALyingSizeIsCaught() {
        AssertionError e = assertThrows(AssertionError.class, () -> fuzz(TimedFuzzerTest::trustingReader));
        assertTrue(e.getMessage().contains("allocated"), e.getMessage());
    }

    @Test
    void anUnnamedExceptionIsCaught() {
        AssertionError e = assertThrows(AssertionError.class, () -> fuzz(in -> {
            carefulReader(in);
            return in[7]; // ArrayIndexOutOfBoundsException on short inputs
        }));
        assertTrue(e.getMessage().contains("ArrayIndexOutOfBoundsException"), e.getMessage());
    }

    @Test
    void aHangIsCaught() {
        AssertionError e = assertThrows(AssertionError.class, () -> TimedFuzzer.run("toy", SEEDS, Mutations::bytes,
                in -> {
                    if (in.length > 16) {
                        Thread.sleep(60_000);
                    }
                    return null;
                }, WeightFileException.class, (length, result) -> Long.MAX_VALUE, 1000, 300));
        assertTrue(e.getMessage().contains("no result within 300 ms"), e.getMessage());
        assertEquals(AssertionError.class, e.getClass());
    }
}
