package io.cubist.pipeline.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Mutation strategies for the weight-file fuzzers: generic byte damage, safetensors headers, zips and pickles. */
final class Mutations {
    /** Integers that sit on the edges readers check: zero, signs, 16/31/32/63-bit limits. */
    private static final long[] EDGES = {0, 1, -1, 2, 7, 8, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffffL, 0x80000000L,
        0xffffffffL, 0x100000000L, Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 1L << 62};
    /** Number texts for JSON headers: edges of int, long and double, and forms JSON forbids. */
    private static final String[] NUMBERS = {"0", "1", "-1", "-0", "00", "01", "1.5", "1e2", "1E400", "-1e-400",
        "2147483647", "2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "99999999999999999999999999999999999999", "NaN", "Infinity", "0x10", "1_000", "",
        "\"8\"", "null", "true", "[]", "{}"};
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL",
        "F8_E4M3", "F8_E5M2", "U64", "C64", "f32", "", "F3", "F32 ", "\\u0046\\u0033\\u0032"};
    private static final Pattern JSON_NUMBER = Pattern.compile("-?[0-9]+");
    private static final Pattern JSON_DTYPE = Pattern.compile("\"dtype\"\\s*:\\s*\"([^\"]*)\"");
    /** Pickle opcodes: the ones the reader knows, and some it refuses. */
    private static final byte[] OPCODES = ("()}]NKMJXqrhjtlaeduscR0b12Q.IiGPpgSVFLT\u0085\u0086\u0087\u0088\u0089"
            + "\u008a\u008b\u008c\u008d\u008e\u0093\u0094\u0095\u0081\u0080\u0090\u0091\u0092\u0096\u0097\u0098")
            .getBytes(StandardCharsets.ISO_8859_1);

    private Mutations() {
    }

    // ---------------------------------------------------------------- generic bytes

    static byte[] bytes(byte[] b, List<byte[]> seeds, SplittableRandom r, StringBuilder what) {
        if (b.length == 0) {
            what.append("empty ");
            return seeds.get(r.nextInt(seeds.size())).clone();
        }
        switch (r.nextInt(9)) {
            case 0 -> {
                int i = r.nextInt(b.length);
                b[i] ^= (byte) (1 << r.nextInt(8));
                what.append("flip@").append(i).append(' ');
            }
            case 1 -> {
                int i = r.nextInt(b.length);
                b[i] = (byte) r.nextInt(256);
                what.append("byte@").append(i).append(' ');
            }
            case 2 -> { // an integer field of 2, 4 or 8 bytes set to an edge value, or nudged
                int width = 2 << r.nextInt(3);
                if (b.length >= width) {
                    int i = r.nextInt(b.length - width + 1);
                    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    long v = r.nextInt(4) == 0 ? get(bb, i, width) + r.nextInt(-64, 65)
                            : EDGES[r.nextInt(EDGES.length)];
                    put(bb, i, width, v);
                    what.append("int").append(width * 8).append('@').append(i).append('=').append(v).append(' ');
                }
            }
            case 3 -> {
                int n = r.nextInt(b.length + 1);
                what.append("truncate=").append(n).append(' ');
                return Arrays.copyOf(b, n);
            }
            case 4 -> {
                int i = r.nextInt(b.length + 1);
                byte[] ins = new byte[1 + r.nextInt(r.nextBoolean() ? 4 : 64)];
                r.nextBytes(ins);
                what.append("insert@").append(i).append('+').append(ins.length).append(' ');
                return splice(b, i, 0, ins);
            }
            case 5 -> {
                int i = r.nextInt(b.length);
                int n = 1 + r.nextInt(Math.min(b.length - i, 64));
                what.append("delete@").append(i).append('+').append(n).append(' ');
                return splice(b, i, n, new byte[0]);
            }
            case 6 -> { // repeat a stretch
                int i = r.nextInt(b.length);
                int n = 1 + r.nextInt(Math.min(b.length - i, 256));
                what.append("dup@").append(i).append('+').append(n).append(' ');
                return splice(b, i, 0, Arrays.copyOfRange(b, i, i + n));
            }
            case 7 -> { // cross over with another seed
                byte[] o = seeds.get(r.nextInt(seeds.size()));
                int i = r.nextInt(b.length + 1);
                int j = r.nextInt(o.length + 1);
                what.append("cross@").append(i).append('/').append(j).append(' ');
                byte[] out = Arrays.copyOf(b, i + o.length - j);
                System.arraycopy(o, j, out, i, o.length - j);
                return out;
            }
            default -> {
                int n = 1 + r.nextInt(128);
                byte[] e = Arrays.copyOf(b, b.length + n);
                for (int i = b.length; i < e.length; i++) {
                    e[i] = (byte) r.nextInt(256);
                }
                what.append("extend+").append(n).append(' ');
                return e;
            }
        }
        return b;
    }

    // ---------------------------------------------------------------- safetensors

    /** Damage aimed at a safetensors file: its length field and the numbers, dtypes and nesting of its header. */
    static byte[] safetensors(byte[] b, List<byte[]> seeds, SplittableRandom r, StringBuilder what) {
        long n = b.length >= 8 ? ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0) : -1;
        boolean sane = n >= 2 && n <= b.length - 8;
        int choice = r.nextInt(10);
        if (!sane || choice >= 7) {
            return bytes(b, seeds, r, what);
        }
        String header = new String(b, 8, (int) n, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(b, 8 + (int) n, b.length);
        String h2 = header;
        switch (choice) {
            case 0, 1 -> { // a number of the header (shape, data_offsets) set to an edge
                List<int[]> spans = spans(JSON_NUMBER.matcher(header), 0);
                if (!spans.isEmpty()) {
                    int[] s = spans.get(r.nextInt(spans.size()));
                    String v = NUMBERS[r.nextInt(NUMBERS.length)];
                    h2 = header.substring(0, s[0]) + v + header.substring(s[1]);
                    what.append("number@").append(s[0]).append('=').append(v).append(' ');
                }
            }
            case 2 -> {
                List<int[]> spans = spans(JSON_DTYPE.matcher(header), 1);
                if (!spans.isEmpty()) {
                    int[] s = spans.get(r.nextInt(spans.size()));
                    String v = DTYPES[r.nextInt(DTYPES.length)];
                    h2 = header.substring(0, s[0]) + v + header.substring(s[1]);
                    what.append("dtype=").append(v).append(' ');
                }
            }
            case 3 -> { // a huge dimension in a shape, keeping the JSON valid
                int i = header.indexOf("\"shape\":[");
                if (i >= 0) {
                    int at = i + 9;
                    String dim = r.nextBoolean() ? "2147483647," : r.nextBoolean() ? "65536,65536," : "0,2147483647,";
                    h2 = header.substring(0, at) + dim + header.substring(at);
                    what.append("hugedim ").append(dim).append(' ');
                }
            }
            case 4 -> { // deep nesting where a value was
                int depth = r.nextBoolean() ? 64 + r.nextInt(512) : 10_000 + r.nextInt(200_000);
                String open = r.nextBoolean() ? "[" : "{\"a\":";
                String close = open.equals("[") ? "]" : "}";
                String nest = open.repeat(depth) + "1" + close.repeat(depth);
                int i = header.indexOf(':');
                if (i >= 0) {
                    h2 = header.substring(0, i + 1) + nest + "," + header.substring(i + 1);
                    what.append("nest ").append(open).append('x').append(depth).append(' ');
                }
            }
            case 5 -> { // a duplicated entry, or a long string
                if (r.nextBoolean()) {
                    int i = header.indexOf(",\"");
                    int j = i < 0 ? -1 : header.indexOf("},", i + 1);
                    if (j > i) {
                        h2 = header.substring(0, j + 2) + header.substring(i + 1, j + 2) + header.substring(j + 2);
                        what.append("dupkey ");
                    }
                } else {
                    h2 = "{\"" + "k".repeat(1 + r.nextInt(1 << 16)) + "\":\"v\"," + header.substring(1);
                    what.append("longkey ");
                }
            }
            default -> { // the length field lies; the header stays
                long lie = switch (r.nextInt(5)) {
                    case 0 -> n + r.nextInt(-8, 9);
                    case 1 -> b.length - 8;
                    case 2 -> b.length;
                    case 3 -> EDGES[r.nextInt(EDGES.length)];
                    default -> r.nextLong();
                };
                byte[] out = b.clone();
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lie);
                what.append("len=").append(lie).append(' ');
                return out;
            }
        }
        // re-encode with a true length most of the time, so the damage reaches the parser
        byte[] hb = h2.getBytes(StandardCharsets.ISO_8859_1);
        long len = r.nextInt(8) == 0 ? n : hb.length;
        ByteBuffer out = ByteBuffer.allocate(8 + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(len).put(hb).put(data);
        return out.array();
    }

    // ---------------------------------------------------------------- zip checkpoints

    /** Damage aimed at a PyTorch zip: its records' size and offset fields, its pickle, its storages. */
    static byte[] checkpoint(byte[] b, List<byte[]> seeds, SplittableRandom r, StringBuilder what) {
        int choice = r.nextInt(10);
        if (choice < 3) {
            return zipField(b, r, what);
        }
        if (choice < 5) {
            return bytes(b, seeds, r, what);
        }
        Map<String, byte[]> entries;
        try {
            entries = new LinkedHashMap<>(Zips.entries(b));
        } catch (RuntimeException notAZipAnyMore) {
            return bytes(b, seeds, r, what);
        }
        String pkl = entries.keySet().stream().filter(k -> k.endsWith("data.pkl")).findFirst().orElse(null);
        if (pkl == null) {
            return bytes(b, seeds, r, what);
        }
        if (choice < 9) {
            entries.put(pkl, pickle(entries.get(pkl), r, what));
        } else {
            storage(entries, r, what);
        }
        return Zips.zip(entries, false);
    }

    /** A size, count or offset field of a zip record set to an edge value (0xffffffff turns on ZIP64 reading). */
    private static byte[] zipField(byte[] b, SplittableRandom r, StringBuilder what) {
        List<int[]> fields = new ArrayList<>(); // {offset, width}
        for (int i = 0; i + 4 <= b.length; i++) {
            if (b[i] != 'P' || b[i + 1] != 'K') {
                continue;
            }
            int sig = b[i + 2] << 8 | b[i + 3];
            int[][] f = switch (sig) {
                case 0x0102 -> new int[][] {{20, 4}, {24, 4}, {28, 2}, {30, 2}, {32, 2}, {34, 2}, {42, 4}, {10, 2},
                    {8, 2}}; // central: sizes, name/extra/comment lengths, disk, local offset, method, flags
                case 0x0304 -> new int[][] {{18, 4}, {22, 4}, {26, 2}, {28, 2}}; // local: sizes, name/extra lengths
                case 0x0506 -> new int[][] {{4, 2}, {8, 2}, {10, 2}, {12, 4}, {16, 4}, {20, 2}}; // end of directory
                case 0x0606 -> new int[][] {{24, 8}, {32, 8}, {40, 8}, {48, 8}}; // ZIP64 end of directory
                case 0x0607 -> new int[][] {{8, 8}}; // ZIP64 locator
                default -> new int[0][];
            };
            for (int[] x : f) {
                if (i + x[0] + x[1] <= b.length) {
                    fields.add(new int[] {i + x[0], x[1]});
                }
            }
        }
        if (fields.isEmpty()) {
            what.append("nozip ");
            return b;
        }
        int[] f = fields.get(r.nextInt(fields.size()));
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long v = r.nextInt(3) == 0 ? get(bb, f[0], f[1]) + r.nextInt(-40, 41) : EDGES[r.nextInt(EDGES.length)];
        put(bb, f[0], f[1], v);
        what.append("zipfield@").append(f[0]).append('=').append(v).append(' ');
        return b;
    }

    /** Pickle damage: opcodes, their arguments, and nested or repeated opcode runs that inflate a naive reader. */
    static byte[] pickle(byte[] p, SplittableRandom r, StringBuilder what) {
        if (p.length == 0) {
            return p;
        }
        int i = r.nextInt(p.length);
        switch (r.nextInt(8)) {
            case 0 -> {
                p[i] = OPCODES[r.nextInt(OPCODES.length)];
                what.append("op@").append(i).append(' ');
            }
            case 1 -> { // an opcode's integer argument: sizes, strides, offsets, numels, memo indices, lengths
                int width = 1 << r.nextInt(4);
                if (i + 1 + width <= p.length) {
                    put(ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN), i + 1, width,
                            EDGES[r.nextInt(EDGES.length)]);
                }
                what.append("arg@").append(i).append(' ');
            }
            case 2, 3 -> { // a run of nested or repeated opcodes
                int n = r.nextBoolean() ? 1 + r.nextInt(300) : 1000 + r.nextInt(300_000);
                int kind = r.nextInt(9);
                byte[] run = switch (kind) {
                    case 0 -> rep("(", n); // marks
                    case 1 -> rep("]", n); // stack growth
                    case 2 -> cat("]", rep("\u0085", n)); // tuples nested n deep, no marks
                    case 3 -> cat(rep("(]", n), rep("a", n)); // lists nested through APPEND... or not
                    case 4 -> cat("]q\u0000", rep("h\u0000a", n)); // a list appended to itself, n times
                    case 5 -> cat("]", rep("2", n)); // DUP
                    case 6 -> cat("}", rep(")N\u0086\u0093", 1), rep("h\u0000", n)); // memo reads
                    case 7 -> rep("\u0094", n); // MEMOIZE
                    default -> cat("(", rep("]\u0085", n), "t"); // a wide tuple of nested tuples
                };
                what.append("run").append(kind).append('x').append(n).append('@').append(i).append(' ');
                return splice(p, i, 0, run);
            }
            case 4 -> { // a forbidden or near-miss global
                String[] g = {"cos\nsystem\n", "cbuiltins\neval\n", "ctorch._utils\n_rebuild_tensor_v3\n",
                    "ccollections\nOrderedDict\n", "ctorch\nFloatStorage\n", "c" + "x".repeat(300) + "\n"};
                String s = g[r.nextInt(g.length)];
                what.append("global@").append(i).append(' ');
                return splice(p, i, 0, s.getBytes(StandardCharsets.ISO_8859_1));
            }
            case 5 -> { // a length-prefixed opcode claiming far more bytes than follow
                byte[][] heads = {{(byte) 0x8e}, {(byte) 0x8d}, {'X'}, {'B'}, {(byte) 0x95}, {(byte) 0x8b}};
                byte[] h = heads[r.nextInt(heads.length)];
                int width = h[0] == 'X' || h[0] == 'B' || h[0] == (byte) 0x8b ? 4 : 8;
                ByteBuffer bb = ByteBuffer.allocate(1 + width).order(ByteOrder.LITTLE_ENDIAN).put(h[0]);
                put(bb, 1, width, EDGES[r.nextInt(EDGES.length)]);
                what.append("len-op@").append(i).append(' ');
                return splice(p, i, 0, bb.array());
            }
            case 6 -> {
                int n = 1 + r.nextInt(Math.min(p.length - i, 16));
                what.append("pdelete@").append(i).append('+').append(n).append(' ');
                return splice(p, i, n, new byte[0]);
            }
            default -> {
                p[i] ^= (byte) (1 << r.nextInt(8));
                what.append("pflip@").append(i).append(' ');
            }
        }
        return p;
    }

    private static void storage(Map<String, byte[]> entries, SplittableRandom r, StringBuilder what) {
        List<String> names = new ArrayList<>(entries.keySet());
        String name = names.get(r.nextInt(names.size()));
        byte[] v = entries.get(name);
        switch (r.nextInt(4)) {
            case 0 -> entries.remove(name);
            case 1 -> entries.put(name, Arrays.copyOf(v, r.nextInt(v.length + 16)));
            case 2 -> entries.put(name + "x", entries.remove(name));
            default -> {
                byte[] big = new byte[v.length * 2 + 8];
                r.nextBytes(big);
                entries.put(name, big);
            }
        }
        what.append("entry ").append(name).append(' ');
    }

    // ---------------------------------------------------------------- helpers

    private static List<int[]> spans(Matcher m, int group) {
        List<int[]> s = new ArrayList<>();
        while (m.find()) {
            s.add(new int[] {m.start(group), m.end(group)});
        }
        return s;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    private static byte[] rep(String s, int n) {
        return s.repeat(n).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] cat(Object... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Object p : parts) {
            byte[] b = p instanceof byte[] x ? x : ((String) p).getBytes(StandardCharsets.ISO_8859_1);
            out.write(b, 0, b.length);
        }
        return out.toByteArray();
    }

    private static long get(ByteBuffer b, int at, int width) {
        return switch (width) {
            case 1 -> b.get(at) & 0xff;
            case 2 -> b.getShort(at) & 0xffff;
            case 4 -> b.getInt(at) & 0xffffffffL;
            default -> b.getLong(at);
        };
    }

    private static void put(ByteBuffer b, int at, int width, long v) {
        switch (width) {
            case 1 -> b.put(at, (byte) v);
            case 2 -> b.putShort(at, (short) v);
            case 4 -> b.putInt(at, (int) v);
            default -> b.putLong(at, v);
        }
    }
}
