package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.SafeTensorsException;
import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Count-bounded fuzzing of the two weight readers (see {@link TimedFuzzer}: {@code -Dcubist.fuzz.inputs=N}, default
 * 20000 each): every mutated file loads or fails with the reader's named exception, within the per-input timeout, and
 * allocates no more than its size justifies.
 */
class TimedFuzzTest {
    /** Bytes any input may allocate besides what its size accounts for: parser state, messages, small buffers. */
    private static final long SLACK = 8L << 20;
    /**
     * Heap bytes per input byte the safetensors reader may use: a JSON header becomes objects (a one-digit number in
     * a list is a Long and a reference), and a 1-byte element becomes a 4-byte float and an 8-byte double.
     */
    private static final long PER_BYTE = 64;
    /**
     * The same for a pickle: every opcode byte may build a value, and a one-byte TUPLE1 builds a tuple (the tuple,
     * its list, its array and the popped list: about 130 bytes). Linear in the file, so a size field that lies
     * (kilobytes asking for gigabytes) still stands out.
     */
    private static final long PER_PICKLE_BYTE = 256;

    @TempDir
    Path tmp;

    private static List<byte[]> seeds(String... names) {
        List<byte[]> s = new ArrayList<>();
        for (String n : names) {
            s.add(Fixtures.bytes(n));
        }
        return s;
    }

    @Test
    void safetensors() {
        List<byte[]> seeds = seeds("small.safetensors", "small_f16.safetensors", "small_bf16.safetensors",
                "small_f64.safetensors", "views.expected.safetensors", "checkpoint.expected.safetensors");
        for (byte[] s : seeds) {
            SafeTensors.read(s).names(); // each seed is valid
        }
        AtomicLong n = new AtomicLong();
        Path file = tmp.resolve("fuzz.safetensors");
        TimedFuzzer.Stats st = TimedFuzzer.run("safetensors", seeds, Mutations::safetensors, in -> {
            // one input in 16 goes through the file reader (FileChannel), the rest through the in-memory one
            TensorFile f;
            if (n.incrementAndGet() % 16 == 0) {
                Files.write(file, in);
                f = SafeTensors.read(file);
            } else {
                f = SafeTensors.read(in);
            }
            long elements = 0;
            for (String name : f.names()) {
                f.shape(name);
                f.getDoubles(name);
                try {
                    Tensor t = f.get(name);
                    elements += t.numel();
                } catch (SafeTensorsException rank) {
                    // a shape beyond Tensor's rank limit: refused by name, like any other problem
                }
            }
            f.metadata();
            return elements;
        }, SafeTensorsException.class, (length, result) -> PER_BYTE * length + SLACK);
        assertTrue(st.loaded() > 0 && st.rejected() > 0, st.toString());
    }

    @Test
    void pytorchCheckpoints() {
        List<byte[]> seeds = seeds("small.pth", "small_p4.pth", "small_f16.pth", "views.pth", "checkpoint.pth",
                "params.pth", "dataparallel.pth", "expand_bomb.pth", "memo_bomb.pth", "deep_nesting.pth");
        TimedFuzzer.Stats st = TimedFuzzer.run("pth", seeds, Mutations::checkpoint, in -> {
            StateDict sd = StateDictLoader.load(in, "fuzz.pth");
            long elements = 0;
            for (String k : sd.keys()) {
                elements += sd.get(k).numel();
            }
            return elements;
        }, WeightFileException.class, (length, result) -> {
            // Views of one storage may overlap (expanded tensors): the reader allows TorchCheckpoint.ELEMENT_ALLOWANCE
            // elements beyond the file's size, so a loaded file may hold that many floats more, and a rejected one
            // may have built some of them before its fault was found.
            long elements = result instanceof Long e ? e : TorchCheckpoint.ELEMENT_ALLOWANCE + length;
            return PER_PICKLE_BYTE * length + SLACK + 8 * elements;
        });
        assertTrue(st.loaded() > 0 && st.rejected() > 0, st.toString());
    }
}
