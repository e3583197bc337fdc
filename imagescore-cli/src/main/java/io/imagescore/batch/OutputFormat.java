package io.imagescore.batch;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** The three output formats; each writes and reads back the same rows. */
public enum OutputFormat {
    CSV("csv"), JSONL("jsonl"), PARQUET("parquet");

    private final String extension;

    OutputFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    public RowWriter writer(Path file, OutputSchema schema) throws IOException {
        return switch (this) {
            case CSV -> new CsvRows.Writer(file, schema);
            case JSONL -> new JsonlRows.Writer(file, schema);
            case PARQUET -> new ParquetRows.Writer(file, schema);
        };
    }

    public RowReader reader(Path file, OutputSchema schema) throws IOException {
        return switch (this) {
            case CSV -> new CsvRows.Reader(file, schema);
            case JSONL -> new JsonlRows.Reader(file, schema);
            case PARQUET -> new ParquetRows.Reader(file, schema);
        };
    }

    public static OutputFormat parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "format must be csv, jsonl or parquet, got '" + text + "'");
        }
    }

    /** By file extension, for merge outputs. */
    public static OutputFormat of(Path file) {
        String n = file.getFileName().toString();
        return parse(n.substring(n.lastIndexOf('.') + 1));
    }
}
