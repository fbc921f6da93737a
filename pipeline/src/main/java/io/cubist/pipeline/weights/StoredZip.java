package io.cubist.pipeline.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The entries of a zip archive as PyTorch writes them ({@code torch.save}): every entry stored uncompressed, found
 * through the central directory (PyTorch's local headers defer sizes to data descriptors), ZIP64 where needed.
 *
 * <p>Nothing is decompressed, so there is no zip bomb to defuse: an entry is a byte range of the file, and every range
 * is checked to lie inside the file before anything is allocated for it. Reading a compressed entry is refused by
 * name (TorchScript archives compress their code, which is never read); encrypted and multi-disk archives are refused
 * when opened. Reads verify each entry's CRC-32.
 */
final class StoredZip {
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int ZIP64_END_OF_DIRECTORY = 0x06064b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EXTRA = 0x0001;
    private static final int END_SIZE = 22;
    private static final int MAX_COMMENT = 0xffff;
    /** A state dict has a few entries per tensor; this is far beyond any real checkpoint. */
    static final int MAX_ENTRIES = 1 << 20;
    private static final long MAX_DIRECTORY_BYTES = 256L << 20;
    private static final int READ_CHUNK = 1 << 20;

    /**
     * One entry: {@code size} bytes of content, held as {@code storedSize} bytes at {@code dataOffset} with compression
     * {@code method} (0: stored; only those can be {@link #read}).
     */
    record Entry(String name, long dataOffset, long storedSize, long size, int crc, int method) {
    }

    private final ByteSource source;
    private final Map<String, Entry> entries;

    private StoredZip(ByteSource source, Map<String, Entry> entries) {
        this.source = source;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** Entries by name, in central-directory order. */
    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * The entry's bytes, CRC-checked, in a heap buffer of byte order {@code order}. {@code max} bounds what the caller
     * is prepared to hold; a larger entry is an error naming {@code what} it was meant to be.
     */
    ByteBuffer read(Entry e, long max, String what, ByteOrder order) {
        if (e.method() != 0) {
            throw new WeightFileException(source.name(), "entry " + KeyNames.quote(e.name()) + " is compressed"
                    + " (method " + e.method() + ");"
                    + " PyTorch writes checkpoints uncompressed and Cubist reads only stored entries: re-save the"
                    + " file with torch.save rather than re-zipping it");
        }
        if (e.size() > Math.min(max, Integer.MAX_VALUE - 8)) {
            throw new WeightFileException(source.name(), what + " (" + e.name() + ") is " + e.size()
                    + " bytes, over the " + Math.min(max, Integer.MAX_VALUE - 8) + "-byte limit");
        }
        ByteBuffer b = ByteBuffer.allocate((int) e.size());
        CRC32 crc = new CRC32();
        long done = 0;
        while (done < e.size()) {
            int n = (int) Math.min(READ_CHUNK, e.size() - done);
            ByteBuffer chunk = b.slice((int) done, n);
            source.read(e.dataOffset() + done, chunk);
            crc.update(b.slice((int) done, n));
            done += n;
        }
        if ((int) crc.getValue() != e.crc()) {
            throw new WeightFileException(source.name(), "entry " + KeyNames.quote(e.name())
                    + " is corrupt: its CRC-32 is " + String.format("%08x", crc.getValue()) + " but the archive says "
                    + String.format("%08x", e.crc()));
        }
        return b.order(order);
    }

    static StoredZip open(ByteSource source) {
        long size = source.size();
        if (size < END_SIZE) {
            throw source.truncated(0, END_SIZE);
        }
        int tailLength = (int) Math.min(size, END_SIZE + MAX_COMMENT);
        long tailStart = size - tailLength;
        ByteBuffer tail = source.read(tailStart, tailLength).order(ByteOrder.LITTLE_ENDIAN);
        int end = -1;
        for (int i = tailLength - END_SIZE; i >= 0; i--) {
            if (tail.getInt(i) == END_OF_DIRECTORY && i + END_SIZE + u16(tail, i + 20) <= tailLength) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw bad(source, "no zip end-of-central-directory record: the archive is truncated or not a zip file");
        }
        long endPos = tailStart + end;
        int disk = u16(tail, end + 4);
        int directoryDisk = u16(tail, end + 6);
        long count = u16(tail, end + 10);
        long directorySize = u32(tail, end + 12);
        long directoryOffset = u32(tail, end + 16);
        long directoryLimit = endPos; // the directory ends where the records after it begin
        if (count == 0xffff || directorySize == 0xffffffffL || directoryOffset == 0xffffffffL) {
            if (endPos < 20) {
                throw bad(source, "a ZIP64 archive without its ZIP64 locator");
            }
            ByteBuffer loc = source.read(endPos - 20, 20).order(ByteOrder.LITTLE_ENDIAN);
            if (loc.getInt(0) != ZIP64_LOCATOR) {
                throw bad(source, "a ZIP64 archive without its ZIP64 locator");
            }
            long recordPos = loc.getLong(8);
            if (recordPos < 0 || recordPos > endPos - 20 - 56) {
                throw bad(source, "the ZIP64 end-of-directory offset " + recordPos + " is outside the file");
            }
            ByteBuffer rec = source.read(recordPos, 56).order(ByteOrder.LITTLE_ENDIAN);
            if (rec.getInt(0) != ZIP64_END_OF_DIRECTORY) {
                throw bad(source, "no ZIP64 end-of-directory record at offset " + recordPos);
            }
            disk = rec.getInt(16);
            directoryDisk = rec.getInt(20);
            count = rec.getLong(32);
            directorySize = rec.getLong(40);
            directoryOffset = rec.getLong(48);
            directoryLimit = recordPos;
        }
        if (disk != 0 || directoryDisk != 0) {
            throw bad(source, "a multi-disk (spanned) zip archive; Cubist reads single-file archives");
        }
        if (count < 0 || count > MAX_ENTRIES) {
            throw bad(source, "the archive claims " + count + " entries; at most " + MAX_ENTRIES + " are read");
        }
        if (directorySize < 0 || directoryOffset < 0 || directorySize > directoryLimit
                || directoryOffset > directoryLimit - directorySize) {
            throw bad(source, "the central directory (" + directorySize + " bytes at offset " + directoryOffset
                    + ") does not lie before its end record at offset " + directoryLimit);
        }
        if (directorySize > MAX_DIRECTORY_BYTES || directorySize < count * 46) {
            throw bad(source, "a " + directorySize + "-byte central directory cannot hold " + count + " entries");
        }
        ByteBuffer dir = source.read(directoryOffset, (int) directorySize).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p > dir.limit() - 46 || dir.getInt(p) != CENTRAL_HEADER) {
                throw bad(source, "central directory entry " + i + " (at offset " + (directoryOffset + p)
                        + ") is malformed");
            }
            int flags = u16(dir, p + 8);
            int method = u16(dir, p + 10);
            int crc = dir.getInt(p + 16);
            long compressed = u32(dir, p + 20);
            long uncompressed = u32(dir, p + 24);
            int nameLength = u16(dir, p + 28);
            int extraLength = u16(dir, p + 30);
            int commentLength = u16(dir, p + 32);
            int startDisk = u16(dir, p + 34);
            long localOffset = u32(dir, p + 42);
            int next = p + 46 + nameLength + extraLength + commentLength;
            if (next > dir.limit() || next < 0) {
                throw bad(source, "central directory entry " + i + " runs past the directory's end");
            }
            String name = name(source, dir, p + 46, nameLength, i);
            // ZIP64: the fields that overflowed 32 bits (written as all ones) follow in the extra block, in order.
            int x = p + 46 + nameLength;
            int xEnd = x + extraLength;
            while (x <= xEnd - 4) {
                int id = u16(dir, x);
                int len = u16(dir, x + 2);
                if (x + 4 + len > xEnd) {
                    throw bad(source, "entry " + KeyNames.quote(name) + " has a malformed extra field");
                }
                if (id == ZIP64_EXTRA) {
                    int f = x + 4;
                    int fEnd = f + len;
                    if (uncompressed == 0xffffffffL) {
                        uncompressed = zip64Field(source, dir, f, fEnd, name);
                        f += 8;
                    }
                    if (compressed == 0xffffffffL) {
                        compressed = zip64Field(source, dir, f, fEnd, name);
                        f += 8;
                    }
                    if (localOffset == 0xffffffffL) {
                        localOffset = zip64Field(source, dir, f, fEnd, name);
                        f += 8;
                    }
                    if (startDisk == 0xffff) {
                        if (f + 4 > fEnd) {
                            throw bad(source, "entry " + KeyNames.quote(name) + " has a truncated ZIP64 field");
                        }
                        startDisk = dir.getInt(f);
                    }
                }
                x += 4 + len;
            }
            if ((flags & 0x41) != 0) {
                throw bad(source, "entry " + KeyNames.quote(name) + " is encrypted");
            }
            if (startDisk != 0) {
                throw bad(source, "a multi-disk (spanned) zip archive; Cubist reads single-file archives");
            }
            if (method == 0 && compressed != uncompressed) {
                throw bad(source, "stored entry " + KeyNames.quote(name) + " declares " + compressed
                        + " bytes in the file but " + uncompressed + " bytes of content");
            }
            long dataOffset = dataOffset(source, name, nameLength, localOffset, directoryOffset);
            if (compressed < 0 || compressed > directoryOffset - dataOffset) {
                throw bad(source, "entry " + KeyNames.quote(name) + " declares " + compressed + " bytes at offset "
                        + dataOffset + ", past the start of the central directory at " + directoryOffset);
            }
            if (entries.put(name, new Entry(name, dataOffset, compressed, uncompressed, crc, method)) != null) {
                throw bad(source, "the entry name " + KeyNames.quote(name) + " appears twice");
            }
            p = next;
        }
        return new StoredZip(source, entries);
    }

    /** Where the data starts: after the local header, whose name and extra field may differ in length. */
    private static long dataOffset(ByteSource source, String name, int centralNameLength, long localOffset,
                                   long directoryOffset) {
        if (localOffset < 0 || localOffset > directoryOffset - 30) {
            throw bad(source, "entry " + KeyNames.quote(name) + " has its local header at offset " + localOffset
                    + ", outside the archive's data");
        }
        ByteBuffer h = source.read(localOffset, 30).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != LOCAL_HEADER) {
            throw bad(source, "entry " + KeyNames.quote(name) + ": no local header at offset " + localOffset);
        }
        int nameLength = u16(h, 26);
        int extraLength = u16(h, 28);
        if (nameLength != centralNameLength) {
            throw bad(source, "entry " + KeyNames.quote(name) + ": its local header names a different entry");
        }
        return localOffset + 30 + nameLength + extraLength;
    }

    private static long zip64Field(ByteSource source, ByteBuffer dir, int at, int end, String name) {
        if (at + 8 > end) {
            throw bad(source, "entry " + KeyNames.quote(name) + " has a truncated ZIP64 field");
        }
        long v = dir.getLong(at);
        if (v < 0) {
            throw bad(source, "entry " + KeyNames.quote(name) + " has a ZIP64 size or offset beyond 2^63");
        }
        return v;
    }

    private static String name(ByteSource source, ByteBuffer dir, int at, int length, long index) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(dir.slice(at, length))
                    .toString();
        } catch (CharacterCodingException ex) {
            throw bad(source, "the name of entry " + index + " is not valid UTF-8");
        }
    }

    /** Names for a message: the first few entries. */
    List<String> someNames(int max) {
        List<String> names = new ArrayList<>();
        for (String n : entries.keySet()) {
            if (names.size() == max) {
                names.add("...");
                break;
            }
            names.add(KeyNames.quote(n));
        }
        return names;
    }

    private static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xffffffffL;
    }

    private static WeightFileException bad(ByteSource source, String problem) {
        return new WeightFileException(source.name(), "not a readable zip archive: " + problem);
    }
}
