package io.imagescore.batch;

import java.io.Closeable;
import java.io.IOException;

/** Writes rows of one schema to one file, in the order given. {@link #close} completes the file. */
public interface RowWriter extends Closeable {
    void write(BatchRow row) throws IOException;
}
