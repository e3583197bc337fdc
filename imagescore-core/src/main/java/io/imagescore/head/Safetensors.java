package io.imagescore.head;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.store.DurableFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw little-endian data).
 * Our own ~60 lines because heads only need F32 tensors and no Java library for the format is on our mirror.
 */
public final class Safetensors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {
    }

    /** A float32 tensor read from or written to a safetensors file. */
    public record F32(long[] shape, float[] data) {
        public int rows() {
            return shape.length == 1 ? 1 : (int) shape[0];
        }

        public int cols() {
            return (int) shape[shape.length - 1];
        }
    }

    public static Map<String, F32> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) {
            throw new IOException("not a safetensors file (shorter than its 8-byte header length)");
        }
        long headerLen = buf.getLong(0);
        if (headerLen <= 0 || headerLen > bytes.length - 8) {
            throw new IOException("not a safetensors file (header length " + headerLen + " does not fit in " + bytes.length + " bytes)");
        }
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        int base = 8 + (int) headerLen;
        Map<String, F32> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode t = e.getValue();
            String dtype = t.path("dtype").asText();
            if (!dtype.equals("F32")) {
                throw new IOException("tensor '" + e.getKey() + "' has dtype " + dtype + "; heads need F32");
            }
            long[] shape = new long[t.path("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.path("shape").get(i).asLong();
            }
            long begin = t.path("data_offsets").get(0).asLong();
            long end = t.path("data_offsets").get(1).asLong();
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (end - begin != n * 4 || base + end > bytes.length) {
                throw new IOException("tensor '" + e.getKey() + "' data offsets [" + begin + "," + end + ") do not match its shape or the file size");
            }
            float[] data = new float[(int) n];
            buf.position(base + (int) begin);
            buf.asFloatBuffer().get(data);
            out.put(e.getKey(), new F32(shape, data));
        }
        return out;
    }

    /** Writes tensors in the given order (deterministic bytes for the same input), durably ({@link DurableFiles}). */
    public static void write(Path file, Map<String, F32> tensors) throws IOException {
        DurableFiles.replaceFile(file, toBytes(tensors));
    }

    /** The file's bytes: tensors in the given order (deterministic bytes for the same input). */
    public static byte[] toBytes(Map<String, F32> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, F32> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long len = e.getValue().data().length * 4L;
            t.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] headerBytes = JSON.writeValueAsBytes(header);
        int pad = (8 - headerBytes.length % 8) % 8; // the format aligns data to 8 bytes with trailing spaces
        ByteBuffer buf = ByteBuffer.allocate(8 + headerBytes.length + pad + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerBytes.length + pad).put(headerBytes);
        for (int i = 0; i < pad; i++) {
            buf.put((byte) ' ');
        }
        for (F32 t : tensors.values()) {
            for (float f : t.data()) {
                buf.putFloat(f);
            }
        }
        return buf.array();
    }
}
