package io.cubist.pipeline.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Taking checkpoints apart and putting them back together, for tests that alter one entry. */
final class Zips {
    private Zips() {
    }

    /** The entries of a stored zip (as torch.save writes), in order. */
    static Map<String, byte[]> entries(byte[] zip) {
        StoredZip z = StoredZip.open(ByteSource.of(zip, "fixture"));
        Map<String, byte[]> out = new LinkedHashMap<>();
        z.entries().forEach((name, e) -> out.put(name, z.read(e, Integer.MAX_VALUE, name, ByteOrder.LITTLE_ENDIAN)
                .array()));
        return out;
    }

    /** A zip of {@code entries}, stored uncompressed (or deflated), with correct sizes and CRCs. */
    static byte[] zip(Map<String, byte[]> entries, boolean deflate) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                byte[] data = e.getValue();
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(data);
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(data.length);
                    z.setCompressedSize(data.length);
                    z.setCrc(crc.getValue());
                }
                out.putNextEntry(z);
                out.write(data);
                out.closeEntry();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }
}
