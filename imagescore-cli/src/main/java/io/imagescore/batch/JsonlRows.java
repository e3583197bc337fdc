package io.imagescore.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON object per line with the schema's columns as keys (null where absent); the embedding is an array. */
final class JsonlRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlRows() {
    }

    static final class Writer implements RowWriter {
        private final BufferedWriter out;
        private final OutputSchema schema;

        Writer(Path file, OutputSchema schema) throws IOException {
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            this.schema = schema;
        }

        @Override
        public void write(BatchRow r) throws IOException {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", r.id());
            o.put("path", r.path());
            o.put("set", r.set());
            o.put("content_sha256", r.sha256());
            o.put("width", r.width());
            o.put("height", r.height());
            o.put("pack_name", r.packName());
            o.put("pack_version", r.packVersion());
            o.put("pack_hash", r.packHash());
            o.put("preprocessing_id", r.preprocessingId());
            for (String s : schema.scalars()) {
                o.put(OutputSchema.scalarColumn(s), r.scalars().get(s));
            }
            for (String c : schema.classes()) {
                BatchRow.TopClass t = r.classes().get(c);
                o.put(OutputSchema.topClassColumn(c), t == null ? null : t.label());
                o.put(OutputSchema.topProbabilityColumn(c), t == null ? null : t.probability());
            }
            if (schema.embedding()) {
                if (r.embedding() == null) {
                    o.putNull("embedding");
                } else {
                    ArrayNode a = o.putArray("embedding");
                    for (float f : r.embedding()) {
                        a.add(f);
                    }
                }
            }
            o.put("error_code", r.errorCode());
            o.put("error_message", r.errorMessage());
            out.write(JSON.writeValueAsString(o));
            out.write('\n');
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    static final class Reader implements RowReader {
        private final BufferedReader in;
        private final OutputSchema schema;

        Reader(Path file, OutputSchema schema) throws IOException {
            this.in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            this.schema = schema;
        }

        @Override
        public BatchRow read() throws IOException {
            String line = in.readLine();
            if (line == null) {
                return null;
            }
            JsonNode o = JSON.readTree(line);
            Map<String, Double> scalars = new LinkedHashMap<>();
            for (String s : schema.scalars()) {
                JsonNode v = o.get(OutputSchema.scalarColumn(s));
                if (v != null && !v.isNull()) {
                    scalars.put(s, v.asDouble());
                }
            }
            Map<String, BatchRow.TopClass> classes = new LinkedHashMap<>();
            for (String c : schema.classes()) {
                String label = text(o, OutputSchema.topClassColumn(c));
                if (label != null) {
                    classes.put(c, new BatchRow.TopClass(label, o.get(OutputSchema.topProbabilityColumn(c)).asDouble()));
                }
            }
            float[] embedding = null;
            JsonNode e = o.get("embedding");
            if (e != null && e.isArray()) {
                embedding = new float[e.size()];
                for (int i = 0; i < embedding.length; i++) {
                    embedding[i] = e.get(i).floatValue();
                }
            }
            JsonNode w = o.get("width");
            JsonNode h = o.get("height");
            return new BatchRow(text(o, "id"), text(o, "path"), text(o, "set"), text(o, "content_sha256"),
                    w == null || w.isNull() ? null : w.asInt(), h == null || h.isNull() ? null : h.asInt(),
                    text(o, "pack_name"), text(o, "pack_version"), text(o, "pack_hash"), text(o, "preprocessing_id"),
                    scalars, classes, embedding, text(o, "error_code"), text(o, "error_message"));
        }

        private static String text(JsonNode o, String field) {
            JsonNode v = o.get(field);
            return v == null || v.isNull() ? null : v.asText();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
