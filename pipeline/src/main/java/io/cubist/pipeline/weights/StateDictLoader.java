package io.cubist.pipeline.weights;

import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.io.SafeTensorsException;
import io.cubist.kernels.io.TensorFile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Reads a {@link StateDict} from a weights file, recognised by its content (not its name):
 * <ul>
 *   <li><b>safetensors</b>, any dtype (F16, BF16 and F64 convert to float32; integer buffers such as
 *       {@code num_batches_tracked} too);</li>
 *   <li><b>PyTorch zip checkpoints</b> ({@code .pth}/{@code .pt} as {@code torch.save(model.state_dict(), f)} writes
 *       them since PyTorch 1.6), read without executing any pickle code: only the globals a state dict uses are
 *       accepted and every other one, {@code os.system} included, is refused before anything could run. A training
 *       checkpoint that keeps the state dict under {@code state_dict} or {@code model} is read from there.</li>
 * </ul>
 * The legacy (pre-1.6, non-zip) PyTorch format is recognised and refused with the way to convert it. Every problem
 * with a file's content is a {@link WeightFileException} naming the file; failing to read the file at all is an
 * {@link java.io.UncheckedIOException}.
 */
public final class StateDictLoader {
    /** {@code torch.save}'s legacy format starts with this pickled magic number (0x1950a86a20f9469cfc6c). */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c,
        0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};
    private static final int SNIFF = 512;

    private enum Format { SAFETENSORS, TORCH_ZIP }

    private StateDictLoader() {
    }

    /** The state dict in {@code path}. */
    public static StateDict load(Path path) {
        String source = path.toString();
        try (ByteSource src = ByteSource.open(path)) {
            if (detect(src) == Format.TORCH_ZIP) {
                return TorchCheckpoint.load(src);
            }
        }
        try {
            return fromSafeTensors(SafeTensors.read(path), source);
        } catch (SafeTensorsException ex) {
            throw safeTensorsError(source, ex);
        }
    }

    /** The state dict in an in-memory file; {@code source} names it in messages. */
    public static StateDict load(byte[] bytes, String source) {
        try (ByteSource src = ByteSource.of(bytes, source)) {
            if (detect(src) == Format.TORCH_ZIP) {
                return TorchCheckpoint.load(src);
            }
        }
        try {
            return fromSafeTensors(SafeTensors.read(ByteBuffer.wrap(bytes), source), source);
        } catch (SafeTensorsException ex) {
            throw safeTensorsError(source, ex);
        }
    }

    private static Format detect(ByteSource src) {
        int n = (int) Math.min(SNIFF, src.size());
        byte[] head = new byte[n];
        src.read(0, ByteBuffer.wrap(head));
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4)
                || (head[2] == 5 && head[3] == 6))) {
            return Format.TORCH_ZIP;
        }
        if (startsWith(head, LEGACY_MAGIC) || (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5)) {
            throw new WeightFileException(src.name(), (startsWith(head, LEGACY_MAGIC)
                    ? "a PyTorch checkpoint in the legacy format (written by torch < 1.6 or with"
                            + " _use_new_zipfile_serialization=False)"
                    : "a bare pickle, not a PyTorch zip checkpoint")
                    + "; Cubist reads the zip format only: re-save it with torch >= 1.6 (torch.save(torch.load(f),"
                    + " f2)) or convert it to safetensors with tools/export_torchvision.py");
        }
        if (n >= 262 && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
            throw new WeightFileException(src.name(), "a tar archive, the legacy PyTorch (< 0.4) checkpoint format;"
                    + " Cubist reads the zip format only: re-save it with torch >= 1.6 or convert it to safetensors"
                    + " with tools/export_torchvision.py");
        }
        if (n >= 9 && head[8] == '{') {
            return Format.SAFETENSORS;
        }
        if (n < 9) {
            throw new WeightFileException(src.name(), "only " + n + " bytes: too short to be a weights file");
        }
        long headerLength = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        throw new WeightFileException(src.name(), "not a weights file Cubist reads: neither safetensors (an 8-byte"
                + " header length, here " + headerLength + ", then a JSON header starting with '{') nor a PyTorch zip"
                + " checkpoint (starting with 'PK'); it starts with "
                + HexFormat.ofDelimiter(" ").formatHex(head, 0, Math.min(n, 16)));
    }

    private static StateDict fromSafeTensors(TensorFile file, String source) {
        StateDict.Builder b = StateDict.builder(source);
        for (String name : file.names()) {
            b.put(name, file.get(name), file.dtype(name), source);
        }
        return b.build();
    }

    private static WeightFileException safeTensorsError(String source, SafeTensorsException ex) {
        String m = ex.getMessage();
        String problem = m.startsWith(source + ": ") ? m.substring(source.length() + 2) : m;
        return new WeightFileException(source, "invalid safetensors file: " + problem, ex);
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        if (a.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (a[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
