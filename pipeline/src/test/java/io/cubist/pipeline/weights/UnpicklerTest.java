package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.DType;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pickle machine opcode by opcode, on pickles written here byte by byte. */
class UnpicklerTest {
    /** Writes pickle bytes. */
    private static final class P {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        P op(int... codes) {
            for (int c : codes) {
                out.write(c);
            }
            return this;
        }

        P ops(String ascii) {
            out.writeBytes(ascii.getBytes(StandardCharsets.ISO_8859_1));
            return this;
        }

        P le(long v, int width) {
            for (int i = 0; i < width; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        P str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return op('X').le(b.length, 4).raw(b);
        }

        P shortStr(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return op(0x8c, b.length).raw(b);
        }

        P raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        P global(String module, String name) {
            return ops("c" + module + "\n" + name + "\n");
        }

        P storage(String key, long numel) {
            return op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu").op(0x8a, 8).le(numel, 8)
                    .op('t', 'Q');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static Object load(P p) {
        return Unpickler.load(p.bytes(), "t.pth (archive/data.pkl)", (pid, at) -> {
            Py.Tuple t = (Py.Tuple) pid;
            return new TensorView.Storage((String) t.get(2), ((TorchGlobal) t.get(1)).storageType(), (Long) t.get(4),
                    null);
        });
    }

    private static String error(P p) {
        return assertThrows(WeightFileException.class, () -> load(p)).getMessage();
    }

    private static P proto2() {
        return new P().op(0x80, 2);
    }

    @Test
    void scalars() {
        Object v = load(proto2().op('(').op('J').le(-5, 4).op('M').le(0xbeef, 2).op('K', 200)
                .op(0x8a, 0).op(0x8a, 2, 0x00, 0x80).op(0x8a, 9).le(0, 8).op(1)
                .op('G').raw(ByteBuffer.allocate(8).putDouble(-1.25).array())
                .op(0x88, 0x89, 'N').shortStr("é").op(0x8d).le(2, 8).ops("ab").op('C', 2, 7, 9).op('t', '.'));
        List<Object> items = ((Py.Tuple) v).items();
        assertEquals(-5L, items.get(0));
        assertEquals(0xbeefL, items.get(1));
        assertEquals(200L, items.get(2));
        assertEquals(0L, items.get(3));
        assertEquals(-32768L, items.get(4));
        assertEquals(BigInteger.ONE.shiftLeft(64), items.get(5));
        assertEquals(-1.25, items.get(6));
        assertEquals(Boolean.TRUE, items.get(7));
        assertEquals(Boolean.FALSE, items.get(8));
        assertNull(items.get(9));
        assertEquals("é", items.get(10));
        assertEquals("ab", items.get(11));
        assertArrayEquals(new byte[] {7, 9}, (byte[]) items.get(12));
    }

    @Test
    void containersAndStackOps() {
        Object v = load(proto2().op('}').op('(').str("a").op(']').op('K', 1).op('a').op('(').op('K', 2, 'K', 3)
                .op('e').str("b").op('(').op('K', 1, 'K', 2, 'K', 3).op('l').str("c").op('K', 1).op(0x85)
                .str("d").op('K', 1, 'K', 2).op(0x86).str("e").op('K', 1, 'K', 2, 'K', 3).op(0x87)
                .str("f").op('(').str("k").op('N').op('d')
                .op('u').op('N', '0').op('(', 'N', 'N', '1').op('2', '0').op('.'));
        Map<Object, Object> d = ((Py.Dict) v).items();
        assertEquals(List.of("a", "b", "c", "d", "e", "f"), List.copyOf(d.keySet()));
        assertEquals(List.of(1L, 2L, 3L), d.get("a"));
        assertEquals(List.of(1L, 2L, 3L), d.get("b"));
        assertEquals(List.of(1L), ((Py.Tuple) d.get("c")).items());
        assertEquals(List.of(1L, 2L), ((Py.Tuple) d.get("d")).items());
        assertEquals(List.of(1L, 2L, 3L), ((Py.Tuple) d.get("e")).items());
        Map<Object, Object> f = ((Py.Dict) d.get("f")).items();
        assertTrue(f.containsKey("k"));
        assertNull(f.get("k"));
    }

    @Test
    void theMemoSharesValues() {
        Object v = load(proto2().op(']').op('q', 3).op('0').op('(').op('h', 3).op('j').le(3, 4).op('t')
                .op('r').le(70000, 4).op('0').op('j').le(70000, 4).op('.'));
        Py.Tuple t = (Py.Tuple) v;
        assertSame(t.get(0), t.get(1));
        assertInstanceOf(List.class, t.get(0));
    }

    @Test
    void protocolFourFramesMemoizeAndStackGlobal() {
        P body = new P().op(0x8c, 11).ops("collections").op(0x94).op(0x8c, 11).ops("OrderedDict").op(0x94)
                .op(0x93, 0x94).op(')', 0x81, 0x94).op('.');
        byte[] b = body.bytes();
        Object v = load(new P().op(0x80, 4).op(0x95).le(b.length, 8).raw(b));
        assertInstanceOf(Py.Dict.class, v);
    }

    @Test
    void orderedDictStateAndItsMetadataAreAccepted() {
        Object v = load(proto2().global("collections", "OrderedDict").op(')', 'R').op('}').str("_metadata")
                .op('}').op('s', 'b', '.'));
        assertTrue(((Py.Dict) v).items().isEmpty());
        assertTrue(error(proto2().op(']').op('}').op('b', '.')).contains("BUILD on a list of 0"));
    }

    @Test
    void rebuildTensorV2BuildsACheckedView() {
        P p = proto2().global("torch._utils", "_rebuild_tensor_v2").op('(').storage("0", 12).op('K', 1)
                .op('K', 3, 'K', 2, 0x86).op('K', 1, 'K', 3, 0x86).op(0x89).op('}').op('t', 'R', '.');
        TensorView t = (TensorView) load(p);
        assertEquals("0", t.storage().key());
        assertEquals(DType.F32, t.storage().dtype());
        assertEquals(1, t.offset());
        assertArrayEquals(new int[] {3, 2}, t.size());
        assertArrayEquals(new long[] {1, 3}, t.stride());
        ByteBuffer storage = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) {
            storage.putFloat(4 * i, i);
        }
        // element (i, j) = storage[1 + i + 3j]
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t.toTensor(storage).data());
    }

