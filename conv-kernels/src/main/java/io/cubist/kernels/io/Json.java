package io.cubist.kernels.io;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small strict JSON reader and writer (RFC 8259) for op specs and safetensors headers, so that conv-kernels needs
 * nothing beyond the JDK. Values map to {@code Map<String,Object>} (insertion-ordered), {@code List<Object>},
 * {@code String}, {@code Long} (integers that fit), {@code Double}, {@code Boolean} and {@code null}.
 *
 * <p>Nesting depth is bounded so that a hostile document cannot overflow the stack.
 */
public final class Json {
    private static final int MAX_DEPTH = 64;
    /** RFC 8259 number grammar: no leading zeros, no bare '.', digits after '.' and 'e'. */
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final Pattern HEX4 = Pattern.compile("[0-9a-fA-F]{4}");

    private final String s;
    private int pos;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON document; trailing non-whitespace is an error. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipWs();
        Object v = p.value();
        p.skipWs();
        if (p.pos != p.s.length()) {
            throw p.error("unexpected trailing characters");
        }
        return v;
    }

    /** Parses a document that must be a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object, got " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "a list";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }

    private IllegalArgumentException error(String what) {
        int from = Math.max(0, pos - 20);
        int to = Math.min(s.length(), pos + 20);
        return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + what + " near '"
                + s.substring(from, to).replaceAll("\\s+", " ") + "'");
    }

    private void skipWs() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                break;
            }
        }
    }

    private Object value() {
        if (pos >= s.length()) {
            throw error("unexpected end of input");
        }
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, pos)) {
            throw error("expected " + word);
        }
        pos += word.length();
        return v;
    }

    private Map<String, Object> object() {
        enter();
        pos++;
        Map<String, Object> m = new LinkedHashMap<>();
        skipWs();
        if (peek() == '}') {
            pos++;
            depth--;
            return m;
        }
        while (true) {
            skipWs();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            String k = string();
            skipWs();
            expect(':');
            skipWs();
            Object v = value();
            if (m.containsKey(k)) {
                throw error("duplicate key '" + k + "'");
            }
            m.put(k, v);
            skipWs();
            char c = peek();
            pos++;
            if (c == '}') {
                depth--;
                return m;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        enter();
        pos++;
        List<Object> l = new ArrayList<>();
        skipWs();
        if (peek() == ']') {
            pos++;
            depth--;
            return l;
        }
        while (true) {
            skipWs();
            l.add(value());
            skipWs();
            char c = peek();
            pos++;
            if (c == ']') {
                depth--;
                return l;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
    }

    private char peek() {
        if (pos >= s.length()) {
            throw error("unexpected end of input");
        }
        return s.charAt(pos);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private String string() {
        pos++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = peek();
            pos++;
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character in string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = peek();
            pos++;
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) {
                        throw error("truncated \\u escape");
                    }
                    String hex = s.substring(pos, pos + 4);
                    if (!HEX4.matcher(hex).matches()) { // parseInt alone would take "+041" or "-041"
                        throw error("bad \\u escape");
                    }
                    b.append((char) Integer.parseInt(hex, 16));
                    pos += 4;
                }
                default -> {
                    pos--;
                    throw error("bad escape '\\" + e + "'");
                }
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        boolean integral = true;
        int digits = 0;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && pos > start)) {
                integral = false;
            } else {
                break;
            }
            pos++;
        }
        String t = s.substring(start, pos);
        if (digits == 0 || !NUMBER.matcher(t).matches()) {
            throw error("malformed number '" + t + "'");
        }
        try {
            if (integral) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException tooBig) {
                    return Double.parseDouble(t);
                }
            }
            return Double.parseDouble(t);
        } catch (NumberFormatException ex) {
            throw error("malformed number '" + t + "'");
        }
    }

    /** Compact JSON for maps, lists, strings, numbers, booleans, null and int/long/float/double arrays. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(v, b);
        return b.toString();
    }

    private static void write(Object v, StringBuilder b) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            quote(str, b);
        } else if (v instanceof Double d) {
            b.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
        } else if (v instanceof Float f) {
            b.append(f.isNaN() || f.isInfinite() ? "null" : f.toString());
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                quote(String.valueOf(e.getKey()), b);
                b.append(':');
                write(e.getValue(), b);
                if (it.hasNext()) {
                    b.append(',');
                }
            }
            b.append('}');
        } else if (v instanceof Iterable<?> l) {
            b.append('[');
            boolean first = true;
            for (Object o : l) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                write(o, b);
            }
            b.append(']');
        } else if (v instanceof int[] a) {
            write(java.util.Arrays.stream(a).boxed().toList(), b);
        } else if (v instanceof long[] a) {
            write(java.util.Arrays.stream(a).boxed().toList(), b);
        } else if (v instanceof double[] a) {
            write(java.util.Arrays.stream(a).boxed().toList(), b);
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static void quote(String str, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
