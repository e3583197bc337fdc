package io.imagescore.batch;

import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parquet through parquet-java's example Group API on local files (LocalOutputFile/LocalInputFile, plain
 * configuration). Written UNCOMPRESSED on purpose: every compression codec in parquet-java goes through Hadoop's
 * Configuration, which would add hadoop-client-runtime (30 MB) to the 19 MB hadoop-client-api that is needed anyway;
 * dictionary and RLE encodings still apply to the repetitive columns (pack, labels, error codes). Compress the merged
 * file downstream (e.g. DuckDB/Spark rewrite) when size matters. The embedding is a standard 3-level LIST of FLOAT.
 */
final class ParquetRows {
    private ParquetRows() {
    }

    static MessageType messageType(OutputSchema schema) {
        var b = Types.buildMessage()
                .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id");
        for (String c : new String[] {"path", "set", "content_sha256"}) {
            b = b.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(c);
        }
        b = b.optional(PrimitiveTypeName.INT32).named("width").optional(PrimitiveTypeName.INT32).named("height");
        for (String c : new String[] {"pack_name", "pack_version", "pack_hash", "preprocessing_id"}) {
            b = b.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(c);
        }
        for (String s : schema.scalars()) {
            b = b.optional(PrimitiveTypeName.DOUBLE).named(OutputSchema.scalarColumn(s));
        }
        for (String c : schema.classes()) {
            b = b.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(OutputSchema.topClassColumn(c))
                    .optional(PrimitiveTypeName.DOUBLE).named(OutputSchema.topProbabilityColumn(c));
        }
        if (schema.embedding()) {
            b = b.optionalList().requiredElement(PrimitiveTypeName.FLOAT).named("embedding");
        }
        return b.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("error_code")
                .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("error_message")
                .named("image_score");
    }

    static final class Writer implements RowWriter {
        private final ParquetWriter<Group> writer;
        private final SimpleGroupFactory groups;
        private final OutputSchema schema;

        Writer(Path file, OutputSchema schema) throws IOException {
            MessageType type = messageType(schema);
            this.schema = schema;
            this.groups = new SimpleGroupFactory(type);
            this.writer = ExampleParquetWriter.builder(new LocalOutputFile(file)).withConf(new PlainParquetConfiguration())
                    .withType(type).withCompressionCodec(CompressionCodecName.UNCOMPRESSED).build();
        }

        @Override
        public void write(BatchRow r) throws IOException {
            Group g = groups.newGroup().append("id", r.id());
            text(g, "path", r.path());
            text(g, "set", r.set());
            text(g, "content_sha256", r.sha256());
            if (r.width() != null) {
                g.append("width", r.width());
            }
            if (r.height() != null) {
                g.append("height", r.height());
            }
            text(g, "pack_name", r.packName());
            text(g, "pack_version", r.packVersion());
            text(g, "pack_hash", r.packHash());
            text(g, "preprocessing_id", r.preprocessingId());
            for (String s : schema.scalars()) {
                Double v = r.scalars().get(s);
                if (v != null) {
                    g.append(OutputSchema.scalarColumn(s), v);
                }
            }
            for (String c : schema.classes()) {
                BatchRow.TopClass t = r.classes().get(c);
                if (t != null) {
                    g.append(OutputSchema.topClassColumn(c), t.label()).append(OutputSchema.topProbabilityColumn(c), t.probability());
                }
            }
            if (schema.embedding() && r.embedding() != null) {
                Group list = g.addGroup("embedding");
                for (float f : r.embedding()) {
                    list.addGroup("list").append("element", f);
                }
            }
            text(g, "error_code", r.errorCode());
            text(g, "error_message", r.errorMessage());
            writer.write(g);
        }

        private static void text(Group g, String field, String value) {
            if (value != null) {
                g.append(field, value);
            }
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    static final class Reader implements RowReader {
        private final ParquetReader<Group> reader;
        private final OutputSchema schema;

        Reader(Path file, OutputSchema schema) throws IOException {
            this.schema = schema;
            this.reader = new ParquetReader.Builder<Group>(new LocalInputFile(file), new PlainParquetConfiguration()) {
                @Override
                protected ReadSupport<Group> getReadSupport() {
                    return new GroupReadSupport();
                }
            }.build();
        }

        @Override
        public BatchRow read() throws IOException {
            Group g = reader.read();
            if (g == null) {
                return null;
            }
            Map<String, Double> scalars = new LinkedHashMap<>();
            for (String s : schema.scalars()) {
                String col = OutputSchema.scalarColumn(s);
                if (g.getFieldRepetitionCount(col) > 0) {
                    scalars.put(s, g.getDouble(col, 0));
                }
            }
            Map<String, BatchRow.TopClass> classes = new LinkedHashMap<>();
            for (String c : schema.classes()) {
                String label = text(g, OutputSchema.topClassColumn(c));
                if (label != null) {
                    classes.put(c, new BatchRow.TopClass(label, g.getDouble(OutputSchema.topProbabilityColumn(c), 0)));
                }
            }
            float[] embedding = null;
            if (schema.embedding() && g.getFieldRepetitionCount("embedding") > 0) {
                Group list = g.getGroup("embedding", 0);
                embedding = new float[list.getFieldRepetitionCount("list")];
                for (int i = 0; i < embedding.length; i++) {
                    embedding[i] = list.getGroup("list", i).getFloat("element", 0);
                }
            }
            return new BatchRow(g.getString("id", 0), text(g, "path"), text(g, "set"), text(g, "content_sha256"),
                    integer(g, "width"), integer(g, "height"), text(g, "pack_name"), text(g, "pack_version"),
                    text(g, "pack_hash"), text(g, "preprocessing_id"), scalars, classes, embedding,
                    text(g, "error_code"), text(g, "error_message"));
        }

        private static String text(Group g, String field) {
            return g.getFieldRepetitionCount(field) > 0 ? g.getString(field, 0) : null;
        }

        private static Integer integer(Group g, String field) {
            return g.getFieldRepetitionCount(field) > 0 ? g.getInteger(field, 0) : null;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }
}