    @Test
    void parametersUnwrapToTheirData() {
        P tensor = new P().global("torch._utils", "_rebuild_tensor").op('(').storage("0", 2).op('K', 0)
                .op('K', 2, 0x85).op('K', 1, 0x85).op('t', 'R');
        P p = proto2().global("torch._utils", "_rebuild_parameter").op('(').raw(tensor.bytes()).op(0x88).op('}')
                .op('t', 'R', '.');
        assertInstanceOf(TensorView.class, load(p));
        P withState = proto2().global("torch._utils", "_rebuild_parameter_with_state").op('(').raw(tensor.bytes())
                .op(0x88).op('}').op('}').op('t', 'R', '.');
        assertInstanceOf(TensorView.class, load(withState));
        P withAttrs = proto2().global("torch._utils", "_rebuild_parameter_with_state").op('(').raw(tensor.bytes())
                .op(0x88).op('}').op('}').str("a").op('K', 1).op('s').op('t', 'R', '.');
        assertTrue(error(withAttrs).contains("with Python attributes (a dict of 1)"));
    }

    @Test
    void everyOtherGlobalIsRefusedByName() {
        String m = error(proto2().global("os", "system").str("touch x").op(0x85, 'R', '.'));
        assertEquals("t.pth (archive/data.pkl): pickle opcode GLOBAL (0x63) at offset 2: refusing to load the global"
                + " 'os.system': a weights file may only name " + TorchGlobal.allowed() + "; a pickle naming"
                + " 'os.system' would run code when loaded with torch.load: the file may be hostile", m);
        assertTrue(error(proto2().global("torch", "load")).contains("'torch.load'"));
        assertTrue(error(proto2().global("torch._utils", "_rebuild_qtensor"))
                .contains("'torch._utils._rebuild_qtensor'"));
        assertTrue(error(proto2().global("__builtin__", "getattr")).contains("'__builtin__.getattr'"));
        assertTrue(error(proto2().global("torch\u0001", "x")).contains("'torch\\x01.x'"));
        assertTrue(error(new P().op(0x80, 4).shortStr("nt").shortStr("system").op(0x93))
                .contains("STACK_GLOBAL (0x93) at offset 14: refusing to load the global 'nt.system'"));
        assertTrue(error(new P().op(0x80, 4).shortStr("os").op('K', 1).op(0x93)).contains("needs two strings"));
        assertTrue(error(proto2().ops("c" + "a".repeat(300) + "\nb\n")).contains("a name longer than 256 bytes"));
    }

