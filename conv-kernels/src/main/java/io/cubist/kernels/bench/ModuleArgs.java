package io.cubist.kernels.bench;

import io.cubist.kernels.io.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The constructor keyword arguments of one {@code torch.nn} module, read with PyTorch's names and defaults. An
 * argument the module does not take is rejected up front, naming the ones it does.
 */
final class ModuleArgs {
    private final String module;
    private final Map<String, Object> args;

    ModuleArgs(String module, Map<String, Object> args, List<String> allowed) {
        this.module = module;
        this.args = args;
        List<String> unknown = new ArrayList<>();
        for (String k : args.keySet()) {
            if (!allowed.contains(k)) {
                unknown.add("'" + k + "'");
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(module + ": unknown argument" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + "; " + module + " takes "
                    + (allowed.isEmpty() ? "no arguments" : String.join(", ", allowed)));
        }
    }

    IllegalArgumentException bad(String name, String expected) {
        Object got = args.get(name);
        return new IllegalArgumentException(module + ": argument '" + name + "' must be " + expected + ", got "
                + (got instanceof String ? "'" + got + "'" : Json.write(got)));
    }

    boolean has(String name) {
        return args.get(name) != null;
    }

    Object raw(String name) {
        return args.get(name);
    }

    /** An int or a non-empty list of ints, as a one-element array for an int; {@code dflt} null = required. */
    int[] ints(String name, int[] dflt) {
        Object v = args.get(name);
        if (v == null) {
            if (dflt == null) {
                throw new IllegalArgumentException(module + ": missing required argument '" + name + "'");
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
    int[] intsOrNone(String name) {
        Object v = args.get(name);
        if (v == null) {
            throw new IllegalArgumentException(module + ": missing required argument '" + name + "'");
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
    int integer(String name, int dflt, boolean required) {
        Object v = args.get(name);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException(module + ": missing required argument '" + name + "'");
            }
            return dflt;
        }
        Integer x = toInt(v);
        if (x == null) {
            throw bad(name, "an int");
        }
        return x;
    }

    boolean bool(String name, boolean dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw bad(name, "true or false");
    }

    double number(String name, double dflt) {
        Object v = args.get(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw bad(name, "a number");
    }

    String string(String name, String dflt) {
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
