package io.imagescore.batch;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CSV with a header (RFC 4180 quoting). Empty cell = no value. Numbers use Java's shortest round-trip text; the
 * embedding is one cell of space-separated floats.
 */
final class CsvRows {
    private CsvRows() {
    }

    static final class Writer implements RowWriter {
        private final BufferedWriter out;
        private final OutputSchema schema;

        Writer(Path file, OutputSchema schema) throws IOException {
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            this.schema = schema;
            line(schema.columns());
        }

        @Override
        public void write(BatchRow r) throws IOException {
            List<String> cells = new ArrayList<>();
            cells.add(r.id());
            cells.add(r.path());
            cells.add(r.set());
            cells.add(r.sha256());
            cells.add(r.width() == null ? null : r.width().toString());
            cells.add(r.height() == null ? null : r.height().toString());
            cells.add(r.packName());
            cells.add(r.packVersion());
            cells.add(r.packHash());
            cells.add(r.preprocessingId());
            for (String s : schema.scalars()) {
                Double v = r.scalars().get(s);
                cells.add(v == null ? null : v.toString());
            }
            for (String c : schema.classes()) {
                BatchRow.TopClass t = r.classes().get(c);
                cells.add(t == null ? null : t.label());
                cells.add(t == null ? null : Double.toString(t.probability()));
            }
            if (schema.embedding()) {
                if (r.embedding() == null) {
                    cells.add(null);
                } else {
                    StringBuilder b = new StringBuilder();
                    for (int i = 0; i < r.embedding().length; i++) {
                        b.append(i == 0 ? "" : " ").append(r.embedding()[i]);
                    }
                    cells.add(b.toString());
                }
            }
            cells.add(r.errorCode());
            cells.add(r.errorMessage());
            line(cells);
        }

        private void line(List<String> cells) throws IOException {
            for (int i = 0; i < cells.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                String c = cells.get(i);
                if (c == null) {
                    continue;
                }
                if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0) {
                    out.write('"');
                    out.write(c.replace("\"", "\"\""));
                    out.write('"');
                } else {
                    out.write(c);
                }
            }
            out.write('\n');
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    static final class Reader implements RowReader {
        private final MappingIterator<Map<String, String>> rows;
        private final OutputSchema schema;

        Reader(Path file, OutputSchema schema) throws IOException {
            this.schema = schema;
            this.rows = new CsvMapper().readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader())
                    .readValues(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        }

        @Override
        public BatchRow read() throws IOException {
            if (!rows.hasNextValue()) {
                return null;
            }
            Map<String, String> m = rows.next();
            Map<String, Double> scalars = new LinkedHashMap<>();
            for (String s : schema.scalars()) {
                String v = cell(m, OutputSchema.scalarColumn(s));
                if (v != null) {
                    scalars.put(s, Double.parseDouble(v));
                }
            }
            Map<String, BatchRow.TopClass> classes = new LinkedHashMap<>();
            for (String c : schema.classes()) {
                String label = cell(m, OutputSchema.topClassColumn(c));
                if (label != null) {
                    classes.put(c, new BatchRow.TopClass(label, Double.parseDouble(cell(m, OutputSchema.topProbabilityColumn(c)))));
                }
            }
            float[] embedding = null;
            String e = schema.embedding() ? cell(m, "embedding") : null;
            if (e != null) {
                String[] parts = e.split(" ");
                embedding = new float[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    embedding[i] = Float.parseFloat(parts[i]);
                }
            }
            String w = cell(m, "width");
            String h = cell(m, "height");
            return new BatchRow(cell(m, "id"), cell(m, "path"), cell(m, "set"), cell(m, "content_sha256"),
                    w == null ? null : Integer.valueOf(w), h == null ? null : Integer.valueOf(h), cell(m, "pack_name"),
                    cell(m, "pack_version"), cell(m, "pack_hash"), cell(m, "preprocessing_id"), scalars, classes, embedding,
                    cell(m, "error_code"), cell(m, "error_message"));
        }

        private static String cell(Map<String, String> m, String column) {
            String v = m.get(column);
            return v == null || v.isEmpty() ? null : v;
        }

        @Override
        public void close() throws IOException {
            rows.close();
        }
    }
}
