package io.cubist.pipeline.weights;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader for PyTorch state dicts that never runs code: the pickle virtual machine (protocols 2 to 5) for the
 * opcodes that state dicts use, with {@code GLOBAL}/{@code STACK_GLOBAL} limited to {@link TorchGlobal} and
 * {@code REDUCE} applying only those globals, each implemented here in Java. Any other global is refused at the
 * opcode that names it, so a hostile pickle fails before it could call anything; any other opcode is refused by name.
 *
 * <p>Everything a pickle could inflate is bounded: the stack, the mark depth, the memo, the number of values built,
 * and every length field against the bytes that remain. The machine is a loop, not a recursion, so deep nesting
 * costs no Java stack. Values are those of {@link Py}; tensors are {@link TensorView}s of storages that the
 * {@link PersistentLoader} resolves.
 */
final class Unpickler {
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MARKS = 1 << 12;
    static final int MAX_MEMO = 1 << 20;
    /** Values built (strings, numbers, containers): a state dict needs a few dozen per tensor. */
    static final long MAX_VALUES = 1 << 22;
    /** A {@code GLOBAL} names a module and an attribute on two short lines. */
    private static final int MAX_GLOBAL_LINE = 256;

    /** Resolves a persistent id ({@code BINPERSID}): in a zip checkpoint, a storage. */
    interface PersistentLoader {
        /** The object {@code pid} stands for; a problem is reported with {@link Unpickler#error}. */
        Object load(Object pid, Unpickler at);
    }

    private static final String[] OPCODE_NAMES = opcodeNames();
    /** Stands for None where a JDK list cannot hold null (SETITEM's pair). */
    private static final Object NULL = new Object();

    private final byte[] b;
    private final String where;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markDepth;
    private final Map<Long, Object> memo = new HashMap<>();
    private long built;
    private int pos;
    private int opStart;
    private int opcode;

    private Unpickler(byte[] pickle, String where, PersistentLoader persistent) {
        this.b = pickle;
        this.where = where;
        this.persistent = persistent;
    }

    /** Runs {@code pickle} to its {@code STOP} and returns the value it built; {@code where} names it in errors. */
    static Object load(byte[] pickle, String where, PersistentLoader persistent) {
        return new Unpickler(pickle, where, persistent).run();
    }

    /** An error at the current opcode: names the source, the opcode and its offset. */
    WeightFileException error(String problem) {
        return new WeightFileException(where, "pickle opcode " + opcodeName(opcode) + " at offset " + opStart + ": "
                + problem);
    }

