package io.cubist.kernels.op;

import io.cubist.kernels.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code args} object of an op spec, read with {@code torch.nn.functional}'s names and defaults. An argument
 * the op does not take is rejected up front, naming the ones it does. Values are typed here, at the edge, and
 * nowhere deeper.
 */
final class OpArgs {
    private final String op;
    private final Map<String, Object> args;

    OpArgs(String op, Map<String, Object> args, List<String> allowed) {
        this.op = op;
        this.args = args;
        List<String> unknown = new ArrayList<>();
        for (String k : args.keySet()) {
            if (!allowed.contains(k)) {
                unknown.add("'" + k + "'");
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(op + ": unknown argument" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + "; " + op + " takes "
                    + (allowed.isEmpty() ? "no arguments" : String.join(", ", allowed)));
        }
    }

    private IllegalArgumentException bad(String name, String expected, Object got) {
        return new IllegalArgumentException(op + ": argument '" + name + "' must be " + expected + ", got "
                + (got instanceof String ? "'" + got + "'" : Json.write(got)));
    }

    boolean has(String name) {
        return args.containsKey(name) && args.get(name) != null;
    }

    Object raw(String name) {
        return args.get(name);
    }

    /** An int or a list of ints; a single value is returned as a one-element array. */
    int[] ints(String name, int[] dflt) {
        Object v = args.get(name);
        if (v == null) {
            if (dflt == null) {
                throw new IllegalArgumentException(op + ": missing required argument '" + name + "'");
            }
            return dflt;
        }
        if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                throw bad(name, "an int or a non-empty list of ints", v);
            }
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = toInt(name, l.get(i), v);
            }
            return out;
        }
        return new int[] {toInt(name, v, v)};
    }

    /** A list whose entries may be null (as {@code adaptive_avg_pool3d}'s {@code output_size}); null = -1. */
    int[] intsOrNone(String name) {
        Object v = args.get(name);
        if (v == null) {
            throw new IllegalArgumentException(op + ": missing required argument '" + name + "'");
        }
        List<?> l = v instanceof List<?> list ? list : List.of(v);
        if (l.isEmpty()) {
            throw bad(name, "an int or a non-empty list of ints", v);
        }
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i) == null ? -1 : toInt(name, l.get(i), v);
        }
        return out;
    }

    private int toInt(String name, Object x, Object whole) {
        if (x instanceof Long n && n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        if (x instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e9) {
            return d.intValue();
        }
        throw bad(name, "an int or a list of ints", whole);
    }

    int integer(String name, int dflt) {
        int[] v = ints(name, new int[] {dflt});
        if (v.length != 1) {
            throw bad(name, "an int", raw(name));
        }
        return v[0];
    }

    boolean bool(String name, boolean dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw bad(name, "true or false", v);
    }

    double number(String name, double dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw bad(name, "a number", v);
    }

    String string(String name, String dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw bad(name, "a string", v);
    }
}