    @Test
    void onlyStateDictCallablesCanBeCalled() {
        assertTrue(error(proto2().global("torch", "LongStorage").op(')', 'R'))
                .contains("REDUCE (0x52) at offset 22: cannot call the global torch.LongStorage"));
        assertTrue(error(proto2().op('K', 3).op(')', 'R')).contains("cannot call the int 3"));
        assertTrue(error(proto2().global("collections", "OrderedDict").op('K', 3).op('R'))
                .contains("the arguments of collections.OrderedDict are the int 3, not a tuple"));
        assertTrue(error(proto2().global("collections", "OrderedDict").op(']').op(0x85, 'R'))
                .contains("OrderedDict with arguments"));
        assertTrue(error(proto2().global("torch._utils", "_rebuild_tensor_v2").op(')', 'R'))
                .contains("takes 6 or 7 arguments, got 0"));
        assertTrue(error(proto2().global("torch._utils", "_rebuild_tensor").op('(', 'N', 'N', 'N', 'N', 't', 'R'))
                .contains("needs a storage as its first argument, got None"));
        assertTrue(error(proto2().global("torch", "FloatStorage").op(')', 0x81))
                .contains("NEWOBJ of the global torch.FloatStorage"));
    }

    @Test
    void malformedPicklesAreNamedByOpcodeAndOffset() {
        assertTrue(error(new P().op(0x80, 6)).contains("PROTO (0x80) at offset 0: pickle protocol 6"));
        assertTrue(error(proto2().op('N')).contains("ends without a STOP opcode"));
        assertTrue(error(proto2().op('X').le(100, 4).ops("abc")).contains("a length of 100 bytes but only 3 remain"));
        assertTrue(error(proto2().op(0x8d).le(-1, 8)).contains("a length of 18446744073709551615 bytes"));
        assertTrue(error(proto2().op('J', 1)).contains("BININT (0x4a) at offset 2: the pickle ends"));
        assertTrue(error(proto2().op(0x8c, 2, 0xc3, 0x28)).contains("not valid UTF-8"));
        assertTrue(error(proto2().op('a')).contains("APPEND (0x61) at offset 2: the pickle stack is empty"));
        assertTrue(error(proto2().op('N', '(', 'a')).contains("empty above the last MARK"));
        assertTrue(error(proto2().op('K', 1, 'K', 1, 'a')).contains("appending to the int 1, not a list"));
        assertTrue(error(proto2().op('}', '(', 'N', 'u')).contains("an odd number of items (1)"));
        assertTrue(error(proto2().op('}', ']', 'N', 's')).contains("a dict key that is a list of 0"));
        assertTrue(error(proto2().op('h', 9)).contains("memo entry 9 was never stored"));
        assertTrue(error(proto2().op('q', 0)).contains("the pickle stack is empty"));
        assertTrue(error(proto2().op('t')).contains("no MARK to pop to"));
        assertTrue(error(proto2().op('N', 0x86)).contains("needs 2 values but the stack holds 1"));
        assertTrue(error(proto2().op('I')).contains("INT (0x49) at offset 2: unsupported opcode"));
        assertTrue(error(proto2().op(0xff)).contains("0xff (not a pickle opcode) at offset 2"));
        assertTrue(error(proto2().op(0x95).le(1000, 8)).contains("frame of 1000 bytes but only 0 remain"));
    }

    @Test
    void growthIsBounded() {
        P many = proto2();
        for (int i = 0; i <= Unpickler.MAX_STACK; i++) {
            many.op('N');
        }
        assertTrue(error(many).contains("the pickle stack grows beyond " + Unpickler.MAX_STACK));
        P marks = proto2();
        for (int i = 0; i <= Unpickler.MAX_MARKS; i++) {
            marks.op('(');
        }
        assertTrue(error(marks).contains("MARKs nested deeper than " + Unpickler.MAX_MARKS));
        P memo = proto2().op('N');
        for (int i = 0; i <= Unpickler.MAX_MEMO; i++) {
            memo.op('r').le(i, 4);
        }
        assertTrue(error(memo).contains("the memo grows beyond " + Unpickler.MAX_MEMO));
        P values = proto2();
        for (long i = 0; i <= Unpickler.MAX_VALUES; i++) {
            values.op('N', '0');
        }
        assertTrue(error(values).contains("builds more than " + Unpickler.MAX_VALUES + " values"));
    }
}
