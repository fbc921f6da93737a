package io.cubist.kernels.op;

import io.cubist.kernels.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keyword arguments with PyTorch's names and defaults: an op spec's {@code args} ({@code torch.nn.functional}) or a
 * module's constructor kwargs ({@code torch.nn}). An argument the owner does not take is rejected up front, naming
 * the ones it does. Values are typed here, at the edge, and nowhere deeper.
 */
public final class TorchArgs {
    private final String owner;
    private final Map<String, Object> args;

    /** @param owner the op or module name errors start with */
    public TorchArgs(String owner, Map<String, Object> args, List<String> allowed) {
        this.owner = owner;
        this.args = args;
        List<String> unknown = new ArrayList<>();
        for (String k : args.keySet()) {
            if (!allowed.contains(k)) {
                unknown.add("'" + k + "'");
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(owner + ": unknown argument" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + "; " + owner + " takes "
                    + (allowed.isEmpty() ? "no arguments" : String.join(", ", allowed)));
        }
    }

    public IllegalArgumentException bad(String name, String expected) {
        Object got = args.get(name);
        return new IllegalArgumentException(owner + ": argument '" + name + "' must be " + expected + ", got "
                + (got instanceof String ? "'" + got + "'" : Json.write(got)));
    }

    public boolean has(String name) {
        return args.get(name) != null;
    }

    public Object raw(String name) {
        return args.get(name);
    }

    /** An int or a non-empty list of ints, as a one-element array for an int; {@code dflt} null = required. */
    public int[] ints(String name, int[] dflt) {
        Object v = args.get(name);
        if (v == null) {
            if (dflt == null) {
                throw new IllegalArgumentException(owner + ": missing required argument '" + name + "'");
            }
            return dflt;
        }
        if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                throw bad(name, "an int or a non-empty list of ints");
            }
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                Integer x = toInt(l.get(i));
                if (x == null) {
                    throw bad(name, "an int or a list of ints");
                }
                out[i] = x;
            }
            return out;
        }
        Integer x = toInt(v);
        if (x == null) {
            throw bad(name, "an int or a list of ints");
        }
        return new int[] {x};
    }

    /** An int or a list whose entries may be null ({@code output_size}); null entries become -1. */
    public int[] intsOrNone(String name) {
        Object v = args.get(name);
        if (v == null) {
            throw new IllegalArgumentException(owner + ": missing required argument '" + name + "'");
        }
        List<?> l = v instanceof List<?> list ? list : List.of(v);
        if (l.isEmpty()) {
            throw bad(name, "an int or a non-empty list of ints");
        }
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            Integer x = l.get(i) == null ? Integer.valueOf(-1) : toInt(l.get(i));
            if (x == null) {
                throw bad(name, "an int or a list of ints (or None)");
            }
            out[i] = x;
        }
        return out;
    }

    private static Integer toInt(Object x) {
        if (x instanceof Long n && n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        return null;
    }

    /** A single int; {@code required} makes a missing value an error. */
    public int integer(String name, int dflt, boolean required) {
        Object v = args.get(name);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException(owner + ": missing required argument '" + name + "'");
            }
            return dflt;
        }
        Integer x = toInt(v);
        if (x == null) {
            throw bad(name, "an int");
        }
        return x;
    }

    public boolean bool(String name, boolean dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw bad(name, "true or false");
    }

    public double number(String name, double dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw bad(name, "a number");
    }

    public String string(String name, String dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw bad(name, "a string");
    }
}
