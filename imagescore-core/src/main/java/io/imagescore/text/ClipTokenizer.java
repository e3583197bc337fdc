package io.imagescore.text;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/**
 * OpenAI CLIP's byte-level BPE tokenizer ({@code simple_tokenizer.py}), written out by hand instead of with a regex
 * engine and string-keyed merges because prompt scoring and label tuning tokenize many thousands of candidate
 * prompts and the ids must be exact.
 *
 * <p>Pipeline (each step as the golden reference {@code clip-tokenizer-golden.json} did it):
 * <ol>
 *   <li>{@code html.unescape} twice, then whitespace cleaning: runs of Python-whitespace become one space, ends are
 *       stripped. OpenAI also runs {@code ftfy.fix_text} first; there is no Java ftfy and the golden reference skips it
 *       too, so mojibake repair, quote uncurling and full-width folding are not done here.</li>
 *   <li>NFC, then lower case with Python's {@code str.lower} rules (full mappings, CPython's word-final sigma).
 *       Hugging Face lower-cases character by character and so never produces a final sigma; the golden file has no
 *       Greek, so OpenAI's behaviour, which CLIP was trained with, is kept.</li>
 *   <li>CLIP's split pattern {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}
 *       (case-sensitive, as in Hugging Face's pre-tokenizer; on lower-cased text it only differs from OpenAI's
 *       IGNORECASE pattern for exotic case folds such as "'ſ").</li>
 *   <li>Each piece's UTF-8 bytes mapped through GPT-2's bytes-to-unicode table, {@code </w>} on the last symbol, then
 *       BPE: repeatedly merge every occurrence of the adjacent pair with the lowest merge rank.</li>
 *   <li>{@code <|startoftext|>} (49406) ... {@code <|endoftext|>} (49407); longer sequences are cut to the context
 *       length with the last id replaced by the end token (OpenAI's {@code truncate=True}); padding is 0.</li>
 * </ol>
 *
 * <p>Thread-safe. BPE results are cached per piece in a bounded concurrent map.
 */
public final class ClipTokenizer {

    public static final int CONTEXT_LENGTH = 77;
    public static final int VOCAB_SIZE = 49408;
    public static final String START_OF_TEXT = "<|startoftext|>";
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** Merges CLIP keeps from the file: {@code lines[1 : 49152-256-2+1]}. */
    private static final int MERGE_COUNT = 49152 - 256 - 2;
    private static final String END_OF_WORD = "</w>";
    private static final int DEFAULT_CACHE_LIMIT = 100_000;

    private final String[] vocab;
    /** bytes-to-unicode character -> byte value, -1 for other characters (for {@link #decode}). */
    private final int[] charToByte = new int[0x200];
    /** byte value -> id of its bytes-to-unicode symbol; the {@code </w>} variant is looked up in {@link #byteEndIds}. */
    private final int[] byteIds = new int[256];
    private final int[] byteEndIds = new int[256];
    private final PairTable merges;
    private final int startId;
    private final int endId;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    private final int cacheLimit;

