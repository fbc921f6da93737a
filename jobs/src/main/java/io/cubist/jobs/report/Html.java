package io.cubist.jobs.report;

/** Escaping for text that comes from data (video paths, error messages, manifest values) into HTML, SVG and JSON. */
final class Html {

    private Html() {
    }

    /** Text content or a quoted attribute value: {@code & < > " '} become entities. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                        b.append('\uFFFD'); // control characters are not allowed in HTML text
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /**
     * A JSON string literal safe inside a {@code <script>} element: besides JSON's own escapes, {@code < > &} and the
     * line separators U+2028/U+2029 are written as {@code \\uXXXX}, so no data can close the element or open a
     * comment.
     */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** A number for SVG coordinates: fixed two decimals, never exponent form. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return "0";
        }
        long r = Math.round(v * 100);
        String sign = r < 0 ? "-" : "";
        r = Math.abs(r);
        long frac = r % 100;
        return sign + (r / 100) + (frac == 0 ? "" : frac % 10 == 0 ? "." + (frac / 10) : "." + (frac < 10 ? "0" : "")
                + frac);
    }
}
