package io.imagescore.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HtmlUnescaperTest {

    /** Expected values printed by Python 3.11's {@code html.unescape} for the same inputs. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', emptyValue = "", textBlock = """
            &amp;amp;                        | &amp;
            &ampfoo                          | &foo
            &amp                             | &
            &#x80;                           | \u20ac
            &#128                            | \u20ac
            &#0;                             | \ufffd
            &#1;                             | ""
            &#xD800;                         | \ufffd
            &#x110000;                       | \ufffd
            &#99999999999999999999;          | \ufffd
            &notit;                          | \u00acit;
            &notin;                          | \u2209
            &#x;                             | &#x;
            &#;                              | &#;
            &;                               | &;
            &#0065;                          | A
            &#X41                            | A
            &lt;b&gt;                        | <b>
            &NotANamedEntityAtAllHereIsLong; | &NotANamedEntityAtAllHereIsLong;
            &Aacute;&aacute                  | \u00c1\u00e1
            &copy2026                        | \u00a92026
            &#x1F600;                        | \ud83d\ude00
            &#xFFFF;                         | ""
            a&b&c                            | a&b&c
            &amp;lt;                         | &lt;
            """)
    void unescapes_like_python_html_unescape(String input, String expected) {
        assertThat(HtmlUnescaper.unescape(input)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void keeps_carriage_return_reference_and_bare_ampersand() {
        assertThat(HtmlUnescaper.unescape("&#13;")).isEqualTo("\r");
        assertThat(HtmlUnescaper.unescape("& x")).isEqualTo("& x");
    }
}