    private ClipTokenizer(List<String[]> mergePairs, int cacheLimit) {
        this.cacheLimit = cacheLimit;
        char[] byteToChar = bytesToUnicode();
        int[] byteOrder = bytesToUnicodeOrder();
        List<String> tokens = new ArrayList<>(VOCAB_SIZE);
        for (int b : byteOrder) {
            tokens.add(String.valueOf(byteToChar[b]));
        }
        for (int b : byteOrder) {
            tokens.add(byteToChar[b] + END_OF_WORD);
        }
        for (String[] pair : mergePairs) {
            tokens.add(pair[0] + pair[1]);
        }
        tokens.add(START_OF_TEXT);
        tokens.add(END_OF_TEXT);
        this.vocab = tokens.toArray(String[]::new);
        // like Python's dict(zip(vocab, range(len(vocab)))): a repeated token keeps its last id
        Map<String, Integer> enc = new HashMap<>(vocab.length * 2);
        for (int id = 0; id < vocab.length; id++) {
            enc.put(vocab[id], id);
        }
        Arrays.fill(charToByte, -1);
        for (int b = 0; b < 256; b++) {
            charToByte[byteToChar[b]] = b;
            byteIds[b] = enc.get(String.valueOf(byteToChar[b]));
            byteEndIds[b] = enc.get(byteToChar[b] + END_OF_WORD);
        }
        this.merges = new PairTable(mergePairs.size());
        for (int rank = 0; rank < mergePairs.size(); rank++) {
            String[] pair = mergePairs.get(rank);
            Integer left = enc.get(pair[0]);
            Integer right = enc.get(pair[1]);
            if (left == null || right == null) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK,
                        "CLIP merge " + rank + " (" + pair[0] + " " + pair[1] + ") uses a symbol that is not in the vocabulary");
            }
            // like Python's bpe_ranks dict: a repeated pair keeps its last rank
            merges.put(left, right, rank, enc.get(pair[0] + pair[1]));
        }
        this.startId = enc.get(START_OF_TEXT);
        this.endId = enc.get(END_OF_TEXT);
    }

    /** Reads CLIP's gzipped merges file ({@code bpe_simple_vocab_16e6.txt.gz}). */
    public static ClipTokenizer load(Path bpeGz) {
        try (InputStream in = Files.newInputStream(bpeGz)) {
            return fromStream(in, bpeGz.toString());
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "cannot read CLIP BPE merges " + bpeGz + ": " + e.getMessage(), e);
        }
    }

    /** Reads CLIP's gzipped merges file from a stream (e.g. a classpath resource); the stream is not closed. */
    public static ClipTokenizer fromStream(InputStream bpeGz) {
        return fromStream(bpeGz, "stream");
    }

    private static ClipTokenizer fromStream(InputStream bpeGz, String source) {
        String text;
        try {
            GZIPInputStream gz = new GZIPInputStream(bpeGz, 1 << 16);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 21);
            gz.transferTo(bytes);
            text = bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "cannot read CLIP BPE merges from " + source + ": " + e.getMessage(), e);
        }
        // only lines 1..MERGE_COUNT are used; the file holds ~262k, so walk the newlines instead of splitting it all
        List<String[]> pairs = new ArrayList<>(MERGE_COUNT);
        int lineStart = text.indexOf('\n') + 1;
        for (int line = 1; line <= MERGE_COUNT; line++) {
            if (lineStart <= 0 || lineStart >= text.length()) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK, "CLIP BPE merges " + source + " has " + (line - 1)
                        + " merge lines, needs at least " + MERGE_COUNT);
            }
            int lineEnd = text.indexOf('\n', lineStart);
            String content = text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd);
            String[] pair = content.trim().split("\\s+");
            if (pair.length != 2) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK, "CLIP BPE merges " + source + " line " + (line + 1)
                        + " is not a pair: '" + content + "'");
            }
            pairs.add(pair);
            lineStart = lineEnd + 1;
        }
        return new ClipTokenizer(pairs, DEFAULT_CACHE_LIMIT);
    }

    public int vocabSize() {
        return vocab.length;
    }

    public int startId() {
        return startId;
    }

    public int endId() {
        return endId;
    }

    /** Ids of {@code text} with start and end tokens, cut to {@link #CONTEXT_LENGTH}, not padded. */
    public int[] encode(String text) {
        return encode(text, CONTEXT_LENGTH);
    }

    /** Ids of {@code text} with start and end tokens, cut to {@code contextLength} keeping the end token, not padded. */
    public int[] encode(String text, int contextLength) {
        if (contextLength < 2) {
            throw new IllegalArgumentException("context length must hold start and end tokens, got " + contextLength);
        }
        IntList ids = new IntList(32);
        ids.add(startId);
        tokenize(text, ids, contextLength);
        ids.add(endId);
        if (ids.size > contextLength) {
            ids.size = contextLength;
            ids.data[contextLength - 1] = endId;
        }
        return Arrays.copyOf(ids.data, ids.size);
    }

    /** One row of a text-encoder input: {@link #encode(String, int)} zero-padded to {@code contextLength}. */
    public long[] encodePadded(String text, int contextLength) {
        long[] row = new long[contextLength];
        writeRow(text, row, 0, contextLength);
        return row;
    }

    /** The text encoder's {@code input_ids}: INT64 of shape [N, {@link #CONTEXT_LENGTH}], zero-padded. */
    public Tensor encodeBatch(List<String> texts) {
        return encodeBatch(texts, CONTEXT_LENGTH);
    }

    /** The text encoder's {@code input_ids}: INT64 of shape [N, contextLength], zero-padded. */
    public Tensor encodeBatch(List<String> texts, int contextLength) {
        long[] data = new long[Math.multiplyExact(texts.size(), contextLength)];
        for (int i = 0; i < texts.size(); i++) {
            writeRow(texts.get(i), data, i * contextLength, contextLength);
        }
        return Tensor.ofLongs(new long[] {texts.size(), contextLength}, data);
    }

    private void writeRow(String text, long[] dest, int offset, int contextLength) {
        int[] ids = encode(text, contextLength);
        for (int i = 0; i < ids.length; i++) {
            dest[offset + i] = ids[i];
        }
    }

    /** Text of the ids (special tokens included, {@code </w>} as a space), for logs and debugging. */
    public String decode(int[] ids) {
        StringBuilder symbols = new StringBuilder();
        for (int id : ids) {
            symbols.append(vocab[id]);
        }
        String joined = symbols.toString().replace(END_OF_WORD, " ");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(joined.length());
        for (int i = 0; i < joined.length(); i++) {
            char c = joined.charAt(i);
            int b = c < charToByte.length ? charToByte[c] : -1;
            if (b >= 0) {
                bytes.write(b);
            } else {
                // the ' ' that stands for </w>
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8).strip();
    }

    /** Text after html-unescape, whitespace cleaning, NFC and lower case: what the split pattern sees. */
    static String normalize(String text) {
        if (isPlainAscii(text)) {
            return collapseWhitespace(text).toLowerCase(Locale.ROOT);
        }
        String cleaned = collapseWhitespace(HtmlUnescaper.unescape(HtmlUnescaper.unescape(text)));
        return pythonLower(Normalizer.normalize(cleaned, Normalizer.Form.NFC));
    }

    /**
     * Python's {@code str.lower()}. {@link String#toLowerCase(Locale)} with {@link Locale#ROOT} applies the same full
     * mappings except for the capital sigma, whose Final_Sigma test Java does differently (it neither skips
     * case-ignorable characters nor requires a cased letter before), so sigmas are decided here as CPython does.
     */
    static String pythonLower(String s) {
        int sigma = s.indexOf('\u03A3');
        if (sigma < 0) {
            return s.toLowerCase(Locale.ROOT);
        }
        StringBuilder out = new StringBuilder(s.length());
        int from = 0;
        for (; sigma >= 0; sigma = s.indexOf('\u03A3', from)) {
            out.append(s.substring(from, sigma).toLowerCase(Locale.ROOT));
            out.append(isFinalSigma(s, sigma) ? '\u03C2' : '\u03C3');
            from = sigma + 1;
        }
        return out.append(s.substring(from).toLowerCase(Locale.ROOT)).toString();
    }

    /** CPython's {@code handle_capital_sigma}: \p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased}). */
    private static boolean isFinalSigma(String s, int i) {
        int j = i;
        int before = -1;
        while (j > 0) {
            int c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!isCaseIgnorable(c)) {
                before = c;
                break;
            }
        }
        if (before < 0 || !isCased(before)) {
            return false;
        }
        j = i + 1;
        while (j < s.length()) {
            int c = s.codePointAt(j);
            j += Character.charCount(c);
            if (!isCaseIgnorable(c)) {
                return !isCased(c);
            }
        }
        return true;
    }

    /** Unicode Cased: Lu, Ll, Lt, Other_Lowercase, Other_Uppercase. */
    private static boolean isCased(int c) {
        return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
    }

    /** Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter, MidNumLet, Single_Quote. */
    private static boolean isCaseIgnorable(int c) {
        int type = Character.getType(c);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT
                || type == Character.MODIFIER_LETTER || type == Character.MODIFIER_SYMBOL) {
            return true;
        }
        return switch (c) {
            case '\'', '.', ':', 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52,
                 0xFE55, 0xFF07, 0xFF0E, 0xFF1A -> true;
            default -> false;
        };
    }

    /** ASCII without '&': unescaping and NFC cannot change it. */
    private static boolean isPlainAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || c == '&') {
                return false;
            }
        }
        return true;
    }

    /** Python's {@code re.sub(r'\s+', ' ', text).strip()} (the earlier {@code strip()} is subsumed). */
    static String collapseWhitespace(String s) {
        StringBuilder out = null;
        int n = s.length();
        boolean pendingSpace = false;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (isPythonWhitespace(c)) {
                if (out == null) {
                    out = new StringBuilder(n);
                    out.append(s, 0, i);
                }
                pendingSpace = true;
                continue;
            }
            if (pendingSpace) {
                if (!out.isEmpty()) {
                    out.append(' ');
                }
                pendingSpace = false;
            }
            if (out != null) {
                out.append(c);
            }
        }
        if (out == null) {
            return s;
        }
        return out.toString();
    }

    /** Python's {@code str.isspace} (what {@code \s} and {@code strip()} use): Unicode White_Space plus U+001C..U+001F. */
    static boolean isPythonWhitespace(char c) {
        if (c <= ' ') {
            return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
        }
        if (c < 0x85) {
            return false;
        }
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
                || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Splits normalised text with CLIP's pattern and appends the BPE ids of every piece; stops once past {@code limit}. */
    private void tokenize(String raw, IntList ids, int limit) {
        String text = normalize(raw);
        int n = text.length();
        int i = 0;
        while (i < n && ids.size < limit) { // later pieces would be cut off anyway
            int cp = text.codePointAt(i);
            int start = i;
            if (cp == '<' && text.startsWith(START_OF_TEXT, i)) {
                ids.add(startId);
                i += START_OF_TEXT.length();
                continue;
            }
            if (cp == '<' && text.startsWith(END_OF_TEXT, i)) {
                ids.add(endId);
                i += END_OF_TEXT.length();
                continue;
            }
            if (cp == '\'') {
                int len = contractionLength(text, i);
                if (len > 0) {
                    appendBpe(text.substring(i, i + len), ids);
                    i += len;
                    continue;
                }
            }
            if (cp == ' ' || (cp < 0x10000 && isPythonWhitespace((char) cp))) {
                i++;
                continue;
            }
            if (Character.isLetter(cp)) {
                i += Character.charCount(cp);
                while (i < n) {
                    int next = text.codePointAt(i);
                    if (!Character.isLetter(next)) {
                        break;
                    }
                    i += Character.charCount(next);
                }
            } else if (isNumber(cp)) {
                i += Character.charCount(cp);
            } else {
                i += Character.charCount(cp);
                while (i < n) {
                    int next = text.codePointAt(i);
                    if (Character.isLetter(next) || isNumber(next) || (next < 0x10000 && isPythonWhitespace((char) next))) {
                        break;
                    }
                    i += Character.charCount(next);
                }
            }
            appendBpe(text.substring(start, i), ids);
        }
    }

    /** Length of {@code 's|'t|'re|'ve|'m|'ll|'d} at {@code i}, or 0. */
    private static int contractionLength(String text, int i) {
        if (i + 1 >= text.length()) {
            return 0;
        }
        char a = text.charAt(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 2;
        }
        if (i + 2 < text.length()) {
            char b = text.charAt(i + 2);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return 3;
            }
        }
        return 0;
    }

    /** Regex {@code \p{N}}: Nd, Nl, No. */
    private static boolean isNumber(int cp) {
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    private void appendBpe(String piece, IntList ids) {
        int[] cached = cache.get(piece);
        if (cached == null) {
            cached = bpe(piece.getBytes(StandardCharsets.UTF_8));
            if (cache.size() >= cacheLimit) {
                // bounded without an LRU's per-hit bookkeeping: prompts repeat a small working set of words, so
                // starting over when full costs a few re-encodings at most
                cache.clear();
            }
            cache.put(piece, cached);
        }
        ids.addAll(cached);
    }

    /** Byte-level BPE of one piece: OpenAI's loop (lowest-ranked adjacent pair, all its occurrences, left to right). */
    private int[] bpe(byte[] bytes) {
        int n = bytes.length;
        int[] symbols = new int[n];
        for (int k = 0; k < n - 1; k++) {
            symbols[k] = byteIds[bytes[k] & 0xFF];
        }
        symbols[n - 1] = byteEndIds[bytes[n - 1] & 0xFF];
        while (n > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestLeft = -1;
            int bestRight = -1;
            int bestMerged = -1;
            for (int k = 0; k < n - 1; k++) {
                long entry = merges.get(symbols[k], symbols[k + 1]);
                if (entry >= 0 && (int) (entry >>> 32) < bestRank) {
                    bestRank = (int) (entry >>> 32);
                    bestLeft = symbols[k];
                    bestRight = symbols[k + 1];
                    bestMerged = (int) entry;
                }
            }
            if (bestLeft < 0) {
                break;
            }
            int w = 0;
            for (int k = 0; k < n; k++) {
                if (k < n - 1 && symbols[k] == bestLeft && symbols[k + 1] == bestRight) {
                    symbols[w++] = bestMerged;
                    k++;
                } else {
                    symbols[w++] = symbols[k];
                }
            }
            n = w;
        }
        return n == symbols.length ? symbols : Arrays.copyOf(symbols, n);
    }

    /** GPT-2's reversible byte -> printable character table. */
    private static char[] bytesToUnicode() {
        char[] table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = isPrintableByte(b) ? (char) b : (char) (256 + extra++);
        }
        return table;
    }

    /** The order of bytes in CLIP's base vocabulary: printable ranges first, then the rest ascending. */
    private static int[] bytesToUnicodeOrder() {
        int[] order = new int[256];
        int k = 0;
        for (int b = 0; b < 256; b++) {
            if (isPrintableByte(b)) {
                order[k++] = b;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (!isPrintableByte(b)) {
                order[k++] = b;
            }
        }
        return order;
    }

    private static boolean isPrintableByte(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** Open-addressing map (left id, right id) -> (rank << 32 | merged id); -1 when absent. */
    private static final class PairTable {
        private final long[] keys;
        private final long[] values;
        private final int mask;

        PairTable(int expected) {
            int capacity = Integer.highestOneBit(Math.max(16, expected * 3)) << 1;
            keys = new long[capacity];
            values = new long[capacity];
            mask = capacity - 1;
            Arrays.fill(keys, -1L);
        }

        void put(int left, int right, int rank, int merged) {
            long key = ((long) left << 32) | right;
            int slot = slot(key);
            while (keys[slot] != -1L && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            values[slot] = ((long) rank << 32) | merged;
        }

        long get(int left, int right) {
            long key = ((long) left << 32) | right;
            int slot = slot(key);
            while (true) {
                long k = keys[slot];
                if (k == key) {
                    return values[slot];
                }
                if (k == -1L) {
                    return -1L;
                }
                slot = (slot + 1) & mask;
            }
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 40) & mask;
        }
    }

    private static final class IntList {
        int[] data;
        int size;

        IntList(int capacity) {
            data = new int[capacity];
        }

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > data.length) {
                data = Arrays.copyOf(data, Math.max(size * 2, size + vs.length));
            }
            System.arraycopy(vs, 0, data, size, vs.length);
            size += vs.length;
        }
    }
}
