package io.cubist.pipeline.weights;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Python values an {@link Unpickler} builds. {@code str} is {@link String}, {@code int} is {@link Long} (or
 * {@link BigInteger} beyond 64 bits), {@code float} is {@link Double}, {@code bool} is {@link Boolean}, {@code None} is
 * null, {@code bytes} is {@code byte[]} and {@code list} is {@link ArrayList}; tuples and dicts are the types below.
 *
 * <p>A hostile pickle can make these graphs cyclic or exponentially shared (through its memo), so nothing here walks
 * them recursively: tuples and dicts use identity equality, and {@link #describe} looks one level deep.
 */
final class Py {
    private Py() {
    }

    /** A Python tuple: immutable. */
    static final class Tuple {
        static final Tuple EMPTY = new Tuple(List.of());

        private final List<Object> items;

        Tuple(List<Object> items) {
            this.items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        List<Object> items() {
            return items;
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** A Python dict or {@code collections.OrderedDict}: insertion-ordered either way. */
    static final class Dict {
        private final Map<Object, Object> items = new LinkedHashMap<>();

        Map<Object, Object> items() {
            return items;
        }
    }

    /** What a message calls a value: its type and, for scalars, its value; never deeper than one level. */
    static String describe(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof String s) {
            return "the str " + KeyNames.quote(s);
        }
        if (v instanceof Boolean b) {
            return "the bool " + (b ? "True" : "False");
        }
        if (v instanceof Long || v instanceof BigInteger) {
            String s = v.toString();
            return "the int " + (s.length() > 40 ? s.substring(0, 40) + "..." : s);
        }
        if (v instanceof Double d) {
            return "the float " + d;
        }
        if (v instanceof byte[] b) {
            return "a bytes object of " + b.length + " bytes";
        }
        if (v instanceof Tuple t) {
            return "a tuple of " + t.size();
        }
        if (v instanceof List<?> l) {
            return "a list of " + l.size();
        }
        if (v instanceof Dict d) {
            return "a dict of " + d.items().size();
        }
        if (v instanceof TorchGlobal g) {
            return "the global " + g.qualifiedName();
        }
        if (v instanceof TensorView t) {
            return "a tensor " + KeyNames.shape(t.size()) + " of " + t.storage().dtype();
        }
        if (v instanceof TensorView.Storage s) {
            return "a " + s.dtype() + " storage";
        }
        return "a " + v.getClass().getSimpleName();
    }
}
