package io.cubist.jobs.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HtmlTest {

    @Test
    void textAndAttributes() {
        assertEquals("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
                Html.esc("<a href=\"x\" title='y'>&amp;</a>"));
        assertEquals("a\uFFFDb\tc", Html.esc("a\u0000b\tc"));
        assertEquals("", Html.esc(null));
    }

    @Test
    void jsonStringsCannotCloseTheScriptElement() {
        assertEquals("\"\\u003c/script\\u003e\\u003c!--\\u0026\"", Html.jsonString("</script><!--&"));
        assertEquals("\"a\\\"b\\\\c\\n\\u2028\\u0001\"", Html.jsonString("a\"b\\c\n\u2028\u0001"));
        assertEquals("\"s3://b/\u00e9t\u00e9.mp4\"", Html.jsonString("s3://b/\u00e9t\u00e9.mp4"));
    }

    @Test
    void svgNumbers() {
        assertEquals("0", Html.num(0));
        assertEquals("1.5", Html.num(1.5));
        assertEquals("1.05", Html.num(1.0500001));
        assertEquals("-2.25", Html.num(-2.25));
        assertEquals("12345678", Html.num(12345678));
        assertEquals("0", Html.num(Double.NaN));
    }
}
