package io.imagescore.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Python's {@code html.unescape}, reproduced rule for rule, because CLIP's tokenizer runs it (twice) on every prompt
 * and library unescapers (commons-text, jsoup) differ from it on legacy names without ';', numeric references in the
 * C1 range, invalid code points and the longest-prefix rule. The entity table is generated from Python's own
 * {@code html.entities.html5} (see the header of {@code html-charrefs.txt}).
 */
final class HtmlUnescaper {

    private static final int MAX_NAME_CODE_POINTS = 32;
    private static final Map<String, String> NAMED;
    private static final Map<Integer, String> REMAPPED_NUMERIC;

    static {
        Map<String, String> named = new HashMap<>(4096);
        Map<Integer, String> remapped = new HashMap<>(64);
        try (InputStream in = HtmlUnescaper.class.getResourceAsStream("html-charrefs.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource io/imagescore/text/html-charrefs.txt is missing");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("# ")) {
                    continue;
                }
                int tab = line.indexOf('\t');
                String name = line.substring(0, tab);
                StringBuilder value = new StringBuilder(2);
                for (String hex : line.substring(tab + 1).split(" ")) {
                    value.appendCodePoint(Integer.parseInt(hex, 16));
                }
                if (name.startsWith("#")) {
                    remapped.put(Integer.parseInt(name.substring(1)), value.toString());
                } else {
                    named.put(name, value.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NAMED = Map.copyOf(named);
        REMAPPED_NUMERIC = Map.copyOf(remapped);
    }

    private HtmlUnescaper() {
    }

    /** Python {@code html.unescape(s)}. */
    static String unescape(String s) {
        int amp = s.indexOf('&');
        if (amp < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int copied = 0;
        int n = s.length();
        while (amp >= 0) {
            int end = matchCharref(s, amp + 1);
            if (end < 0) {
                amp = s.indexOf('&', amp + 1);
                continue;
            }
            out.append(s, copied, amp);
            out.append(replace(s.substring(amp + 1, end)));
            copied = end;
            amp = end < n ? s.indexOf('&', end) : -1;
        }
        out.append(s, copied, n);
        return out.toString();
    }

    /**
     * End (exclusive) of {@code &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)} whose body starts at
     * {@code start}, or -1 when the regex does not match there.
     */
    private static int matchCharref(String s, int start) {
        int n = s.length();
        if (start >= n) {
            return -1;
        }
        int i = start;
        if (s.charAt(i) == '#') {
            i++;
            if (i < n && (s.charAt(i) == 'x' || s.charAt(i) == 'X')) {
                int digits = i + 1;
                int j = digits;
                while (j < n && Character.digit(s.charAt(j), 16) >= 0 && s.charAt(j) < 128) {
                    j++;
                }
                if (j > digits) {
                    return j < n && s.charAt(j) == ';' ? j + 1 : j;
                }
                // "#x" without hex digits: the decimal branch fails too ('x' is no digit) and '#' may not start a name
                return -1;
            }
            int j = i;
            while (j < n && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
                j++;
            }
            if (j == i) {
                return -1;
            }
            return j < n && s.charAt(j) == ';' ? j + 1 : j;
        }
        int codePoints = 0;
        while (i < n && codePoints < MAX_NAME_CODE_POINTS) {
            char c = s.charAt(i);
            if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';') {
                break;
            }
            i += Character.charCount(s.codePointAt(i));
            codePoints++;
        }
        if (codePoints == 0) {
            return -1;
        }
        return i < n && s.charAt(i) == ';' ? i + 1 : i;
    }

    /** Python's {@code _replace_charref} for the body {@code ref} (without the leading '&'). */
    private static String replace(String ref) {
        if (ref.charAt(0) == '#') {
            boolean hex = ref.length() > 1 && (ref.charAt(1) == 'x' || ref.charAt(1) == 'X');
            String digits = ref.substring(hex ? 2 : 1, ref.endsWith(";") ? ref.length() - 1 : ref.length());
            return numeric(parseBounded(digits, hex ? 16 : 10));
        }
        String value = NAMED.get(ref);
        if (value != null) {
            return value;
        }
        // longest known prefix of at least 2 characters, e.g. "&ampfoo" -> "&foo" (Python slices by code point)
        int[] cps = ref.codePoints().toArray();
        for (int len = cps.length - 1; len > 1; len--) {
            String prefix = new String(cps, 0, len);
            value = NAMED.get(prefix);
            if (value != null) {
                return value + new String(cps, len, cps.length - len);
            }
        }
        return "&" + ref;
    }

    /** Parses digits, saturating at a value above the Unicode range (Python's int is unbounded). */
    private static int parseBounded(String digits, int radix) {
        long v = 0;
        for (int i = 0; i < digits.length(); i++) {
            v = v * radix + Character.digit(digits.charAt(i), radix);
            if (v > Character.MAX_CODE_POINT) {
                return Character.MAX_CODE_POINT + 1;
            }
        }
        return (int) v;
    }

    private static String numeric(int num) {
        String remapped = REMAPPED_NUMERIC.get(num);
        if (remapped != null) {
            return remapped;
        }
        if ((num >= 0xD800 && num <= 0xDFFF) || num > Character.MAX_CODE_POINT) {
            return "\uFFFD";
        }
        if (isInvalidCodePoint(num)) {
            return "";
        }
        return Character.toString(num);
    }

    /** Python's {@code html._invalid_codepoints}. */
    private static boolean isInvalidCodePoint(int c) {
        return (c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || (c >= 0x7F && c <= 0x9F)
                || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
    }
}
