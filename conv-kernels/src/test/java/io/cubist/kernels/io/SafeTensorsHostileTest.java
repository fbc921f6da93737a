package io.cubist.kernels.io;

import static io.cubist.kernels.io.StFixtures.file;
import static io.cubist.kernels.io.StFixtures.floats;
import static io.cubist.kernels.io.StFixtures.one;
import static io.cubist.kernels.io.StFixtures.withLength;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed and hostile files: each must fail with a SafeTensorsException that says what is wrong. */
class SafeTensorsHostileTest {
    private static final byte[] EIGHT = new byte[8];

    private static Arguments bad(String what, byte[] bytes, String... expected) {
        return Arguments.of(what, bytes, expected);
    }

    private static String two(String a, String b) {
        return "{" + a.substring(1, a.length() - 1) + "," + b.substring(1, b.length() - 1) + "}";
    }

    static Stream<Arguments> cases() {
        String good = one("a", "F32", "[2]", 0, 8);
        byte[] valid = file(good, EIGHT);
        return Stream.of(
                bad("empty file", new byte[0], "only 0 bytes, too short for the 8-byte header length"),
                bad("shorter than the length field", new byte[] {1, 0, 0}, "only 3 bytes"),
                bad("header longer than the file", withLength(100, new byte[20]),
                        "header length 100 runs past the end of the file (28 bytes)"),
                bad("header over 100 MB", withLength(200_000_000L, new byte[20]),
                        "header length 200000000 exceeds the limit of 100000000 bytes"),
                bad("header length with the top bit set", withLength(-1L, new byte[20]),
                        "header length 18446744073709551615 exceeds the limit"),
                bad("truncated inside the header", Arrays.copyOf(valid, 20), "runs past the end of the file"),
                bad("header not UTF-8", withLength(2, new byte[] {(byte) 0xC3, (byte) 0x28}),
                        "the header is not valid UTF-8"),
                bad("header not JSON", file("{\"a\":", EIGHT), "the header is not valid JSON",
                        "unexpected end of input"),
                bad("leading zero in a number", file(one("a", "F32", "[02]", 0, 8), EIGHT),
                        "the header is not valid JSON", "malformed number '02'"),
                bad("bad unicode escape", file("{\"\\u-041\":{}}", new byte[0]), "the header is not valid JSON",
                        "bad \\u escape"),
                bad("header padded with NULs", file(good + "\0\0", EIGHT), "the header is not valid JSON"),
                bad("header not an object", file("[1,2]", new byte[0]), "the header must be a JSON object, got a list"),
                bad("entry not an object", file("{\"a\":3}", new byte[0]),
                        "tensor 'a' must be an object with dtype, shape and data_offsets, got a number"),
                bad("dtype missing", file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", EIGHT),
                        "tensor 'a': dtype must be a string, got null"),
                bad("unknown dtype", file(one("a", "F33", "[2]", 0, 8), EIGHT),
                        "tensor 'a': unknown dtype 'F33'; expected one of BOOL, U8, I8, I16, U16, F16, BF16, I32, U32,"
                                + " F32, F64, I64, U64"),
                bad("float8 dtype", file(one("a", "F8_E4M3", "[8]", 0, 8), EIGHT),
                        "dtype F8_E4M3 is a safetensors type Cubist cannot read; readable: BOOL"),
                bad("shape not a list", file(one("a", "F32", "2", 0, 8), EIGHT),
                        "tensor 'a': shape must be a list of non-negative integers, got a number"),
                bad("negative dimension", file(one("a", "F32", "[-1,2]", 0, 8), EIGHT),
                        "shape must be a list of non-negative integers, got [-1,2]"),
                bad("fractional dimension", file(one("a", "F32", "[2.0]", 0, 8), EIGHT),
                        "shape must be a list of non-negative integers, got [2.0]"),
                bad("dimension beyond int", file(one("a", "F32", "[3000000000,0]", 0, 0), new byte[0]),
                        "dimension 3000000000 in shape [3000000000,0] exceeds 2147483647"),
                bad("element count overflows", file(one("a", "F64", "[2147483647,2147483647,2147483647]", 0, 8), EIGHT),
                        "shape [2147483647, 2147483647, 2147483647] has more elements than 64-bit sizes can count"),
                bad("byte count overflows", file(one("a", "F64", "[2147483647,2147483647,4]", 0, 8), EIGHT),
                        "has more elements than 64-bit sizes can count"),
                bad("data_offsets missing", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", EIGHT),
                        "tensor 'a': data_offsets must be two non-negative integers [begin, end], got null"),
                bad("one offset", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", EIGHT),
                        "data_offsets must be two non-negative integers [begin, end], got [8]"),
                bad("three offsets", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", EIGHT),
                        "got [0,8,8]"),
                bad("string offset", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}}",
                        EIGHT), "got [\"0\",8]"),
                bad("fractional offset", file(one("a", "F32", "[2]", 0, 8).replace("8]", "8.0]"), EIGHT),
                        "got [0,8.0]"),
                bad("negative offset", file(one("a", "F32", "[2]", -8, 0), EIGHT), "got [-8,0]"),
                bad("offset beyond 2^63", file(one("a", "F32", "[2]", 0, 8).replace("[0,", "[18446744073709551616,"),
                        EIGHT), "data_offsets must be two non-negative integers"),
                bad("begin after end", file(one("a", "F32", "[0]", 8, 0), EIGHT),
                        "tensor 'a': data_offsets [8, 0] begin after they end"),
                bad("end beyond the data", file(one("a", "F32", "[200]", 0, 800), EIGHT),
                        "tensor 'a': data_offsets [0, 800] run past the end of the data section (8 bytes)"),
                bad("truncated inside the data", Arrays.copyOf(valid, valid.length - 1),
                        "data_offsets [0, 8] run past the end of the data section (7 bytes)"),
                bad("size does not match the shape", file(one("a", "F32", "[3]", 0, 8), EIGHT),
                        "tensor 'a': data_offsets [0, 8] span 8 bytes but F32 shape [3] needs 12 (3 elements of 4 bytes)"),
                bad("overlapping tensors", file(two(one("a", "F32", "[2]", 0, 8), one("b", "F32", "[2]", 4, 12)),
                        new byte[12]), "tensors 'a' [0, 8) and 'b' [4, 12) overlap",
                        "requires the tensors to cover the data section exactly"),
                bad("aliased tensors", file(two(one("a", "F32", "[2]", 0, 8), one("b", "F32", "[2]", 0, 8)), EIGHT),
                        "tensors 'a' [0, 8) and 'b' [0, 8) overlap"),
                bad("a hole between tensors", file(two(one("a", "F32", "[1]", 0, 4), one("b", "F32", "[1]", 8, 12)),
                        new byte[12]), "bytes [4, 8) of the data section belong to no tensor",
                        "without holes or overlaps"),
                bad("a hole at the start", file(one("a", "F32", "[1]", 4, 8), EIGHT),
                        "bytes [0, 4) of the data section belong to no tensor"),
                bad("trailing bytes", file(good, new byte[12]),
                        "the data section is 12 bytes but the tensors cover only the first 8; 4 trailing bytes"),
                bad("data but no tensors", file("{}", new byte[1]), "1 trailing bytes belong to no tensor"),
                bad("duplicate names", file(two(good, one("a", "F32", "[2]", 0, 8)), EIGHT),
                        "the header is not valid JSON", "duplicate key 'a'"),
                bad("metadata value not a string", file(two("{\"__metadata__\":{\"k\":\"v\",\"n\":1}}", good), EIGHT),
                        "__metadata__ value for key 'n' must be a string, got a number"),
                bad("metadata not an object", file(two("{\"__metadata__\":[\"k\"]}", good), EIGHT),
                        "__metadata__ must be an object of strings, got a list"),
                bad("deeply nested JSON", file("[".repeat(100_000), new byte[0]), "nesting deeper than 64"),
                bad("huge name is clipped in messages", file(one("x".repeat(10_000), "F32", "[3]", 0, 8), EIGHT),
                        "tensor 'xxxxxxxxxx", "...': data_offsets [0, 8] span 8 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectedWithAClearMessage(String what, byte[] bytes, String[] expected) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(bytes));
        String m = e.getMessage();
        assertTrue(m.startsWith("in-memory safetensors (" + bytes.length + " bytes): "), m);
        for (String s : expected) {
            assertTrue(m.contains(s), "expected '" + s + "' in: " + m);
        }
        assertTrue(m.length() < 1000, "message too long: " + m.length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectedFromAFileWithItsPath(String what, byte[] bytes, String[] expected, @TempDir Path dir)
            throws IOException {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, bytes);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        for (String s : expected) {
            assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
        }
    }

    @Test
    void rankBeyondTensorsLimitIsRefusedOnGet() {
        TensorFile f = SafeTensors.read(file(one("a", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4), floats(1f)));
        assertEquals(1, f.getDoubles("a").length);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> f.get("a"));
        assertTrue(e.getMessage().contains("tensor 'a' has rank 9; Cubist tensors have at most 8"), e.getMessage());
    }

    @Test
    void paddingWithSpacesIsAccepted() {
        String header = one("a", "F32", "[2]", 0, 8) + "       ";
        TensorFile f = SafeTensors.read(file(header, new byte[8]));
        assertTrue(f.names().contains("a"));
        assertTrue(header.getBytes(StandardCharsets.UTF_8).length % 8 != 0); // any padding, not only to 8
    }

    @Test
    void aValidFileWithAMutatedLengthFieldNeverAllocatesMoreThanTheFile() {
        byte[] valid = SafeTensors.toBytes(Map.of("w", Tensor.random(1, 16)), null);
        for (long n : new long[] {Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE + 1L, 99_999_999L, valid.length}) {
            byte[] b = valid.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
            assertThrows(SafeTensorsException.class, () -> SafeTensors.read(b));
        }
    }
}