    private Object run() {
        while (true) {
            if (pos >= b.length) {
                opStart = pos;
                opcode = -1;
                throw error("the pickle ends without a STOP opcode (truncated)");
            }
            opStart = pos;
            opcode = b[pos++] & 0xff;
            switch (opcode) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v > 5) {
                        throw error("pickle protocol " + v + " is newer than 5");
                    }
                }
                case 0x95 -> { // FRAME: a length prefix for buffering; the opcodes inside are read as usual
                    long n = u64();
                    if (n < 0 || n > b.length - pos) {
                        throw error("frame of " + Long.toUnsignedString(n) + " bytes but only " + (b.length - pos)
                                + " remain");
                    }
                }
                case '(' -> mark();
                case '}' -> push(new Py.Dict());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(Py.Tuple.EMPTY);
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'K' -> push((long) u8());
                case 'M' -> push((long) u16());
                case 'J' -> push((long) ByteBuffer.wrap(bytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt());
                case 0x8a -> push(long1());
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).getDouble()); // big-endian, as pickle writes it
                case 'X' -> push(utf8(length(4)));
                case 0x8c -> push(utf8(length(1)));
                case 0x8d -> push(utf8(length(8)));
                case 'C' -> push(bytes(length(1)));
                case 'B' -> push(bytes(length(4)));
                case 0x8e -> push(bytes(length(8)));
                case 't' -> push(new Py.Tuple(popMark()));
                case 0x85 -> push(new Py.Tuple(popN(1)));
                case 0x86 -> push(new Py.Tuple(popN(2)));
                case 0x87 -> push(new Py.Tuple(popN(3)));
                case 'l' -> push(new ArrayList<>(popMark()));
                case 'd' -> {
                    List<Object> items = popMark();
                    Py.Dict d = new Py.Dict();
                    setItems(d, items);
                    push(d);
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    setItems(dict(peek()), List.of(wrapNull(k), wrapNull(v)));
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    setItems(dict(peek()), items);
                }
                case 'q' -> memoPut(u8());
                case 'r' -> memoPut(u32());
                case 0x94 -> memoPut(memo.size());
                case 'h' -> memoGet(u8());
                case 'j' -> memoGet(u32());
                case 'c' -> {
                    String module = line();
                    String name = line();
                    push(global(module, name));
                }
                case 0x93 -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL needs two strings, got " + Py.describe(module) + " and "
                                + Py.describe(name));
                    }
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is a class we build
                    Object args = pop();
                    Object cls = pop();
                    if (cls != TorchGlobal.ORDERED_DICT) {
                        throw error("NEWOBJ of " + Py.describe(cls) + "; only collections.OrderedDict is built");
                    }
                    push(reduce(cls, args));
                }
                case 'b' -> build();
                case 'Q' -> push(persistent.load(pop(), this));
                case 'P' -> push(persistent.load(line(), this));
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> pushExisting(peek());
                case '.' -> {
                    return pop();
                }
                default -> throw error("unsupported opcode; a PyTorch state dict does not use it");
            }
        }
    }

    // ---------------------------------------------------------------- globals and calls

    private TorchGlobal global(String module, String name) {
        TorchGlobal g = TorchGlobal.find(module, name);
        if (g == null) {
            String qualified = KeyNames.printable(module, 100) + "." + KeyNames.printable(name, 100);
            throw error("refusing to load the global '" + qualified + "': a weights file may only name "
                    + TorchGlobal.allowed() + hint(module, qualified));
        }
        return g;
    }

    private static String hint(String module, String qualified) {
        if (module.startsWith("torch.nn") || module.startsWith("__torch__") || module.startsWith("torchvision")) {
            return "; the file holds a pickled model or module, not a state dict: save model.state_dict() instead";
        }
        if (module.equals("numpy") || module.startsWith("numpy.")) {
            return "; a checkpoint holding numpy values besides its tensors: save model.state_dict() on its own";
        }
        if (module.equals("torch") || module.startsWith("torch.") || module.equals("collections")) {
            return "";
        }
        return "; a pickle naming '" + qualified + "' would run code when loaded with torch.load: the file may be"
                + " hostile";
    }

    private Object reduce(Object callable, Object argsValue) {
        if (!(callable instanceof TorchGlobal g) || g.isStorage()) {
            throw error("cannot call " + Py.describe(callable) + ": it is not one of the callables a state dict uses");
        }
        if (!(argsValue instanceof Py.Tuple args)) {
            throw error("the arguments of " + g.qualifiedName() + " are " + Py.describe(argsValue) + ", not a tuple");
        }
        return switch (g) {
            case ORDERED_DICT -> {
                if (args.size() != 0) {
                    throw error("collections.OrderedDict with arguments; PyTorch builds it empty and fills it");
                }
                yield new Py.Dict();
            }
            case REBUILD_TENSOR_V2 -> {
                // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                arity(g, args, 6, 7);
                yield tensor(g, args);
            }
            case REBUILD_TENSOR -> {
                // _rebuild_tensor(storage, storage_offset, size, stride)
                arity(g, args, 4, 4);
                yield tensor(g, args);
            }
            case REBUILD_PARAMETER -> {
                // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its data here
                arity(g, args, 3, 3);
                yield parameterData(g, args);
            }
            case REBUILD_PARAMETER_WITH_STATE -> {
                // _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)
                arity(g, args, 4, 4);
                if (!isEmptyState(args.get(3))) {
                    throw error(g.qualifiedName() + " with Python attributes (" + Py.describe(args.get(3))
                            + "); only plain parameters are read");
                }
                yield parameterData(g, args);
            }
            default -> throw new IllegalStateException(g.toString());
        };
    }

    private void arity(TorchGlobal g, Py.Tuple args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            throw error(g.qualifiedName() + " takes " + (min == max ? min : min + " or " + max) + " arguments, got "
                    + args.size());
        }
    }

    private TensorView tensor(TorchGlobal g, Py.Tuple args) {
        if (!(args.get(0) instanceof TensorView.Storage storage)) {
            throw error(g.qualifiedName() + " needs a storage as its first argument, got " + Py.describe(args.get(0)));
        }
        long offset = integer(args.get(1), "storage_offset");
        long[] size = integers(args.get(2), "size");
        long[] stride = integers(args.get(3), "stride");
        String problem = TensorView.problem(storage, offset, size, stride);
        if (problem != null) {
            throw error("invalid tensor: " + problem);
        }
        return TensorView.of(storage, offset, size, stride);
    }

    private Object parameterData(TorchGlobal g, Py.Tuple args) {
        if (!(args.get(0) instanceof TensorView)) {
            throw error(g.qualifiedName() + " needs a tensor as its data, got " + Py.describe(args.get(0)));
        }
        return args.get(0);
    }

    private static boolean isEmptyState(Object state) {
        if (state == null) {
            return true;
        }
        if (state instanceof Py.Dict d) {
            return d.items().isEmpty();
        }
        if (state instanceof Py.Tuple t) {
            for (Object o : t.items()) {
                if (!(o == null || (o instanceof Py.Dict d && d.items().isEmpty()))) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private long integer(Object v, String what) {
        if (v instanceof Long l) {
            return l;
        }
        throw error(what + " must be an int, got " + Py.describe(v));
    }

    private long[] integers(Object v, String what) {
        if (!(v instanceof Py.Tuple t)) {
            throw error(what + " must be a tuple of ints, got " + Py.describe(v));
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(t.get(i), what + "[" + i + "]");
        }
        return out;
    }

    /** {@code BUILD}: sets attributes; the only object that gets any is the state dict (its {@code _metadata}). */
    private void build() {
        Object state = pop();
        Object target = peek();
        if (!(target instanceof Py.Dict)) {
            throw error("BUILD on " + Py.describe(target) + "; only an OrderedDict's attributes are set");
        }
        if (!(state == null || state instanceof Py.Dict || state instanceof Py.Tuple)) {
            throw error("BUILD with " + Py.describe(state) + " as the state of an OrderedDict");
        }
        // The attributes (module versions under _metadata) do not affect the tensors: ignored.
    }

    // ---------------------------------------------------------------- containers

    private List<Object> list(Object v) {
        if (v instanceof List<?>) {
            @SuppressWarnings("unchecked")
            List<Object> l = (List<Object>) v;
            return l;
        }
        throw error("appending to " + Py.describe(v) + ", not a list");
    }

    private Py.Dict dict(Object v) {
        if (v instanceof Py.Dict d) {
            return d;
        }
        throw error("setting an item of " + Py.describe(v) + ", not a dict");
    }

    private static Object wrapNull(Object v) {
        return v == null ? NULL : v;
    }

    private void setItems(Py.Dict d, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw error("an odd number of items (" + items.size() + ") for a dict's keys and values");
        }
        for (int i = 0; i < items.size(); i += 2) {
            Object k = items.get(i) == NULL ? null : items.get(i);
            Object v = items.get(i + 1) == NULL ? null : items.get(i + 1);
            if (k instanceof List || k instanceof Py.Dict) {
                throw error("a dict key that is " + Py.describe(k) + " (unhashable in Python)");
            }
            d.items().put(k, v);
        }
    }

    // ---------------------------------------------------------------- stack, marks, memo

    private void push(Object v) {
        if (++built > MAX_VALUES) {
            throw error("the pickle builds more than " + MAX_VALUES + " values; a state dict needs far fewer");
        }
        pushExisting(v);
    }

    private void pushExisting(Object v) {
        if (stack.size() >= MAX_STACK) {
            throw error("the pickle stack grows beyond " + MAX_STACK + " values");
        }
        stack.add(v);
    }

    private int fence() {
        return markDepth == 0 ? 0 : marks[markDepth - 1];
    }

    private Object pop() {
        if (stack.size() <= fence()) {
            throw error("the pickle stack is empty" + (markDepth > 0 ? " above the last MARK" : ""));
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.size() <= fence()) {
            throw error("the pickle stack is empty" + (markDepth > 0 ? " above the last MARK" : ""));
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) {
        if (stack.size() - fence() < n) {
            throw error("needs " + n + " values but the stack holds " + (stack.size() - fence()));
        }
        List<Object> tail = stack.subList(stack.size() - n, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private void mark() {
        if (markDepth == MAX_MARKS) {
            throw error("MARKs nested deeper than " + MAX_MARKS);
        }
        if (markDepth == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markDepth++] = stack.size();
    }

    private List<Object> popMark() {
        if (markDepth == 0) {
            throw error("no MARK to pop to");
        }
        int from = marks[--markDepth];
        List<Object> tail = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private void memoPut(long index) {
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw error("the memo grows beyond " + MAX_MEMO + " entries");
        }
        memo.put(index, peek());
    }

    private void memoGet(long index) {
        if (!memo.containsKey(index)) {
            throw error("memo entry " + index + " was never stored");
        }
        pushExisting(memo.get(index));
    }

    // ---------------------------------------------------------------- reading bytes

    private int u8() {
        need(1);
        return b[pos++] & 0xff;
    }

    private int u16() {
        need(2);
        int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private long u32() {
        need(4);
        long v = ByteBuffer.wrap(b, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        pos += 4;
        return v;
    }

    private long u64() {
        need(8);
        long v = ByteBuffer.wrap(b, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        pos += 8;
        return v;
    }

    /** A length field of {@code width} bytes, checked against the bytes that remain. */
    private int length(int width) {
        long n = switch (width) {
            case 1 -> u8();
            case 4 -> u32();
            default -> u64();
        };
        if (n < 0 || n > b.length - pos) {
            throw error("a length of " + Long.toUnsignedString(n) + " bytes but only " + (b.length - pos)
                    + " remain (truncated or corrupt)");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        need(n);
        byte[] out = Arrays.copyOfRange(b, pos, pos + n);
        pos += n;
        return out;
    }

    /** LONG1: a little-endian two's-complement integer of up to 255 bytes. */
    private Object long1() {
        int n = length(1);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) {
            be[i] = b[pos + n - 1 - i];
        }
        pos += n;
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(int n) {
        String s = decode(n, "string");
        pos += n;
        return s;
    }

    /** A {@code \n}-terminated line of at most {@link #MAX_GLOBAL_LINE} bytes (GLOBAL's module and name). */
    private String line() {
        int limit = Math.min(b.length, pos + MAX_GLOBAL_LINE + 1);
        for (int i = pos; i < limit; i++) {
            if (b[i] == '\n') {
                String s = decode(i - pos, "name");
                pos = i + 1;
                return s;
            }
        }
        throw error(limit == b.length ? "the pickle ends inside a name (truncated)"
                : "a name longer than " + MAX_GLOBAL_LINE + " bytes");
    }

    private String decode(int n, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, pos, n))
                    .toString();
        } catch (CharacterCodingException ex) {
            throw error("a " + what + " that is not valid UTF-8");
        }
    }

    private void need(int n) {
        if (n > b.length - pos) {
            throw error("the pickle ends " + (b.length - pos) + " bytes into a " + (n + pos - opStart)
                    + "-byte opcode (truncated)");
        }
    }

    // ---------------------------------------------------------------- names

    private static String opcodeName(int op) {
        if (op < 0) {
            return "(end of data)";
        }
        String name = OPCODE_NAMES[op];
        String hex = String.format("0x%02x", op);
        return name == null ? hex + " (not a pickle opcode)" : name + " (" + hex + ")";
    }

    /** Every opcode of pickle protocols 0 to 5 by name, so that an unsupported one is reported by name. */
    private static String[] opcodeNames() {
        String[] n = new String[256];
        Object[][] table = {
            {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"},
            {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"},
            {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"},
            {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"},
            {'c', "GLOBAL"}, {'d', "DICT"}, {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"},
            {'i', "INST"}, {'j', "LONG_BINGET"}, {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"},
            {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"},
            {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"},
            {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"},
            {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"}, {'B', "BINBYTES"},
            {'C', "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"},
            {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
            {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"},
            {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
        };
        for (Object[] row : table) {
            int code = row[0] instanceof Character c ? c : (Integer) row[0];
            n[code] = (String) row[1];
        }
        return n;
    }
}
